/**
 * Benchmark stage: the thresholds what-if (POST /api/patients/:id/thresholds/preview) on a month
 * of stored data — 30 days of 1 Hz SpO2 and pulse rate (2.6 M samples, 5.2 M readings rows) and
 * a ventilator with one session a night — replayed twice (today's settings and proposed ones)
 * through the product's own code: ThresholdsPreviewService.replayPatient with its repositories
 * (one binary COPY per device, libs/rules). Reports the wall time and the memory the replay added (peak heap
 * and RSS above the level before it), sampled every 10 ms.
 *
 * Part of `npm run bench` (on the trend patient's 30 days). Alone, on a scratch database:
 *
 *   npm run bench:whatif            (= npm run build && node dist/bench/whatif-replay.js)
 *
 * Database: BENCH_WHATIF_DB (default tm_bench_whatif) on BENCH_PG_ADMIN_URL's server, recreated.
 */
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { effectiveSettings } from '#rules';
import { issuePatientScope } from '../apps/server/src/access/patient-scope.js';
import { ReplayDataRepository } from '../apps/server/src/alerts/replay-data.repository.js';
import { RuleDataRepository } from '../apps/server/src/alerts/rule-data.repository.js';
import { ThresholdsPreviewService } from '../apps/server/src/alerts/thresholds-preview.service.js';
import { migrate } from '../apps/server/src/database/migrator.js';
import { MIGRATIONS_DIR } from '../apps/server/src/paths.js';
import { seedTrendHistory } from './trend-query.js';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

export interface WhatIfTiming {
  days: number;
  samples: number;
  sessions: number;
  /** Wall time of the replay with both settings, ms (median of the runs). */
  medianMs: number;
  maxMs: number;
  runs: number;
  /** Peak heap and RSS above their level just before the replay, MB (worst run). */
  heapAddedMb: number;
  rssAddedMb: number;
  alerts: { current: number; proposed: number };
  /** Reading the samples alone (the binary COPY and the grouping by time, no rules), ms. */
  readOnlyMs: number;
  /** The rest of the median replay: the rules with both settings (plus the sessions and daily reads), ms. */
  engineMs: number;
  /** Samples replayed per second (median run). */
  samplesPerSecond: number;
  /** Peak RSS of the process, MB. */
  peakRssMb: number;
}

/** Ventilator sessions of the patient: one a night (22:00–06:00 UTC) for `days` nights. */
export async function seedVentilatorSessions(url: string, patientId: string, now: number, days: number): Promise<number> {
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  try {
    const deviceId = `BV-${randomBytes(3).toString('hex')}`;
    await pool.query(`INSERT INTO devices (device_id, kind, patient_id, secret_hash) VALUES ($1, 'ventilator', $2, 'x')`, [deviceId, patientId]);
    const firstNight = Math.floor(now / DAY_MS) * DAY_MS - days * DAY_MS;
    const r = await pool.query(
      `INSERT INTO night_sessions (device_id, start_at, end_at, patient_id, usage_hours, leak_p95, ahi, resp_rate_median)
       SELECT $1, n + interval '22 hours', n + interval '30 hours', $2, 6 + (i % 3), 18 + (i % 9), 4 + (i % 5), 15 + (i % 4)
         FROM generate_series(0, $4::int - 1) AS i, LATERAL (SELECT to_timestamp($3::float8 / 1000) + i * interval '1 day' AS n) x`,
      [deviceId, patientId, firstNight, days],
    );
    return r.rowCount ?? 0;
  } finally {
    await pool.end();
  }
}

