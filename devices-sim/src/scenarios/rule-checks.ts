import type { PatientProfile, RuleId, SampleMetric } from '#domain';
import type { ParsedSample, ParsedSession } from '#protocol';
import { HOUR_MS } from '../generators/night-plan.js';
import { mean, percentile, sampleSd } from '../generators/stats.js';

/**
 * Reference checks of the rules' conditions (default thresholds of the rules issue), used to
 * prove that each scenario's data means what its name says before it ever reaches the backend.
 * libs/rules is the authority; these are deliberately simple re-statements, evaluated on all
 * the data at once (no hysteresis, no per-message state).
 */
export const REFERENCE_THRESHOLDS = {
  maxGapMs: 120_000,
  spo2Critical: { hypercapnic: 83, standard: 85, minMs: 60_000 },
  spo2Low: { hypercapnic: 88, standard: 92, minMs: 5 * 60_000 },
  spo2HighOnO2: { spo2: 97, minMs: 10 * 60_000 },
  pulseHigh: { above: 120, minMs: 5 * 60_000 },
  pulseLow: { below: 45, minMs: 5 * 60_000 },
  adherence: { minHours: 4, nights: 7, badNights: 3 },
  oxygenAdherence: { minHours: 15, days: 7, badDays: 3 },
  usageVariability: { nights: 10, sdHours: 1.08 },
  leak: { p95: 24, consecutive: 3 },
  ahi: { above: 10, consecutive: 3 },
  respRateTrend: { preceding: 4, consecutive: 2 },
  // SD floors: day-to-day noise smaller than this is not a change
  oximetryBaseline: { baselineDays: 14, minBaselineDays: 10, score: 1, sdFloor: { spo2: 0.5, pulseRate: 1 } },
  silentMs: 24 * HOUR_MS,
} as const;

/**
 * Longest duration (last − first sample time) of a run of valid samples meeting `pred`.
 * signalOk:false samples and samples without the metric are skipped; a gap > 2 min or a
 * sample not meeting `pred` ends the run.
 */
export function longestRunMs(samples: readonly ParsedSample[], metric: SampleMetric, pred: (s: ParsedSample) => boolean): number {
  let best = 0;
  let runStart: number | undefined;
  let prev: number | undefined;
  for (const s of samples) {
    if (!s.signalOk || s.values[metric] === undefined) continue;
    const gap = prev !== undefined && s.at - prev > REFERENCE_THRESHOLDS.maxGapMs;
    prev = s.at;
    if (!pred(s)) {
      runStart = undefined;
      continue;
    }
    if (runStart === undefined || gap) runStart = s.at;
    best = Math.max(best, s.at - runStart);
  }
  return best;
}

function anyConsecutive(values: readonly boolean[], n: number): boolean {
  let run = 0;
  for (const v of values) {
    run = v ? run + 1 : 0;
    if (run >= n) return true;
  }
  return false;
}

/** Noon-to-noon (UTC) day of a time: one night's recording falls in one day. */
function dayOf(at: number): number {
  return Math.floor((at - 12 * HOUR_MS) / (24 * HOUR_MS));
}

/**
 * Highest composite oximetry score of any day with enough baseline (Hurst et al. 2010): the fall
 * in the day's mean SpO2 and the rise in its mean pulse, each in SDs of the preceding 14 days
 * (SD floors 0.5 % and 1 /min), averaged. Needs ≥ 10 baseline days.
 */
export function oximetryBaselineScore(samples: readonly ParsedSample[]): number {
  const t = REFERENCE_THRESHOLDS.oximetryBaseline;
  const days = new Map<number, { spo2: number[]; pulse: number[] }>();
  for (const s of samples) {
    if (!s.signalOk || s.values.spo2 === undefined || s.values.pulseRate === undefined) continue;
    const d = dayOf(s.at);
    const e = days.get(d) ?? days.set(d, { spo2: [], pulse: [] }).get(d)!;
    e.spo2.push(s.values.spo2);
    e.pulse.push(s.values.pulseRate);
  }
  const means = new Map([...days].map(([d, v]) => [d, { spo2: mean(v.spo2), pulse: mean(v.pulse) }]));
  let best = -Infinity;
  for (const [day, today] of means) {
    const base = [...Array(t.baselineDays).keys()].map((i) => means.get(day - 1 - i)).filter((x) => x !== undefined);
    if (base.length < t.minBaselineDays) continue;
    const spo2s = base.map((b) => b.spo2);
    const pulses = base.map((b) => b.pulse);
    const spo2Z = (mean(spo2s) - today.spo2) / Math.max(sampleSd(spo2s), t.sdFloor.spo2);
    const pulseZ = (today.pulse - mean(pulses)) / Math.max(sampleSd(pulses), t.sdFloor.pulseRate);
    best = Math.max(best, (spo2Z + pulseZ) / 2);
  }
  return best;
}

/**
 * Whether two consecutive nights each lie outside the interquartile range of their own 4
 * preceding nights, on the same side (Blouet 2018; libs/rules night-rules.ts respRateTrend).
 */
