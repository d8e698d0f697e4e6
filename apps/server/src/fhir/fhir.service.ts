import { Injectable } from '@nestjs/common';
import type { Principal } from '../auth/principal.js';
import { AppError } from '../common/app-error.js';
import { PatientAccessService } from '../access/patient-access.service.js';
import { planTrend, TREND_BUCKETS } from '../clinical/trend-range.js';
import { TrendsRepository } from '../clinical/trends.repository.js';
import { decodeCursor, encodeCursor, type ObservationSearch } from './fhir-search.js';
import { aggregateObservation, deviceResource, readingObservation, searchBundle, type AggregateBucket, type Resource } from './fhir-resources.js';
import { patientResource } from './fhir-patient.js';
import { deviceIdFromFhir } from './fhir-codes.js';
import { FhirRepository } from './fhir.repository.js';
import type { PatientScope } from '../access/patient-scope.js';

const DAY_MS = 86_400_000;
/** Bucketed search without date bounds: the last 30 days. */
const DEFAULT_BUCKETED_RANGE_MS = 30 * DAY_MS;

export interface RequestUrls {
  /** e.g. https://host — for fullUrl. */
  base: string;
  /** The request URL (absolute), for the self and next links. */
  self: string;
}

/** meta.source of every exported resource: this server's FHIR endpoint. */
export function metaSource(urls: Pick<RequestUrls, 'base'>): string {
  return `${urls.base}/fhir`;
}

@Injectable()
export class FhirService {
  constructor(
    private readonly access: PatientAccessService,
    private readonly repository: FhirRepository,
    private readonly trends: TrendsRepository,
  ) {}

  async searchObservations(principal: Principal, search: ObservationSearch, urls: RequestUrls, now: Date): Promise<Resource> {
    const details = {
      metrics: search.metrics.length,
      from: search.from?.toISOString(),
      to: search.to?.toISOString(),
      bucket: search.bucket,
      count: search.count,
    };
    return this.access.read(principal, search.patientId, { action: 'fhir.observation.search', details }, async (patient, note) => {
      const source = metaSource(urls);
      const page = search.bucket ? await this.aggregatePage(patient, search, now, source) : await this.rawPage(patient, search, source);
      const entries = page.resources.map((resource) => ({ fullUrl: `${urls.base}/fhir/Observation/${resource.id}`, resource }));
      let next: string | undefined;
      if (page.nextCursor) {
        const url = new URL(urls.self);
        url.searchParams.set('_cursor', page.nextCursor);
        next = url.toString();
      }
      note({ returned: entries.length });
      return searchBundle(entries, { self: urls.self, next }, now);
    });
  }

  private async rawPage(patient: PatientScope, search: ObservationSearch, source: string): Promise<{ resources: Resource[]; nextCursor?: string }> {
    let after: { timeUs: string; metric: string; deviceId: string } | undefined;
    if (search.cursor) {
      const [timeUs, metric, deviceId] = decodeCursor(search.cursor, ['string', 'string', 'string']) as string[];
      if (!/^-?\d{1,20}$/.test(timeUs!)) throw new AppError('BAD_REQUEST', 'invalid _cursor');
      after = { timeUs: timeUs!, metric: metric!, deviceId: deviceId! };
    }
    // One row more than the page tells whether there is a next page.
    const rows = await this.repository.readingsPage({
      patient,
      metrics: search.metrics,
      from: search.from,
      to: search.to,
      after,
      limit: search.count + 1,
    });
    const pageRows = rows.slice(0, search.count);
    const last = pageRows.at(-1);
    return {
      resources: pageRows.map((r) => readingObservation(search.patientId, r, source)),
      nextCursor: rows.length > search.count && last ? encodeCursor([last.timeUs, last.metric, last.deviceId]) : undefined,
    };
  }

  /** Bucketed: every bucket of every requested metric in range (bounded by planTrend), then paged in memory. */
  private async aggregatePage(patient: PatientScope, search: ObservationSearch, now: Date, source: string): Promise<{ resources: Resource[]; nextCursor?: string }> {
    const bucket = search.bucket!;
    const to = search.to ?? now;
    const from = search.from ?? new Date(to.getTime() - DEFAULT_BUCKETED_RANGE_MS);
    const plan = planTrend(bucket, from, to);
    const all: AggregateBucket[] = [];
    for (const metric of search.metrics) {
      for (const b of await this.trends.buckets(patient, metric, plan)) {
        const start = new Date(b.start);
        all.push({ metric, bucket, start, end: new Date(start.getTime() + TREND_BUCKETS[bucket]), min: b.min, avg: b.avg, max: b.max, count: b.count });
      }
    }
    all.sort((a, b) => a.start.getTime() - b.start.getTime() || (a.metric < b.metric ? -1 : a.metric > b.metric ? 1 : 0));
    let startIndex = 0;
    if (search.cursor) {
      const [afterMs, afterMetric] = decodeCursor(search.cursor, ['number', 'string']) as [number, string];
      startIndex = all.findIndex((b) => b.start.getTime() > afterMs || (b.start.getTime() === afterMs && b.metric > afterMetric));
      if (startIndex < 0) startIndex = all.length;
    }
    const page = all.slice(startIndex, startIndex + search.count);
    const last = page.at(-1);
    return {
      resources: page.map((b) => aggregateObservation(search.patientId, b, source)),
      nextCursor: startIndex + search.count < all.length && last ? encodeCursor([last.start.getTime(), last.metric]) : undefined,
    };
  }

  async readPatient(principal: Principal, patientId: string, urls: Pick<RequestUrls, 'base'>): Promise<Resource> {
    return this.access.read(principal, patientId, { action: 'fhir.patient.read', target: { type: 'Patient', id: patientId } }, async (patient) => {
      const identity = await this.repository.patientIdentity(patient);
      if (!identity) throw AppError.notFound('patient');
      return patientResource(identity, metaSource(urls));
    });
  }

  /** A device is visible exactly when its patient is. */
  async readDevice(principal: Principal, fhirId: string, urls: Pick<RequestUrls, 'base'>): Promise<Resource> {
    const device = /^[A-Za-z0-9.-]{3,64}$/.test(fhirId) ? await this.repository.device(deviceIdFromFhir(fhirId)) : undefined;
    if (!device) throw AppError.notFound('device');
    const audit = { action: 'fhir.device.read', details: { deviceId: device.deviceId }, target: { type: 'Device', id: device.deviceId } };
    try {
      return await this.access.read(principal, device.patientId, audit, async () => deviceResource(device, metaSource(urls)));
    } catch (err) {
      if (err instanceof AppError && err.code === 'NOT_FOUND') throw AppError.notFound('device');
      throw err;
    }
  }
}
