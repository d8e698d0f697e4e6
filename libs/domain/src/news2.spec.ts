import { describe, expect, it } from '@jest/globals';
import { news2Spo2Score } from './news2.js';

// NEWS2 (Royal College of Physicians, 2017), SpO2 sub-score: every band edge, on both sides.
describe('news2Spo2Score, scale 1 (standard profile)', () => {
  it.each([
    [80, 3],
    [91, 3],
    [91.5, 2], // not ≤ 91
    [92, 2],
    [93, 2],
    [94, 1],
    [95, 1],
    [96, 0],
    [100, 0],
  ] as const)('SpO2 %d %% scores %d, on air and on oxygen alike', (spo2, score) => {
    expect(news2Spo2Score(spo2, 'standard', false)).toBe(score);
    expect(news2Spo2Score(spo2, 'standard', true)).toBe(score);
  });
});

describe('news2Spo2Score, scale 2 (hypercapnic profile, target 88–92 %)', () => {
  // [SpO2, on air, on oxygen]: above 92 % only oxygen scores (hyperoxia risk).
  it.each([
    [80, 3, 3],
    [83, 3, 3],
    [84, 2, 2],
    [85, 2, 2],
    [86, 1, 1],
    [87, 1, 1],
    [88, 0, 0],
    [92, 0, 0],
    [93, 0, 1],
    [94, 0, 1],
    [95, 0, 2],
    [96, 0, 2],
    [97, 0, 3],
    [100, 0, 3],
  ] as const)('SpO2 %d %% scores %d on air, %d on oxygen', (spo2, onAir, onOxygen) => {
    expect(news2Spo2Score(spo2, 'hypercapnic', false)).toBe(onAir);
    expect(news2Spo2Score(spo2, 'hypercapnic', true)).toBe(onOxygen);
  });
});
