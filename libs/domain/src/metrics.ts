/**
 * The metric catalogue of CONTRACT.md §1: every field a device may send in a sample or a
 * ventilation session summary, with its unit (UCUM), accepted range and LOINC code.
 * The backend validates against it, the simulator generates from it, FHIR export codes with it.
 */

export type SampleMetric =
  | 'spo2'
  | 'pulseRate'
  | 'perfusionIndex'
  | 'respRate'
  | 'tidalVolume'
  | 'minuteVentilation'
  | 'leak'
  | 'ipap'
  | 'epap'
  | 'triggeredBreaths'
  | 'fio2'
  | 'o2Flow';

export interface MetricDefinition {
  readonly name: SampleMetric;
  readonly display: string;
  /** UCUM unit code. */
  readonly unit: string;
  readonly min: number;
  readonly max: number;
  /** LOINC codes, most specific first; empty when LOINC has none. */
  readonly loinc: readonly string[];
}

export const SAMPLE_METRICS: Readonly<Record<SampleMetric, MetricDefinition>> = {
  spo2: { name: 'spo2', display: 'Oxygen saturation (pulse oximetry)', unit: '%', min: 0, max: 100, loinc: ['59408-5', '2708-6'] },
  pulseRate: { name: 'pulseRate', display: 'Pulse rate', unit: '/min', min: 20, max: 300, loinc: ['8889-8'] },
  perfusionIndex: { name: 'perfusionIndex', display: 'Perfusion index', unit: '%', min: 0, max: 20, loinc: [] },
  respRate: { name: 'respRate', display: 'Respiratory rate', unit: '/min', min: 0, max: 80, loinc: ['9279-1'] },
  tidalVolume: { name: 'tidalVolume', display: 'Tidal volume', unit: 'mL', min: 50, max: 2500, loinc: ['76222-9'] },
  minuteVentilation: { name: 'minuteVentilation', display: 'Minute ventilation', unit: 'L/min', min: 0, max: 40, loinc: ['76009-0'] },
  leak: { name: 'leak', display: 'Unintentional leak', unit: 'L/min', min: 0, max: 200, loinc: ['76296-3'] },
  ipap: { name: 'ipap', display: 'Inspiratory positive airway pressure', unit: 'cm[H2O]', min: 0, max: 50, loinc: [] },
  epap: { name: 'epap', display: 'Expiratory positive airway pressure', unit: 'cm[H2O]', min: 0, max: 50, loinc: ['76248-4'] },
  triggeredBreaths: { name: 'triggeredBreaths', display: 'Patient-triggered breaths', unit: '%', min: 0, max: 100, loinc: [] },
  fio2: { name: 'fio2', display: 'Inspired oxygen fraction', unit: '%', min: 21, max: 100, loinc: ['71835-3'] },
  o2Flow: { name: 'o2Flow', display: 'Supplemental oxygen flow', unit: 'L/min', min: 0, max: 15, loinc: ['3151-8'] },
};

export const SAMPLE_METRIC_NAMES = Object.keys(SAMPLE_METRICS) as SampleMetric[];

export function isSampleMetric(name: string): name is SampleMetric {
  return Object.prototype.hasOwnProperty.call(SAMPLE_METRICS, name);
}

/** SpO2 below this value is stored but flagged low-confidence (oximeters are unreliable there). */
export const SPO2_LOW_CONFIDENCE_BELOW = 70;

/**
 * CONTRACT.md §1: a value that is stored as measured but flagged low-confidence (today: SpO2
 * below SPO2_LOW_CONFIDENCE_BELOW, where pulse oximeters are not accurate). For a bucket of
 * values, pass its minimum: true when the bucket holds at least one such value.
 */
export function isLowConfidence(metric: SampleMetric, value: number): boolean {
  return metric === 'spo2' && value < SPO2_LOW_CONFIDENCE_BELOW;
}

export type SessionField =
  | 'usageHours'
  | 'leakP95'
  | 'leakMedian'
  | 'leakMean'
  | 'ahi'
  | 'respRateMedian'
  | 'tidalVolumeMedian'
  | 'minuteVentilationMedian'
  | 'triggeredBreathsPct'
  | 'o2UsageHours'
  | 'o2FlowMean';

/** The device kinds that send sessions: a ventilator (one per ventilation session) and a concentrator (one per period of oxygen use). */
export type SessionDeviceKind = 'ventilator' | 'concentrator';

export interface SessionFieldDefinition {
  readonly name: SessionField;
  readonly unit: string;
  readonly min: number;
  readonly max: number;
  /** The kind of device whose sessions carry this field (another kind's session with it is rejected). */
  readonly kind: SessionDeviceKind;
}

/**
 * Session fields (CONTRACT.md §1 and §6). A concentrator's session: hours of oxygen delivered
 * (0–24 h) and its mean flow (0–15 L/min, the o2Flow sample range: home concentrators deliver
 * 0.5–5 L/min, some up to 10; 15 L/min covers a wall or liquid-oxygen source).
 */
export const SESSION_FIELDS: Readonly<Record<SessionField, SessionFieldDefinition>> = {
  usageHours: { name: 'usageHours', unit: 'h', min: 0, max: 24, kind: 'ventilator' },
  leakP95: { name: 'leakP95', unit: 'L/min', min: 0, max: 200, kind: 'ventilator' },
  leakMedian: { name: 'leakMedian', unit: 'L/min', min: 0, max: 200, kind: 'ventilator' },
  leakMean: { name: 'leakMean', unit: 'L/min', min: 0, max: 200, kind: 'ventilator' },
  ahi: { name: 'ahi', unit: '/h', min: 0, max: 150, kind: 'ventilator' },
  respRateMedian: { name: 'respRateMedian', unit: '/min', min: 0, max: 80, kind: 'ventilator' },
  tidalVolumeMedian: { name: 'tidalVolumeMedian', unit: 'mL', min: 50, max: 2500, kind: 'ventilator' },
  minuteVentilationMedian: { name: 'minuteVentilationMedian', unit: 'L/min', min: 0, max: 40, kind: 'ventilator' },
  triggeredBreathsPct: { name: 'triggeredBreathsPct', unit: '%', min: 0, max: 100, kind: 'ventilator' },
  o2UsageHours: { name: 'o2UsageHours', unit: 'h', min: 0, max: 24, kind: 'concentrator' },
  o2FlowMean: { name: 'o2FlowMean', unit: 'L/min', min: SAMPLE_METRICS.o2Flow.min, max: SAMPLE_METRICS.o2Flow.max, kind: 'concentrator' },
};

export const SESSION_FIELD_NAMES = Object.keys(SESSION_FIELDS) as SessionField[];

/** Whether a device of this kind sends sessions. */
export function sendsSessions(kind: string): kind is SessionDeviceKind {
  return kind === 'ventilator' || kind === 'concentrator';
}
