import type { PatientProfile } from '#domain';
import type { RuleDecision } from './decision.js';
import { GAP_SECONDS, POINT_RULE_IDS, type PointRuleId, type RuleSettings } from './parameters.js';
import { newStream, POINT_RULES, stepStream, UPDATE_STEP, type RuleSample, type StreamState } from './point-rules.js';

/**
 * The point-rule state of one device, and how samples reach it in time order whatever the order
 * they arrive in.
 *
 * - In order (later than the last sample): stepped into the live windows directly.
 * - Slightly out of order (within REORDER_WINDOW_MS of the newest sample, e.g. two messages of a
 *   device committed by two ingest connections in the other order): inserted in the reorder
 *   buffer and the live windows are replayed from a checkpoint, so the result is exactly that of
 *   sorted input. A sample with the time of one in the buffer is a duplicate and is ignored.
 * - Older than that (a backlog uploaded late): evaluated in a separate "late" set of windows,
 *   which continues across batches while the backlog keeps coming in time order and restarts when
 *   it goes back in time. A backlog raises (and clears) the episodes it contains on its own
 *   timestamps without disturbing the live windows; its decisions are marked `late`.
 *
 * What the server was told is remembered per rule (`told`), so a replay never tells it twice: a
 * raise of the episode already raised, a clear already sent or a value already reported are
 * dropped.
 */

/** How far behind the newest sample a sample may arrive and still be evaluated in order. */
export const REORDER_WINDOW_MS = 5 * 60_000;

export interface ToldState {
  /** The server was told an episode is active (raised and not cleared). */
  active: boolean;
  /** Time (evidence) of the raise that opened the active episode: runs started before it are that episode. */
  triggerAt: number;
  /** Worst value reported for the active episode. */
  worst: number | null;
  /** Time of the last clear told: a raise timed before it belongs to the cleared episode. */
  clearedAt: number | null;
}

export interface DeviceRuleState {
  /** Windows after every sample older than the reorder buffer (the replay checkpoint). */
  base: StreamState;
  /** Windows after `base` and every sample in the buffer: the current state. */
  live: StreamState;
  /** Recent samples (later than base.lastAt), ascending by time. */
  buffer: RuleSample[];
  late: StreamState | null;
  told: Record<PointRuleId, ToldState>;
}

function newTold(): Record<PointRuleId, ToldState> {
  const told = {} as Record<PointRuleId, ToldState>;
  for (const rule of POINT_RULE_IDS) told[rule] = { active: false, triggerAt: -Infinity, worst: null, clearedAt: null };
  return told;
}

export function newDeviceState(): DeviceRuleState {
  return { base: newStream(), live: newStream(), buffer: [], late: null, told: newTold() };
}

/** Keeps only what the point rules read, so the buffer stays small. */
function compact(s: RuleSample): RuleSample {
  const values: RuleSample['values'] = {};
  if (s.values.spo2 !== undefined) values.spo2 = s.values.spo2;
  if (s.values.pulseRate !== undefined) values.pulseRate = s.values.pulseRate;
  if (s.values.o2Flow !== undefined) values.o2Flow = s.values.o2Flow;
  return { at: s.at, values, signalOk: s.signalOk };
}

