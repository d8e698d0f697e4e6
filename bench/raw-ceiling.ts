import pg from 'pg';
import { boolArray, numberArray, quotedTextArray } from '../apps/server/src/ingest/pg-arrays.js';
import { READINGS_PER_SAMPLE } from './bench-options.js';

const SCRATCH = 'bench_raw_readings';
const METRICS = ['spo2', 'pulseRate', 'perfusionIndex'];

export interface CeilingResult {
  rowsPerSecond: number;
  rows: number;
  seconds: number;
  writers: number;
  batchRows: number;
  /** Median duration of one batch statement. */
  batchMedianMs: number;
}

/**
 * The raw insert ceiling of this machine: the same rows as the load (device ids of the run,
 * SpO2 / pulse / perfusion index, 1 s apart per device, patient uuid, value, signal flag) in
 * plain multi-row `INSERT … SELECT unnest(…) ON CONFLICT DO NOTHING` statements into a scratch
 * table with the same columns and primary key as `readings`, from `writers` connections with
 * `batchRows`-row batches, for `seconds`. Nothing else: no rollup, no dead letters, no MQTT.
 */
export async function measureRawCeiling(
  url: string,
  devices: ReadonlyArray<{ deviceId: string; patientId: string }>,
  options: { seconds: number; writers?: number; batchRows?: number; startAt: number },
): Promise<CeilingResult> {
  const writers = options.writers ?? 2;
  const batchRows = options.batchRows ?? 5000;
  const samplesPerBatch = Math.ceil(batchRows / READINGS_PER_SAMPLE);
  const pool = new pg.Pool({ connectionString: url, max: writers });
  await pool.query(`DROP TABLE IF EXISTS ${SCRATCH}`);
  await pool.query(`CREATE TABLE ${SCRATCH} (LIKE readings INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING INDEXES)`);
  let next = 0;
  /** Batch n: samplesPerBatch samples of one device after another, each device's clock 1 s per sample. */
  const batch = (n: number): unknown[] => {
    const d: string[] = [];
    const m: string[] = [];
    const t: number[] = [];
    const p: string[] = [];
    const v: number[] = [];
    const s: boolean[] = [];
    for (let i = 0; i < samplesPerBatch; i++) {
      const k = n * samplesPerBatch + i;
      const device = devices[k % devices.length]!;
      const at = options.startAt + Math.floor(k / devices.length) * 1000;
      for (let j = 0; j < READINGS_PER_SAMPLE; j++) {
        d.push(device.deviceId);
        m.push(METRICS[j]!);
        t.push(at);
        p.push(device.patientId);
        v.push(j === 0 ? 90 + (k % 10) : j === 1 ? 60 + (k % 40) : 2 + (k % 5) / 10);
        s.push(true);
      }
    }
    return [quotedTextArray(d), quotedTextArray(m), numberArray(t), quotedTextArray(p), numberArray(v), boolArray(s)];
  };
  const text = `INSERT INTO ${SCRATCH} (device_id, metric, time, patient_id, value, signal_ok)
    SELECT d, m, to_timestamp(t / 1000), p, v, s
      FROM unnest($1::text[], $2::text[], $3::float8[], $4::uuid[], $5::float8[], $6::bool[]) AS u(d, m, t, p, v, s)
    ON CONFLICT DO NOTHING`;
  let rows = 0;
  const durations: number[] = [];
  const t0 = performance.now();
  const deadline = t0 + options.seconds * 1000;
  try {
    await Promise.all(
      Array.from({ length: writers }, async () => {
        const client = await pool.connect();
        try {
          while (performance.now() < deadline) {
            const values = batch(next++);
            const started = performance.now();
            const r = await client.query({ name: 'bench_raw_insert', text, values });
            durations.push(performance.now() - started);
            rows += r.rowCount ?? 0;
          }
        } finally {
          client.release();
        }
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    durations.sort((a, b) => a - b);
    return {
      rowsPerSecond: Math.round(rows / seconds),
      rows,
      seconds: Math.round(seconds * 10) / 10,
      writers,
      batchRows: samplesPerBatch * READINGS_PER_SAMPLE,
      batchMedianMs: Math.round(durations[Math.floor(durations.length / 2)] ?? 0),
    };
  } finally {
    await pool.query(`DROP TABLE IF EXISTS ${SCRATCH}`).catch(() => undefined);
    await pool.end();
  }
}
