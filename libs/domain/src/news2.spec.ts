import { describe, expect, it } from '@jest/globals';
import { news2ForAlert, news2PulseScore, news2Spo2Score } from './news2.js';

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

describe('news2PulseScore: every band edge', () => {
  it.each([
    [40, 3],
    [41, 1],
    [50, 1],
    [51, 0],
    [90, 0],
    [91, 1],
    [110, 1],
    [111, 2],
    [130, 2],
    [131, 3],
  ] as const)('pulse %d /min scores %d', (pulse, score) => {
    expect(news2PulseScore(pulse)).toBe(score);
  });
});

describe('news2ForAlert: the console column', () => {
  it.each([
    ['a pulse alert with a normal SpO2 is a partial NEWS2, not 0', { rule: 'pulse.high', value: 135, news2Spo2Score: 0 }, 'partial', 3, 'partial NEWS2 3 (SpO₂ + pulse)'],
    ['a pulse alert without SpO2 scores the pulse only', { rule: 'pulse.low', value: 38, news2Spo2Score: null }, 'partial', 3, 'partial NEWS2 3 (pulse only)'],
    ['a pulse alert adds both sub-scores', { rule: 'pulse.high', value: 125, news2Spo2Score: 1 }, 'partial', 3, 'partial NEWS2 3 (SpO₂ + pulse)'],
    ['an SpO2 alert shows the labelled SpO2 sub-score', { rule: 'spo2.low', value: 86, news2Spo2Score: 1 }, 'spo2', 1, 'SpO₂ sub-score 1'],
    ['a night alert with a known SpO2 shows it labelled', { rule: 'niv.leak', value: 31, news2Spo2Score: 0 }, 'spo2', 0, 'SpO₂ sub-score 0'],
    ['nothing known: not scored', { rule: 'device.silent', value: 30, news2Spo2Score: null }, 'none', null, 'not scored'],
  ] as const)('%s', (_name, alert, kind, score, label) => {
    expect(news2ForAlert(alert)).toMatchObject({ kind, score, label });
  });
});
