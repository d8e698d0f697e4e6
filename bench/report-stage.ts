import { randomBytes } from 'node:crypto';
import { DateTime } from 'luxon';
import pg from 'pg';
import { readProcStatus, startBackend, waitHealthy } from './backend.js';
import { prepareDatabase, startBroker } from './infra.js';
import { provision } from './provision.js';
import { seedTrendHistory } from './trend-query.js';

/**
 * The report stage of the benchmark, run alone: `npm run bench:reports`. A patient with 30 nights
 * of 1 Hz oximetry (SpO2 and pulse: the bench's trend history, the 30 days before the 1st of this
 * month) and a ventilator session every night; the monthly report of last month is timed (the
 * first, then the median of 100 generated one after the other) and the backend's RSS is sampled
 * during the 100. Figures: docs/performance.md ("Reports").
 */
const RUNS = Number(process.env.BENCH_REPORT_RUNS ?? 100);
const HTTP_PORT = Number(process.env.BENCH_HTTP_PORT ?? 3990);
const MQTT_PORT = Number(process.env.BENCH_MQTT_PORT ?? 18990);
const started = Date.now();
const log = (m: string) => process.stderr.write(`[bench:reports ${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s] ${m}\n`);

async function main(): Promise<void> {
  const db = await prepareDatabase(log);
  const broker = await startBroker(MQTT_PORT, log);
  const backend = { stop: async () => undefined as unknown };
  try {
    const population = await provision(db.url, { load: 0, capacity: 0, alert: 0 });
    const monthStart = DateTime.now().setZone('Europe/Paris').startOf('month');
    const month = monthStart.minus({ months: 1 }).toFormat('yyyy-MM');
    const seeded = await seedTrendHistory(db.url, db.flavour, population.trendPatient, monthStart.toMillis());
    const pool = new pg.Pool({ connectionString: db.url, max: 1 });
    const { patientId } = population.trendPatient;
    const ventilator = `bench-vent-${randomBytes(3).toString('hex')}`;
    await pool.query(`INSERT INTO devices (device_id, kind, patient_id, secret_hash) SELECT $1, 'ventilator', $2, secret_hash FROM devices WHERE device_id = $3`, [
      ventilator,
      patientId,
      population.trendPatient.deviceId,
    ]);
    await pool.query(
      `INSERT INTO night_sessions (device_id, start_at, end_at, patient_id, usage_hours, leak_p95, ahi, resp_rate_median)
       SELECT $1, d + interval '22 hours', d + interval '30 hours', $2, 8, 18 + k % 5, 3 + k % 3, 16
         FROM generate_series(1, 30) AS k, LATERAL (SELECT (to_timestamp($3::float8 / 1000) - k * interval '1 day') AS d) AS x`,
      [ventilator, patientId, monthStart.toMillis()],
    );
    await pool.query(`UPDATE episodes SET status = 'ended', end_date = start_date, end_reason = 'bench', ended_at = now() WHERE patient_id = $1 AND status = 'active'`, [patientId]);
    await pool.query(`INSERT INTO episodes (patient_id, indication, prescriber_id, start_date, created_by) VALUES ($1, 'niv', $2, $3, $2)`, [
      patientId,
      population.physician.id,
      monthStart.minus({ months: 2 }).toISODate(),
    ]);
    await pool.end();
    log(`seeded ${seeded.rows.toLocaleString('en-US')} readings and 30 ventilator sessions for ${month}`);

    const b = startBackend(
      'backend',
      {
        NODE_ENV: 'production',
        PUBLIC_BASE_URL: `http://127.0.0.1:${HTTP_PORT}`,
        DATABASE_URL: db.url,
        MQTT_URL: broker.url,
        MQTT_INSECURE: 'true',
        JWT_SECRET: randomBytes(32).toString('hex'),
        MIGRATE_ON_START: 'false',
        LOG_LEVEL: 'warn',
        ROLES: 'api',
        LOGIN_RATE_LIMIT_PER_IP: '1000',
      },
      HTTP_PORT,
    );
    backend.stop = () => b.stop();
    await waitHealthy(b, 90_000);
    const login = await fetch(`${b.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: population.physician.username, password: population.physician.password }),
    });
    const { accessToken } = (await login.json()) as { accessToken: string };
    const report = async () => {
      const t0 = performance.now();
      const res = await fetch(`${b.url}/api/patients/${patientId}/reports/monthly.pdf?month=${month}`, { headers: { authorization: `Bearer ${accessToken}` } });
      const bytes = (await res.arrayBuffer()).byteLength;
      if (res.status !== 200) throw new Error(`report: ${res.status}`);
      return { ms: performance.now() - t0, bytes };
    };
    const first = await report();
    log(`first report: ${first.ms.toFixed(0)} ms, ${(first.bytes / 1024).toFixed(0)} KiB`);
    const times: number[] = [];
    let peakRssMb = 0;
    const rssAtStart = readProcStatus(b.proc.pid!)?.rssMb ?? 0;
    for (let i = 0; i < RUNS; i++) {
      times.push((await report()).ms);
      peakRssMb = Math.max(peakRssMb, readProcStatus(b.proc.pid!)?.rssMb ?? 0);
    }
    times.sort((x, y) => x - y);
    const q = (p: number) => times[Math.min(times.length - 1, Math.floor(p * times.length))]!.toFixed(0);
    const rssAtEnd = readProcStatus(b.proc.pid!)?.rssMb ?? 0;
    process.stdout.write(
      `${JSON.stringify({ month, readings: seeded.rows, nights: 30, firstMs: Math.round(first.ms), runs: RUNS, medianMs: Number(q(0.5)), p95Ms: Number(q(0.95)), maxMs: Math.round(times.at(-1)!), rssAtStartMb: rssAtStart, peakRssMb, rssAtEndMb: rssAtEnd, pdfKiB: Math.round(first.bytes / 1024) }, null, 2)}\n`,
    );
  } finally {
    await backend.stop();
    await broker.stop();
    await db.drop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