/** Times the replay of the patient's last `days` days (the trend patient's seeded history). */
export async function timeWhatIfReplay(url: string, patientId: string, opts: { days?: number; runs?: number; now?: number } = {}): Promise<WhatIfTiming> {
  const days = opts.days ?? 30;
  const runs = opts.runs ?? 2;
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  try {
    const { rows } = await pool.query<{ profile: 'hypercapnic' | 'standard'; timezone: string }>(`SELECT profile, timezone FROM patients WHERE id = $1`, [patientId]);
    const patient = issuePatientScope({ id: patientId, profile: rows[0]!.profile, timezone: rows[0]!.timezone });
    // Only the replay is timed: the access check, the audit and the thresholds read are not part of it.
    const service = new ThresholdsPreviewService(undefined as never, undefined as never, new RuleDataRepository(pool), new ReplayDataRepository(pool));
    const current = effectiveSettings(patient.profile, {});
    const proposed = effectiveSettings(patient.profile, { 'spo2.low': { threshold: 92, durationSeconds: 120 }, 'pulse.high': { threshold: 78, durationSeconds: 120 } });
    const now = opts.now ?? Date.now();
    const times: number[] = [];
    let heapAdded = 0;
    let rssAdded = 0;
    let alerts = { current: 0, proposed: 0 };
    for (let i = 0; i < runs; i++) {
      globalThis.gc?.();
      const before = process.memoryUsage();
      let peakHeap = before.heapUsed;
      let peakRss = before.rss;
      const sampler = setInterval(() => {
        const m = process.memoryUsage();
        peakHeap = Math.max(peakHeap, m.heapUsed);
        peakRss = Math.max(peakRss, m.rss);
      }, 10);
      const t0 = performance.now();
      const [cur, prop] = await service.replayPatient(patient, [current, proposed], now - days * DAY_MS, now);
      times.push(performance.now() - t0);
      clearInterval(sampler);
      const after = process.memoryUsage();
      peakHeap = Math.max(peakHeap, after.heapUsed);
      peakRss = Math.max(peakRss, after.rss);
      heapAdded = Math.max(heapAdded, (peakHeap - before.heapUsed) / 1e6);
      rssAdded = Math.max(rssAdded, (peakRss - before.rss) / 1e6);
      alerts = { current: cur!.length, proposed: prop!.length };
    }
    const reader = new ReplayDataRepository(pool);
    const r0 = performance.now();
    let read = 0;
    for (const deviceId of await reader.deviceIds(patient)) read += await reader.forEachSample(patient, deviceId, now - days * DAY_MS, now, () => undefined);
    const readOnlyMs = Math.round(performance.now() - r0);
    if (read === 0) throw new Error('no samples read');
    const counted = await pool.query<{ n: string }>(
      `SELECT count(DISTINCT time)::text AS n FROM readings WHERE patient_id = $1 AND time >= $2 AND time < $3`,
      [patientId, new Date(now - days * DAY_MS), new Date(now)],
    );
    const sessions = await pool.query<{ n: string }>(`SELECT count(*)::text AS n FROM night_sessions WHERE patient_id = $1`, [patientId]);
    const sorted = [...times].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)]!;
    const samples = Number(counted.rows[0]!.n);
    return {
      days,
      samples,
      sessions: Number(sessions.rows[0]!.n),
      medianMs: Math.round(median),
      maxMs: Math.round(sorted[sorted.length - 1]!),
      runs,
      heapAddedMb: Math.round(heapAdded * 10) / 10,
      rssAddedMb: Math.round(rssAdded * 10) / 10,
      alerts,
      readOnlyMs,
      engineMs: Math.max(0, Math.round(median) - readOnlyMs),
      samplesPerSecond: Math.round(samples / (median / 1000)),
      peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    };
  } finally {
    await pool.end();
  }
}

export function formatWhatIf(w: WhatIfTiming): string {
  return (
    `what-if replay: ${w.days} days, ${w.samples.toLocaleString('en-US')} oximetry samples + ${w.sessions} ventilator sessions, ` +
    `two settings: median ${w.medianMs} ms (max ${w.maxMs} ms, ${w.runs} runs; reading alone ${w.readOnlyMs} ms, rules and the rest ${w.engineMs} ms; ` +
    `${w.samplesPerSecond.toLocaleString('en-US')} samples/s), memory added: heap ${w.heapAddedMb} MB, RSS ${w.rssAddedMb} MB (peak RSS ${w.peakRssMb} MB); ` +
    `alerts ${w.alerts.current} (today's) / ${w.alerts.proposed} (proposed)`
  );
}

/** The stage alone, on a scratch database. */
async function standalone(): Promise<void> {
  const adminUrl = process.env.BENCH_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const name = process.env.BENCH_WHATIF_DB ?? 'tm_bench_whatif';
  if (!/^[a-z0-9_]+$/.test(name)) throw new Error('BENCH_WHATIF_DB must be [a-z0-9_]+');
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  const url = u.toString();
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  let flavour: string;
  let patientId: string;
  const deviceId = `BT-${randomBytes(3).toString('hex')}`;
  try {
    flavour = (await migrate(pool, MIGRATIONS_DIR, () => undefined)).flavour;
    const team = (await pool.query<{ id: string }>(`INSERT INTO care_teams (name) VALUES ('bench-whatif') RETURNING id`)).rows[0]!;
    patientId = (await pool.query<{ id: string }>(`INSERT INTO patients (display_name, profile, care_team_id) VALUES ('Bench what-if', 'hypercapnic', $1) RETURNING id`, [team.id])).rows[0]!.id;
    await pool.query(`INSERT INTO devices (device_id, kind, patient_id, secret_hash) VALUES ($1, 'oximeter', $2, 'x')`, [deviceId, patientId]);
  } finally {
    await pool.end();
  }
  const now = Math.floor(Date.now() / HOUR_MS) * HOUR_MS;
  const seeded = await seedTrendHistory(url, flavour, { patientId, deviceId }, now);
  await seedVentilatorSessions(url, patientId, now, 30);
  process.stderr.write(`seeded ${seeded.rows.toLocaleString('en-US')} readings rows (${flavour})\n`);
  const result = await timeWhatIfReplay(url, patientId, { now });
  process.stdout.write(`${formatWhatIf(result)}\n${JSON.stringify(result)}\n`);
  const drop = new pg.Client({ connectionString: adminUrl });
  await drop.connect();
  await drop.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).finally(() => drop.end());
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  standalone().catch((err: unknown) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  });
}
