import { describe, expect, it } from '@jest/globals';
import { effectiveSettings } from './parameters.js';
import type { RuleSample } from './point-rules.js';
import { AlertLedger, countByRule, ledgerOf, PointRulesReplay } from './replay.js';
import { evaluateDeviceSamples, evaluateSortedSamples, newDeviceState } from './device-evaluator.js';

const T = Date.UTC(2026, 10, 2, 8);
function run(segments: [number, number][], start = T): RuleSample[] {
  const out: RuleSample[] = [];
  let t = start;
  for (const [spo2, seconds] of segments) for (let i = 0; i < seconds; i++, t += 1000) out.push({ at: t, values: { spo2, pulseRate: 80 }, signalOk: true });
  return out;
}
const data = run([
  [95, 60],
  [86, 400],
  [95, 200],
  [85, 400],
  [95, 200],
]);

function replay(chunk: number, threshold?: number) {
  const settings = effectiveSettings('hypercapnic', threshold === undefined ? {} : { 'spo2.low': { threshold } });
  const r = new PointRulesReplay(settings, 'hypercapnic');
  for (let i = 0; i < data.length; i += chunk) r.feed('ox-1', data.slice(i, i + chunk));
  return ledgerOf(r.finish());
}

describe('replay of stored samples through the point rules', () => {
  it.each([1, 7, 100, 5000])('does not depend on the chunking (chunks of %i samples)', (chunk) => {
    const alerts = replay(chunk);
    expect(alerts.map((a) => [a.rule, a.startedAt])).toEqual([
      ['spo2.low', T + 60_000],
      ['spo2.low', T + 660_000],
    ]);
    // Raised once the run lasted 300 s: at its 301st sample.
    expect(alerts[0]!.at).toBe(T + 360_000);
  });

  it('a lower threshold raises fewer alerts', () => {
    expect(countByRule(replay(100, 86), ['spo2.low', 'spo2.critical'])).toEqual({ 'spo2.low': 1, 'spo2.critical': 0 });
  });

  it('sample by sample (feedSample, one reused sample object) decides what feed decides', () => {
    const settings = effectiveSettings('hypercapnic', {});
    const batched = new PointRulesReplay(settings, 'hypercapnic');
    batched.feed('ox-1', data);
    const one = new PointRulesReplay(settings, 'hypercapnic');
    const reused: RuleSample = { at: 0, values: {}, signalOk: true };
    for (const s of data) {
      reused.at = s.at;
      reused.values = { ...s.values };
      reused.signalOk = s.signalOk;
      one.feedSample('ox-1', reused);
    }
    // Two raises and their clears.
    expect(batched.finish()).toHaveLength(4);
    expect(one.finish()).toEqual(batched.finish());
  });

  it('counts a disabled rule as none', () => {
    const r = new PointRulesReplay(effectiveSettings('hypercapnic', { 'spo2.low': { enabled: false } }), 'hypercapnic');
    r.feed('ox-1', data);
    expect(ledgerOf(r.finish())).toEqual([]);
  });
});

describe('AlertLedger', () => {
  const base = { severity: 'warning' as const, value: 1, threshold: 1, message: '', news2Spo2Score: null };
  it.each([
    ['the same episode twice is one alert', [{ kind: 'raise', startedAt: 1, at: 10 }, { kind: 'raise', startedAt: 1, at: 20 }], 1],
    ['a new episode while active is an occurrence (counted)', [{ kind: 'raise', startedAt: 1, at: 10 }, { kind: 'raise', startedAt: 50, at: 60 }], 2],
    ['a clear then a raise is a second alert', [{ kind: 'raise', startedAt: 1, at: 10 }, { kind: 'clear', startedAt: 11, at: 30 }, { kind: 'raise', startedAt: 1, at: 40 }], 2],
    ['a clear older than the last trigger clears nothing', [{ kind: 'raise', startedAt: 1, at: 10 }, { kind: 'clear', startedAt: 2, at: 5 }, { kind: 'raise', startedAt: 1, at: 40 }], 1],
  ] as const)('%s', (_name, decisions, expected) => {
    const ledger = new AlertLedger();
    for (const d of decisions) ledger.apply({ ...base, rule: 'pulse.high', ...d });
    expect(ledger.alerts.length).toBe(expected);
  });

  it('a night rule re-raised night after night over overlapping nights is one alert', () => {
    const ledger = new AlertLedger();
    const day = 86_400_000;
    for (let n = 0; n < 5; n++) ledger.apply({ ...base, rule: 'niv.leak', kind: 'raise', startedAt: T + n * day, at: T + (n + 3) * day });
    expect(ledger.alerts.length).toBe(1);
  });
});

describe('evaluateSortedSamples: the live evaluator on sorted input', () => {
  it('decides exactly what evaluateDeviceSamples decides on the same samples, whatever the batches', () => {
    // Desaturations, tachycardias, a gap and poor-signal samples, in 1 Hz samples.
    const list: RuleSample[] = [];
    for (let i = 0; i < 20_000; i++) {
      if (i >= 9000 && i < 9200) continue; // a 200 s gap
      const spo2 = i % 3000 < 700 ? 80 + (i % 5) : 93 + (i % 3);
      const pulseRate = i % 4100 < 500 ? 130 + (i % 4) : 70 + (i % 9);
      list.push({ at: T + i * 1000, values: { spo2, pulseRate }, signalOk: i % 97 !== 0 });
    }
    const settings = effectiveSettings('standard', {});
    const live = newDeviceState();
    const sorted = newDeviceState();
    const a = [];
    const b = [];
    for (let i = 0; i < list.length; i += 100) a.push(...evaluateDeviceSamples(live, list.slice(i, i + 100), settings, 'standard'));
    for (let i = 0; i < list.length; i += 7000) b.push(...evaluateSortedSamples(sorted, list.slice(i, i + 7000), settings, 'standard'));
    expect(a.length).toBeGreaterThan(10);
    expect(b).toEqual(a);
  });
});
