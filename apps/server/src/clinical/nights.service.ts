import { Injectable } from '@nestjs/common';
import { planNights, summarizeOximetry } from '#domain';
import { PatientAccessService } from '../access/patient-access.service.js';
import type { PatientScope } from '../access/patient-scope.js';
import type { Principal } from '../auth/principal.js';
import { AppError } from '../common/app-error.js';
import { MAX_NIGHTS, type NightDto } from './clinical.dto.js';
import { NightsRepository, type NightOximetry } from './nights.repository.js';

const HOUR_MS = 3_600_000;
/** Part of the cache fingerprint: bump it whenever the oximetry computation changes. */
export const NIGHT_OXIMETRY_VERSION = 'ox1';

const round = (x: number | null | undefined, digits: number): number | null =>
  x === null || x === undefined || !Number.isFinite(x) ? null : Math.round(x * 10 ** digits) / 10 ** digits;

/**
 * One row per night: the ventilator's session summary joined with the night's oximetry computed
 * from the stored samples (libs/domain oximetry.ts), over the sessions' window or 20:00–08:00 local.
 */
@Injectable()
export class NightsService {
  constructor(
    private readonly access: PatientAccessService,
    private readonly nights: NightsRepository,
  ) {}

  async nightsOf(principal: Principal, patientId: string, q: { days: number; until?: string }, now: Date): Promise<NightDto[]> {
    const details = { days: q.days, ...(q.until ? { until: q.until } : {}) };
    return this.access.read(principal, patientId, { action: 'patient.nights.read', details }, (patient) => {
      if (q.days > MAX_NIGHTS) throw new AppError('RANGE_TOO_LARGE', `at most ${MAX_NIGHTS} nights per request`, { maxDays: MAX_NIGHTS });
      return this.compute(patient, q.days, now, q.until);
    });
  }

  /** The nights of a patient the caller was given access to (the scope is the proof). */
  async compute(patient: PatientScope, days: number, now: Date, until?: string): Promise<NightDto[]> {
    const defaults = await this.nights.defaultNights(patient, now, days, until);
    if (defaults.length === 0) return [];
    // Sessions whose night (start − 12 h, local) is one of these: start within noon → noon, with
    // margin for DST; planNights drops sessions of other nights.
    const sessions = await this.nights.sessions(patient, new Date(defaults[0]!.start - 10 * HOUR_MS), new Date(defaults.at(-1)!.start + 18 * HOUR_MS));
    const windows = planNights(defaults, sessions);
    const oximetry = await this.oximetryOf(patient, windows);
    return windows.map((w, i) => {
      const ox = oximetry[i]!;
      const v = w.ventilation;
      return {
        night: w.night,
        start: new Date(w.start).toISOString(),
        end: new Date(w.end).toISOString(),
        source: w.source,
        sessions: v?.sessions ?? 0,
        usageHours: round(v?.usageHours, 2),
        leakP95: round(v?.leakP95, 1),
        ahi: round(v?.ahi, 1),
        respRateMedian: round(v?.respRateMedian, 1),
        tidalVolumeMedian: round(v?.tidalVolumeMedian, 0),
        minuteVentilationMedian: round(v?.minuteVentilationMedian, 2),
        triggeredBreathsPct: round(v?.triggeredBreathsPct, 1),
        spo2Mean: round(ox.mean, 1),
        spo2Min: round(ox.min, 1),
        t90Pct: round(ox.t90Pct, 1),
        odi3: round(ox.odi, 1),
        pulseMean: round(ox.pulseMean, 1),
        oximetryHours: round(ox.recordedHours, 2) ?? 0,
      };
    });
  }

  /**
   * Oximetry of each window, from the cache when its fingerprint still matches the data, else
   * computed from the samples (and cached).
   */
  private async oximetryOf(patient: PatientScope, windows: readonly { start: number; end: number }[]): Promise<NightOximetry[]> {
    const devices = await this.nights.deviceIds(patient);
    const [fingerprints, cached] = await Promise.all([this.nights.fingerprints(patient, devices, windows, NIGHT_OXIMETRY_VERSION), this.nights.cached(patient, windows)]);
    const result: (NightOximetry | undefined)[] = windows.map((_, i) => (cached[i]?.fingerprint === fingerprints[i] ? cached[i]!.summary : undefined));
    const stale = windows.map((w, i) => ({ ...w, i })).filter((w) => !result[w.i]);
    if (stale.length) {
      const samples = await this.nights.oximetry(patient, devices, stale);
      const fresh = stale.map((w, k) => {
        const s = samples[k]!;
        const summary: NightOximetry = { ...summarizeOximetry(s.spo2), pulseMean: s.pulseMean, pulseSamples: s.pulseSamples };
        result[w.i] = summary;
        return { start: w.start, end: w.end, fingerprint: fingerprints[w.i]!, summary };
      });
      await this.nights.store(patient, fresh);
    }
    return result as NightOximetry[];
  }
}
