import { SAMPLE_METRICS, SAMPLE_METRIC_NAMES, type DeviceKind, type SampleMetric } from '#domain';
import type { ItemRejection } from '#protocol';
import { DEVICE_SERIAL_SYSTEM, deviceFhirId, MDC, metricCoding, UCUM } from '../fhir-codes.js';
import { MDC_SPECIALIZATION } from '../fhir-profiles.js';
import { operationOutcome, type IssueType, type Resource } from '../fhir-resources.js';

/**
 * Inbound FHIR (CONTRACT.md §8, docs/fhir.md): a Bundle of the ANS feed profile
 * (mesures-bundle-flux-alimentation) turned into the device protocol message (CONTRACT.md §1)
 * that MQTT would have carried, so that the one ingestion path validates, deduplicates, records
 * rejections and runs the rules. Pure: no I/O, no clock.
 */

/** More Observations than one device message may carry samples (libs/protocol) are refused. */
export const MAX_FEED_OBSERVATIONS = 1000;

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

export class FeedError extends Error {
  constructor(
    readonly issue: IssueType,
    message: string,
  ) {
    super(message);
  }
}

export interface FeedEntry {
  /** Index in Bundle.entry. */
  index: number;
  /** The device-protocol sample this Observation is (what the validator sees and a rejection quotes). */
  sample: Record<string, unknown>;
  /** A problem found here, before the protocol's validation (unknown code, unit, device…). */
  problem?: { issue: IssueType; detail: string };
  /** Observation.subject as a literal `Patient/<id>` reference, if so. */
  subject?: string;
}

export interface FeedBundle {
  type: 'transaction' | 'batch';
  /** The device the Bundle names (its Device entry's serial), if it has one. */
  deviceId?: string;
  /** Device.patient of the Device entry, if any (`Patient/<id>`). */
  patientReference?: string;
  /** The kind its PHD specialization (or type) codes, if one of the registry's kinds. */
  kind?: DeviceKind;
  observations: FeedEntry[];
  /** Entries that are the Device (answered 200: known, or created). */
  deviceEntries: number[];
}

/** The metric an Observation.code stands for: any of the codings this server exports for it (fhir-codes.ts). */
export function metricOfCode(code: unknown): SampleMetric | undefined {
  const codings = isObject(code) && Array.isArray(code.coding) ? code.coding : [];
  for (const c of codings) {
    if (!isObject(c) || typeof c.system !== 'string' || typeof c.code !== 'string') continue;
    const metric = SAMPLE_METRIC_NAMES.find((m) => metricCoding(m).codings.some((x) => x.system === c.system && x.code === c.code));
    if (metric) return metric;
  }
  return undefined;
}

function codeLabel(code: unknown): string {
  const first = isObject(code) && Array.isArray(code.coding) && isObject(code.coding[0]) ? code.coding[0] : undefined;
  return first ? `${String(first.system ?? '')}|${String(first.code ?? '')}`.slice(0, 80) : 'none';
}

/** The registry kind of a Device: its MDC specialization (PhdDevice) or type code, as this server exports them. */
export function kindOfDevice(device: Json): DeviceKind | undefined {
  const codings: unknown[] = [];
  for (const s of Array.isArray(device.specialization) ? device.specialization : []) {
    if (isObject(s) && isObject(s.systemType) && Array.isArray(s.systemType.coding)) codings.push(...s.systemType.coding);
  }
  if (isObject(device.type) && Array.isArray(device.type.coding)) codings.push(...device.type.coding);
  for (const c of codings) {
    if (!isObject(c) || c.system !== MDC) continue;
    const kind = (Object.keys(MDC_SPECIALIZATION) as DeviceKind[]).find((k) => k !== 'concentrator' && MDC_SPECIALIZATION[k].code === c.code);
    if (kind) return kind;
  }
  return undefined;
}

function deviceSerial(device: Json): string | undefined {
  const ids = Array.isArray(device.identifier) ? device.identifier : [];
  const serial = ids.find((i) => isObject(i) && i.system === DEVICE_SERIAL_SYSTEM && typeof i.value === 'string') as Json | undefined;
  const any = ids.find((i) => isObject(i) && typeof i.value === 'string') as Json | undefined;
  const value = (serial ?? any)?.value;
  return typeof value === 'string' ? value : typeof device.serialNumber === 'string' ? device.serialNumber : undefined;
}

