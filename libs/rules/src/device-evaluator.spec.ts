import { describe, expect, it } from '@jest/globals';
import { evaluateDeviceSamples, lookbackMs, newDeviceState, restoreDeviceState } from './device-evaluator.js';
import { effectiveSettings, type PointRuleId } from './parameters.js';
import type { RuleSample } from './point-rules.js';

const T0 = Date.UTC(2026, 10, 23, 3, 0, 0);
const S = 1000;
const settings = effectiveSettings('standard', null);

const flat = (from: number, count: number, spo2: number): RuleSample[] =>
  Array.from({ length: count }, (_, i) => ({ at: T0 + (from + i) * S, values: { spo2 }, signalOk: true }));

const kinds = (ds: { kind: string; rule: string; late?: boolean; startedAt: number }[]) =>
  ds.map((d) => `${d.kind} ${d.rule}${d.late ? ' late' : ''} @${(d.startedAt - T0) / S}`);

/** Deterministic shuffle (no Math.random in tests that must fail reproducibly). */
function shuffle<T>(xs: T[], seed = 7): T[] {
  const out = [...xs];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2147483648;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

describe('out-of-order input', () => {
  it.each([
    ['ascending', (xs: RuleSample[]) => xs],
    ['descending', (xs: RuleSample[]) => [...xs].reverse()],
    ['shuffled', (xs: RuleSample[]) => shuffle(xs)],
  ])('a batch in %s order gives the same decisions', (_name, order) => {
    const samples = [...flat(0, 61, 84), ...flat(61, 130, 95)];
    const ds = evaluateDeviceSamples(newDeviceState(), order(samples), settings, 'standard');
    expect(kinds(ds)).toEqual(['raise spo2.critical @0', 'clear spo2.critical @61']);
  });

  it('messages of a device committed in another order (two ingest connections) give the result of sorted input', () => {
    const messages = [flat(0, 90, 84), flat(90, 100, 95), flat(190, 30, 95)];
    for (const order of [[0, 1, 2], [0, 2, 1], [1, 0, 2], [2, 1, 0], [1, 2, 0]]) {
      const state = newDeviceState();
      const ds = order.flatMap((i) => evaluateDeviceSamples(state, messages[i]!, settings, 'standard'));
      expect({ order, decisions: kinds(ds) }).toEqual({ order, decisions: ['raise spo2.critical @0', 'clear spo2.critical @90'] });
    }
  });

  it('a late message that breaks a run already raised keeps the alert until a clear', () => {
    const state = newDeviceState();
    expect(kinds(evaluateDeviceSamples(state, [...flat(0, 30, 84), ...flat(31, 40, 84)], settings, 'standard'))).toEqual(['raise spo2.critical @0']);
    // Sample 30 arrives late and is normal: the run is broken in hindsight, but the alert stays open.
    expect(evaluateDeviceSamples(state, flat(30, 1, 97), settings, 'standard')).toEqual([]);
    expect(kinds(evaluateDeviceSamples(state, flat(71, 121, 97), settings, 'standard'))).toEqual(['clear spo2.critical @71']);
  });

  it('a replay never repeats a raise, an update or a clear already decided', () => {
    const state = newDeviceState();
    const first = evaluateDeviceSamples(state, [...flat(0, 61, 84), ...flat(61, 10, 80), ...flat(71, 121, 97)], settings, 'standard');
    expect(first.map((d) => d.kind)).toEqual(['raise', 'update', 'clear']);
    expect(evaluateDeviceSamples(state, flat(-5, 5, 84), settings, 'standard')).toEqual([]); // earlier samples, within the window
  });

  it('a backlog uploaded hours late raises the episode it contains, on its own timestamps', () => {
    const state = newDeviceState();
    // Live data first (normal), then the device uploads what it recorded 3 hours earlier.
    expect(evaluateDeviceSamples(state, flat(4 * 3600, 600, 96), settings, 'standard')).toEqual([]);
    const backlog = [...flat(3600, 400, 89), ...flat(4000, 200, 96)];
    const ds = evaluateDeviceSamples(state, backlog, settings, 'standard');
    expect(kinds(ds)).toEqual(['raise spo2.low late @3600', 'clear spo2.low late @4000']);
    expect(ds[0]!.at).toBe(T0 + 3900 * S);
  });

  it('a backlog split over several batches keeps its window across them', () => {
    const state = newDeviceState();
    evaluateDeviceSamples(state, flat(10_000, 10, 97), settings, 'standard');
    expect(evaluateDeviceSamples(state, flat(100, 40, 84), settings, 'standard')).toEqual([]);
    expect(kinds(evaluateDeviceSamples(state, flat(140, 30, 84), settings, 'standard'))).toEqual(['raise spo2.critical late @100']);
  });

  it('the late windows do not disturb the live ones', () => {
    const state = newDeviceState();
    evaluateDeviceSamples(state, flat(1000, 50, 84), settings, 'standard'); // live run, 49 s so far
    evaluateDeviceSamples(state, flat(0, 30, 97), settings, 'standard'); // late, normal
    expect(kinds(evaluateDeviceSamples(state, flat(1050, 11, 84), settings, 'standard'))).toEqual(['raise spo2.critical @1000']);
  });
});

describe('duplicates', () => {
  it('a batch delivered twice decides once', () => {
    const state = newDeviceState();
    const batch = flat(0, 61, 84);
    expect(evaluateDeviceSamples(state, batch, settings, 'standard')).toHaveLength(1);
    expect(evaluateDeviceSamples(state, batch, settings, 'standard')).toEqual([]);
  });

  it('a duplicate inside one batch counts once', () => {
    const samples = flat(0, 60, 84);
    const ds = evaluateDeviceSamples(newDeviceState(), [...samples, samples[59]!], settings, 'standard');
    expect(ds).toEqual([]);
  });
});

describe('restoring a device after a restart', () => {
  const recent = flat(0, 50, 84); // a run of 49 s when the process stopped

  it('continues a run that was in progress: the next samples complete the duration', () => {
    const state = restoreDeviceState(recent, settings, 'standard', new Set());
    expect(kinds(evaluateDeviceSamples(state, flat(50, 11, 84), settings, 'standard'))).toEqual(['raise spo2.critical @0']);
  });

  it('does not raise again a run whose alert is already open', () => {
    const samples = flat(0, 100, 84);
    const state = restoreDeviceState(samples, settings, 'standard', new Set<PointRuleId>(['spo2.critical']));
    expect(evaluateDeviceSamples(state, flat(100, 10, 84), settings, 'standard')).toEqual([]);
  });

  it('raises a run that met its duration but was never persisted (stopped in between)', () => {
    const state = restoreDeviceState(flat(0, 100, 84), settings, 'standard', new Set());
    expect(kinds(evaluateDeviceSamples(state, flat(100, 1, 84), settings, 'standard'))).toEqual(['raise spo2.critical @0']);
  });

  it('clears an open alert once the restored and the new safe samples make 2 minutes', () => {
    const state = restoreDeviceState(flat(0, 60, 95), settings, 'standard', new Set<PointRuleId>(['spo2.critical']));
    expect(kinds(evaluateDeviceSamples(state, flat(60, 61, 95), settings, 'standard'))).toEqual(['clear spo2.critical @0']);
  });

  it('recognises a redelivered message among the restored samples', () => {
    const state = restoreDeviceState(recent, settings, 'standard', new Set());
    expect(evaluateDeviceSamples(state, recent.slice(10, 40), settings, 'standard')).toEqual([]);
  });

  it('reads back far enough for the longest window', () => {
    expect(lookbackMs(settings)).toBe(15 * 60_000);
    const long = effectiveSettings('standard', { 'pulse.high': { durationSeconds: 3600 } });
    expect(lookbackMs(long)).toBe((3600 + 240) * 1000);
  });
});
