import { describe, expect, it } from '@jest/globals';
import type { PatientProfile } from '#domain';
import { evaluateDeviceSamples, newDeviceState, type DeviceRuleState } from './device-evaluator.js';
import type { RuleDecision } from './decision.js';
import { effectiveSettings, type PointRuleId, type RuleOverrides } from './parameters.js';
import type { RuleSample } from './point-rules.js';

const T0 = Date.UTC(2026, 10, 23, 3, 0, 0);
const S = 1000;

type Metric = 'spo2' | 'pulseRate';

/** One sample per second from `from` (seconds after T0), one value each. */
function run(metric: Metric, from: number, values: number[], extra: Partial<RuleSample['values']> = {}): RuleSample[] {
  return values.map((v, i) => ({ at: T0 + (from + i) * S, values: { [metric]: v, ...extra }, signalOk: true }));
}

/** `count` samples of the same value, one per second. */
function flat(metric: Metric, from: number, count: number, value: number, extra: Partial<RuleSample['values']> = {}): RuleSample[] {
  return run(metric, from, Array.from({ length: count }, () => value), extra);
}

function evaluate(
  samples: RuleSample[],
  opts: { profile?: PatientProfile; overrides?: RuleOverrides; state?: DeviceRuleState } = {},
): { decisions: RuleDecision[]; state: DeviceRuleState } {
  const profile = opts.profile ?? 'standard';
  const state = opts.state ?? newDeviceState();
  const decisions = evaluateDeviceSamples(state, samples, effectiveSettings(profile, opts.overrides), profile);
  return { decisions, state };
}

const brief = (ds: RuleDecision[], rule?: PointRuleId) =>
  ds.filter((d) => !rule || d.rule === rule).map((d) => ({ kind: d.kind, rule: d.rule, startedAt: (d.startedAt - T0) / S, at: (d.at - T0) / S }));

describe('thresholds and durations (one rule at a time)', () => {
  // [name, profile, rule, metric, value, seconds of samples (0..n-1), expected raise at (s) or null]
  const cases: [string, PatientProfile, PointRuleId, Metric, number, number, number | null][] = [
    ['spo2.critical standard: 85 % (at threshold) for exactly 60 s', 'standard', 'spo2.critical', 'spo2', 85, 61, 60],
    ['spo2.critical standard: 85 % one second short', 'standard', 'spo2.critical', 'spo2', 85, 60, null],
    ['spo2.critical standard: 86 % (just above) for 10 min', 'standard', 'spo2.critical', 'spo2', 86, 600, null],
    ['spo2.critical hypercapnic: 83 % for 60 s', 'hypercapnic', 'spo2.critical', 'spo2', 83, 61, 60],
    ['spo2.critical hypercapnic: 84 % never', 'hypercapnic', 'spo2.critical', 'spo2', 84, 600, null],
    ['spo2.low standard: 91 % (just below 92) for exactly 5 min', 'standard', 'spo2.low', 'spo2', 91, 301, 300],
    ['spo2.low standard: 91 % one second short', 'standard', 'spo2.low', 'spo2', 91, 300, null],
    ['spo2.low standard: 92 % (at the strict threshold) never', 'standard', 'spo2.low', 'spo2', 92, 900, null],
    ['spo2.low hypercapnic: 87 % for 5 min', 'hypercapnic', 'spo2.low', 'spo2', 87, 301, 300],
    ['spo2.low hypercapnic: 88 % never', 'hypercapnic', 'spo2.low', 'spo2', 88, 900, null],
    ['pulse.high: 121 /min for exactly 5 min', 'standard', 'pulse.high', 'pulseRate', 121, 301, 300],
    ['pulse.high: 121 /min one second short', 'standard', 'pulse.high', 'pulseRate', 121, 300, null],
    ['pulse.high: 120 /min (at the strict threshold) never', 'standard', 'pulse.high', 'pulseRate', 120, 900, null],
    ['pulse.low: 44 /min for exactly 5 min', 'standard', 'pulse.low', 'pulseRate', 44, 301, 300],
    ['pulse.low: 45 /min never', 'standard', 'pulse.low', 'pulseRate', 45, 900, null],
  ];

  it.each(cases)('%s', (_name, profile, rule, metric, value, count, raiseAt) => {
    const { decisions } = evaluate(flat(metric, 0, count, value), { profile });
    const raises = brief(decisions, rule).filter((d) => d.kind === 'raise');
    expect(raises).toEqual(raiseAt === null ? [] : [{ kind: 'raise', rule, startedAt: 0, at: raiseAt }]);
  });

  it('raises once per run, with the worst value, the threshold and the NEWS2 score of the SpO2', () => {
    const { decisions } = evaluate([...run('spo2', 0, [85, 84, 82]), ...flat('spo2', 3, 200, 84)]);
    const raise = decisions.filter((d) => d.rule === 'spo2.critical');
    expect(raise).toHaveLength(1);
    expect(raise[0]).toMatchObject({ kind: 'raise', severity: 'critical', value: 82, threshold: 85, news2Spo2Score: 3 });
    expect(raise[0]!.message).toContain('≤ 85 %');
  });

  it('a sample back above the threshold restarts the duration', () => {
    const samples = [...flat('spo2', 0, 40, 84), ...flat('spo2', 40, 1, 86), ...flat('spo2', 41, 60, 84)];
    expect(brief(evaluate(samples).decisions, 'spo2.critical')).toEqual([]);
    const longer = [...samples, ...flat('spo2', 101, 1, 84)];
    expect(brief(evaluate(longer).decisions, 'spo2.critical')).toEqual([{ kind: 'raise', rule: 'spo2.critical', startedAt: 41, at: 101 }]);
  });

  it('uses the per-patient override instead of the profile default', () => {
    const overrides: RuleOverrides = { 'spo2.critical': { threshold: 80, durationSeconds: 30 } };
    expect(brief(evaluate(flat('spo2', 0, 120, 82), { overrides }).decisions, 'spo2.critical')).toEqual([]);
    expect(brief(evaluate(flat('spo2', 0, 31, 80), { overrides }).decisions, 'spo2.critical')).toEqual([
      { kind: 'raise', rule: 'spo2.critical', startedAt: 0, at: 30 },
    ]);
  });

  it('a disabled rule never raises', () => {
    const overrides: RuleOverrides = { 'pulse.high': { enabled: false } };
    expect(evaluate(flat('pulseRate', 0, 600, 150), { overrides }).decisions).toEqual([]);
  });
});

