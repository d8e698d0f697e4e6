import { describe, expect, it } from '@jest/globals';
import type { PatientProfile } from '#domain';
import { evaluateDeviceSamples, newDeviceState, type DeviceRuleState } from './device-evaluator.js';
import type { RuleDecision } from './decision.js';
import { effectiveSettings, type PointRuleId } from './parameters.js';
import type { RuleSample } from './point-rules.js';

/**
 * The same table for every point rule (issue: "table-driven unit tests of every rule"): threshold
 * edges, duration, gaps, signalOk false, hysteresis, out-of-order input and a late backlog.
 * Samples are 1 Hz, times in seconds after T0.
 */

const T0 = Date.UTC(2026, 10, 23, 3, 0, 0);
const S = 1000;

interface RuleRow {
  rule: PointRuleId;
  profile: PatientProfile;
  metric: 'spo2' | 'pulseRate';
  /** Other values of every sample (the oxygen flow of spo2.high_on_o2). */
  extra: RuleSample['values'];
  durationSeconds: number;
  /** Just on the alarm side: the threshold itself (≤ / ≥) or 0.1 beyond it (< / >). */
  alarm: number;
  /** Just on the other side: 0.1 inside (≤ / ≥) or the threshold itself (< / >). */
  edge: number;
  /** Back on the safe side by exactly the hysteresis (1 unit): clears. */
  safe: number;
  /** In the hysteresis band, 0.9 unit from the threshold: neither raises nor clears. */
  band: number;
}

const RULES: RuleRow[] = [
  { rule: 'spo2.critical', profile: 'standard', metric: 'spo2', extra: {}, durationSeconds: 60, alarm: 85, edge: 85.1, safe: 86, band: 85.9 },
  { rule: 'spo2.critical', profile: 'hypercapnic', metric: 'spo2', extra: {}, durationSeconds: 60, alarm: 83, edge: 83.1, safe: 84, band: 83.9 },
  { rule: 'spo2.low', profile: 'standard', metric: 'spo2', extra: {}, durationSeconds: 300, alarm: 91.9, edge: 92, safe: 93, band: 92.9 },
  { rule: 'spo2.low', profile: 'hypercapnic', metric: 'spo2', extra: {}, durationSeconds: 300, alarm: 87.9, edge: 88, safe: 89, band: 88.9 },
  {
    rule: 'spo2.high_on_o2',
    profile: 'hypercapnic',
    metric: 'spo2',
    extra: { o2Flow: 2 },
    durationSeconds: 600,
    alarm: 97,
    edge: 96.9,
    safe: 96,
    band: 96.1,
  },
  { rule: 'pulse.high', profile: 'standard', metric: 'pulseRate', extra: {}, durationSeconds: 300, alarm: 120.1, edge: 120, safe: 119, band: 119.1 },
  { rule: 'pulse.low', profile: 'standard', metric: 'pulseRate', extra: {}, durationSeconds: 300, alarm: 44.9, edge: 45, safe: 46, band: 45.9 },
];

const name = (r: RuleRow) => `${r.rule} (${r.profile})`;
const cases = RULES.map((r) => [name(r), r] as const);

type Brief = { kind: RuleDecision['kind']; startedAt: number; at: number; late?: boolean };

function makeHelpers(r: RuleRow) {
  const d = r.durationSeconds;
  /** `count` samples of `value`, one per second from `from`. */
  const flat = (from: number, count: number, value: number, signalOk = true): RuleSample[] =>
    Array.from({ length: count }, (_, i) => ({ at: T0 + (from + i) * S, values: { [r.metric]: value, ...r.extra }, signalOk }));
  const settings = effectiveSettings(r.profile, null);
  /** Feeds the batches in the given order to one device; the rule's decisions, times in seconds. */
  const run = (batches: RuleSample[][], state: DeviceRuleState = newDeviceState()): Brief[] =>
    batches
      .flatMap((b) => evaluateDeviceSamples(state, b, settings, r.profile))
      .filter((x) => x.rule === r.rule)
      .map((x) => ({ kind: x.kind, startedAt: (x.startedAt - T0) / S, at: (x.at - T0) / S, ...(x.late ? { late: true } : {}) }));
  /** A raised episode: the alarm value for exactly the duration (samples 0..d). */
  const episode = () => flat(0, d + 1, r.alarm);
  const raise = (startedAt: number, at: number): Brief => ({ kind: 'raise', startedAt, at });
  const clear = (startedAt: number, at: number): Brief => ({ kind: 'clear', startedAt, at });
  return { d, flat, run, episode, raise, clear };
}

