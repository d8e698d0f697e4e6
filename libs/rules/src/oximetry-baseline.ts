import { addDays, nightEnd, zonedEpoch } from './calendar.js';
import { fmt, type RuleDecision } from './decision.js';
import type { RuleSettings } from './parameters.js';
import { mean, sampleSd } from './stats.js';

/**
 * oximetry.baseline (Hurst et al. 2010, home oximetry for early detection of COPD exacerbations):
 * today's fall in mean SpO2 and rise in mean pulse, each in standard deviations of the patient's
 * own baseline (the preceding `baselineDays` days), averaged; met when the composite ≥ threshold.
 * Needs at least `minBaselineDays` baseline days with both means. A day is the noon-to-noon local
 * day (one night's recording in one day). The standard deviations have a floor, so a very stable
 * baseline does not turn a 1 % change into an alarm (and never divides by zero).
 */

export interface DailyOximetry {
  day: string;
  spo2Mean: number | null;
  pulseMean: number | null;
}

export const MIN_SD_SPO2 = 0.5;
export const MIN_SD_PULSE = 1;

export interface BaselineResult {
  composite: number;
  spo2Z: number;
  pulseZ: number;
  baselineDays: number;
}

/** The composite score for `day`, or null when there is not enough data. */
export function oximetryComposite(days: readonly DailyOximetry[], day: string, p: RuleSettings['oximetry.baseline']): BaselineResult | null {
  const byDay = new Map(days.map((d) => [d.day, d]));
  const today = byDay.get(day);
  if (!today || today.spo2Mean === null || today.pulseMean === null) return null;
  const base: { spo2: number; pulse: number }[] = [];
  for (let i = 1; i <= p.baselineDays; i++) {
    const d = byDay.get(addDays(day, -i));
    if (d && d.spo2Mean !== null && d.pulseMean !== null) base.push({ spo2: d.spo2Mean, pulse: d.pulseMean });
  }
  if (base.length < p.minBaselineDays) return null;
  const spo2s = base.map((b) => b.spo2);
  const pulses = base.map((b) => b.pulse);
  const spo2Z = (mean(spo2s) - today.spo2Mean) / Math.max(sampleSd(spo2s), MIN_SD_SPO2);
  const pulseZ = (today.pulseMean - mean(pulses)) / Math.max(sampleSd(pulses), MIN_SD_PULSE);
  return { composite: (spo2Z + pulseZ) / 2, spo2Z, pulseZ, baselineDays: base.length };
}

export function evaluateOximetryBaseline(
  days: readonly DailyOximetry[],
  day: string,
  timeZone: string,
  settings: RuleSettings,
): RuleDecision | null {
  const p = settings['oximetry.baseline'];
  if (!p.enabled) return null;
  const r = oximetryComposite(days, day, p);
  if (!r) return null;
  const composite = Math.round(r.composite * 100) / 100;
  const met = r.composite >= p.threshold;
  return {
    kind: met ? 'raise' : 'clear',
    rule: 'oximetry.baseline',
    severity: 'warning',
    startedAt: zonedEpoch(day, 12, timeZone),
    at: nightEnd(day, timeZone),
    value: composite,
    threshold: p.threshold,
    message: met
      ? `Oximetry off baseline: composite ${fmt(composite)} SD (SpO2 fall ${fmt(r.spo2Z)} SD, pulse rise ${fmt(r.pulseZ)} SD; ${r.baselineDays}-day baseline)`
      : `Oximetry back near baseline: composite ${fmt(composite)} SD`,
    news2Spo2Score: null,
  };
}