describe('runAfter: the last sample before the run (the run began after it)', () => {
  const after = (ds: RuleDecision[]) => ds.filter((d) => d.rule === 'spo2.critical').map((d) => [d.kind, d.runAfter === undefined ? null : (d.runAfter - T0) / S]);

  it('is the last sample that did not meet the rule, on the raise and on later updates', () => {
    const samples = [...flat('spo2', 0, 10, 95), ...flat('spo2', 40, 61, 84), ...flat('spo2', 101, 1, 80)];
    expect(after(evaluate(samples).decisions)).toEqual([
      ['raise', 9],
      ['update', 9],
    ]);
  });

  it('is the last sample before a gap, and absent when the window has none', () => {
    expect(after(evaluate([...flat('spo2', 0, 10, 84), ...flat('spo2', 200, 61, 84)]).decisions)).toEqual([['raise', 9]]);
    expect(after(evaluate(flat('spo2', 0, 61, 84)).decisions)).toEqual([['raise', null]]);
  });
});

describe('gaps: a window never bridges more than 2 minutes without samples', () => {
  it.each([
    ['gap of 121 s in the run: no raise', 121, []],
    ['gap of exactly 120 s: the run continues', 120, [{ kind: 'raise', rule: 'spo2.critical', startedAt: 0, at: 40 + 120 }]],
  ] as const)('%s', (_name, gap, expected) => {
    const samples = [...flat('spo2', 0, 41, 84), ...flat('spo2', 40 + gap, 21, 84)];
    expect(brief(evaluate(samples).decisions, 'spo2.critical')).toEqual(expected);
  });

  it('after a gap the duration is counted again from the first sample after it', () => {
    const samples = [...flat('spo2', 0, 50, 84), ...flat('spo2', 300, 61, 84)];
    expect(brief(evaluate(samples).decisions, 'spo2.critical')).toEqual([{ kind: 'raise', rule: 'spo2.critical', startedAt: 300, at: 360 }]);
  });

  it('a sparse run (one sample every 90 s) still meets the duration', () => {
    const samples = [0, 90, 180, 270, 360].map((s) => ({ at: T0 + s * S, values: { pulseRate: 130 }, signalOk: true }));
    expect(brief(evaluate(samples).decisions, 'pulse.high')).toEqual([{ kind: 'raise', rule: 'pulse.high', startedAt: 0, at: 360 }]);
  });
});

