import { describe, expect, it } from '@jest/globals';
import { therapyDayOf } from '#domain';
import { playScenarioHistory } from '../scenarios/scenario-run.js';
import { oxygenAdherenceTripped } from '../scenarios/rule-checks.js';

const NOW = Date.parse('2026-11-23T14:00:00.000Z');
const SUMMER = Date.parse('2026-07-10T14:00:00.000Z');

/** Hours of oxygen per therapy day (Paris), from the sessions as the backend parsed them. */
function hoursPerDay(sessions: { start: number; end: number; values: { o2UsageHours?: number } }[]) {
  const out = new Map<string, number>();
  for (const s of sessions) {
    const day = therapyDayOf(s.start, 'Europe/Paris');
    expect(therapyDayOf(s.end - 1, 'Europe/Paris')).toBe(day); // a session never straddles a therapy-day boundary
    out.set(day, (out.get(day) ?? 0) + s.values.o2UsageHours!);
  }
  return out;
}

describe('the concentrator (long-term oxygen)', () => {
  it.each([NOW, SUMMER])('an adherent patient breathes 16–18 h of oxygen on every therapy day (now %d)', (now) => {
    const data = playScenarioHistory({ scenario: 'oxygen-adherent', seed: 3, now, devices: ['concentrator'] });
    expect(data.rejected).toEqual([]);
    const days = hoursPerDay(data.sessions);
    expect(days.size).toBeGreaterThanOrEqual(8);
    for (const h of days.values()) {
      expect(h).toBeGreaterThanOrEqual(16);
      expect(h).toBeLessThanOrEqual(18);
    }
    // a flow sample per minute of use at the prescribed 2 L/min; each session's mean is its samples'
    const flows = data.samples.map((s) => s.values.o2Flow!);
    expect(Math.min(...flows)).toBeGreaterThan(1.7);
    expect(Math.max(...flows)).toBeLessThan(2.3);
    for (const s of data.sessions) expect(s.values.o2FlowMean).toBeCloseTo(2, 1);
    expect(oxygenAdherenceTripped(data.sessions)).toBe(false);
  });

  it('an under-using patient breathes 9–12 h a day, in one overnight session', () => {
    const data = playScenarioHistory({ scenario: 'oxygen-underuse', seed: 3, now: NOW, devices: ['concentrator'] });
    const days = hoursPerDay(data.sessions);
    for (const h of days.values()) expect(h).toBeLessThan(12.01);
    expect(data.sessions.length).toBe(days.size);
    expect(oxygenAdherenceTripped(data.sessions)).toBe(true);
  });

  it('sends sessions only with the fields of a concentrator session', () => {
    const data = playScenarioHistory({ scenario: 'oxygen-adherent', seed: 4, now: NOW, devices: ['concentrator'] });
    for (const s of data.sessions) expect(Object.keys(s.values).sort()).toEqual(['o2FlowMean', 'o2UsageHours']);
  });
});
