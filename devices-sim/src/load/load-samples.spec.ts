import { describe, expect, it } from '@jest/globals';
import { parseReadingsPayload } from '#protocol';
import { compressedClockStart, compressedMessageEnd, LoadSampleSource } from './load-samples.js';

describe('load-mode samples', () => {
  it('end at the publish time (the marker), strictly increasing per device, valid', () => {
    const src = new LoadSampleSource(1, 'LOAD-1');
    let last = 0;
    for (let i = 0; i < 50; i++) {
      const publishAt = 1_795_000_000_000 + i * 7; // faster than the sample spacing: collisions are bumped
      const { samples, markerAt } = src.next(publishAt, 5, 200);
      expect(markerAt).toBe(samples[samples.length - 1]!.at);
      for (const s of samples) {
        expect(s.at as number).toBeGreaterThan(last);
        last = s.at as number;
      }
      const r = parseReadingsPayload(JSON.stringify({ v: 1, samples }), { nowMs: publishAt, backfillHorizonMs: 1e10, futureSkewMs: 300_000 });
      expect(r.ok && r.rejected).toEqual([]);
    }
  });

  it('puts the marker exactly at the publish time when the rate allows', () => {
    const src = new LoadSampleSource(1, 'LOAD-2');
    const { samples, markerAt } = src.next(1_795_000_000_000, 5, 200);
    expect(markerAt).toBe(1_795_000_000_000);
    expect(samples.map((s) => s.at)).toEqual([-800, -600, -400, -200, 0].map((d) => 1_795_000_000_000 + d));
  });

  it('with a set spacing, keeps 1 s samples contiguous across messages and behind the wall clock for the whole run', () => {
    const now = 1_795_000_000_000;
    const start = compressedClockStart(now, 60_000, 1, 100, 1000);
    const src = new LoadSampleSource(1, 'LOAD-3');
    const all: number[] = [];
    for (let n = 1; n <= 61; n++) {
      const { samples, markerAt } = src.next(compressedMessageEnd(start, n, 100, 1000), 100, 1000);
      expect(markerAt).toBe(compressedMessageEnd(start, n, 100, 1000));
      all.push(...samples.map((s) => s.at as number));
    }
    expect(all.every((t, i) => i === 0 || t - all[i - 1]! === 1000)).toBe(true);
    expect(all[all.length - 1]!).toBeLessThan(now);
  });
});
