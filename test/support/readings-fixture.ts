import type { Pool } from 'pg';
import { IngestBatch } from '../../apps/server/src/ingest/ingest-batch.js';
import { batchParameters, batchStatement } from '../../apps/server/src/ingest/reading.repository.js';

export interface FixtureReading {
  deviceId: string;
  patientId: string;
  metric: string;
  at: Date | string | number;
  value: number;
  signalOk?: boolean;
}

/**
 * Inserts readings with ingestion's own statement (apps/server/src/ingest/reading.repository.ts,
 * `batchStatement` of the flavour): one INSERT … unnest … ON CONFLICT DO NOTHING, and on plain
 * PostgreSQL the hourly rollup maintained in the same statement from the rows actually inserted
 * (signal_ok = false excluded). On TimescaleDB readings_hourly is a continuous aggregate, so the
 * production statement there is the raw insert. Returns the rows actually inserted.
 */
export async function insertReadings(pool: Pick<Pool, 'query'>, rows: FixtureReading[], flavour: 'postgres' | 'timescaledb' = 'postgres'): Promise<number> {
  let inserted = 0;
  // PGlite's socket server (pglite-socket 0.0.19) hands each TCP read to the engine as is: a
  // protocol message over one read (~64 KiB) crashes it. Small batches there.
  const batchSize = flavour === 'timescaledb' ? 200 : 5000;
  const statement = batchStatement(flavour);
  for (let i = 0; i < rows.length; i += batchSize) {
    const batch = new IngestBatch();
    for (const r of rows.slice(i, i + batchSize)) {
      batch.deviceIds.push(r.deviceId);
      batch.metrics.push(r.metric);
      batch.times.push(new Date(r.at).getTime());
      batch.patientIds.push(r.patientId);
      batch.values.push(r.value);
      batch.signalOk.push(r.signalOk ?? true);
    }
    const res = await pool.query<{ readings: number }>(statement, batchParameters(batch));
    inserted += res.rows[0]!.readings;
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
