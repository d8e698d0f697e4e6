import { describe, expect, it } from '@jest/globals';
import { DAY_MS } from '../generators/night-plan.js';
import { longestRunMs, trippedRules } from './rule-checks.js';
import { SCENARIO_IDS, SCENARIOS } from './scenario-catalogue.js';
import { playScenarioHistory } from './scenario-run.js';

const NOW = Date.parse('2026-11-23T14:00:00.000Z');
const SEEDS = [1, 2, 2026];

describe('each scenario trips exactly the rules it is named for (reference checks, accelerated history)', () => {
  it.each(SCENARIO_IDS.flatMap((id) => SEEDS.map((seed) => [id, seed] as const)))('%s (seed %d)', (scenario, seed) => {
    const data = playScenarioHistory({ scenario, seed, now: NOW });
    expect(data.messageRejections).toEqual([]);
    expect(data.rejected).toEqual([]);
    expect(data.samples.length + data.sessions.length).toBeGreaterThan(0);
    const tripped = trippedRules({ profile: data.profile, samples: data.samples, sessions: data.sessions, now: NOW });
    expect([...tripped].sort()).toEqual([...SCENARIOS[scenario].expectedRules].sort());
  });

  it.each(['nocturnal-desaturation', 'sustained-hypoxaemia', 'critical-drop', 'tachycardia', 'bradycardia'] as const)(
    '%s trips with the other profile too',
    (scenario) => {
      const profile = SCENARIOS[scenario].profile === 'hypercapnic' ? 'standard' : 'hypercapnic';
      const data = playScenarioHistory({ scenario, seed: 7, now: NOW, profile });
      const tripped = trippedRules({ profile, samples: data.samples, sessions: data.sessions, now: NOW });
      expect([...tripped].sort()).toEqual([...SCENARIOS[scenario].expectedRules].sort());
    },
  );

  it('the desaturation holds ≥ 5 min below 88 % with no gap over 2 min, and never reaches the critical level', () => {
    const data = playScenarioHistory({ scenario: 'nocturnal-desaturation', seed: 11, now: NOW });
    expect(longestRunMs(data.samples, 'spo2', (s) => s.values.spo2! < 88)).toBeGreaterThanOrEqual(5 * 60_000);
    expect(longestRunMs(data.samples, 'spo2', (s) => s.values.spo2! <= 83)).toBe(0);
  });

  it('after the offline night the device sends its current message, then the backlog oldest first', () => {
    const data = playScenarioHistory({ scenario: 'offline-backlog', seed: 5, now: NOW });
    const types = data.events.map((e) => e.type);
    const off = types.indexOf('disconnect');
    const on = types.indexOf('reconnect');
    expect(off).toBeGreaterThanOrEqual(0);
    expect(on - off).toBe(1);
    const reconnect = data.events[on] as { at: number };
    expect(reconnect.at).toBe(NOW - 3_600_000);
    const after = data.events.slice(on + 1).flatMap((e) => (e.type === 'publish' ? [e] : []));
    const [current, ...rest] = after;
    const backlog = rest.filter((e) => e.sendAt === current!.sendAt);
    expect(current!.firstAt).toBeGreaterThanOrEqual(reconnect.at - 30_000);
    expect(backlog.length).toBeGreaterThanOrEqual(2);
    // everything recorded while offline (and not sent before) is in the backlog, oldest first
    const offlineFrom = NOW - 9 * 3_600_000;
    expect(Math.min(...backlog.map((e) => e.firstAt))).toBeLessThanOrEqual(offlineFrom);
    expect(Math.max(...backlog.map((e) => e.lastAt))).toBeLessThan(current!.firstAt);
    expect(backlog.reduce((n, e) => n + e.sampleCount, 0)).toBeGreaterThanOrEqual(
      data.samples.filter((s) => s.at >= offlineFrom && s.at < reconnect.at).length,
    );
    const firsts = backlog.map((e) => e.firstAt);
    expect(firsts).toEqual([...firsts].sort((a, b) => a - b));
  });

  it('the silent device stops more than 24 h before now and says so', () => {
    const data = playScenarioHistory({ scenario: 'device-silent', seed: 5, now: NOW });
    expect(data.events[data.events.length - 1]).toEqual({ type: 'silent', at: NOW - DAY_MS - 3_600_000 });
    expect(Math.max(...data.samples.map((s) => s.at))).toBeLessThan(NOW - DAY_MS);
  });

  it('clock skew shifts every timestamp by 4 minutes ahead, all within the tolerance', () => {
    const skewed = playScenarioHistory({ scenario: 'clock-skew', seed: 5, now: NOW });
    const plain = playScenarioHistory({ scenario: 'stable', seed: 5, now: NOW, devices: ['oximeter'] });
    expect(skewed.samples[0]!.at - plain.samples[0]!.at).toBe(4 * 60_000);
  });
});
