import { news2Spo2Score, type PatientProfile, type SampleMetric, type Severity } from '#domain';
import { fmt, formatDuration, type RuleDecision } from './decision.js';
import { GAP_SECONDS, POINT_RULE_IDS, type PointRuleId, type PointRuleParams, type RuleSettings } from './parameters.js';

/**
 * Point rules: a value beyond a threshold for a duration, on the samples' own time.
 *
 * One window per (device, rule). A run is a sequence of counted samples (signalOk ≠ false, metric
 * present) all meeting the rule, with no gap of more than GAP_SECONDS between two of them. The rule
 * raises once per run, when the run has lasted the rule's duration (last − first sample time ≥
 * duration). Once raised, the episode is active until the value has been on the safe side of the
 * threshold by at least `hysteresis` for `clearSeconds` (again a run without gap), then it clears.
 * While active, a worse value (by at least one unit) gives an update; a new run meeting the rule
 * after a break (gap, or values back to normal without a full clear) gives a new raise, which the
 * server counts as a new occurrence of the open alert.
 */

export interface PointRuleDefinition {
  rule: PointRuleId;
  metric: Extract<SampleMetric, 'spo2' | 'pulseRate'>;
  /** low: the alarm is below the threshold; high: above. */
  direction: 'low' | 'high';
  /** true: the threshold itself meets the rule (≤ / ≥); false: strict (< / >). */
  inclusive: boolean;
  severity: Severity;
  label: string;
  unit: string;
}

export const POINT_RULES: Readonly<Record<PointRuleId, PointRuleDefinition>> = {
  'spo2.critical': { rule: 'spo2.critical', metric: 'spo2', direction: 'low', inclusive: true, severity: 'critical', label: 'SpO2', unit: '%' },
  'spo2.low': { rule: 'spo2.low', metric: 'spo2', direction: 'low', inclusive: false, severity: 'warning', label: 'SpO2', unit: '%' },
  'spo2.high_on_o2': {
    rule: 'spo2.high_on_o2',
    metric: 'spo2',
    direction: 'high',
    inclusive: true,
    severity: 'warning',
    label: 'SpO2 on oxygen',
    unit: '%',
  },
  'pulse.high': { rule: 'pulse.high', metric: 'pulseRate', direction: 'high', inclusive: false, severity: 'warning', label: 'Pulse', unit: '/min' },
  'pulse.low': { rule: 'pulse.low', metric: 'pulseRate', direction: 'low', inclusive: false, severity: 'warning', label: 'Pulse', unit: '/min' },
};

/** A worse value must beat the reported one by this much to update the alert (bounds the writes). */
export const UPDATE_STEP = 1;

export interface WindowState {
  /** Last counted sample of this window's metric (gap detection). */
  lastAt: number | null;
  /** First sample of the current run meeting the rule; null when not in a run. */
  breachStart: number | null;
  /** Last sample before the current run (the run began after it); null when unknown or not in a run. */
  breachAfter: number | null;
  breachWorst: number | null;
  /** The current run has raised (raise emitted for it). */
  fired: boolean;
  /** Worst value reported to the server for the current run. */
  reportedWorst: number | null;
  /** First sample of the current run on the safe side (by the hysteresis), while active. */
  safeStart: number | null;
  /** An episode was raised and not cleared since. */
  active: boolean;
}

export function newWindow(): WindowState {
  return { lastAt: null, breachStart: null, breachAfter: null, breachWorst: null, fired: false, reportedWorst: null, safeStart: null, active: false };
}

/** What the windows need to know besides the value: the patient and the device's oxygen. */
export interface SampleContext {
  profile: PatientProfile;
  /** Latest SpO2 of the device at this time (for the NEWS2 score), null if unknown. */
  spo2: number | null;
  onOxygen: boolean;
}

const meets = (def: PointRuleDefinition, v: number, thr: number): boolean =>
  def.direction === 'low' ? (def.inclusive ? v <= thr : v < thr) : def.inclusive ? v >= thr : v > thr;

