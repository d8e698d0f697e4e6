/**
 * Times the physicians' heavy reads on a realistic history (not part of `npm run bench`, no
 * assertion): 30 days of 1 Hz SpO2 and pulse rate for one patient, a ventilator with a nightly
 * session and its per-minute samples, and `--others` more patients with the same devices writing
 * at the same time (their rows interleave in the table, as under real ingestion).
 * Runs the product's own repositories (apps/server/src/clinical) against the machine's PostgreSQL.
 *
 *   npm run build && node dist/bench/clinical-timing.js [--others N] [--runs N] [--reuse]
 *
 * Database: CLINICAL_TIMING_DB (default tm_clinical_timing) on BENCH_PG_ADMIN_URL's server,
 * recreated unless --reuse is given (then the seed is skipped).
 */
import { loadavg } from 'node:os';
import pg from 'pg';
import { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver.js';
import { TransactionRunner } from '../apps/server/src/database/transaction.js';
import { migrate } from '../apps/server/src/database/migrator.js';
import { MIGRATIONS_DIR } from '../apps/server/src/paths.js';
import { NightsRepository } from '../apps/server/src/clinical/nights.repository.js';
import { NightsService } from '../apps/server/src/clinical/nights.service.js';
import { planTrend, type TrendBucket } from '../apps/server/src/clinical/trend-range.js';
import { TrendsRepository } from '../apps/server/src/clinical/trends.repository.js';
import type { PatientAccessService } from '../apps/server/src/access/patient-access.service.js';
import { percentile } from './stats.js';
import { issuePatientScope } from '../apps/server/src/access/patient-scope.js';

const DAY_MS = 86_400_000;
const args = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const others = option('others', 3);
const runs = option('runs', 5);
const reuse = args.includes('--reuse');
const started = Date.now();
const log = (m: string) => process.stderr.write(`[clinical-timing ${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s] ${m}\n`);

async function database(): Promise<string> {
  const adminUrl = process.env.BENCH_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const name = process.env.CLINICAL_TIMING_DB ?? 'tm_clinical_timing';
  if (!/^[a-z0-9_]+$/.test(name)) throw new Error('CLINICAL_TIMING_DB must be [a-z0-9_]+');
  if (!reuse) {
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    try {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.query(`CREATE DATABASE ${name}`);
    } finally {
      await admin.end();
    }
  }
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  return u.toString();
}

async function seed(url: string, now: number): Promise<{ patientId: string; from: number; to: number }> {
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  try {
    const { flavour } = await migrate(pool, MIGRATIONS_DIR, () => undefined);
    const team = (await pool.query<{ id: string }>(`INSERT INTO care_teams (name) VALUES ('timing') RETURNING id`)).rows[0]!.id;
    const patients: string[] = [];
    for (let i = 0; i <= others; i++) {
      const p = (await pool.query<{ id: string }>(`INSERT INTO patients (display_name, profile, care_team_id) VALUES ($1, 'hypercapnic', $2) RETURNING id`, [`P${i}`, team])).rows[0]!.id;
      await pool.query(`INSERT INTO devices (device_id, kind, patient_id, secret_hash) VALUES ($1, 'oximeter', $2, 'x'), ($3, 'ventilator', $2, 'x')`, [`OX-${i}`, p, `VE-${i}`]);
      patients.push(p);
    }
    const patientId = patients[0]!;
    // Every oximeter in 6-hour slices, rows ordered by time then device: a patient's rows
    // interleave with the others' in the heap, as under live ingestion.
    const to = Math.floor(now / 3_600_000) * 3_600_000;
    const from = to - 30 * DAY_MS;
    log(`seeding ${others + 1} patients × 30 days × 1 Hz × 2 metrics (interleaved)`);
    const slice = 6 * 3_600_000;
    for (let t = from; t < to; t += slice) {
      await Promise.all(
        ['spo2', 'pulseRate'].map((metric) =>
          pool.query(
            `INSERT INTO readings (device_id, metric, time, patient_id, value, signal_ok)
             SELECT d.device_id, $1, s.t, d.patient_id,
                    CASE WHEN $1 = 'spo2' THEN 93 + round(2 * sin(extract(epoch from s.t) / 5400) + 1.5 * sin(extract(epoch from s.t) / 37))
                         ELSE 72 + round(6 * sin(extract(epoch from s.t) / 7200) + 3 * sin(extract(epoch from s.t) / 53)) END,
                    true
               FROM generate_series(to_timestamp($2::float8 / 1000), to_timestamp($3::float8 / 1000) - interval '1 second', interval '1 second') AS s(t)
              CROSS JOIN (SELECT device_id, patient_id FROM devices WHERE kind = 'oximeter' ORDER BY device_id) d
              ORDER BY s.t, d.device_id`,
            [metric, t, Math.min(t + slice, to)],
          ),
        ),
      );
    }
    await pool.query(
      `INSERT INTO readings_hourly (patient_id, metric, bucket, min_value, max_value, sum_value, n)
       SELECT patient_id, metric, date_bin('1 hour', time, TIMESTAMPTZ '1970-01-01 00:00:00+00'), min(value), max(value), sum(value), count(*)
         FROM readings WHERE signal_ok GROUP BY 1, 2, 3`,
    );
    // Ventilator: a session 22:30 → 06:30 (Paris) every night, one sample of 7 metrics a minute.
    for (const [i, p] of patients.entries()) {
      await pool.query(
        `INSERT INTO night_sessions (device_id, start_at, end_at, patient_id, usage_hours, leak_p95, ahi, resp_rate_median, tidal_volume_median, minute_ventilation_median, triggered_breaths_pct)
         SELECT $1, (d::date + TIME '22:30') AT TIME ZONE 'Europe/Paris', (d::date + 1 + TIME '06:30') AT TIME ZONE 'Europe/Paris', $2, 8, 20, 4, 16, 450, 7.2, 55
           FROM generate_series(($3::timestamptz AT TIME ZONE 'Europe/Paris')::date, ($4::timestamptz AT TIME ZONE 'Europe/Paris')::date - 2, interval '1 day') AS g(d)`,
        [`VE-${i}`, p, new Date(from), new Date(to)],
      );
      await pool.query(
        `INSERT INTO readings (device_id, metric, time, patient_id, value, signal_ok)
         SELECT s.device_id, m.metric, t, s.patient_id, 10, true
           FROM night_sessions s, generate_series(s.start_at, s.end_at - interval '1 minute', interval '1 minute') AS t,
                unnest(ARRAY['respRate', 'tidalVolume', 'minuteVentilation', 'leak', 'ipap', 'epap', 'triggeredBreaths']) AS m(metric)
          WHERE s.device_id = $1`,
        [`VE-${i}`],
      );
    }
    await pool.query('VACUUM ANALYZE readings').catch(() => pool.query('ANALYZE readings'));
    await pool.query('ANALYZE readings_hourly; ANALYZE night_sessions');
    const { rows } = await pool.query<{ n: string }>(`SELECT count(*) AS n FROM readings`);
    log(`seeded (${flavour}): ${Number(rows[0]!.n).toLocaleString('en-US')} readings`);
    return { patientId, from, to };
  } finally {
    await pool.end();
  }
}

async function timed<T>(label: string, n: number, run: (i: number) => Promise<T>): Promise<T> {
  const times: number[] = [];
  let last: T | undefined;
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    last = await run(i);
    times.push(performance.now() - t0);
  }
  const fmt = (v: number) => `${Math.round(v)} ms`;
  process.stdout.write(`${label.padEnd(48)} runs ${n}  median ${fmt(percentile(times, 50)).padStart(8)}  min ${fmt(Math.min(...times)).padStart(8)}  max ${fmt(Math.max(...times)).padStart(8)}\n`);
  return last!;
}

