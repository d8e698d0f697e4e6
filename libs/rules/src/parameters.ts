import type { PatientProfile, RuleId } from '#domain';

/**
 * Rule parameters: defaults per patient profile (docs/alert-rules.md), per-patient overrides set
 * by a physician (patient_thresholds.settings), and the validated ranges of each parameter.
 */

export type PointRuleId = 'spo2.critical' | 'spo2.low' | 'spo2.high_on_o2' | 'pulse.high' | 'pulse.low';
/** Rules on daily summaries of sessions (ventilation nights; oxygen use per therapy day), evaluated per night. */
export type NightRuleId = 'niv.adherence' | 'niv.usage_variability' | 'niv.leak' | 'niv.ahi' | 'resp_rate.trend' | 'o2.adherence';

export const POINT_RULE_IDS: readonly PointRuleId[] = ['spo2.critical', 'spo2.low', 'spo2.high_on_o2', 'pulse.high', 'pulse.low'];
export const NIGHT_RULE_IDS: readonly NightRuleId[] = ['niv.adherence', 'niv.usage_variability', 'niv.leak', 'niv.ahi', 'resp_rate.trend', 'o2.adherence'];

export interface PointRuleParams {
  enabled: boolean;
  threshold: number;
  /** The condition must hold this long (sample time) before the alert is raised. */
  durationSeconds: number;
  /** The value must be back on the safe side of the threshold by at least this much... */
  hysteresis: number;
  /** ...for this long before the alert resolves itself ("cleared"). */
  clearSeconds: number;
}

export interface RuleSettings {
  'spo2.critical': PointRuleParams;
  'spo2.low': PointRuleParams;
  'spo2.high_on_o2': PointRuleParams & { assumeOnOxygen: boolean };
  'pulse.high': PointRuleParams;
  'pulse.low': PointRuleParams;
  'niv.adherence': { enabled: boolean; minUsageHours: number; minNights: number; windowNights: number };
  /** Oxygen use per therapy day (noon to noon) below the prescribed hours on minDays of the last windowDays. */
  'o2.adherence': { enabled: boolean; minUsageHours: number; minDays: number; windowDays: number };
  'niv.usage_variability': { enabled: boolean; maxSdHours: number; windowNights: number };
  /**
   * `statistic`: the night's leak P95 (today's default), or its 24 h median or mean (LATM:
   * the session's leakMedian / leakMean, else computed from the leak samples of the therapy day).
   */
  'niv.leak': { enabled: boolean; threshold: number; consecutiveNights: number; statistic: LeakStatistic };
  'niv.ahi': { enabled: boolean; threshold: number; consecutiveNights: number };
  'resp_rate.trend': { enabled: boolean; referenceNights: number; consecutiveNights: number };
  'oximetry.baseline': { enabled: boolean; threshold: number; baselineDays: number; minBaselineDays: number };
  'device.silent': { enabled: boolean; infoAfterHours: number; warningAfterHours: number };
}

export const LEAK_STATISTICS = ['p95', 'median', 'mean'] as const;
export type LeakStatistic = (typeof LEAK_STATISTICS)[number];
/** LATM: with the 24 h median or mean, the run of consecutive days the physician sets is 3 to 7. */
export const LATM_LEAK_DAYS = { min: 3, max: 7 } as const;

export type RuleOverrides = { [K in RuleId]?: Partial<RuleSettings[K]> };

/** A gap longer than this between two counted samples restarts every duration window. */
export const GAP_SECONDS = 120;

const point = (threshold: number, durationSeconds: number): PointRuleParams => ({
  enabled: true,
  threshold,
  durationSeconds,
  hysteresis: 1,
  clearSeconds: 120,
});

/** Defaults per profile. Hypercapnic patients have lower SpO2 targets (BTS 2017: 88–92 %). */
export function defaultSettings(profile: PatientProfile): RuleSettings {
  const hypercapnic = profile === 'hypercapnic';
  return {
    'spo2.critical': point(hypercapnic ? 83 : 85, 60),
    'spo2.low': point(hypercapnic ? 88 : 92, 300),
    'spo2.high_on_o2': { ...point(97, 600), enabled: hypercapnic, assumeOnOxygen: false },
    'pulse.high': point(120, 300),
    'pulse.low': point(45, 300),
    'niv.adherence': { enabled: true, minUsageHours: 4, minNights: 3, windowNights: 7 },
    // Long-term oxygen therapy: at least 15 h a day (MRC 1981, NOTT 1980; HAS/SPLF).
    'o2.adherence': { enabled: true, minUsageHours: 15, minDays: 3, windowDays: 7 },
    'niv.usage_variability': { enabled: true, maxSdHours: 1.08, windowNights: 10 },
    'niv.leak': { enabled: true, threshold: 24, consecutiveNights: 3, statistic: 'p95' },
    'niv.ahi': { enabled: true, threshold: 10, consecutiveNights: 3 },
    'resp_rate.trend': { enabled: true, referenceNights: 4, consecutiveNights: 2 },
    'oximetry.baseline': { enabled: true, threshold: 1, baselineDays: 14, minBaselineDays: 10 },
    'device.silent': { enabled: true, infoAfterHours: 24, warningAfterHours: 72 },
  };
}

