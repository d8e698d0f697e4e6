import type { PatientProfile, RuleId } from '#domain';
import { addDays, daysBetween, nightEnd } from './calendar.js';
import type { RuleDecision } from './decision.js';
import { evaluateSortedSample, evaluateSortedSamples, newDeviceState, type DeviceRuleState } from './device-evaluator.js';
import { continuesNightEpisode, evaluateNightRules, type SessionRecord } from './night-rules.js';
import { evaluateOximetryBaseline, type DailyOximetry } from './oximetry-baseline.js';
import type { RuleSettings } from './parameters.js';
import type { RuleSample } from './point-rules.js';

/**
 * Replay of stored data through the live rules (the thresholds what-if, CONTRACT.md §7): the same
 * functions the live path calls — the point rules' windows and "told" bookkeeping of the device
 * evaluator (`evaluateSortedSamples`: stored samples come back sorted, so without the reorder
 * buffer; same decisions as `evaluateDeviceSamples`), `evaluateNightRules` as the nightly job calls it
 * (missing nights count as 0 h: every replayed night is settled), `evaluateOximetryBaseline` per
 * day — and a ledger that counts what the alerts table would record: a raise with no active
 * alert of its rule is an alert, a raise of a new episode while one is active is an occurrence
 * (both counted, as both tell the console), a raise of the same episode (same start, or a night
 * rule's overlapping nights) is not, and a clear ends the active alert.
 *
 * device.silent is not replayed: it depends on when the backend heard the device, not on the
 * samples' own times.
 */

/** An alert the replay would have raised: the decision's own fields, nothing restated. */
export type ReplayedAlert = Pick<RuleDecision, 'rule' | 'severity' | 'startedAt' | 'at' | 'value' | 'threshold'>;

interface LedgerEntry {
  startedAt: number;
  lastTriggeredAt: number;
  deviceId: string | null;
}

/** A decision and the device whose samples decided it (null for patient-level rules). */
export type SourcedDecision = RuleDecision & { deviceId?: string | null };

/** Counts the alerts a stream of decisions would have raised (see the file comment). */
export class AlertLedger {
  readonly alerts: ReplayedAlert[] = [];
  private readonly active = new Map<RuleId, LedgerEntry>();

  apply(d: SourcedDecision): void {
    const a = this.active.get(d.rule);
    const deviceId = d.deviceId ?? null;
    if (d.kind === 'clear') {
      // Another device's episode does not clear it (AlertDecisionService.clear).
      if (a && !(a.deviceId && deviceId && a.deviceId !== deviceId) && d.at >= a.lastTriggeredAt) this.active.delete(d.rule);
      return;
    }
    if (a && (d.startedAt === a.startedAt || d.kind === 'update' || continuesNightEpisode(a, d))) {
      a.lastTriggeredAt = Math.max(a.lastTriggeredAt, d.at);
      return;
    }
    this.active.set(d.rule, { startedAt: d.startedAt, lastTriggeredAt: d.at, deviceId });
    this.alerts.push({ rule: d.rule, severity: d.severity, startedAt: d.startedAt, at: d.at, value: d.value, threshold: d.threshold });
  }
}

/**
 * Point rules over one patient's devices. Feed each device's samples in ascending time, in as
 * many chunks as wanted (the result does not depend on the chunking); per device the state is the
 * one the live evaluator keeps (DeviceRuleState).
 */
export class PointRulesReplay {
  private readonly devices = new Map<string, DeviceRuleState>();
  private readonly decisions: SourcedDecision[] = [];

  constructor(
    private readonly settings: RuleSettings,
    private readonly profile: PatientProfile,
  ) {}

  feed(deviceId: string, samples: readonly RuleSample[]): void {
    let state = this.devices.get(deviceId);
    if (!state) this.devices.set(deviceId, (state = newDeviceState()));
    for (const d of evaluateSortedSamples(state, samples, this.settings, this.profile)) if (d.kind !== 'update') this.decisions.push({ ...d, deviceId });
  }

  /** One sample (later than the device's last), as `feed` would take it; the sample is not kept. */
  feedSample(deviceId: string, sample: RuleSample): void {
    let state = this.devices.get(deviceId);
    if (!state) this.devices.set(deviceId, (state = newDeviceState()));
    const decided = evaluateSortedSample(state, sample, this.settings, this.profile);
    for (let i = 0; i < decided.length; i++) {
      const d = decided[i]!;
      if (d.kind !== 'update') this.decisions.push({ ...d, deviceId });
    }
  }

  /** The raises and clears, in clinical time order (all devices together: one alert per patient and rule). */
  finish(): SourcedDecision[] {
    return [...this.decisions].sort((a, b) => a.at - b.at);
  }
}

export interface NightReplayInput {
  sessions: readonly SessionRecord[];
  /** Start of the patient's very first session (null: none, no night rule applies). */
  firstSessionAt: number | null;
  /** Nights to evaluate, from the first to the last (inclusive, YYYY-MM-DD). */
  fromNight: string;
  toNight: string;
  timeZone: string;
  settings: RuleSettings;
}

/** Night rules, night after night, as the nightly job evaluates them. */
export function replayNightRules(input: NightReplayInput): RuleDecision[] {
  if (input.firstSessionAt === null) return [];
  const out: RuleDecision[] = [];
  for (let night = input.fromNight; daysBetween(night, input.toNight) >= 0; night = addDays(night, 1)) {
    const upTo = nightEnd(night, input.timeZone);
    out.push(
      ...evaluateNightRules({
        sessions: input.sessions.filter((s) => s.start < upTo),
        firstSessionAt: input.firstSessionAt,
        night,
        timeZone: input.timeZone,
        settings: input.settings,
        missingNights: 'zero',
      }),
    );
  }
  return out;
}

/** oximetry.baseline, day after day, from the daily means (which must include the baseline days before `fromDay`). */
export function replayOximetryBaseline(days: readonly DailyOximetry[], fromDay: string, toDay: string, timeZone: string, settings: RuleSettings): RuleDecision[] {
  const out: RuleDecision[] = [];
  for (let day = fromDay; daysBetween(day, toDay) >= 0; day = addDays(day, 1)) {
    const d = evaluateOximetryBaseline(days, day, timeZone, settings);
    if (d) out.push(d);
  }
  return out;
}

/** The alerts of every rule, from the decisions of each family, in time order. */
export function ledgerOf(...families: SourcedDecision[][]): ReplayedAlert[] {
  const ledger = new AlertLedger();
  for (const d of families.flat().sort((a, b) => a.at - b.at)) ledger.apply(d);
  return ledger.alerts;
}

/** Number of alerts per rule (every rule of `rules` present, 0 when none). */
export function countByRule(alerts: readonly ReplayedAlert[], rules: readonly RuleId[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of rules) out[r] = 0;
  for (const a of alerts) out[a.rule] = (out[a.rule] ?? 0) + 1;
  return out;
}