/** Whether one value meets a point rule at `threshold` (the comparison the windows use; the alert evidence filters with it). */
export function meetsPointRule(rule: PointRuleId, v: number, threshold: number): boolean {
  return meets(POINT_RULES[rule], v, threshold);
}

/** Safe by the hysteresis: e.g. SpO2 ≥ threshold + 1 for a low rule, pulse ≤ threshold − 1 for a high one. */
const safe = (def: PointRuleDefinition, v: number, p: PointRuleParams): boolean =>
  def.direction === 'low' ? v - p.threshold >= p.hysteresis : p.threshold - v >= p.hysteresis;

const worse = (def: PointRuleDefinition, a: number, b: number): number => (def.direction === 'low' ? Math.min(a, b) : Math.max(a, b));

const worseBy = (def: PointRuleDefinition, candidate: number, reference: number): number =>
  def.direction === 'low' ? reference - candidate : candidate - reference;

export function operator(def: PointRuleDefinition): string {
  return def.direction === 'low' ? (def.inclusive ? '≤' : '<') : def.inclusive ? '≥' : '>';
}

function raiseMessage(def: PointRuleDefinition, p: PointRuleParams, worst: number): string {
  const extreme = def.direction === 'low' ? 'lowest' : 'highest';
  return `${def.label} ${operator(def)} ${fmt(p.threshold)} ${def.unit} for ${formatDuration(p.durationSeconds)} or more (${extreme} ${fmt(worst)} ${def.unit})`;
}

function clearMessage(def: PointRuleDefinition, p: PointRuleParams): string {
  const side = def.direction === 'low' ? `≥ ${fmt(p.threshold + p.hysteresis)}` : `≤ ${fmt(p.threshold - p.hysteresis)}`;
  return `${def.label} back to ${side} ${def.unit} for ${formatDuration(p.clearSeconds)}`;
}

function news2(ctx: SampleContext): number | null {
  return ctx.spo2 === null ? null : news2Spo2Score(ctx.spo2, ctx.profile, ctx.onOxygen);
}

/**
 * Feeds one counted sample value (time t) to one rule's window. Returns the decision it causes,
 * if any. `t` must be later than the window's last sample (the caller routes older ones).
 */
export function stepWindow(
  def: PointRuleDefinition,
  p: PointRuleParams,
  w: WindowState,
  t: number,
  v: number,
  ctx: SampleContext,
): RuleDecision | null {
  const previous = w.lastAt;
  if (w.lastAt !== null && t - w.lastAt > GAP_SECONDS * 1000) {
    // A window never bridges a gap: both the raise run and the clear run restart.
    w.breachStart = null;
    w.breachAfter = null;
    w.breachWorst = null;
    w.fired = false;
    w.reportedWorst = null;
    w.safeStart = null;
  }
  w.lastAt = t;
  // spo2.high_on_o2 only applies on oxygen; off oxygen the hyperoxia risk is gone (counts as safe).
  const applies = def.rule !== 'spo2.high_on_o2' || ctx.onOxygen;

  if (applies && meets(def, v, p.threshold)) {
    w.safeStart = null;
    if (w.breachStart === null) {
      w.breachStart = t;
      w.breachAfter = previous;
      w.breachWorst = v;
      w.fired = false;
      w.reportedWorst = null;
    } else {
      w.breachWorst = worse(def, w.breachWorst!, v);
    }
    if (!w.fired) {
      if (t - w.breachStart < p.durationSeconds * 1000) return null;
      w.fired = true;
      w.active = true;
      w.reportedWorst = w.breachWorst;
      return { kind: 'raise', ...base(def, p, ctx), startedAt: w.breachStart, at: t, value: w.breachWorst, message: raiseMessage(def, p, w.breachWorst!), ...after(w) };
    }
    if (worseBy(def, v, w.reportedWorst!) >= UPDATE_STEP) {
      w.reportedWorst = v;
      return { kind: 'update', ...base(def, p, ctx), startedAt: w.breachStart, at: t, value: v, message: raiseMessage(def, p, v), ...after(w) };
    }
    return null;
  }

  // Not meeting the rule: the run (if any) is over.
  w.breachStart = null;
  w.breachAfter = null;
  w.breachWorst = null;
  w.fired = false;
  w.reportedWorst = null;
  if (!w.active) return null;
  if (applies && !safe(def, v, p)) {
    w.safeStart = null; // inside the hysteresis band: neither raising nor clearing
    return null;
  }
  w.safeStart ??= t;
  if (t - w.safeStart < p.clearSeconds * 1000) return null;
  const startedAt = w.safeStart;
  w.active = false;
  w.safeStart = null;
  return { kind: 'clear', ...base(def, p, ctx), startedAt, at: t, value: v, message: clearMessage(def, p) };
}

