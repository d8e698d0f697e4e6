import { createHash } from 'node:crypto';
import { isLowConfidence, SAMPLE_METRICS, SPO2_LOW_CONFIDENCE_BELOW, type DeviceKind, type SampleMetric } from '#domain';
import { DEVICE_SERIAL_SYSTEM, deviceFhirId, MDC, metricCoding, OBSERVATION_CATEGORY, OBSERVATION_STATISTICS, UCUM } from './fhir-codes.js';
import { DATA_ABSENT_REASON, MDC_FIRMWARE_VERSION, MDC_SIMPLE_MDS, MDC_SPECIALIZATION, PROFILE } from './fhir-profiles.js';

/** Builders of the FHIR R4 resources this server returns (pure; JSON shapes per hl7.org/fhir/R4). */
export type Resource = { resourceType: string; id?: string } & Record<string, unknown>;

export const FHIR_VERSION = '4.0.1';
export const FHIR_JSON = 'application/fhir+json';

/** The ANS profiles fix category[VSCat].coding.display to "vital-signs" (MesFrObservationOxygenSat.fsh, …RespRate.fsh). */
const CATEGORY_DISPLAY = { 'vital-signs': 'vital-signs', therapy: 'Therapy' } as const;
const CATEGORY_TEXT = { 'vital-signs': 'Vital Signs', therapy: 'Therapy' } as const;

/**
 * `meta.source` of what this server exports: the URI of the system the resource comes from (the
 * ANS profiles describe it as an OID URI where the sender has one; this server has none, so its
 * FHIR base URL).
 */
export type MetaSource = string;

function quantity(metric: SampleMetric, value: number) {
  const unit = SAMPLE_METRICS[metric].unit;
  return { value, unit: metricCoding(metric).unitDisplay, system: UCUM, code: unit };
}

function observationBase(metric: SampleMetric, patientId: string, source: MetaSource) {
  const coding = metricCoding(metric);
  return {
    resourceType: 'Observation',
    meta: { source, profile: [coding.profile] },
    status: 'final',
    category: coding.categories.map((c) => ({ coding: [{ system: OBSERVATION_CATEGORY, code: c, display: CATEGORY_DISPLAY[c] }], text: CATEGORY_TEXT[c] })),
    code: { coding: coding.codings, text: SAMPLE_METRICS[metric].display },
    subject: { reference: `Patient/${patientId}` },
  };
}

/** A stable id (FHIR ids: [A-Za-z0-9-.]{1,64}) derived from what identifies the observation. */
export function observationId(prefix: 'r' | 'b', ...parts: string[]): string {
  return `${prefix}-${createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 40)}`;
}

/**
 * CONTRACT.md §1 flags SpO2 below 70 % as low-confidence. In FHIR R4 core there is no element for
 * the confidence of a value (interpretation is about the value against reference ranges: an "L"
 * or "LL" there would say something else), so the flag is an Observation.note (Annotation) with
 * a fixed text that starts with LOW_CONFIDENCE_PREFIX: no extension, valid R4 and vital-signs.
 * The value itself is exported as measured, status stays final.
 */
export const LOW_CONFIDENCE_PREFIX = 'Low confidence:';
export const LOW_CONFIDENCE_NOTE = `${LOW_CONFIDENCE_PREFIX} SpO2 below ${SPO2_LOW_CONFIDENCE_BELOW} %, where pulse oximetry is not accurate; value exported as measured.`;

function lowConfidenceBucketNote(min: number): string {
  return `${LOW_CONFIDENCE_PREFIX} includes SpO2 values below ${SPO2_LOW_CONFIDENCE_BELOW} % (minimum ${min} %), where pulse oximetry is not accurate; they are part of the mean and components.`;
}

export interface RawReading {
  deviceId: string;
  metric: SampleMetric;
  time: Date;
  /** Microseconds since the epoch, as text: the exact key of the sample. */
  timeUs: string;
  value: number;
}

