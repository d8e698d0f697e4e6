import { describe, expect, it } from '@jest/globals';
import { countDesaturations, sampleWeightsMs, summarizeOximetry, typicalIntervalMs, type TimedValue } from './oximetry.js';

const T0 = Date.UTC(2026, 10, 22, 22, 0, 0);

/** Samples every `stepS` seconds: [value, count] segments, optional [null, seconds] gaps. */
function series(segments: [number | null, number][], stepS = 1): TimedValue[] {
  const out: TimedValue[] = [];
  let t = T0;
  for (const [value, n] of segments) {
    if (value === null) {
      t += n * 1000;
      continue;
    }
    for (let i = 0; i < n; i++) {
      out.push({ at: t, value });
      t += stepS * 1000;
    }
  }
  return out;
}

describe('summarizeOximetry (values worked out by hand)', () => {
  it.each<[string, TimedValue[], { mean: number; min: number; t90Pct: number; desaturations: number; recordedS: number }]>([
    ['steady 95 %, 10 min', series([[95, 600]]), { mean: 95, min: 95, t90Pct: 0, desaturations: 0, recordedS: 600 }],
    // (300*95 + 60*85 + 240*95) / 600 = 94; 60 s of 600 below 90.
    ['one 60 s dip to 85 %', series([[95, 300], [85, 60], [95, 240]]), { mean: 94, min: 85, t90Pct: 10, desaturations: 1, recordedS: 600 }],
    ['a 9 s dip is too short', series([[95, 300], [91, 9], [95, 291]]), { mean: 95 - 36 / 600, min: 91, t90Pct: 0, desaturations: 0, recordedS: 600 }],
    ['a 10 s dip of exactly 3 points counts', series([[95, 300], [92, 10], [95, 290]]), { mean: 95 - 30 / 600, min: 92, t90Pct: 0, desaturations: 1, recordedS: 600 }],
    ['a 2-point dip is not a desaturation', series([[95, 300], [93, 60], [95, 240]]), { mean: 95 - 120 / 600, min: 93, t90Pct: 0, desaturations: 0, recordedS: 600 }],
    ['no desaturation before 60 s of baseline', series([[95, 30], [85, 20], [95, 550]]), { mean: 95 - 200 / 600, min: 85, t90Pct: (100 * 20) / 600, desaturations: 0, recordedS: 600 }],
    ['two dips', series([[95, 120], [88, 15], [95, 120], [88, 15], [95, 330]]), { mean: 95 - 210 / 600, min: 88, t90Pct: 5, desaturations: 2, recordedS: 600 }],
    // The 10-minute gap is not recording time (150 s recorded) and restarts the baseline.
    ['a gap restarts the baseline', series([[95, 120], [null, 600], [85, 30]]), { mean: (120 * 95 + 30 * 85) / 150, min: 85, t90Pct: 20, desaturations: 0, recordedS: 150 }],
    // 0.25 Hz: 150 samples of 4 s; the dip is 5 samples = 20 s.
    ['a slower oximeter (one sample every 4 s)', series([[95, 75], [85, 5], [95, 70]], 4), { mean: 95 - 50 / 150, min: 85, t90Pct: (100 * 20) / 600, desaturations: 1, recordedS: 600 }],
    ['a dip still going at the end of the record', series([[95, 300], [85, 30]]), { mean: (300 * 95 + 30 * 85) / 330, min: 85, t90Pct: (100 * 30) / 330, desaturations: 1, recordedS: 330 }],
  ])('%s', (_name, samples, expected) => {
    const s = summarizeOximetry(samples);
    expect(s.samples).toBe(samples.length);
    expect(s.mean).toBeCloseTo(expected.mean, 9);
    expect(s.min).toBe(expected.min);
    expect(s.t90Pct).toBeCloseTo(expected.t90Pct, 9);
    expect(s.desaturations).toBe(expected.desaturations);
    expect(s.recordedHours * 3600).toBeCloseTo(expected.recordedS, 6);
    expect(s.odi).toBeCloseTo(expected.desaturations / (expected.recordedS / 3600), 9);
  });

  it('returns nulls for an empty night', () => {
    expect(summarizeOximetry([])).toEqual({ samples: 0, recordedHours: 0, mean: null, min: null, t90Pct: null, odi: null, desaturations: 0 });
  });

  it('freezes the baseline during a desaturation (a long dip stays one event)', () => {
    // 120 s at 96, then 5 minutes at 92: one event, not a new one per baseline window.
    expect(countDesaturations(series([[96, 120], [92, 300], [96, 120]]))).toBe(1);
  });

  it('keeps desaturated samples out of the baseline (the next dip is measured from the true baseline)', () => {
    // After a long dip to 88 and 70 s back at 95, a dip to 92 is 3 below the 95 baseline (with the
    // dip's samples in the window, the baseline would be ~91 and the second dip would not count).
    expect(countDesaturations(series([[95, 120], [88, 200], [95, 70], [92, 15], [95, 60]]))).toBe(2);
  });

  it.each([
    [[], 1000],
    [series([[95, 1]]), 1000],
    [series([[95, 10]], 4), 4000],
    [series([[95, 5], [null, 100], [95, 5]]), 1000],
  ] as [TimedValue[], number][])('typical interval of %# is %d ms', (samples, expected) => {
    expect(typicalIntervalMs(samples)).toBe(expected);
  });

  it('weighs each sample by the time to the next one, capped at twice the typical interval', () => {
    const s: TimedValue[] = [0, 1000, 2000, 3500, 10_000, 11_000].map((at) => ({ at, value: 95 }));
    expect(sampleWeightsMs(s)).toEqual([1000, 1000, 1500, 1000, 1000, 1000]);
  });
});