/** Index of the first buffered sample at or after t. */
function lowerBound(buffer: readonly RuleSample[], t: number): number {
  let lo = 0;
  let hi = buffer.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (buffer[mid]!.at < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Evaluates a batch of samples (any order) for one device; mutates `state` and returns the
 * decisions to persist, in time order within the live windows, then the backlog's.
 */
export function evaluateDeviceSamples(
  state: DeviceRuleState,
  samples: readonly RuleSample[],
  settings: RuleSettings,
  profile: PatientProfile,
): RuleDecision[] {
  const sorted = [...samples].sort((a, b) => a.at - b.at);
  const out: RuleDecision[] = [];
  const late: RuleDecision[] = [];
  const liveLast = state.live.lastAt;
  const floor = state.base.lastAt;
  const fresh: RuleSample[] = [];
  let reorder = false;
  for (const s of sorted) {
    if (liveLast === null || s.at > liveLast) {
      if (fresh.length === 0 || fresh[fresh.length - 1]!.at !== s.at) fresh.push(s);
    } else if (s.at >= liveLast - REORDER_WINDOW_MS && (floor === null || s.at > floor)) {
      const i = lowerBound(state.buffer, s.at);
      if (state.buffer[i]?.at === s.at) continue; // duplicate
      state.buffer.splice(i, 0, compact(s));
      reorder = true;
    } else {
      if (state.late === null || (state.late.lastAt !== null && s.at < state.late.lastAt)) state.late = newStream();
      if (state.late.lastAt === s.at) continue;
      for (const d of stepStream(state.late, s, settings, profile)) late.push({ ...d, late: true });
    }
  }
  if (reorder) {
    state.live = structuredClone(state.base);
    for (const s of state.buffer) out.push(...told(state, stepStream(state.live, s, settings, profile)));
    syncWindows(state);
  }
  for (const s of fresh) {
    out.push(...told(state, stepStream(state.live, s, settings, profile)));
    state.buffer.push(compact(s));
  }
  // Samples that fell out of the reorder window move into the checkpoint.
  // One splice, not a shift per sample: a long batch (a backlog, a replay) would be quadratic.
  const keepFrom = (state.live.lastAt ?? 0) - REORDER_WINDOW_MS;
  let drop = 0;
  while (drop < state.buffer.length && state.buffer[drop]!.at < keepFrom) stepStream(state.base, state.buffer[drop++]!, settings, profile);
  if (drop > 0) state.buffer.splice(0, drop);
  return [...out, ...late];
}

/**
 * For samples known to be in time order, without duplicates and after every sample the state has
 * seen (stored samples read back sorted: the what-if replay): the live windows and the "told"
 * bookkeeping of evaluateDeviceSamples, without its reorder buffer and checkpoint, which only
 * serve samples arriving out of order. Gives the same decisions as evaluateDeviceSamples on such
 * input (replay.spec.ts checks it) at half the cost. A sample not after the last one is
 * ignored; only use the state with this function afterwards.
 */
export function evaluateSortedSamples(
  state: DeviceRuleState,
  samples: readonly RuleSample[],
  settings: RuleSettings,
  profile: PatientProfile,
): RuleDecision[] {
  const out: RuleDecision[] = [];
  for (const s of samples) {
    const decided = evaluateSortedSample(state, s, settings, profile);
    if (decided.length > 0) out.push(...decided);
  }
  return out;
}

const NO_DECISIONS: readonly RuleDecision[] = Object.freeze([]);

/** evaluateSortedSamples for one sample (a replay fed sample by sample, without an array per sample). */
export function evaluateSortedSample(state: DeviceRuleState, s: RuleSample, settings: RuleSettings, profile: PatientProfile): readonly RuleDecision[] {
  if (state.live.lastAt !== null && s.at <= state.live.lastAt) return NO_DECISIONS;
  const decided = stepStream(state.live, s, settings, profile);
  return decided.length > 0 ? told(state, decided) : NO_DECISIONS;
}

/** Drops what the server already knows; records what it is told. */
function told(state: DeviceRuleState, decisions: readonly RuleDecision[]): RuleDecision[] {
  const out: RuleDecision[] = [];
  for (const d of decisions) {
    const rule = d.rule as PointRuleId;
    const t = state.told[rule];
    const def = POINT_RULES[rule];
    const worse = (v: number | null) =>
      v !== null && (t.worst === null || (def.direction === 'low' ? t.worst - v : v - t.worst) >= UPDATE_STEP);
    if (d.kind === 'clear') {
      if (!t.active) continue;
      t.active = false;
      t.clearedAt = d.at;
      out.push(d);
      continue;
    }
    if (t.clearedAt !== null && d.at <= t.clearedAt) continue; // replay of an episode already cleared
    if (t.active && d.startedAt <= t.triggerAt) {
      // The episode already raised: only a worse value is news.
      if (worse(d.value)) {
        t.worst = d.value;
        out.push({ ...d, kind: 'update' });
      }
      continue;
    }
    if (d.kind === 'update' && t.active) {
      if (worse(d.value)) {
        t.worst = d.value;
        out.push(d);
      }
      continue;
    }
    // A new run (or an update the server has not seen as an episode): a raise.
    t.active = true;
    t.triggerAt = d.at;
    t.worst = d.value;
    out.push(d);
  }
  return out;
}

/** After a replay, a window whose episode the server holds as active must be able to clear it. */
function syncWindows(state: DeviceRuleState): void {
  for (const rule of POINT_RULE_IDS) {
    const w = state.live.windows[rule];
    if (state.told[rule].active && !w.active) {
      w.active = true;
      w.safeStart = null;
    }
  }
}

/**
 * How far back the server must read a device's samples to rebuild its windows: the longest
 * duration (or clear) window plus the gap allowance, at least 15 minutes.
 */
export function lookbackMs(settings: RuleSettings): number {
  let longest = 0;
  for (const rule of POINT_RULE_IDS) {
    const p = settings[rule];
    longest = Math.max(longest, p.durationSeconds, p.clearSeconds);
  }
  return Math.max(15 * 60_000, (longest + 2 * GAP_SECONDS) * 1000);
}

/**
 * Rebuilds a device's windows after a restart (or for a device this process has not seen): replays
 * the device's recent samples from the database with the decisions discarded, then aligns what
 * the server is known to hold with the alerts table: `activeRules` are the rules with an open or
 * acknowledged alert for this device. A run that met its duration during the replay but has no
 * active alert (the process stopped before persisting it, or a professional resolved it) is left
 * un-raised, so the next sample meeting the rule raises it; a run already raised is not raised again.
 */
export function restoreDeviceState(
  samples: readonly RuleSample[],
  settings: RuleSettings,
  profile: PatientProfile,
  activeRules: ReadonlySet<PointRuleId>,
): DeviceRuleState {
  const state = newDeviceState();
  // Start from the database's view, so the replay also tracks the safe run of an active episode.
  for (const rule of POINT_RULE_IDS) state.live.windows[rule].active = activeRules.has(rule);
  state.base = structuredClone(state.live);
  evaluateDeviceSamples(state, samples, settings, profile);
  state.late = null;
  const replayedUpTo = state.live.lastAt ?? -Infinity;
  for (const rule of POINT_RULE_IDS) {
    const active = activeRules.has(rule);
    for (const w of [state.base.windows[rule], state.live.windows[rule]]) {
      w.active = active;
      if (!active) {
        w.fired = false;
        w.reportedWorst = null;
        w.safeStart = null;
      } else if (w.fired) {
        w.reportedWorst = w.breachWorst;
      }
    }
    const w = state.live.windows[rule];
    // A run already raised is the open alert's episode; a run not yet raised is a new one.
    const triggerAt = w.fired || w.breachStart === null ? replayedUpTo : w.breachStart - 1;
    state.told[rule] = { active, triggerAt, worst: active ? w.breachWorst : null, clearedAt: null };
  }
  return state;
}