/** The profile defaults with the patient's overrides applied (keys absent in overrides keep the default). */
export function effectiveSettings(profile: PatientProfile, overrides: RuleOverrides | null | undefined): RuleSettings {
  const base = defaultSettings(profile);
  if (!overrides) return base;
  const out = { ...base } as Record<RuleId, object>;
  for (const rule of Object.keys(base) as RuleId[]) {
    const o = overrides[rule];
    if (o) out[rule] = { ...base[rule], ...o };
  }
  return out as unknown as RuleSettings;
}

/**
 * Rules that cannot be switched off while the patient is under telemonitoring (an active episode,
 * CONTRACT.md §6): a silent device is a blind spot the operator must always be told about.
 */
export const MANDATORY_RULE_IDS: readonly RuleId[] = ['device.silent'];

/** Whether these overrides switch a mandatory rule off. */
export function disablesMandatoryRule(overrides: RuleOverrides): RuleId[] {
  return MANDATORY_RULE_IDS.filter((rule) => (overrides[rule] as { enabled?: boolean } | undefined)?.enabled === false);
}

/**
 * The overrides the rules run with under telemonitoring: a mandatory rule is on, whatever was
 * saved (an "off" saved while no episode was active does not survive the next episode).
 */
export function withMandatoryRules(overrides: RuleOverrides): RuleOverrides {
  const off = disablesMandatoryRule(overrides);
  if (off.length === 0) return overrides;
  const out: Record<string, object> = { ...overrides };
  for (const rule of off) {
    const { enabled: _ignored, ...rest } = overrides[rule] as { enabled?: boolean };
    out[rule] = rest;
  }
  return out as RuleOverrides;
}

type Range = { min: number; max: number; integer?: boolean } | 'boolean' | { oneOf: readonly string[] };

const pointRanges = (threshold: { min: number; max: number }): Record<keyof PointRuleParams, Range> => ({
  enabled: 'boolean',
  threshold: { ...threshold, integer: false },
  durationSeconds: { min: 10, max: 3600, integer: true },
  hysteresis: { min: 0, max: 10 },
  clearSeconds: { min: 30, max: 3600, integer: true },
});

/** Accepted range of every parameter a physician may set (the PUT thresholds validation). */
export const PARAMETER_RANGES: { [K in RuleId]: Record<keyof RuleSettings[K], Range> } = {
  'spo2.critical': pointRanges({ min: 70, max: 95 }),
  'spo2.low': pointRanges({ min: 75, max: 98 }),
  'spo2.high_on_o2': { ...pointRanges({ min: 90, max: 100 }), assumeOnOxygen: 'boolean' },
  'pulse.high': pointRanges({ min: 60, max: 250 }),
  'pulse.low': pointRanges({ min: 25, max: 100 }),
  'niv.adherence': {
    enabled: 'boolean',
    minUsageHours: { min: 0.5, max: 12 },
    minNights: { min: 1, max: 14, integer: true },
    windowNights: { min: 1, max: 14, integer: true },
  },
  'o2.adherence': {
    enabled: 'boolean',
    minUsageHours: { min: 1, max: 24 },
    minDays: { min: 1, max: 14, integer: true },
    windowDays: { min: 1, max: 14, integer: true },
  },
  'niv.usage_variability': { enabled: 'boolean', maxSdHours: { min: 0.1, max: 12 }, windowNights: { min: 3, max: 30, integer: true } },
  'niv.leak': {
    enabled: 'boolean',
    threshold: { min: 0, max: 200 },
    consecutiveNights: { min: 1, max: 14, integer: true },
    statistic: { oneOf: LEAK_STATISTICS },
  },
  'niv.ahi': { enabled: 'boolean', threshold: { min: 0, max: 150 }, consecutiveNights: { min: 1, max: 14, integer: true } },
  'resp_rate.trend': {
    enabled: 'boolean',
    referenceNights: { min: 3, max: 14, integer: true },
    consecutiveNights: { min: 1, max: 7, integer: true },
  },
  'oximetry.baseline': {
    enabled: 'boolean',
    threshold: { min: 0.25, max: 5 },
    baselineDays: { min: 5, max: 30, integer: true },
    minBaselineDays: { min: 3, max: 30, integer: true },
  },
  'device.silent': { enabled: 'boolean', infoAfterHours: { min: 1, max: 168 }, warningAfterHours: { min: 1, max: 720 } },
};

