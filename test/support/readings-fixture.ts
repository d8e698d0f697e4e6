import type { Pool } from 'pg';

export interface FixtureReading {
  deviceId: string;
  patientId: string;
  metric: string;
  at: Date | string | number;
  value: number;
  signalOk?: boolean;
}

/**
 * Inserts readings the way ingestion does (ingestion is built elsewhere; tests must not depend on
 * it): one INSERT … unnest … ON CONFLICT DO NOTHING, and on plain PostgreSQL the hourly rollup
 * updated in the same statement from the rows actually inserted, signal_ok = false excluded.
 * On TimescaleDB readings_hourly is a continuous aggregate and only the raw insert is done.
 */
export async function insertReadings(pool: Pick<Pool, 'query'>, rows: FixtureReading[], flavour: 'postgres' | 'timescaledb' = 'postgres'): Promise<number> {
  let inserted = 0;
  // PGlite's socket server (pglite-socket 0.0.19) hands each TCP read to the engine as is: a
  // protocol message over one read (~64 KiB) crashes it. Small batches there.
  const batchSize = flavour === 'timescaledb' ? 200 : 5000;
  for (let i = 0; i < rows.length; i += batchSize) {
    const batch = rows.slice(i, i + batchSize);
    const params = [
      batch.map((r) => r.deviceId),
      batch.map((r) => r.metric),
      batch.map((r) => new Date(r.at)),
      batch.map((r) => r.patientId),
      batch.map((r) => r.value),
      batch.map((r) => r.signalOk ?? true),
    ];
    const insert = `INSERT INTO readings (device_id, metric, time, patient_id, value, signal_ok)
      SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::uuid[], $5::float8[], $6::bool[])
      ON CONFLICT DO NOTHING`;
    if (flavour === 'timescaledb') {
      inserted += (await pool.query(insert, params)).rowCount ?? 0;
      continue;
    }
    const res = await pool.query(
      `WITH ins AS (${insert} RETURNING patient_id, metric, time, value, signal_ok),
            hourly AS (
              INSERT INTO readings_hourly AS h (patient_id, metric, bucket, min_value, max_value, sum_value, n)
              SELECT patient_id, metric, date_bin(INTERVAL '1 hour', time, TIMESTAMPTZ '1970-01-01 00:00:00+00'),
                     min(value), max(value), sum(value), count(*)
                FROM ins WHERE signal_ok GROUP BY 1, 2, 3
              ON CONFLICT (patient_id, metric, bucket) DO UPDATE SET
                min_value = LEAST(h.min_value, EXCLUDED.min_value),
                max_value = GREATEST(h.max_value, EXCLUDED.max_value),
                sum_value = h.sum_value + EXCLUDED.sum_value,
                n = h.n + EXCLUDED.n)
       SELECT count(*)::int AS n FROM ins`,
      params,
    );
    inserted += res.rows[0].n as number;
  }
  return inserted;
}

/** A regular series: `count` samples every `stepMs` from `start`. */
export function regular(base: Omit<FixtureReading, 'at' | 'value'>, start: Date | string | number, stepMs: number, values: number[]): FixtureReading[] {
  const t0 = new Date(start).getTime();
  return values.map((value, i) => ({ ...base, at: t0 + i * stepMs, value }));
}

/** `n` copies of `value`: regular(..., [...repeat(95, 300), ...repeat(85, 60)]). */
export function repeat(value: number, n: number): number[] {
  return Array.from({ length: n }, () => value);
}
