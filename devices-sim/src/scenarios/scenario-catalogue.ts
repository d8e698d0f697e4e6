import type { DeviceKind, PatientProfile, RuleId } from '#domain';
import type { Rng } from '../generators/prng.js';

/**
 * The clinical scenarios. Each is designed to trip exactly the rules it is named for (and
 * `stable` none) under the default thresholds of the rules issue, with margins wide enough that
 * noise cannot change the outcome: hold levels are clamped, and episodes are kept free of
 * motion artefacts. `scenario-outcomes.spec.ts` checks every one against rule-checks.ts.
 */
export const SCENARIO_IDS = [
  'stable',
  'nocturnal-desaturation',
  'sustained-hypoxaemia',
  'critical-drop',
  'over-oxygenation',
  'tachycardia',
  'bradycardia',
  'exacerbation',
  'poor-adherence',
  'irregular-usage',
  'mask-leak',
  'high-ahi',
  'device-silent',
  'offline-backlog',
  'clock-skew',
  'oxygen-adherent',
  'oxygen-underuse',
] as const;
export type ScenarioId = (typeof SCENARIO_IDS)[number];

export function isScenarioId(value: string): value is ScenarioId {
  return (SCENARIO_IDS as readonly string[]).includes(value);
}

/** A level an episode holds a metric at: target, noise, and bounds that make the outcome certain. */
export interface HoldLevel {
  level: number;
  sd: number;
  min: number;
  max: number;
}

/** An acute episode on the oximeter starting at `eventAt`: ramp down, hold, ramp back. */
export interface EpisodeDefinition {
  rampDownMs: number;
  holdMs: number;
  rampUpMs: number;
  spo2?: Record<PatientProfile, HoldLevel>;
  pulse?: HoldLevel;
  /** Added (at full weight during the hold) to a metric that is not held. */
  spo2Shift?: number;
  pulseShift?: number;
  /** Supplemental O2 flow while the episode lasts (ramps included). */
  o2FlowLpm?: number;
}

export function episodeLengthMs(e: EpisodeDefinition): number {
  return e.rampDownMs + e.holdMs + e.rampUpMs;
}

/** What one night looks like (a ventilation session and the nocturnal oximetry around it). */
export interface NightValues {
  usageHours: number;
  leakMean: number;
  leakSd: number;
  ahi: number;
  rrBase: number;
  vtBase: number;
  triggeredBase: number;
  spo2Offset: number;
  pulseOffset: number;
  /** Long-term oxygen (a concentrator): hours of oxygen in the therapy day, and the prescribed flow (L/min). */
  o2UsageHours: number;
  o2FlowLpm: number;
}

export type DeliveryBehaviour =
  | { kind: 'normal' }
  /** Stops sending at eventAt and drops off the network (the broker publishes its Last Will). */
  | { kind: 'silent' }
  /** Offline from eventAt − duration/4 to eventAt + 3·duration/4, then uploads the backlog, oldest first. */
  | { kind: 'offline'; durationMs: number }
  /** The device clock is off by skewMs (positive: ahead). */
  | { kind: 'clock-skew'; skewMs: number };

export interface ScenarioDefinition {
  id: ScenarioId;
  title: string;
  profile: PatientProfile;
  devices: readonly DeviceKind[];
  /** The rule outcome the scenario is named for (empty: no alert at all). */
  expectedRules: readonly RuleId[];
  /** Nights of history (before the live start) the rule needs; 0 for acute scenarios. */
  historyNights: number;
  episode?: EpisodeDefinition;
  /** Continuous supplemental O2 (L/min), reported in every oximeter sample. */
  o2FlowLpm?: number;
  /** Adjusts night k (0 = last completed night before the live start, 1 = the one before, < 0 = later). */
  night?: (k: number, rng: Rng) => Partial<NightValues>;
  delivery: DeliveryBehaviour;
  /** Time from eventAt until the rule's condition is met: the demo places events so alerts come early. */
  alertAfterMs?: number;
}

const MIN = 60_000;
const HOUR = 3_600_000;

const DESATURATION_LEVELS: Record<PatientProfile, HoldLevel> = {
  // below 88 % (hypercapnic) / 92 % (standard), never at the critical level
  hypercapnic: { level: 85.5, sd: 0.8, min: 84, max: 87 },
  standard: { level: 89.5, sd: 0.8, min: 88, max: 91 },
};

const nocturnalDesaturation: EpisodeDefinition = {
  rampDownMs: 90_000,
  holdMs: 12 * MIN,
  rampUpMs: 2 * MIN,
  spo2: DESATURATION_LEVELS,
  pulseShift: 6,
};

