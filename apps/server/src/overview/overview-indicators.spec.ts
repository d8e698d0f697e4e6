import { describe, expect, it } from '@jest/globals';
import { nightIndicators } from './overview-indicators.js';

const night = (o: Partial<Parameters<typeof nightIndicators>[0][number]> = {}) => ({
  sessions: 0,
  usageHours: null,
  leakP95: null,
  ahi: null,
  spo2Mean: null,
  oximetryHours: 0,
  ...o,
});

describe('nightIndicators (population view, 7 nights)', () => {
  it('is all null without data, not 0', () => {
    expect(nightIndicators(Array.from({ length: 7 }, () => night()))).toEqual({
      adherence7d: null,
      usageHours7d: null,
      leak7d: null,
      ahi7d: null,
      spo2NightMean7d: null,
    });
    expect(nightIndicators([]).adherence7d).toBeNull();
  });

  it('counts nights without a session as 0 h once there is ventilation, and ≥ 4 h as adherent', () => {
    const nights = [
      night({ sessions: 1, usageHours: 6, leakP95: 20, ahi: 4 }),
      night({ sessions: 1, usageHours: 4, leakP95: 30, ahi: null }),
      night({ sessions: 1, usageHours: 3.99, leakP95: null, ahi: 8 }),
      night(),
      night(),
      night(),
      night(),
    ];
    // 2 of 7 nights ≥ 4 h → 28.6 %; (6 + 4 + 3.99) / 7 = 1.998…; leak (20 + 30) / 2; AHI (4 + 8) / 2.
    expect(nightIndicators(nights)).toEqual({ adherence7d: 28.6, usageHours7d: 2, leak7d: 25, ahi7d: 6, spo2NightMean7d: null });
  });

  it('weights each night’s SpO2 mean by its hours of oximetry', () => {
    const r = nightIndicators([night({ spo2Mean: 90, oximetryHours: 1 }), night({ spo2Mean: 94, oximetryHours: 3 }), night({ spo2Mean: 50, oximetryHours: 0 })]);
    expect(r.spo2NightMean7d).toBe(93);
    expect(r.adherence7d).toBeNull();
  });
});
