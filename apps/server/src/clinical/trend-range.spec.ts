import { describe, expect, it } from '@jest/globals';
import { AppError } from '../common/app-error.js';
import { MAX_TREND_BUCKETS, planTrend, type TrendBucket } from './trend-range.js';

const iso = (s: string) => new Date(s);

describe('planTrend', () => {
  it.each<[TrendBucket, string, string, string, string, 'hourly' | 'raw', number]>([
    ['1h', '2026-11-01T00:00:00Z', '2026-11-02T00:00:00Z', '2026-11-01T00:00:00.000Z', '2026-11-02T00:00:00.000Z', 'hourly', 24],
    ['1h', '2026-11-01T00:30:00Z', '2026-11-01T02:10:00Z', '2026-11-01T00:00:00.000Z', '2026-11-01T03:00:00.000Z', 'hourly', 3],
    ['6h', '2026-11-01T07:00:00+01:00', '2026-11-01T13:00:00Z', '2026-11-01T06:00:00.000Z', '2026-11-01T18:00:00.000Z', 'hourly', 2],
    ['1d', '2026-11-01T22:00:00Z', '2026-11-03T01:00:00Z', '2026-11-01T00:00:00.000Z', '2026-11-04T00:00:00.000Z', 'hourly', 3],
    ['15m', '2026-11-01T00:07:00Z', '2026-11-01T00:31:00Z', '2026-11-01T00:00:00.000Z', '2026-11-01T00:45:00.000Z', 'raw', 3],
    ['1m', '2026-11-01T00:00:30Z', '2026-11-01T00:01:00Z', '2026-11-01T00:00:00.000Z', '2026-11-01T00:01:00.000Z', 'raw', 1],
    ['5m', '2026-11-01T00:00:00Z', '2026-11-08T00:00:00Z', '2026-11-01T00:00:00.000Z', '2026-11-08T00:00:00.000Z', 'raw', 2016],
    ['1h', '2026-01-01T00:00:00Z', '2027-02-20T00:00:00Z', '2026-01-01T00:00:00.000Z', '2027-02-20T00:00:00.000Z', 'hourly', 9960],
  ])('%s from %s to %s → [%s, %s) from %s, %d buckets', (bucket, from, to, alignedFrom, alignedTo, source, buckets) => {
    const plan = planTrend(bucket, iso(from), iso(to));
    expect(plan.from.toISOString()).toBe(alignedFrom);
    expect(plan.to.toISOString()).toBe(alignedTo);
    expect(plan.source).toBe(source);
    expect(plan.buckets).toBe(buckets);
  });

  it.each<[TrendBucket, string, string, string]>([
    ['1m', '2026-11-01T00:00:00Z', '2026-11-08T00:00:00Z', 'RANGE_TOO_LARGE'], // 10,080 buckets
    ['1h', '2026-01-01T00:00:00Z', '2027-03-01T00:00:00Z', 'RANGE_TOO_LARGE'],
    ['15m', '2026-11-01T00:00:00Z', '2026-11-08T00:15:00Z', 'RANGE_TOO_LARGE'], // over 7 days of raw samples
    ['1h', '2026-11-02T00:00:00Z', '2026-11-01T00:00:00Z', 'BAD_REQUEST'],
    ['1h', '2026-11-01T00:00:00Z', '2026-11-01T00:00:00Z', 'BAD_REQUEST'],
  ])('refuses %s from %s to %s with %s', (bucket, from, to, code) => {
    let error: unknown;
    try {
      planTrend(bucket, iso(from), iso(to));
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe(code);
    expect((error as AppError).status).toBe(400);
  });

  it('allows exactly the maximum number of buckets', () => {
    const from = iso('2026-01-01T00:00:00Z');
    expect(planTrend('6h', from, new Date(from.getTime() + MAX_TREND_BUCKETS * 6 * 3_600_000)).buckets).toBe(MAX_TREND_BUCKETS);
  });
});