export function readingObservation(patientId: string, r: RawReading, source: MetaSource): Resource {
  return {
    ...observationBase(r.metric, patientId, source),
    id: observationId('r', r.deviceId, r.metric, r.timeUs),
    effectiveDateTime: r.time.toISOString(),
    valueQuantity: quantity(r.metric, r.value),
    ...(isLowConfidence(r.metric, r.value) ? { note: [{ text: LOW_CONFIDENCE_NOTE }] } : {}),
    device: { reference: `Device/${deviceFhirId(r.deviceId)}` },
  };
}

export interface AggregateBucket {
  metric: SampleMetric;
  start: Date;
  end: Date;
  min: number;
  avg: number;
  max: number;
  count: number;
  bucket: string;
}

/**
 * A bucket of the trend as an Observation: value = mean; minimum, maximum and count as components.
 * No device: a bucket may mix devices, and the profiles' device element is 0..1.
 */
export function aggregateObservation(patientId: string, b: AggregateBucket, source: MetaSource): Resource {
  const stat = (code: 'minimum' | 'maximum' | 'count', display: string) => ({ coding: [{ system: OBSERVATION_STATISTICS, code, display }], text: display });
  return {
    ...observationBase(b.metric, patientId, source),
    id: observationId('b', patientId, b.metric, b.bucket, b.start.toISOString()),
    effectivePeriod: { start: b.start.toISOString(), end: b.end.toISOString() },
    valueQuantity: quantity(b.metric, b.avg),
    note: [
      { text: `Mean of ${b.count} valid samples over ${b.bucket} (samples with poor signal excluded); minimum, maximum and count as components.` },
      ...(isLowConfidence(b.metric, b.min) ? [{ text: lowConfidenceBucketNote(b.min) }] : []),
    ],
    component: [
      { code: stat('minimum', 'Minimum'), valueQuantity: quantity(b.metric, b.min) },
      { code: stat('maximum', 'Maximum'), valueQuantity: quantity(b.metric, b.max) },
      { code: stat('count', 'Count'), valueInteger: b.count },
    ],
  };
}

const DEVICE_KIND_TEXT: Record<DeviceKind, string> = { oximeter: 'Pulse oximeter', ventilator: 'Home mechanical ventilator', concentrator: 'Home oxygen concentrator' };

/** A primitive the profile requires but this registry does not know: present, with a data-absent-reason (FHIR R4 §2.1.0.8). */
const unknownPrimitive = { extension: [{ url: DATA_ABSENT_REASON, valueCode: 'unknown' }] };

export interface DeviceRecord {
  deviceId: string;
  kind: DeviceKind;
  patientId: string;
  active: boolean;
  firmware: string | null;
}

/**
 * The device in the PHD profile (PhdDevice, R4): the serial as identifier, the simple-MDS type
 * (MDC 65573), the specialization of its kind, the firmware as the MDC firmware version. The
 * registry does not record manufacturer, model or specialization version, which the profile
 * requires: they carry a data-absent-reason instead of an invented value (an unknown firmware too).
 */
export function deviceResource(d: DeviceRecord, source: MetaSource): Resource {
  const spec = MDC_SPECIALIZATION[d.kind];
  return {
    resourceType: 'Device',
    id: deviceFhirId(d.deviceId),
    meta: { source, profile: [PROFILE.phdDevice] },
    identifier: [{ system: DEVICE_SERIAL_SYSTEM, value: d.deviceId }],
    status: d.active ? 'active' : 'inactive',
    _manufacturer: unknownPrimitive,
    serialNumber: d.deviceId,
    deviceName: [{ name: DEVICE_KIND_TEXT[d.kind], type: 'user-friendly-name' }],
    _modelNumber: unknownPrimitive,
    type: { coding: [{ system: MDC, ...MDC_SIMPLE_MDS }], text: DEVICE_KIND_TEXT[d.kind] },
    specialization: [{ systemType: { coding: [{ system: MDC, ...spec }], text: DEVICE_KIND_TEXT[d.kind] }, _version: unknownPrimitive }],
    version: [
      {
        type: { coding: [{ system: MDC, ...MDC_FIRMWARE_VERSION }], text: 'Firmware' },
        // Device.version.value is 1..1 and FHIR.js does not take an extension alone for it.
        ...(d.firmware ? { value: d.firmware } : { value: 'unknown', _value: unknownPrimitive }),
      },
    ],
    patient: { reference: `Patient/${d.patientId}` },
  };
}