export type OverridesValidation = { ok: true; overrides: RuleOverrides } | { ok: false; errors: string[] };

/**
 * Checks a physician's overrides: known rules and parameters only, each in its range, and the
 * combinations that must hold once merged with the profile defaults (the critical SpO2 limit below
 * the low one, the low one below the hyperoxia one when that rule is enabled, the low pulse limit
 * below the high one, the warning delay after the info delay...).
 */
export function validateOverrides(profile: PatientProfile, raw: unknown): OverridesValidation {
  const errors: string[] = [];
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { ok: false, errors: ['thresholds must be an object'] };
  const overrides: Record<string, Record<string, number | boolean | string>> = {};
  for (const [rule, params] of Object.entries(raw as Record<string, unknown>)) {
    // Own keys only: `__proto__`, `constructor`, `toString`... are no rule (JSON.parse makes
    // `__proto__` an own key of the body; looked up, it would find Object.prototype).
    const ranges = Object.hasOwn(PARAMETER_RANGES, rule) ? (PARAMETER_RANGES as Record<string, Record<string, Range>>)[rule] : undefined;
    if (!ranges) {
      errors.push(`${rule}: unknown rule`);
      continue;
    }
    if (params === null || params === undefined) continue;
    if (typeof params !== 'object' || Array.isArray(params)) {
      errors.push(`${rule}: must be an object`);
      continue;
    }
    const clean: Record<string, number | boolean | string> = {};
    for (const [name, value] of Object.entries(params as Record<string, unknown>)) {
      const range = Object.hasOwn(ranges, name) ? ranges[name] : undefined;
      if (!range) errors.push(`${rule}.${name}: unknown parameter`);
      else if (value === null || value === undefined) continue;
      else if (range === 'boolean') {
        if (typeof value === 'boolean') clean[name] = value;
        else errors.push(`${rule}.${name}: must be a boolean`);
      } else if ('oneOf' in range) {
        if (typeof value === 'string' && range.oneOf.includes(value)) clean[name] = value;
        else errors.push(`${rule}.${name}: must be one of ${range.oneOf.join(', ')}`);
      } else if (typeof value !== 'number' || !Number.isFinite(value)) errors.push(`${rule}.${name}: must be a number`);
      else if (value < range.min || value > range.max) errors.push(`${rule}.${name}: must be between ${range.min} and ${range.max}`);
      else if (range.integer && !Number.isInteger(value)) errors.push(`${rule}.${name}: must be an integer`);
      else clean[name] = value;
    }
    if (Object.keys(clean).length > 0) overrides[rule] = clean;
  }
  if (errors.length > 0) return { ok: false, errors };
  const s = effectiveSettings(profile, overrides as RuleOverrides);
  if (s['spo2.critical'].threshold >= s['spo2.low'].threshold) errors.push('spo2.critical.threshold must be below spo2.low.threshold');
  // Only when spo2.high_on_o2 can apply: disabled (by default for standard patients; the profile
  // is fixed at admission), its threshold constrains nothing.
  if (s['spo2.high_on_o2'].enabled && s['spo2.low'].threshold >= s['spo2.high_on_o2'].threshold) {
    errors.push('spo2.low.threshold must be below spo2.high_on_o2.threshold');
  }
  if (s['pulse.low'].threshold >= s['pulse.high'].threshold) errors.push('pulse.low.threshold must be below pulse.high.threshold');
  if (s['niv.adherence'].minNights > s['niv.adherence'].windowNights) errors.push('niv.adherence.minNights must not exceed windowNights');
  const leak = s['niv.leak'];
  if (leak.statistic !== 'p95' && (leak.consecutiveNights < LATM_LEAK_DAYS.min || leak.consecutiveNights > LATM_LEAK_DAYS.max)) {
    errors.push(`niv.leak.consecutiveNights must be between ${LATM_LEAK_DAYS.min} and ${LATM_LEAK_DAYS.max} with the ${leak.statistic}`);
  }
  if (s['o2.adherence'].minDays > s['o2.adherence'].windowDays) errors.push('o2.adherence.minDays must not exceed windowDays');
  if (s['oximetry.baseline'].minBaselineDays > s['oximetry.baseline'].baselineDays) {
    errors.push('oximetry.baseline.minBaselineDays must not exceed baselineDays');
  }
  if (s['device.silent'].warningAfterHours <= s['device.silent'].infoAfterHours) {
    errors.push('device.silent.warningAfterHours must be above infoAfterHours');
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, overrides: overrides as RuleOverrides };
}