/** One Observation entry as a device sample; a problem keeps the sample the validator will reject with its reason. */
function observationSample(index: number, resource: Json, deviceRefs: Set<string>): FeedEntry {
  const at = resource.effectiveDateTime ?? resource.effectiveInstant;
  const metric = metricOfCode(resource.code);
  const q = isObject(resource.valueQuantity) ? resource.valueQuantity : undefined;
  const sample: Record<string, unknown> = { at };
  if (!metric) {
    // An unknown field to the protocol: recorded as `unknown-field` with the code it had.
    sample[`code:${codeLabel(resource.code)}`] = q?.value ?? null;
    return { index, sample, problem: { issue: 'not-supported', detail: `Observation.code ${codeLabel(resource.code)} is not a metric of this service` } };
  }
  const unit = SAMPLE_METRICS[metric].unit;
  if (!q || q.system !== UCUM || q.code !== unit) {
    // A value in another unit is not the metric's value: a bad value to the protocol.
    sample[metric] = `${String(q?.value ?? '')} ${String(q?.code ?? '')}`.trim();
    return { index, sample, problem: { issue: 'invalid', detail: `Observation.valueQuantity must be in UCUM ${unit}` } };
  }
  sample[metric] = q.value;
  if (resource.status !== 'final' && resource.status !== 'amended' && resource.status !== 'corrected') {
    return { index, sample: { at, [`status:${String(resource.status).slice(0, 20)}`]: q.value }, problem: { issue: 'invalid', detail: 'Observation.status must be final, amended or corrected' } };
  }
  const ref = isObject(resource.device) ? resource.device.reference : undefined;
  if (ref !== undefined && !deviceRefs.has(String(ref))) {
    return { index, sample: { at, [`device:${String(ref).slice(0, 70)}`]: q.value }, problem: { issue: 'forbidden', detail: "Observation.device is not this Bundle's device" } };
  }
  const subject = isObject(resource.subject) && typeof resource.subject.reference === 'string' ? /^Patient\/([A-Za-z0-9.-]{1,64})$/.exec(resource.subject.reference)?.[1] : undefined;
  return { index, sample, subject };
}

/**
 * Readings belong to the device's patient. An Observation whose subject names another patient
 * (a literal `Patient/<id>`) is refused, not filed under the device's patient: a wrong patient's
 * data in a record is the harm identity vigilance exists for. Other subject forms are not
 * resolvable here and the device decides.
 */
export function checkSubjects(bundle: FeedBundle, devicePatientId: string): FeedBundle {
  const observations = bundle.observations.map((o) => {
    if (o.problem || o.subject === undefined || o.subject === devicePatientId) return o;
    const value = Object.entries(o.sample).find(([k]) => k !== 'at')?.[1];
    return { ...o, sample: { at: o.sample.at, [`subject:Patient/${o.subject}`]: value }, problem: { issue: 'forbidden' as const, detail: "Observation.subject is not the device's patient" } };
  });
  return { ...bundle, observations };
}

