import { describe, expect, it } from '@jest/globals';
import { backoff } from './backoff.js';

describe('backoff', () => {
  it.each([
    [1, 100],
    [2, 200],
    [3, 400],
    [10, 5000],
    [1000, 5000],
  ])('attempt %i waits about %i ms', (attempt, expected) => {
    expect(backoff(attempt, 100, 5000, () => 0.5)).toBe(expected);
    expect(backoff(attempt, 100, 5000, () => 0)).toBe(Math.round(expected * 0.8));
    expect(backoff(attempt, 100, 5000, () => 1)).toBe(Math.round(expected * 1.2));
  });
});
