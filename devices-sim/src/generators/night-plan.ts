import type { PatientProfile } from '#domain';
import type { NightValues, ScenarioDefinition } from '../scenarios/scenario-catalogue.js';
import { Rng } from './prng.js';

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

/** Nights start around 20:30 UTC (21:30 Paris in winter) ± 30 min; everything ends within 11 h. */
export const DEFAULT_NIGHT_START_HOUR_UTC = 20.5;
const NIGHT_SPAN_MS = 11 * HOUR_MS;
/** The oximeter is worn all night, whatever the ventilator's usage. */
const OXIMETRY_NIGHT_MS = 9 * HOUR_MS;

/** Resting physiology per profile (hypercapnic: NIV patients with lower SpO2 targets). */
export const PROFILE_BASELINES: Readonly<
  Record<PatientProfile, { spo2Night: number; spo2Day: number; pulseNight: number; pulseDay: number; ipap: number; epap: number }>
> = {
  // awake vs asleep: slightly higher SpO2 and pulse by day
  hypercapnic: { spo2Night: 93, spo2Day: 93.5, pulseNight: 72, pulseDay: 76, ipap: 18, epap: 6 },
  standard: { spo2Night: 95.5, spo2Day: 96, pulseNight: 66, pulseDay: 70, ipap: 14, epap: 5 },
};

export interface NightPlan extends NightValues {
  index: number;
  /** Nights before the anchor night (0 = last night completed before the live start; < 0 = later). */
  k: number;
  sessionStart: number;
  sessionEnd: number;
  oximetryStart: number;
  oximetryEnd: number;
}

/** Night n began on UTC day n; the day after it belongs to it too (until the next night starts). */
export function nightIndexAt(at: number, nightStartHourUtc = DEFAULT_NIGHT_START_HOUR_UTC): number {
  return Math.floor((at - nightStartHourUtc * HOUR_MS) / DAY_MS);
}

export function nominalNightStart(index: number, nightStartHourUtc = DEFAULT_NIGHT_START_HOUR_UTC): number {
  return index * DAY_MS + nightStartHourUtc * HOUR_MS;
}

/** The last night whose whole window ended before `liveFrom`: multi-night scenarios count back from it. */
export function anchorNightIndex(liveFrom: number, nightStartHourUtc = DEFAULT_NIGHT_START_HOUR_UTC): number {
  return Math.floor((liveFrom - NIGHT_SPAN_MS - nightStartHourUtc * HOUR_MS) / DAY_MS);
}

/**
 * The plan of night `index` for one patient: a pure function of (seed, index), so the
 * oximeter and the ventilator of the same patient agree on the same night.
 */
export function planNight(
  seed: number,
  scenario: ScenarioDefinition,
  profile: PatientProfile,
  index: number,
  anchor: number,
  nightStartHourUtc = DEFAULT_NIGHT_START_HOUR_UTC,
): NightPlan {
  const rng = Rng.derive(seed, 'night', index);
  const k = anchor - index;
  const base: NightValues = {
    o2UsageHours: 0,
    o2FlowLpm: 0,
    usageHours: rng.uniform(7.0, 8.0),
    leakMean: 6 + rng.uniform(-1, 1),
    leakSd: 3,
    ahi: rng.uniform(1.5, 4.5),
    // a steady integer median for a stable patient: night-to-night RR varies < 1/min
    rrBase: profile === 'hypercapnic' ? 16 : 15,
    vtBase: 460 + rng.uniform(-10, 10),
    triggeredBase: 55 + rng.uniform(-5, 5),
    // small day-to-day variation: well inside the baseline rule's SD floors (0.5 % and 1 /min)
    spo2Offset: rng.normal(0, 0.1),
    pulseOffset: rng.normal(0, 0.3),
  };
  const startJitter = Math.round(rng.uniform(-30, 30));
  // Oxygen (a concentrator's day): its own stream, so adding it changed no other value of a night.
  const oxygen = Rng.derive(seed, 'oxygen', index);
  base.o2UsageHours = oxygen.uniform(16, 18);
  base.o2FlowLpm = 2;
  const values: NightValues = { ...base, ...scenario.night?.(k, rng) };
  const sessionStart = nominalNightStart(index, nightStartHourUtc) + startJitter * MINUTE_MS;
  const usageMinutes = Math.round(values.usageHours * 60);
  const oximetryStart = sessionStart - 10 * MINUTE_MS;
  return {
    ...values,
    usageHours: usageMinutes / 60,
    index,
    k,
    sessionStart,
    sessionEnd: sessionStart + usageMinutes * MINUTE_MS,
    oximetryStart,
    oximetryEnd: oximetryStart + OXIMETRY_NIGHT_MS,
  };
}