/** The Bundle's shape (type, entries, request, one Device); the Observations as samples. Throws FeedError. */
export function readFeedBundle(doc: unknown): FeedBundle {
  if (!isObject(doc) || doc.resourceType !== 'Bundle') throw new FeedError('invalid', 'the body must be a FHIR Bundle');
  if (doc.type !== 'transaction' && doc.type !== 'batch') throw new FeedError('invalid', 'Bundle.type must be transaction or batch');
  if (!Array.isArray(doc.entry) || doc.entry.length === 0) throw new FeedError('invalid', 'Bundle.entry is required');
  const entries = doc.entry;
  const devices = entries
    .map((e, index) => ({ e, index }))
    .filter(({ e }) => isObject(e) && isObject(e.resource) && e.resource.resourceType === 'Device');
  if (devices.length > 1) throw new FeedError('invalid', 'a feed Bundle carries at most one Device entry (mes-device 0..1)');
  const device = devices[0]?.e as Json | undefined;
  const deviceResource = device?.resource as Json | undefined;
  const deviceId = deviceResource ? deviceSerial(deviceResource) : undefined;
  if (deviceResource && !deviceId) throw new FeedError('invalid', 'the Device entry has no identifier');
  const deviceRefs = new Set<string>();
  if (device && typeof device.fullUrl === 'string') deviceRefs.add(device.fullUrl);
  if (deviceResource && typeof deviceResource.id === 'string') deviceRefs.add(`Device/${deviceResource.id}`);
  if (deviceId) deviceRefs.add(`Device/${deviceFhirId(deviceId)}`);
  const observations: FeedEntry[] = [];
  entries.forEach((e, index) => {
    if (!isObject(e) || !isObject(e.resource)) throw new FeedError('invalid', `Bundle.entry[${index}] has no resource`);
    const type = e.resource.resourceType;
    if (type !== 'Observation' && type !== 'Device') throw new FeedError('not-supported', `Bundle.entry[${index}]: only Observation and Device entries are accepted`);
    const request = isObject(e.request) ? e.request : undefined;
    if (request?.method !== 'POST' || request.url !== type) throw new FeedError('invalid', `Bundle.entry[${index}].request must be POST ${type} (MesBundleFluxAlimentation)`);
    if (type === 'Observation') observations.push(observationSample(index, e.resource, deviceRefs));
  });
  if (observations.length === 0) throw new FeedError('invalid', 'a feed Bundle carries at least one Observation (mes-observation 1..1)');
  if (observations.length > MAX_FEED_OBSERVATIONS) throw new FeedError('too-costly', `at most ${MAX_FEED_OBSERVATIONS} Observations per Bundle`);
  const patient = isObject(deviceResource?.patient) ? (deviceResource.patient as Json).reference : undefined;
  return {
    type: doc.type,
    deviceId,
    patientReference: typeof patient === 'string' ? patient : undefined,
    kind: deviceResource ? kindOfDevice(deviceResource) : undefined,
    observations,
    deviceEntries: devices.map((d) => d.index),
  };
}

/** The entries' problems: found here, or the protocol's validation of their sample (by sample index). */
export function entryProblems(bundle: FeedBundle, rejected: readonly ItemRejection[]): Map<number, { issue: IssueType; detail: string }> {
  const problems = new Map<number, { issue: IssueType; detail: string }>();
  bundle.observations.forEach((o) => o.problem && problems.set(o.index, o.problem));
  for (const r of rejected) {
    if (r.kind !== 'sample' || r.index === null) continue;
    const entry = bundle.observations[r.index];
    if (entry && !problems.has(entry.index)) problems.set(entry.index, { issue: 'invalid', detail: `${r.reason}: ${r.detail}` });
  }
  return problems;
}

/** OperationOutcome of a refused transaction: one issue per bad entry, located by FHIRPath. */
export function transactionOutcome(problems: Map<number, { issue: IssueType; detail: string }>): Resource {
  return {
    resourceType: 'OperationOutcome',
    issue: [...problems].map(([index, p]) => ({ severity: 'error', code: p.issue, diagnostics: p.detail, expression: [`Bundle.entry[${index}]`] })),
  };
}

/** transaction-response / batch-response: one entry per request entry, in order. */
export function responseBundle(bundle: FeedBundle, total: number, problems: Map<number, { issue: IssueType; detail: string }>, now: Date, deviceCreated = false): Resource {
  const entry = Array.from({ length: total }, (_, index) => {
    const p = problems.get(index);
    if (p) return { response: { status: p.issue === 'forbidden' ? '403 Forbidden' : '400 Bad Request', outcome: operationOutcome(p.issue, p.detail) } };
    if (bundle.deviceEntries.includes(index)) {
      return { response: { status: deviceCreated ? '201 Created' : '200 OK', location: `Device/${deviceFhirId(bundle.deviceId!)}`, lastModified: now.toISOString() } };
    }
    return { response: { status: '201 Created', lastModified: now.toISOString() } };
  });
  return { resourceType: 'Bundle', type: `${bundle.type}-response`, timestamp: now.toISOString(), entry };
}
