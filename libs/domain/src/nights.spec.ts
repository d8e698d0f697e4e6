import { describe, expect, it } from '@jest/globals';
import { mergeSessions, planNights, type VentilationSession } from './nights.js';

const H = 3_600_000;
const D = Date.UTC(2026, 10, 22);

function session(startH: number, endH: number, over: Partial<VentilationSession> = {}): VentilationSession {
  return {
    start: D + startH * H,
    end: D + endH * H,
    usageHours: endH - startH,
    leakP95: 20,
    ahi: 3,
    respRateMedian: 16,
    tidalVolumeMedian: 450,
    minuteVentilationMedian: 7,
    triggeredBreathsPct: 60,
    ...over,
  };
}

describe('mergeSessions', () => {
  it('keeps a single session as it is', () => {
    const s = session(22, 30);
    expect(mergeSessions([s])).toEqual({ ...s, sessions: 1 });
  });

  it('adds usage, keeps the worst leak and weighs the medians by usage', () => {
    // 3 h with AHI 2 and 5 h with AHI 6: (3*2 + 5*6) / 8 = 4.5.
    const merged = mergeSessions([
      session(22, 25, { ahi: 2, leakP95: 30, respRateMedian: 14 }),
      session(26, 31, { ahi: 6, leakP95: 12, respRateMedian: 18 }),
    ]);
    expect(merged).toMatchObject({ start: D + 22 * H, end: D + 31 * H, sessions: 2, usageHours: 8, leakP95: 30, ahi: 4.5 });
    expect(merged.respRateMedian).toBeCloseTo((3 * 14 + 5 * 18) / 8, 9);
  });

  it.each([
    ['unknown usage: plain mean', [session(22, 24, { usageHours: null, ahi: 2 }), session(25, 27, { ahi: 6 })], { ahi: 4, usageHours: 2 }],
    ['a field missing in one session uses the other', [session(22, 24, { ahi: null }), session(25, 27, { ahi: 6 })], { ahi: 6 }],
    ['all missing: null', [session(22, 24, { leakP95: null, ahi: null })], { leakP95: null, ahi: null }],
  ] as [string, VentilationSession[], Partial<VentilationSession>][])('%s', (_name, sessions, expected) => {
    expect(mergeSessions(sessions)).toMatchObject(expected);
  });
});

describe('planNights', () => {
  const defaults = ['2026-11-20', '2026-11-21', '2026-11-22'].map((night, i) => ({
    night,
    start: D + (i - 2) * 24 * H + 19 * H,
    end: D + (i - 2) * 24 * H + 31 * H,
  }));

  it('uses the sessions window when the night has sessions, the default window otherwise', () => {
    const plan = planNights(defaults, [
      { ...session(-24 + 22.5, -24 + 30), night: '2026-11-21' },
      { ...session(-24 + 31, -24 + 32), night: '2026-11-21' },
      { ...session(100, 108), night: '2026-11-30' },
    ]);
    expect(plan.map((n) => [n.night, n.source])).toEqual([
      ['2026-11-20', 'default'],
      ['2026-11-21', 'session'],
      ['2026-11-22', 'default'],
    ]);
    expect(plan[0]).toMatchObject({ start: defaults[0]!.start, end: defaults[0]!.end, ventilation: null });
    expect(plan[1]).toMatchObject({ start: D - 1.5 * H, end: D + 8 * H, ventilation: { sessions: 2, usageHours: 8.5 } });
  });
});