describe('signalOk = false samples are not counted', () => {
  it.each([
    ['one poor-signal sample inside a run does not break it', (s: RuleSample, i: number) => (i === 30 ? { ...s, values: { spo2: 99 }, signalOk: false } : s), 60],
    ['all samples poor signal: nothing', (s: RuleSample) => ({ ...s, signalOk: false }), null],
  ] as const)('%s', (_name, mutate, raiseAt) => {
    const samples = flat('spo2', 0, 61, 84).map(mutate);
    const raises = brief(evaluate(samples).decisions, 'spo2.critical');
    expect(raises).toEqual(raiseAt === null ? [] : [{ kind: 'raise', rule: 'spo2.critical', startedAt: 0, at: raiseAt }]);
  });

  it('more than 2 minutes of poor signal is a gap', () => {
    const samples = [
      ...flat('spo2', 0, 40, 84),
      ...flat('spo2', 40, 130, 84).map((s) => ({ ...s, signalOk: false })),
      ...flat('spo2', 170, 30, 84),
    ];
    expect(brief(evaluate(samples).decisions, 'spo2.critical')).toEqual([]);
  });
});

describe('hysteresis: clears after 2 minutes back on the safe side by at least 1 unit', () => {
  const raised = () => evaluate(flat('spo2', 0, 301, 90)); // spo2.low standard (< 92) raised at 300

  it.each([
    ['93 % (threshold + 1) for exactly 120 s clears', 93, 121, [{ kind: 'clear', rule: 'spo2.low', startedAt: 301, at: 421 }]],
    ['93 % for 119 s does not clear yet', 93, 120, []],
    ['92 % (on the safe side by less than 1) never clears', 92, 900, []],
  ] as const)('%s', (_name, value, count, expected) => {
    const { state } = raised();
    const { decisions } = evaluate(flat('spo2', 301, count, value), { state });
    expect(brief(decisions, 'spo2.low')).toEqual(expected);
  });

  it('a dip below the threshold restarts the clear window', () => {
    const { state } = raised();
    const samples = [...flat('spo2', 301, 100, 94), ...flat('spo2', 401, 1, 91), ...flat('spo2', 402, 120, 94)];
    expect(brief(evaluate(samples, { state }).decisions, 'spo2.low')).toEqual([]);
    const { decisions } = evaluate(flat('spo2', 522, 1, 94), { state });
    expect(brief(decisions, 'spo2.low')).toEqual([{ kind: 'clear', rule: 'spo2.low', startedAt: 402, at: 522 }]);
  });

  it('a value in the hysteresis band interrupts the clear window without raising', () => {
    const { state } = raised();
    const samples = [...flat('spo2', 301, 100, 94), ...flat('spo2', 401, 1, 92), ...flat('spo2', 402, 119, 94)];
    expect(brief(evaluate(samples, { state }).decisions, 'spo2.low')).toEqual([]);
  });

  it('the clear window does not bridge a gap either', () => {
    const { state } = raised();
    const samples = [...flat('spo2', 301, 60, 95), ...flat('spo2', 500, 60, 95)];
    expect(brief(evaluate(samples, { state }).decisions, 'spo2.low')).toEqual([]);
    expect(brief(evaluate(flat('spo2', 560, 61, 95), { state }).decisions, 'spo2.low')).toEqual([
      { kind: 'clear', rule: 'spo2.low', startedAt: 500, at: 620 },
    ]);
  });

  it.each([
    ['pulse.high clears at 119 /min', 'pulse.high', 150, 119, true],
    ['pulse.high stays at 120 /min', 'pulse.high', 150, 120, false],
    ['pulse.low clears at 46 /min', 'pulse.low', 40, 46, true],
    ['pulse.low stays at 45 /min', 'pulse.low', 40, 45, false],
  ] as const)('%s', (_name, rule, bad, good, clears) => {
    const { state } = evaluate(flat('pulseRate', 0, 301, bad));
    const { decisions } = evaluate(flat('pulseRate', 301, 121, good), { state });
    expect(brief(decisions, rule).map((d) => d.kind)).toEqual(clears ? ['clear'] : []);
  });
});