describe.each(cases)('%s: threshold and duration', (_n, r) => {
  const { d, flat, run, raise } = makeHelpers(r);

  it.each([
    ['just on the alarm side, exactly the duration: raises', () => flat(0, d + 1, r.alarm), [raise(0, d)]],
    ['just on the alarm side, one second short: nothing', () => flat(0, d, r.alarm), []],
    ['just on the other side, three times the duration: nothing', () => flat(0, 3 * d + 1, r.edge), []],
    ['in the hysteresis band, three times the duration: nothing', () => flat(0, 3 * d + 1, r.band), []],
    ['one sample on the other side restarts the duration', () => [...flat(0, d, r.alarm), ...flat(d, 1, r.edge), ...flat(d + 1, d, r.alarm)], []],
    ['...and the run after it raises from its own first sample', () => [...flat(0, d, r.alarm), ...flat(d, 1, r.edge), ...flat(d + 1, d + 1, r.alarm)], [raise(d + 1, 2 * d + 1)]],
  ] as const)('%s', (_name, samples, expected) => {
    expect(run([samples()])).toEqual(expected);
  });

  it('raises once per run, however long it lasts', () => {
    expect(run([flat(0, 3 * d, r.alarm)]).map((x) => x.kind)).toEqual(['raise']);
  });
});

describe.each(cases)('%s: a gap of more than 2 minutes restarts the window', (_n, r) => {
  const { d, flat, run, raise } = makeHelpers(r);
  const h = d / 2;

  it.each([
    ['gap of 121 s within the run: no raise (each part is shorter than the duration)', 121, h + 1, []],
    ['gap of exactly 120 s: the run goes on', 120, h + 1, [raise(0, Math.max(d, h + 120))]],
    ['after a gap of 121 s, the duration counts from the first sample after it', 121, d + 1, [raise(h + 121, h + 121 + d)]],
  ] as const)('%s', (_name, gap, secondPart, expected) => {
    expect(run([[...flat(0, h + 1, r.alarm), ...flat(h + gap, secondPart, r.alarm)]])).toEqual(expected);
  });
});

describe.each(cases)('%s: samples with signalOk false are not counted', (_n, r) => {
  const { d, flat, run, raise } = makeHelpers(r);

  it.each([
    ['a whole run with signalOk false: nothing', () => flat(0, d + 1, r.alarm, false), []],
    ['a poor-signal sample on the safe side inside a run does not break it', () => [...flat(0, 10, r.alarm), ...flat(10, 1, r.safe, false), ...flat(11, d - 10, r.alarm)], [raise(0, d)]],
    ['more than 2 minutes of poor signal is a gap', () => [...flat(0, 10, r.alarm), ...flat(10, 125, r.alarm, false), ...flat(135, d - 10, r.alarm)], []],
    ['the run counts only good samples: the last poor one does not complete it', () => [...flat(0, d, r.alarm), ...flat(d, 1, r.alarm, false)], []],
  ] as const)('%s', (_name, samples, expected) => {
    expect(run([samples()])).toEqual(expected);
  });
});