export function searchBundle(entries: { fullUrl: string; resource: Resource }[], links: { self: string; next?: string }, now: Date): Resource {
  return {
    resourceType: 'Bundle',
    type: 'searchset',
    timestamp: now.toISOString(),
    link: [{ relation: 'self', url: links.self }, ...(links.next ? [{ relation: 'next', url: links.next }] : [])],
    // FHIR JSON has no empty arrays: an empty page has no entry element.
    ...(entries.length ? { entry: entries.map((e) => ({ fullUrl: e.fullUrl, resource: e.resource, search: { mode: 'match' } })) } : {}),
  };
}

export type IssueType = 'invalid' | 'not-found' | 'login' | 'forbidden' | 'too-costly' | 'exception' | 'throttled' | 'processing' | 'not-supported' | 'transient';

export function operationOutcome(code: IssueType, diagnostics: string): Resource {
  return { resourceType: 'OperationOutcome', issue: [{ severity: code === 'exception' ? 'fatal' : 'error', code, diagnostics }] };
}

export function capabilityStatement(baseUrl: string): Resource {
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: '2026-11-23',
    publisher: 'Respiratory telemonitoring',
    kind: 'instance',
    software: { name: 'Respiratory telemonitoring backend' },
    implementation: { description: 'FHIR R4 export of home oximetry and ventilation data (ANS Mesures de santé, FR Core, PHD profiles), and the ANS feed (POST /fhir)', url: `${baseUrl}/fhir` },
    fhirVersion: FHIR_VERSION,
    format: [FHIR_JSON, 'json'],
    rest: [
      {
        mode: 'server',
        security: {
          description:
            'Reads: bearer access token from POST /api/auth/login (roles physician and nurse). A patient outside the caller\'s care teams, and anything of that patient, answers 404. Every read is audited. POST /fhir (feed Bundle): HTTP Basic deviceId:secret of a registered device, or an admin bearer token.',
        },
        interaction: [
          { code: 'transaction', documentation: 'A mesures-bundle-flux-alimentation Bundle: atomic; one bad entry answers 400 with an OperationOutcome and stores nothing.' },
          { code: 'batch', documentation: 'The same entries processed one by one: batch-response with a status (and OperationOutcome) per entry.' },
        ],
        resource: [
          { type: 'Patient', supportedProfile: [PROFILE.frCorePatient, PROFILE.frCorePatientIns], interaction: [{ code: 'read' }] },
          { type: 'Device', supportedProfile: [PROFILE.phdDevice], interaction: [{ code: 'read' }] },
          {
            type: 'Observation',
            supportedProfile: [PROFILE.oxygenSat, PROFILE.heartRate, PROFILE.respRate, PROFILE.vitalSigns],
            interaction: [{ code: 'search-type' }],
            searchParam: [
              { name: 'patient', type: 'reference', documentation: 'Required. Patient/<id> or <id>.' },
              { name: 'code', type: 'token', documentation: 'LOINC, MDC (urn:iso:std:iso:11073:10101) or urn:telemonitoring:metric codes; comma = OR.' },
              { name: 'date', type: 'date', documentation: 'Prefixes eq, ge, gt, le, lt; repeat to AND.' },
              { name: '_count', type: 'number', documentation: 'Page size, default 100, at most 1000. Follow the next link for more.' },
              {
                name: 'bucket',
                type: 'token',
                documentation:
                  'Non-standard. One of 1m, 5m, 15m, 1h, 6h, 1d: one Observation per metric and bucket (effectivePeriod, value = mean, components minimum/maximum/count) instead of raw samples. Buckets are aligned on UTC; without date bounds, the last 30 days.',
              },
            ],
          },
        ],
      },
    ],
  };
}
