import type { PatientProfile } from '#domain';
import type { ParsedSample, ParsedSession } from '#protocol';
import { MINUTE_MS, PROFILE_BASELINES, type NightPlan } from './night-plan.js';
import { clamp, OuProcess, Rng, round } from './prng.js';
import { mean, median, percentile } from './stats.js';

/**
 * One night of a home ventilator: a sample per minute of use (respiratory rate, tidal volume,
 * minute ventilation, unintentional leak, IPAP/EPAP, share of patient-triggered breaths) and the
 * session summary the device uploads in the morning, computed from those same minutes (the AHI
 * comes from the night plan: a ventilator detects events the per-minute series does not carry).
 * A pure function of (seed, night): the same night is the same whatever the run window.
 */
export function generateVentilatorNight(seed: number, profile: PatientProfile, plan: NightPlan): { samples: ParsedSample[]; session: ParsedSession } {
  const rng = Rng.derive(seed, 'ventilator', plan.index);
  // Small slow drift plus per-minute noise: the nightly median RR of a stable patient is its base.
  const rrDrift = new OuProcess(rng, 10 * MINUTE_MS, 0.4);
  const vtDrift = new OuProcess(rng, 15 * MINUTE_MS, 25);
  const leakDrift = new OuProcess(rng, 10 * MINUTE_MS, plan.leakSd);
  const triggerDrift = new OuProcess(rng, 30 * MINUTE_MS, 6);
  const base = PROFILE_BASELINES[profile];
  const samples: ParsedSample[] = [];
  const rr: number[] = [];
  const vt: number[] = [];
  const mv: number[] = [];
  const leak: number[] = [];
  const triggered: number[] = [];
  for (let at = plan.sessionStart; at < plan.sessionEnd; at += MINUTE_MS) {
    const respRate = clamp(Math.round(plan.rrBase + rrDrift.at(at) + rng.normal(0, 0.9)), 6, 45);
    const tidalVolume = clamp(Math.round(plan.vtBase + vtDrift.at(at) + rng.normal(0, 15)), 150, 1200);
    const minuteVentilation = clamp(round((respRate * tidalVolume) / 1000, 1), 0, 40);
    const leakValue = clamp(round(plan.leakMean + leakDrift.at(at) + rng.normal(0, 1.5), 1), 0, 200);
    const triggeredBreaths = clamp(Math.round(plan.triggeredBase + triggerDrift.at(at) + rng.normal(0, 3)), 0, 100);
    samples.push({
      at,
      signalOk: true,
      values: {
        respRate,
        tidalVolume,
        minuteVentilation,
        leak: leakValue,
        ipap: round(base.ipap + rng.normal(0, 0.2), 1),
        epap: round(base.epap + rng.normal(0, 0.1), 1),
        triggeredBreaths,
      },
    });
    rr.push(respRate);
    vt.push(tidalVolume);
    mv.push(minuteVentilation);
    leak.push(leakValue);
    triggered.push(triggeredBreaths);
  }
  return {
    samples,
    session: {
      start: plan.sessionStart,
      end: plan.sessionEnd,
      values: {
        usageHours: round(plan.usageHours, 2),
        leakP95: round(percentile(leak, 95), 1),
        ahi: round(plan.ahi, 1),
        respRateMedian: median(rr),
        tidalVolumeMedian: Math.round(median(vt)),
        minuteVentilationMedian: round(median(mv), 1),
        triggeredBreathsPct: Math.round(mean(triggered)),
      },
    },
  };
}
