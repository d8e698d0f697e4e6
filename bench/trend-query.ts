import { existsSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { PROJECT_ROOT } from '../apps/server/src/paths.js';
import { percentile } from './stats.js';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
export const TREND_DAYS = 30;

/**
 * 30 days of 1 Hz SpO2 and pulse rate for one patient, written straight into `readings`
 * (generate_series: ~5.2 million rows), and the hourly rollup those rows make: on plain
 * PostgreSQL the readings_hourly table that ingestion maintains, on TimescaleDB a refresh of the
 * continuous aggregate. Returns the [from, to) range written.
 */
export async function seedTrendHistory(
  url: string,
  flavour: string,
  patient: { patientId: string; deviceId: string },
  now: number,
): Promise<{ from: number; to: number; rows: number }> {
  const to = Math.floor(now / HOUR_MS) * HOUR_MS;
  const from = to - TREND_DAYS * DAY_MS;
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  try {
    // One metric per connection: the two inserts run on both cores.
    const counts = await Promise.all(
      [
        ['spo2', '93 + round(2 * sin(extract(epoch from t) / 5400) + 1.5 * sin(extract(epoch from t) / 37))'],
        ['pulseRate', '72 + round(6 * sin(extract(epoch from t) / 7200) + 3 * sin(extract(epoch from t) / 53))'],
      ].map(async ([metric, expression]) => {
        const r = await pool.query(
          `INSERT INTO readings (device_id, metric, time, patient_id, value, signal_ok)
           SELECT $1, $2, t, $3, ${expression}, true
             FROM generate_series(to_timestamp($4::float8 / 1000), to_timestamp($5::float8 / 1000) - interval '1 second', interval '1 second') AS t`,
          [patient.deviceId, metric, patient.patientId, from, to],
        );
        return r.rowCount ?? 0;
      }),
    );
    if (flavour === 'timescaledb') {
      await pool.query(`CALL refresh_continuous_aggregate('readings_hourly', to_timestamp($1::float8 / 1000), to_timestamp($2::float8 / 1000))`, [from, to]);
    } else {
      await pool.query(
        `INSERT INTO readings_hourly (patient_id, metric, bucket, min_value, max_value, sum_value, n)
         SELECT patient_id, metric, date_trunc('hour', time, 'UTC'), min(value), max(value), sum(value), count(*)
           FROM readings WHERE device_id = $1 AND patient_id = $2 AND signal_ok
          GROUP BY 1, 2, 3
         ON CONFLICT (patient_id, metric, bucket) DO UPDATE SET
           min_value = least(readings_hourly.min_value, EXCLUDED.min_value),
           max_value = greatest(readings_hourly.max_value, EXCLUDED.max_value),
           sum_value = readings_hourly.sum_value + EXCLUDED.sum_value,
           n = readings_hourly.n + EXCLUDED.n`,
        [patient.deviceId, patient.patientId],
      );
    }
    await pool.query(`ANALYZE readings; ANALYZE readings_hourly`).catch(() => undefined);
    return { from, to, rows: counts[0]! + counts[1]! };
  } finally {
    await pool.end();
  }
}

export interface TrendTiming {
  /** `http`: GET /api/patients/:id/trends; `sql`: the endpoint's query run directly (endpoint not on this branch). */
  via: 'http' | 'sql';
  runs: number;
  medianMs: number;
  p90Ms: number;
  maxMs: number;
  buckets: number;
  /** Samples counted in the buckets (30 days of 1 Hz: 2,592,000). */
  samples: number;
}

/** Whether the trends endpoint (clinical module) is in this build. */
export function trendsEndpointPresent(): boolean {
  return existsSync(join(PROJECT_ROOT, 'dist', 'apps', 'server', 'src', 'clinical', 'trends.repository.js'));
}

/** Times the 30-day, 1 h trend of SpO2 `runs` times (after one untimed warm-up) and reports the median. */
export async function timeTrendQuery(
  target: { baseUrl: string; token: string } | { databaseUrl: string },
  patientId: string,
  range: { from: number; to: number },
  runs: number,
): Promise<TrendTiming> {
  const from = new Date(range.from).toISOString();
  const to = new Date(range.to).toISOString();
  let run: () => Promise<Array<{ count: number }>>;
  let close = async () => undefined as void;
  if ('baseUrl' in target) {
    const url = `${target.baseUrl}/api/patients/${patientId}/trends?metric=spo2&bucket=1h&from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`;
    run = async () => {
      const res = await fetch(url, { headers: { authorization: `Bearer ${target.token}` } });
      if (res.status !== 200) throw new Error(`trend query answered ${res.status}: ${(await res.text()).slice(0, 200)}`);
      return (await res.json()) as Array<{ count: number }>;
    };
  } else {
    const client = new pg.Client({ connectionString: target.databaseUrl });
    await client.connect();
    close = () => client.end();
    run = async () =>
      (
        await client.query<{ count: number }>(
          `SELECT date_bin('1 hour'::interval, bucket, TIMESTAMPTZ '1970-01-01 00:00:00+00') AS start,
                  min(min_value) AS min, sum(sum_value) / sum(n) AS avg, max(max_value) AS max, sum(n)::int AS count
             FROM readings_hourly
            WHERE patient_id = $1 AND metric = 'spo2' AND bucket >= $2 AND bucket < $3
            GROUP BY 1 ORDER BY 1`,
          [patientId, from, to],
        )
      ).rows;
  }
  try {
    const first = await run();
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      await run();
      times.push(performance.now() - t0);
    }
    return {
      via: 'baseUrl' in target ? 'http' : 'sql',
      runs,
      medianMs: round(percentile(times, 50)),
      p90Ms: round(percentile(times, 90)),
      maxMs: round(Math.max(...times)),
      buckets: first.length,
      samples: first.reduce((s, b) => s + Number(b.count), 0),
    };
  } finally {
    await close();
  }
}

const round = (v: number) => Math.round(v * 100) / 100;