export function respRateTrendTripped(sessions: readonly ParsedSession[]): boolean {
  const t = REFERENCE_THRESHOLDS.respRateTrend;
  const rr = [...sessions].sort((a, b) => a.start - b.start).map((s) => s.values.respRateMedian).filter((v): v is number => v !== undefined);
  // Each night against its own `preceding` nights; every one of `consecutive` nights on the same side.
  const side = (i: number): 'above' | 'below' | 'inside' => {
    const reference = rr.slice(i - t.preceding, i);
    const v = rr[i]!;
    return v > percentile(reference, 75) ? 'above' : v < percentile(reference, 25) ? 'below' : 'inside';
  };
  for (let last = t.preceding + t.consecutive - 1; last < rr.length; last++) {
    const sides = Array.from({ length: t.consecutive }, (_, k) => side(last - t.consecutive + 1 + k));
    if (sides[0] !== 'inside' && sides.every((x) => x === sides[0])) return true;
  }
  return false;
}

/**
 * Whether oxygen use (the sessions' o2UsageHours summed per noon-to-noon day) is under 15 h on at
 * least 3 of 7 consecutive days, from the first day with a session (a day without one is 0 h).
 */
export function oxygenAdherenceTripped(sessions: readonly ParsedSession[]): boolean {
  const t = REFERENCE_THRESHOLDS.oxygenAdherence;
  if (sessions.length === 0) return false;
  const hours = new Map<number, number>();
  for (const s of sessions) hours.set(dayOf(s.start), (hours.get(dayOf(s.start)) ?? 0) + (s.values.o2UsageHours ?? 0));
  const first = Math.min(...hours.keys());
  const last = Math.max(...hours.keys());
  for (let day = first; day <= last; day++) {
    let short = 0;
    for (let d = Math.max(first, day - t.days + 1); d <= day; d++) if ((hours.get(d) ?? 0) < t.minHours) short++;
    if (short >= t.badDays) return true;
  }
  return false;
}

export interface PatientData {
  profile: PatientProfile;
  samples: readonly ParsedSample[];
  sessions: readonly ParsedSession[];
  /** Evaluation time (for device.silent). */
  now: number;
}

/** The rules whose condition the data meets, by the reference checks above. */
export function trippedRules(data: PatientData): Set<RuleId> {
  const t = REFERENCE_THRESHOLDS;
  const samples = [...data.samples].sort((a, b) => a.at - b.at);
  // A concentrator's sessions (o2UsageHours) are oxygen days, not ventilation nights.
  const all = [...data.sessions].sort((a, b) => a.start - b.start);
  const sessions = all.filter((s) => s.values.o2UsageHours === undefined);
  const oxygen = all.filter((s) => s.values.o2UsageHours !== undefined);
  const out = new Set<RuleId>();
  const spo2 = (s: ParsedSample) => s.values.spo2!;
  const pulse = (s: ParsedSample) => s.values.pulseRate!;
  if (longestRunMs(samples, 'spo2', (s) => spo2(s) <= t.spo2Critical[data.profile]) >= t.spo2Critical.minMs) out.add('spo2.critical');
  if (longestRunMs(samples, 'spo2', (s) => spo2(s) < t.spo2Low[data.profile]) >= t.spo2Low.minMs) out.add('spo2.low');
  if (
    data.profile === 'hypercapnic' &&
    longestRunMs(samples, 'spo2', (s) => (s.values.o2Flow ?? 0) > 0 && spo2(s) >= t.spo2HighOnO2.spo2) >= t.spo2HighOnO2.minMs
  ) {
    out.add('spo2.high_on_o2');
  }
  if (longestRunMs(samples, 'pulseRate', (s) => pulse(s) > t.pulseHigh.above) >= t.pulseHigh.minMs) out.add('pulse.high');
  if (longestRunMs(samples, 'pulseRate', (s) => pulse(s) < t.pulseLow.below) >= t.pulseLow.minMs) out.add('pulse.low');

  const usage = sessions.map((s) => s.values.usageHours ?? 0);
  for (let i = 0; i < usage.length; i++) {
    const last7 = usage.slice(Math.max(0, i - t.adherence.nights + 1), i + 1);
    if (last7.filter((u) => u < t.adherence.minHours).length >= t.adherence.badNights) out.add('niv.adherence');
    if (i >= t.usageVariability.nights - 1 && sampleSd(usage.slice(i - t.usageVariability.nights + 1, i + 1)) > t.usageVariability.sdHours) {
      out.add('niv.usage_variability');
    }
  }
  if (oxygenAdherenceTripped(oxygen)) out.add('o2.adherence');
  if (anyConsecutive(sessions.map((s) => (s.values.leakP95 ?? 0) > t.leak.p95), t.leak.consecutive)) out.add('niv.leak');
  if (anyConsecutive(sessions.map((s) => (s.values.ahi ?? 0) > t.ahi.above), t.ahi.consecutive)) out.add('niv.ahi');
  if (respRateTrendTripped(sessions)) out.add('resp_rate.trend');
  if (oximetryBaselineScore(samples) >= t.oximetryBaseline.score) out.add('oximetry.baseline');

  const lastAt = Math.max(...samples.map((s) => s.at), ...sessions.map((s) => s.end), -Infinity);
  if (lastAt > -Infinity && data.now - lastAt >= t.silentMs) out.add('device.silent');
  return out;
}
