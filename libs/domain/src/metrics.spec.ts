import { describe, expect, it } from '@jest/globals';
import { isLowConfidence, SAMPLE_METRIC_NAMES, SPO2_LOW_CONFIDENCE_BELOW, type SampleMetric } from './metrics.js';

describe('isLowConfidence (CONTRACT.md §1: SpO2 below 70 % flagged low-confidence)', () => {
  it('uses the contract threshold', () => {
    expect(SPO2_LOW_CONFIDENCE_BELOW).toBe(70);
  });

  it.each([
    ['spo2', 0, true],
    ['spo2', 50, true],
    ['spo2', 69, true],
    ['spo2', 69.99, true],
    ['spo2', 70, false],
    ['spo2', 70.01, false],
    ['spo2', 93, false],
    ['spo2', 100, false],
  ] as [SampleMetric, number, boolean][])('%s %d → %s', (metric, value, expected) => {
    expect(isLowConfidence(metric, value)).toBe(expected);
  });

  it.each(SAMPLE_METRIC_NAMES.filter((m) => m !== 'spo2'))('never flags %s, whatever its value', (metric) => {
    for (const value of [0, 20, 69, 70, 100]) expect(isLowConfidence(metric, value)).toBe(false);
  });
});