// Built only when a window decides (not per sample: the replay steps millions of samples).
function base(def: PointRuleDefinition, p: PointRuleParams, ctx: SampleContext) {
  return { rule: def.rule, severity: def.severity, threshold: p.threshold, news2Spo2Score: news2(ctx) };
}

function after(w: WindowState): { runAfter?: number } {
  return w.breachAfter === null ? {} : { runAfter: w.breachAfter };
}

/** Per device stream: the last sample time, what is known about SpO2 and oxygen, one window per rule. */
export interface StreamState {
  lastAt: number | null;
  /** Last counted sample of any metric (oxygen and SpO2 context do not bridge a gap either). */
  lastCountedAt: number | null;
  spo2: number | null;
  o2Flow: number | null;
  windows: Record<PointRuleId, WindowState>;
}

export function newStream(): StreamState {
  const windows = {} as Record<PointRuleId, WindowState>;
  for (const rule of POINT_RULE_IDS) windows[rule] = newWindow();
  return { lastAt: null, lastCountedAt: null, spo2: null, o2Flow: null, windows };
}

/** A sample as the rules see it (the server's StoredSample has this shape). */
export interface RuleSample {
  at: number;
  values: Partial<Record<SampleMetric, number>>;
  signalOk: boolean;
}

/** Feeds one sample (later than the stream's last) to every point rule of a stream. */
export function stepStream(
  stream: StreamState,
  sample: RuleSample,
  settings: RuleSettings,
  profile: PatientProfile,
): readonly RuleDecision[] {
  stream.lastAt = stream.lastAt === null ? sample.at : Math.max(stream.lastAt, sample.at);
  if (sample.signalOk === false) return NO_DECISIONS; // stored, but never counted by the rules
  if (stream.lastCountedAt !== null && sample.at - stream.lastCountedAt > GAP_SECONDS * 1000) {
    stream.spo2 = null;
    stream.o2Flow = null;
  }
  stream.lastCountedAt = sample.at;
  const { spo2, pulseRate, o2Flow } = sample.values;
  if (o2Flow !== undefined) stream.o2Flow = o2Flow;
  if (spo2 !== undefined) stream.spo2 = spo2;
  const onOxygen = (stream.o2Flow ?? 0) > 0 || settings['spo2.high_on_o2'].assumeOnOxygen;
  const ctx: SampleContext = { profile, spo2: stream.spo2, onOxygen };
  // Most samples decide nothing: the array is only made for a decision.
  let decisions: RuleDecision[] | null = null;
  for (let r = 0; r < POINT_RULE_IDS.length; r++) {
    const rule = POINT_RULE_IDS[r]!;
    const def = POINT_RULES[rule];
    const params = settings[rule];
    const value = def.metric === 'spo2' ? spo2 : pulseRate;
    if (!params.enabled || value === undefined) continue;
    const d = stepWindow(def, params, stream.windows[rule], sample.at, value, ctx);
    if (d) (decisions ??= []).push(d);
  }
  return decisions ?? NO_DECISIONS;
}

const NO_DECISIONS: readonly RuleDecision[] = Object.freeze([]);