export const SCENARIOS: Readonly<Record<ScenarioId, ScenarioDefinition>> = {
  'oxygen-adherent': {
    id: 'oxygen-adherent',
    title: 'Long-term oxygen, adherent: 16–18 h of oxygen at 2 L/min every day',
    profile: 'hypercapnic',
    devices: ['oximeter', 'concentrator'],
    expectedRules: [],
    historyNights: 8,
    delivery: { kind: 'normal' },
  },
  'oxygen-underuse': {
    id: 'oxygen-underuse',
    title: 'Long-term oxygen, under-used: 9–12 h of oxygen a day (prescribed ≥ 15 h)',
    profile: 'hypercapnic',
    devices: ['oximeter', 'concentrator'],
    expectedRules: ['o2.adherence'],
    historyNights: 8,
    night: (_k, rng) => ({ o2UsageHours: rng.uniform(9, 12) }),
    delivery: { kind: 'normal' },
  },
  stable: {
    id: 'stable',
    title: 'Stable NIV patient: nothing to report',
    profile: 'hypercapnic',
    devices: ['oximeter', 'ventilator'],
    expectedRules: [],
    historyNights: 0,
    delivery: { kind: 'normal' },
  },
  'nocturnal-desaturation': {
    id: 'nocturnal-desaturation',
    title: '12-minute desaturation (85–86 % hypercapnic, 89–90 % standard)',
    profile: 'hypercapnic',
    devices: ['oximeter'],
    expectedRules: ['spo2.low'],
    historyNights: 0,
    episode: nocturnalDesaturation,
    delivery: { kind: 'normal' },
    alertAfterMs: 90_000 + 5 * MIN,
  },
  'sustained-hypoxaemia': {
    id: 'sustained-hypoxaemia',
    title: 'Hypoxaemia sustained for 3 hours',
    profile: 'standard',
    devices: ['oximeter'],
    expectedRules: ['spo2.low'],
    historyNights: 0,
    episode: { rampDownMs: 10 * MIN, holdMs: 3 * HOUR, rampUpMs: 20 * MIN, spo2: DESATURATION_LEVELS, pulseShift: 8 },
    delivery: { kind: 'normal' },
    alertAfterMs: 15 * MIN,
  },
  'critical-drop': {
    id: 'critical-drop',
    title: 'Critical drop: SpO2 75–82 % for 3 minutes (under 5 min below the low threshold)',
    profile: 'hypercapnic',
    devices: ['oximeter'],
    expectedRules: ['spo2.critical'],
    historyNights: 0,
    episode: {
      rampDownMs: 15_000,
      holdMs: 3 * MIN,
      rampUpMs: MIN,
      spo2: { hypercapnic: { level: 79, sd: 1.2, min: 75, max: 82 }, standard: { level: 80, sd: 1.2, min: 76, max: 84 } },
      pulseShift: 12,
    },
    delivery: { kind: 'normal' },
    alertAfterMs: 75_000,
  },
  'over-oxygenation': {
    id: 'over-oxygenation',
    title: 'Hypercapnic patient on O2 (2 → 4.5 L/min) saturating 97–100 % for 25 minutes',
    profile: 'hypercapnic',
    devices: ['oximeter'],
    expectedRules: ['spo2.high_on_o2'],
    historyNights: 0,
    o2FlowLpm: 2,
    episode: {
      rampDownMs: 3 * MIN,
      holdMs: 25 * MIN,
      rampUpMs: 5 * MIN,
      spo2: { hypercapnic: { level: 98, sd: 0.7, min: 97, max: 100 }, standard: { level: 98, sd: 0.7, min: 97, max: 100 } },
      o2FlowLpm: 4.5,
    },
    delivery: { kind: 'normal' },
    alertAfterMs: 13 * MIN,
  },
  tachycardia: {
    id: 'tachycardia',
    title: 'Tachycardia: pulse 122–140/min for 12 minutes',
    profile: 'standard',
    devices: ['oximeter'],
    expectedRules: ['pulse.high'],
    historyNights: 0,
    episode: { rampDownMs: 2 * MIN, holdMs: 12 * MIN, rampUpMs: 3 * MIN, pulse: { level: 128, sd: 3, min: 122, max: 140 }, spo2Shift: -1 },
    delivery: { kind: 'normal' },
    alertAfterMs: 7 * MIN,
  },
  bradycardia: {
    id: 'bradycardia',
    title: 'Bradycardia: pulse 36–43/min for 10 minutes',
    profile: 'standard',
    devices: ['oximeter'],
    expectedRules: ['pulse.low'],
    historyNights: 0,
    episode: { rampDownMs: MIN, holdMs: 10 * MIN, rampUpMs: 2 * MIN, pulse: { level: 40, sd: 1.5, min: 36, max: 43 } },
    delivery: { kind: 'normal' },
    alertAfterMs: 6 * MIN,
  },
  exacerbation: {
    id: 'exacerbation',
    title: 'Progressive exacerbation over the last 6 nights: RR +1.5/min, SpO2 −0.5 %, pulse +2.5/min per night',
    profile: 'hypercapnic',
    devices: ['oximeter', 'ventilator'],
    expectedRules: ['resp_rate.trend', 'oximetry.baseline'],
    historyNights: 21,
    night: (k) => {
      if (k > 5) return {};
      const s = 6 - Math.max(k, 0);
      return { rrBase: 16 + 1.5 * s, spo2Offset: -0.5 * s, pulseOffset: 2.5 * s, vtBase: 460 - 12 * s, triggeredBase: 55 + 3 * s };
    },
    delivery: { kind: 'normal' },
  },
  'poor-adherence': {
    id: 'poor-adherence',
    title: 'Poor adherence: 2.4–3.4 h of NIV every night (steady, so no variability alert)',
    profile: 'hypercapnic',
    devices: ['oximeter', 'ventilator'],
    expectedRules: ['niv.adherence'],
    historyNights: 8,
    night: (_k, rng) => ({ usageHours: rng.uniform(2.4, 3.4) }),
    delivery: { kind: 'normal' },
  },
  'irregular-usage': {
    id: 'irregular-usage',
    title: 'Irregular use: nights alternate ~8.2 h and ~4.7 h (never under 4 h)',
    profile: 'hypercapnic',
    devices: ['oximeter', 'ventilator'],
    expectedRules: ['niv.usage_variability'],
    historyNights: 11,
    night: (k, rng) => ({ usageHours: Math.abs(k) % 2 === 0 ? rng.uniform(7.9, 8.6) : rng.uniform(4.4, 5.0) }),
    delivery: { kind: 'normal' },
  },
  'mask-leak': {
    id: 'mask-leak',
    title: 'Mask leak: unintentional leak P95 ≈ 40–50 L/min on the last 4 nights',
    profile: 'hypercapnic',
    devices: ['oximeter', 'ventilator'],
    expectedRules: ['niv.leak'],
    historyNights: 5,
    night: (k) => (k <= 3 ? { leakMean: 34, leakSd: 6 } : {}),
    delivery: { kind: 'normal' },
  },
  'high-ahi': {
    id: 'high-ahi',
    title: 'High residual AHI: 15–24 /h on the last 4 nights',
    profile: 'hypercapnic',
    devices: ['oximeter', 'ventilator'],
    expectedRules: ['niv.ahi'],
    historyNights: 5,
    night: (k, rng) => (k <= 3 ? { ahi: rng.uniform(15, 24) } : {}),
    delivery: { kind: 'normal' },
  },
  'device-silent': {
    id: 'device-silent',
    title: 'Device goes silent at the event time (Last Will: offline)',
    profile: 'hypercapnic',
    devices: ['oximeter'],
    expectedRules: ['device.silent'],
    historyNights: 0,
    delivery: { kind: 'silent' },
  },
  'offline-backlog': {
    id: 'offline-backlog',
    title: 'Offline for a night (with a desaturation in it), then uploads the backlog oldest first',
    profile: 'hypercapnic',
    devices: ['oximeter'],
    expectedRules: ['spo2.low'],
    historyNights: 0,
    episode: nocturnalDesaturation,
    delivery: { kind: 'offline', durationMs: 8 * HOUR },
  },
  'clock-skew': {
    id: 'clock-skew',
    title: 'Device clock 4 minutes ahead (inside the 5-minute tolerance): all accepted, no alert',
    profile: 'hypercapnic',
    devices: ['oximeter'],
    expectedRules: [],
    historyNights: 0,
    delivery: { kind: 'clock-skew', skewMs: 4 * MIN },
  },
};

