import type { PatientProfile } from '#domain';
import type { ParsedSample } from '#protocol';
import type { EpisodeDefinition, HoldLevel, ScenarioDefinition } from '../scenarios/scenario-catalogue.js';
import { episodeLengthMs } from '../scenarios/scenario-catalogue.js';
import { episodeWeight } from './episode.js';
import { nightIndexAt, PROFILE_BASELINES, type NightPlan } from './night-plan.js';
import { clamp, OuProcess, Rng, round } from './prng.js';

export interface OximeterModelOptions {
  seed: number;
  scenario: ScenarioDefinition;
  profile: PatientProfile;
  eventAt: number;
  /** The patient's night plans (shared with the ventilator). */
  plan: (nightIndex: number) => NightPlan;
  nightStartHourUtc?: number;
}

/** Motion artefacts (signalOk: false) per hour, awake and asleep. */
const ARTEFACTS_PER_HOUR = { day: 4, night: 1 };
/** No artefact starts this close to an episode, so the episode's outcome is certain. */
const EPISODE_GUARD_MS = 60_000;

/**
 * A pulse oximeter on one patient: SpO2 %, pulse /min and perfusion index %, with slow
 * autocorrelated drift (Ornstein–Uhlenbeck), white measurement noise, integer SpO2 and pulse,
 * day/night baselines, per-night offsets from the night plan, the scenario's episode, and
 * occasional motion artefacts flagged signalOk: false (values then unreliable, as on a real device).
 * Call `sample(at)` with increasing times; the spacing may change (1 s live, coarser history).
 */
export class OximeterModel {
  private readonly rng: Rng;
  private readonly spo2Drift: OuProcess;
  private readonly pulseDrift: OuProcess;
  private readonly perfusionDrift: OuProcess;
  private readonly spo2Hold: OuProcess;
  private readonly pulseHold: OuProcess;
  private readonly episode: EpisodeDefinition | undefined;
  private lastAt: number | undefined;
  private artefactUntil = -Infinity;
  private cachedPlan: NightPlan | undefined;

  constructor(private readonly o: OximeterModelOptions) {
    this.rng = Rng.derive(o.seed, 'oximeter');
    this.spo2Drift = new OuProcess(this.rng, 300_000, 0.8);
    this.pulseDrift = new OuProcess(this.rng, 120_000, 3);
    this.perfusionDrift = new OuProcess(this.rng, 600_000, 0.25);
    this.spo2Hold = new OuProcess(this.rng, 30_000, 1);
    this.pulseHold = new OuProcess(this.rng, 30_000, 1);
    this.episode = o.scenario.episode;
  }

  sample(at: number): ParsedSample {
    const dt = this.lastAt === undefined ? 1000 : Math.max(at - this.lastAt, 0);
    this.lastAt = at;
    const plan = this.planAt(at);
    const night = at >= plan.oximetryStart && at < plan.oximetryEnd;
    const base = PROFILE_BASELINES[this.o.profile];

    let spo2 = (night ? base.spo2Night : base.spo2Day) + plan.spo2Offset + this.spo2Drift.at(at) + this.rng.normal(0, 0.4);
    let pulse = (night ? base.pulseNight : base.pulseDay) + plan.pulseOffset + this.pulseDrift.at(at) + this.rng.normal(0, 1);
    const perfusion = clamp(round(2 * Math.exp(this.perfusionDrift.at(at)), 1), 0.2, 15);

    const ep = this.episode;
    const w = ep ? episodeWeight(ep, this.o.eventAt, at) : 0;
    let spo2Bounds: HoldLevel | undefined;
    let pulseBounds: HoldLevel | undefined;
    if (ep && w > 0) {
      const spo2Level = ep.spo2?.[this.o.profile];
      if (spo2Level) {
        spo2 = (1 - w) * spo2 + w * clamp(spo2Level.level + spo2Level.sd * this.spo2Hold.at(at), spo2Level.min, spo2Level.max);
        if (w === 1) spo2Bounds = spo2Level;
      } else if (ep.spo2Shift) spo2 += w * ep.spo2Shift;
      if (ep.pulse) {
        pulse = (1 - w) * pulse + w * clamp(ep.pulse.level + ep.pulse.sd * this.pulseHold.at(at), ep.pulse.min, ep.pulse.max);
        if (w === 1) pulseBounds = ep.pulse;
      } else if (ep.pulseShift) pulse += w * ep.pulseShift;
    }
    let spo2Value = clamp(Math.round(spo2), 50, 100);
    let pulseValue = clamp(Math.round(pulse), 25, 250);
    if (spo2Bounds) spo2Value = clamp(spo2Value, spo2Bounds.min, spo2Bounds.max);
    if (pulseBounds) pulseValue = clamp(pulseValue, pulseBounds.min, pulseBounds.max);

    const values: ParsedSample['values'] = { spo2: spo2Value, pulseRate: pulseValue, perfusionIndex: perfusion };
    const o2 = ep?.o2FlowLpm !== undefined && w > 0 ? ep.o2FlowLpm : this.o.scenario.o2FlowLpm;
    if (o2 !== undefined) values.o2Flow = o2;

    if (this.inArtefact(at, dt, night)) {
      values.spo2 = clamp(Math.round(spo2Value - this.rng.uniform(4, 25)), 40, 100);
      values.pulseRate = clamp(Math.round(pulseValue + this.rng.uniform(-25, 45)), 25, 250);
      values.perfusionIndex = round(this.rng.uniform(0.1, 0.6), 1);
      return { at, values, signalOk: false };
    }
    return { at, values, signalOk: true };
  }

  private inArtefact(at: number, dt: number, night: boolean): boolean {
    const ep = this.episode;
    if (ep && at >= this.o.eventAt - EPISODE_GUARD_MS && at < this.o.eventAt + episodeLengthMs(ep) + EPISODE_GUARD_MS) {
      this.artefactUntil = -Infinity;
      return false;
    }
    if (at < this.artefactUntil) return true;
    const rate = night ? ARTEFACTS_PER_HOUR.night : ARTEFACTS_PER_HOUR.day;
    if (this.rng.chance((rate * dt) / 3_600_000)) {
      this.artefactUntil = at + this.rng.uniform(4_000, 25_000);
      return true;
    }
    return false;
  }

  private planAt(at: number): NightPlan {
    const index = nightIndexAt(at, this.o.nightStartHourUtc);
    if (this.cachedPlan?.index !== index) this.cachedPlan = this.o.plan(index);
    return this.cachedPlan;
  }
}