async function main(): Promise<void> {
  const url = await database();
  const now = Date.now();
  const { patientId, to } = reuse ? await existing(url) : await seed(url, now);
  // One pool, TypeORM's, as the server has it (DatabaseModule): the analytical reads run in its transactions.
  const dataSource = await new DataSource({ type: 'postgres', url, poolSize: 4 }).initialize();
  const pool = (dataSource.driver as PostgresDriver).master as pg.Pool;
  const transactions = new TransactionRunner(dataSource, pool);
  try {
    const repo = new NightsRepository(pool, transactions);
    const nights = new NightsService(undefined as unknown as PatientAccessService, repo);
    const trends = new TrendsRepository(pool, transactions);
    process.stdout.write(`load average at start: ${loadavg().map((l) => l.toFixed(2)).join(' ')}\n`);
    // "now" two hours after the seeded range: the last seeded night is yesterday evening's.
    const at = new Date(to + 2 * 3_600_000);
    const rows = await timed('nights?days=30, uncached (cache emptied)', runs, async () => {
      await pool.query('TRUNCATE night_oximetry_cache');
      return nights.compute(issuePatientScope({ id: patientId }), 30, at);
    });
    process.stdout.write(`  ${rows.length} nights, ${rows.reduce((s, r) => s + r.oximetryHours, 0).toFixed(0)} h of oximetry\n`);
    await timed('nights?days=30, cached', runs, () => nights.compute(issuePatientScope({ id: patientId }), 30, at));
    for (const [bucket, days] of [
      ['1m', 6],
      ['5m', 7],
      ['15m', 7],
      ['1h', 30],
      ['1d', 30],
    ] as [TrendBucket, number][]) {
      const plan = planTrend(bucket, new Date(to - days * DAY_MS), new Date(to));
      const buckets = await timed(`trends spo2 ${bucket} over ${days} days`, runs, () => trends.buckets(issuePatientScope({ id: patientId }), 'spo2', plan));
      process.stdout.write(`  ${buckets.length} buckets, ${buckets.reduce((s, b) => s + b.count, 0).toLocaleString('en-US')} samples\n`);
    }
  } finally {
    await dataSource.destroy();
  }
}

async function existing(url: string): Promise<{ patientId: string; from: number; to: number }> {
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  try {
    const { rows } = await pool.query<{ patient_id: string; from: Date; to: Date }>(
      `SELECT patient_id, min(time) AS from, max(time) AS to FROM readings WHERE device_id = 'OX-0' AND metric = 'spo2' GROUP BY 1`,
    );
    return { patientId: rows[0]!.patient_id, from: rows[0]!.from.getTime(), to: rows[0]!.to.getTime() + 1000 };
  } finally {
    await pool.end();
  }
}

await main();
