import { SAMPLE_METRICS, SAMPLE_METRIC_NAMES, type SampleMetric } from '#domain';
import { PROFILE } from './fhir-profiles.js';

/** Code systems and the coding of each catalogue metric in FHIR (pure). */
export const LOINC = 'http://loinc.org';
export const MDC = 'urn:iso:std:iso:11073:10101';
export const UCUM = 'http://unitsofmeasure.org';
export const OBSERVATION_CATEGORY = 'http://terminology.hl7.org/CodeSystem/observation-category';
export const OBSERVATION_STATISTICS = 'http://terminology.hl7.org/CodeSystem/observation-statistics';
/** This service's own metric names (CONTRACT.md §1), on every Observation so any metric round-trips. */
export const METRIC_SYSTEM = 'urn:telemonitoring:metric';
export const DEVICE_SERIAL_SYSTEM = 'urn:telemonitoring:device-serial';

export interface Coding {
  system: string;
  code: string;
  display?: string;
}

export interface MetricCoding {
  codings: Coding[];
  /** First always vital-signs (the profiles' VSCat slice); therapy settings and leak add therapy. */
  categories: ('vital-signs' | 'therapy')[];
  /** The profile the Observation claims and follows: ANS Mesures for SpO2, heart and respiratory rate, else R4 vital signs. */
  profile: string;
  /** Human unit shown next to the UCUM code. */
  unitDisplay: string;
}

// LOINC codes of the catalogue (libs/domain SAMPLE_METRICS), plus the vital-signs codes the FHIR
// profiles require (2708-6 for SpO2, 8867-4 for heart rate) and the ISO/IEEE 11073 (MDC) codes
// personal health devices use.
const EXTRA: Partial<Record<SampleMetric, { codings: Coding[]; profile?: string; unitDisplay?: string }>> = {
  spo2: {
    codings: [
      { system: LOINC, code: '2708-6', display: 'Oxygen saturation in Arterial blood' },
      { system: LOINC, code: '59408-5', display: 'Oxygen saturation in Arterial blood by Pulse oximetry' },
      { system: MDC, code: '150456', display: 'MDC_PULS_OXIM_SAT_O2' },
    ],
    profile: PROFILE.oxygenSat,
  },
  pulseRate: {
    codings: [
      { system: LOINC, code: '8867-4', display: 'Heart rate' },
      { system: LOINC, code: '8889-8', display: 'Heart rate by Pulse oximetry' },
      { system: MDC, code: '149530', display: 'MDC_PULS_OXIM_PULS_RATE' },
    ],
    profile: PROFILE.heartRate,
    unitDisplay: 'beats/minute',
  },
  respRate: {
    codings: [
      { system: LOINC, code: '9279-1', display: 'Respiratory rate' },
      { system: MDC, code: '151562', display: 'MDC_RESP_RATE' },
    ],
    profile: PROFILE.respRate,
    unitDisplay: 'breaths/minute',
  },
  // A concentrator's (or ventilator's) supplemental oxygen: part of the therapy, not a vital sign.
  o2Flow: { codings: [{ system: LOINC, code: '3151-8', display: 'Inhaled oxygen flow rate' }], unitDisplay: 'L/min' },
};

/**
 * Patient measurements are vital signs; ventilator settings and leak describe the therapy. The
 * ANS IG and FR Core have no profile for the latter: they claim the R4 base vital-signs profile,
 * whose VSCat slice requires the vital-signs category, and carry `therapy` as a second category.
 */
const VITAL_SIGNS: ReadonlySet<SampleMetric> = new Set(['spo2', 'pulseRate', 'perfusionIndex', 'respRate', 'tidalVolume', 'minuteVentilation']);

export function metricCoding(metric: SampleMetric): MetricCoding {
  const def = SAMPLE_METRICS[metric];
  const extra = EXTRA[metric];
  const codings: Coding[] = [...(extra?.codings ?? [])];
  for (const code of def.loinc) {
    if (!codings.some((c) => c.system === LOINC && c.code === code)) codings.push({ system: LOINC, code });
  }
  codings.push({ system: METRIC_SYSTEM, code: metric, display: def.display });
  return {
    codings,
    categories: VITAL_SIGNS.has(metric) ? ['vital-signs'] : ['vital-signs', 'therapy'],
    profile: extra?.profile ?? PROFILE.vitalSigns,
    unitDisplay: extra?.unitDisplay ?? def.unit,
  };
}

/**
 * Metrics matched by a FHIR token search (`code=` value: comma-separated alternatives, each
 * `system|code`, `|code` (no system) or `code`). Unknown codes match nothing.
 */
export function metricsForCodeToken(param: string): SampleMetric[] {
  const alternatives = param.split(',').map((s) => s.trim()).filter(Boolean);
  return SAMPLE_METRIC_NAMES.filter((metric) =>
    alternatives.some((token) => {
      const bar = token.indexOf('|');
      const system = bar >= 0 ? token.slice(0, bar) : undefined;
      const code = bar >= 0 ? token.slice(bar + 1) : token;
      return metricCoding(metric).codings.some((c) => c.code === code && (system === undefined || (system === '' ? false : c.system === system)));
    }),
  );
}

/** Device ids may hold `_`, which FHIR ids may not; `.` is in FHIR ids but never in device ids: a bijection. */
export function deviceFhirId(deviceId: string): string {
  return deviceId.replaceAll('_', '.');
}

export function deviceIdFromFhir(fhirId: string): string {
  return fhirId.replaceAll('.', '_');
}
