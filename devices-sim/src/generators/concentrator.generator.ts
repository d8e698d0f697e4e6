import type { ParsedSample, ParsedSession } from '#protocol';
import { DEFAULT_NIGHT_START_HOUR_UTC, HOUR_MS, MINUTE_MS, nominalNightStart, type NightPlan } from './night-plan.js';
import { clamp, Rng, round } from './prng.js';
import { mean } from './stats.js';

/** The longest a night session of oxygen lasts (evening to morning, within the therapy day). */
const NIGHT_SESSION_MAX_HOURS = 12.5;

/**
 * One therapy day of a home oxygen concentrator (long-term oxygen therapy): the patient breathes
 * oxygen overnight (from an hour before the night's NIV would start) and, when the day's hours
 * need it, in the afternoon before that; a flow sample per minute of use (`o2Flow`, the
 * prescribed 2 L/min ± a little) and, at the end of each period of use, its session
 * `{ start, end, o2UsageHours, o2FlowMean }` computed from those minutes. Both periods start
 * after noon (Paris) and end before the next noon, so they belong to the same therapy day.
 * A pure function of (seed, night): the same day is the same whatever the run window.
 */
export function generateConcentratorDay(
  seed: number,
  plan: NightPlan,
  nightStartHourUtc = DEFAULT_NIGHT_START_HOUR_UTC,
): { samples: ParsedSample[]; sessions: ParsedSession[] } {
  const rng = Rng.derive(seed, 'concentrator', plan.index);
  const total = plan.o2UsageHours;
  const nightHours = Math.min(total, NIGHT_SESSION_MAX_HOURS);
  const dayHours = total - nightHours;
  const nightStart = plan.sessionStart - HOUR_MS;
  const periods: [number, number][] = [];
  if (dayHours > 0) {
    // the afternoon: from 13:00 UTC (14:00 Paris in winter), ending at least 30 min before the night
    const start = nominalNightStart(plan.index, nightStartHourUtc) - 7.5 * HOUR_MS;
    periods.push([start, start + Math.round(dayHours * 60) * MINUTE_MS]);
  }
  periods.push([nightStart, nightStart + Math.round(nightHours * 60) * MINUTE_MS]);
  const samples: ParsedSample[] = [];
  const sessions: ParsedSession[] = [];
  for (const [start, end] of periods) {
    const flows: number[] = [];
    for (let at = start; at < end; at += MINUTE_MS) {
      const o2Flow = clamp(round(plan.o2FlowLpm + rng.normal(0, 0.05), 2), 0.5, 15);
      samples.push({ at, signalOk: true, values: { o2Flow } });
      flows.push(o2Flow);
    }
    sessions.push({ start, end, values: { o2UsageHours: round((end - start) / HOUR_MS, 2), o2FlowMean: round(mean(flows), 2) } });
  }
  return { samples, sessions };
}
