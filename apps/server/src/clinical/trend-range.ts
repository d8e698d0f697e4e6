import { AppError } from '../common/app-error.js';

/**
 * Trend buckets (CONTRACT.md §4) and the rules that keep a trend request bounded (pure).
 *
 * Buckets are aligned on the epoch (UTC): 1 d buckets run from UTC midnight, 6 h buckets from
 * 00/06/12/18 UTC. A request returns every non-empty bucket overlapping [from, to), whole: the
 * range is widened to bucket boundaries, so the answer does not depend on which table served it.
 * Buckets of an hour or more are served from the hourly rollup (readings_hourly: a continuous
 * aggregate on TimescaleDB, a table maintained by ingestion on plain PostgreSQL); shorter ones
 * from the raw samples.
 */
export const TREND_BUCKETS = {
  '1m': 60_000,
  '5m': 300_000,
  '15m': 900_000,
  '1h': 3_600_000,
  '6h': 21_600_000,
  '1d': 86_400_000,
} as const;
export type TrendBucket = keyof typeof TREND_BUCKETS;
export const TREND_BUCKET_NAMES = Object.keys(TREND_BUCKETS) as TrendBucket[];

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
/** At most this many buckets in one answer (1 m: ~6.9 days; 1 h: ~416 days). */
export const MAX_TREND_BUCKETS = 10_000;
/**
 * Sub-hour buckets read raw samples: at most 7 days (~600 k samples of a 1 Hz metric, 0.5–0.8 s
 * measured by bench/clinical-timing.ts on the loaded 2-core machine). Longer views use 1 h buckets or more.
 */
export const MAX_RAW_TREND_RANGE_MS = 7 * DAY_MS;

export interface TrendPlan {
  bucket: TrendBucket;
  bucketMs: number;
  /** Range widened to bucket boundaries: [from, to). */
  from: Date;
  to: Date;
  source: 'hourly' | 'raw';
  buckets: number;
}

export function planTrend(bucket: TrendBucket, from: Date, to: Date): TrendPlan {
  const bucketMs = TREND_BUCKETS[bucket];
  if (!(from.getTime() < to.getTime())) throw new AppError('BAD_REQUEST', '`from` must be before `to`');
  const start = Math.floor(from.getTime() / bucketMs) * bucketMs;
  const end = Math.ceil(to.getTime() / bucketMs) * bucketMs;
  const buckets = (end - start) / bucketMs;
  const source = bucketMs >= HOUR_MS ? 'hourly' : 'raw';
  if (buckets > MAX_TREND_BUCKETS) {
    throw new AppError('RANGE_TOO_LARGE', `range too large for ${bucket} buckets: ${buckets} buckets, at most ${MAX_TREND_BUCKETS}; use a larger bucket or a shorter range`, {
      maxBuckets: MAX_TREND_BUCKETS,
    });
  }
  if (source === 'raw' && end - start > MAX_RAW_TREND_RANGE_MS) {
    throw new AppError('RANGE_TOO_LARGE', `range too large for ${bucket} buckets: at most ${MAX_RAW_TREND_RANGE_MS / DAY_MS} days; use 1h or larger buckets`, {
      maxDays: MAX_RAW_TREND_RANGE_MS / DAY_MS,
    });
  }
  return { bucket, bucketMs, from: new Date(start), to: new Date(end), source, buckets };
}

/** The bucket width as a PostgreSQL interval literal. */
export function bucketInterval(bucketMs: number): string {
  return `${bucketMs / 1000} seconds`;
}