describe.each(cases)('%s: hysteresis clear (safe side by ≥ 1 unit for 2 min)', (_n, r) => {
  const { d, flat, run, episode, raise, clear } = makeHelpers(r);
  const after = d + 1;

  it.each([
    ['safe by exactly 1 unit for exactly 120 s: clears', () => flat(after, 121, r.safe), [clear(after, after + 120)]],
    ['safe for 119 s: not yet', () => flat(after, 120, r.safe), []],
    ['in the band (0.9 unit) for 5 min: never', () => flat(after, 300, r.band), []],
    ['a band value restarts the clear window', () => [...flat(after, 60, r.safe), ...flat(after + 60, 1, r.band), ...flat(after + 61, 120, r.safe)], []],
    [
      '...which then clears 120 s after the band value',
      () => [...flat(after, 60, r.safe), ...flat(after + 60, 1, r.band), ...flat(after + 61, 121, r.safe)],
      [clear(after + 61, after + 181)],
    ],
    ['a value back on the alarm side restarts it too (without raising)', () => [...flat(after, 60, r.safe), ...flat(after + 60, 1, r.alarm), ...flat(after + 61, 120, r.safe)], []],
    ['the clear window does not bridge a gap of 121 s', () => [...flat(after, 60, r.safe), ...flat(after + 60 + 121, 61, r.safe)], []],
    ['safe samples with signalOk false do not clear', () => flat(after, 200, r.safe, false), []],
  ] as const)('%s', (_name, samples, expected) => {
    expect(run([episode(), samples()])).toEqual([raise(0, d), ...expected]);
  });
});

describe.each(cases)('%s: out-of-order input', (_n, r) => {
  const { d, flat, run, episode, raise, clear } = makeHelpers(r);
  const story = () => [...episode(), ...flat(d + 1, 121, r.safe)];
  const inOrder = [raise(0, d), clear(d + 1, d + 121)];

  it('one batch in reverse order: exactly as sorted', () => {
    expect(run([story().reverse()])).toEqual(inOrder);
  });

  it('30 s batches delivered pairwise swapped (within the reorder window): the same episode, told once', () => {
    const samples = story();
    const batches: RuleSample[][] = [];
    for (let i = 0; i < samples.length; i += 30) batches.push(samples.slice(i, i + 30));
    for (let i = 0; i + 1 < batches.length; i += 2) [batches[i], batches[i + 1]] = [batches[i + 1]!, batches[i]!];
    // A raise or clear may be decided at a later sample of the batch that came first; the episode
    // (its start, and the start of the safe run) is the same.
    expect(run(batches).map((x) => [x.kind, x.startedAt])).toEqual(inOrder.map((x) => [x.kind, x.startedAt]));
  });

  it('a batch delivered twice: told once', () => {
    const samples = story();
    expect(run([samples.slice(0, d + 1), samples.slice(0, d + 1), samples.slice(d + 1), samples.slice(d + 1)])).toEqual(inOrder);
  });
});

describe.each(cases)('%s: a backlog uploaded hours late', (_n, r) => {
  const { d, flat, run, episode, raise, clear } = makeHelpers(r);
  const HOURS_6 = 6 * 3600;
  const backlog = () => [...episode(), ...flat(d + 1, 121, r.safe)];
  const late = (b: Brief): Brief => ({ ...b, late: true });

  it('raises and clears the episode it contains on its own timestamps, marked late', () => {
    const state = newDeviceState();
    expect(run([flat(HOURS_6, 60, r.safe)], state)).toEqual([]);
    expect(run([backlog()], state)).toEqual([late(raise(0, d)), late(clear(d + 1, d + 121))]);
  });

  it('continues across batches in time order, without disturbing the live windows', () => {
    const state = newDeviceState();
    const live = flat(HOURS_6, 2 * d + 1, r.alarm);
    const samples = backlog();
    const cut = Math.floor(d / 2);
    expect(run([live.slice(0, d)], state)).toEqual([]);
    expect(run([samples.slice(0, cut), samples.slice(cut)], state)).toEqual([late(raise(0, d)), late(clear(d + 1, d + 121))]);
    // The live run was not reset by the backlog: it raises at its own duration.
    expect(run([live.slice(d)], state)).toEqual([raise(HOURS_6, HOURS_6 + d)]);
  });
});