describe('episodes: worse values, new occurrences', () => {
  it('reports a worse value (by at least 1 unit) as an update, not a new raise', () => {
    const samples = [...flat('spo2', 0, 61, 85), ...flat('spo2', 61, 5, 84.5), ...flat('spo2', 66, 5, 83), ...flat('spo2', 71, 5, 84)];
    const ds = evaluate(samples).decisions.filter((d) => d.rule === 'spo2.critical');
    expect(ds.map((d) => [d.kind, d.value])).toEqual([
      ['raise', 85],
      ['update', 83],
    ]);
  });

  it('a second run after a gap without a clear raises again (a new occurrence)', () => {
    const samples = [...flat('spo2', 0, 61, 84), ...flat('spo2', 300, 61, 84)];
    expect(brief(evaluate(samples).decisions, 'spo2.critical')).toEqual([
      { kind: 'raise', rule: 'spo2.critical', startedAt: 0, at: 60 },
      { kind: 'raise', rule: 'spo2.critical', startedAt: 300, at: 360 },
    ]);
  });

  it('spo2.critical and spo2.low are separate rules on the same samples', () => {
    const rules = evaluate(flat('spo2', 0, 301, 84)).decisions.map((d) => `${d.kind} ${d.rule}`);
    expect(rules).toEqual(['raise spo2.critical', 'raise spo2.low']);
  });
});

describe('spo2.high_on_o2 (hypercapnic patients on oxygen, NEWS2 scale 2)', () => {
  it.each([
    ['hypercapnic on oxygen, 97 % for exactly 10 min', 'hypercapnic', { o2Flow: 2 }, 97, 601, ['raise']],
    ['hypercapnic on oxygen, 97 % one second short', 'hypercapnic', { o2Flow: 2 }, 97, 600, []],
    ['hypercapnic on oxygen, 96 % never', 'hypercapnic', { o2Flow: 2 }, 96, 900, []],
    ['hypercapnic without oxygen (o2Flow 0)', 'hypercapnic', { o2Flow: 0 }, 99, 900, []],
    ['hypercapnic, oxygen not reported', 'hypercapnic', {}, 99, 900, []],
    ['standard profile: off by default', 'standard', { o2Flow: 2 }, 99, 900, []],
  ] as const)('%s', (_name, profile, extra, value, count, kinds) => {
    const ds = evaluate(flat('spo2', 0, count, value, extra), { profile }).decisions.filter((d) => d.rule === 'spo2.high_on_o2');
    expect(ds.map((d) => d.kind)).toEqual(kinds);
  });

  it('carries the oxygen flow forward from an earlier sample, and scores NEWS2 on scale 2', () => {
    const samples = [...flat('spo2', 0, 1, 97, { o2Flow: 1 }), ...flat('spo2', 1, 600, 98)];
    const d = evaluate(samples, { profile: 'hypercapnic' }).decisions.find((x) => x.rule === 'spo2.high_on_o2');
    expect(d).toMatchObject({ kind: 'raise', news2Spo2Score: 3 });
  });

  it('is assumed on oxygen when the physician says so', () => {
    const overrides: RuleOverrides = { 'spo2.high_on_o2': { assumeOnOxygen: true } };
    const ds = evaluate(flat('spo2', 0, 601, 98), { profile: 'hypercapnic', overrides }).decisions;
    expect(ds.map((d) => d.rule)).toEqual(['spo2.high_on_o2']);
  });

  it('clears when the oxygen is turned off', () => {
    const { state } = evaluate(flat('spo2', 0, 601, 98, { o2Flow: 2 }), { profile: 'hypercapnic' });
    const { decisions } = evaluate(flat('spo2', 601, 121, 98, { o2Flow: 0 }), { profile: 'hypercapnic', state });
    expect(brief(decisions, 'spo2.high_on_o2').map((d) => d.kind)).toEqual(['clear']);
  });
});
