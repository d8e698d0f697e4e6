import { describe, expect, it } from '@jest/globals';
import { hashSeed, OuProcess, Rng } from './prng.js';
import { mean, median, percentile, sampleSd } from './stats.js';

describe('seeded randomness', () => {
  it('is deterministic under a seed and differs between seeds', () => {
    const a = Array.from({ length: 5 }, ((r) => () => r.next())(new Rng(42)));
    const b = Array.from({ length: 5 }, ((r) => () => r.next())(new Rng(42)));
    const c = Array.from({ length: 5 }, ((r) => () => r.next())(new Rng(43)));
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    for (const v of a) expect(v >= 0 && v < 1).toBe(true);
  });

  it('derives independent child streams from labels', () => {
    expect(hashSeed(1, 'night', 3)).toBe(hashSeed(1, 'night', 3));
    expect(hashSeed(1, 'night', 3)).not.toBe(hashSeed(1, 'night', 4));
    expect(hashSeed(1, 'night', 3)).not.toBe(hashSeed(2, 'night', 3));
    expect(Rng.derive(7, 'a').next()).not.toBe(Rng.derive(7, 'b').next());
  });

  it('draws normals with the asked mean and spread', () => {
    const r = new Rng(9);
    const xs = Array.from({ length: 20000 }, () => r.normal(5, 2));
    expect(mean(xs)).toBeCloseTo(5, 1);
    expect(sampleSd(xs)).toBeCloseTo(2, 1);
  });

  it.each([1000, 30_000])('an OU process keeps its stationary spread and autocorrelation at %d ms spacing', (stepMs) => {
    const ou = new OuProcess(new Rng(3), 300_000, 0.8);
    const xs = Array.from({ length: 20000 }, (_, i) => ou.at(i * stepMs));
    expect(sampleSd(xs)).toBeGreaterThan(0.6);
    expect(sampleSd(xs)).toBeLessThan(1.0);
    // lag-1 correlation ≈ exp(−Δt/τ)
    const m = mean(xs);
    let num = 0;
    let den = 0;
    for (let i = 1; i < xs.length; i++) num += (xs[i]! - m) * (xs[i - 1]! - m);
    for (const x of xs) den += (x - m) ** 2;
    expect(num / den).toBeCloseTo(Math.exp(-stepMs / 300_000), 1);
  });
});

describe('stats', () => {
  it.each([
    [[1, 2, 3, 4], 50, 2.5],
    [[1, 2, 3, 4], 25, 1.75],
    [[5], 95, 5],
    [[10, 0, 20], 100, 20],
  ])('percentile(%j, %d) = %d', (xs, p, expected) => {
    expect(percentile(xs, p)).toBe(expected);
  });

  it('median and sample SD', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(sampleSd([2, 4, 4, 4, 5, 5, 7, 9])).toBeCloseTo(2.138, 3);
    expect(sampleSd([1])).toBe(0);
  });
});