/**
 * `--scenario mixed`: patient i gets MIXED_ROTATION[i mod n]; most patients are stable, as in
 * a real caseload. Stable patients alternate profiles.
 */
export const MIXED_ROTATION: readonly ScenarioId[] = [
  'stable',
  'critical-drop',
  'stable',
  'nocturnal-desaturation',
  'mask-leak',
  'stable',
  'tachycardia',
  'poor-adherence',
  'stable',
  'exacerbation',
  'over-oxygenation',
  'stable',
  'high-ahi',
  'sustained-hypoxaemia',
  'stable',
  'irregular-usage',
  'bradycardia',
  'stable',
  'offline-backlog',
  'device-silent',
  'stable',
  'clock-skew',
  'oxygen-underuse',
  'stable',
  'oxygen-adherent',
];

export interface PatientPlan {
  index: number;
  scenario: ScenarioId;
  profile: PatientProfile;
}

/** The scenario and profile of each of `count` patients for `--scenario <id|mixed>`. */
export function assignScenarios(count: number, scenario: ScenarioId | 'mixed'): PatientPlan[] {
  let stableSeen = 0;
  return Array.from({ length: count }, (_, index) => {
    const id = scenario === 'mixed' ? MIXED_ROTATION[index % MIXED_ROTATION.length]! : scenario;
    let profile = SCENARIOS[id].profile;
    if (scenario === 'mixed' && id === 'stable') profile = stableSeen++ % 2 === 0 ? 'hypercapnic' : 'standard';
    return { index, scenario: id, profile };
  });
}

/** Devices a patient of this scenario carries: standard-profile patients have no ventilator. */
export function devicesFor(plan: PatientPlan): DeviceKind[] {
  const kinds = SCENARIOS[plan.scenario].devices;
  return plan.profile === 'standard' ? kinds.filter((k) => k !== 'ventilator') : [...kinds];
}
