import { randomBytes } from 'node:crypto';
import { DateTime } from 'luxon';
import pg from 'pg';
import { readProcStatus } from './backend.js';
import { seedTrendHistory } from './trend-query.js';

export interface ReportStageResult {
  month: string;
  readings: number;
  nights: number;
  firstMs: number;
  runs: number;
  medianMs: number;
  p95Ms: number;
  maxMs: number;
  rssAtStartMb: number;
  peakRssMb: number;
  rssAtEndMb: number;
  pdfKiB: number;
}

/**
 * The report stage of the benchmark (`npm run bench`, or alone: `npm run bench:reports`). A new
 * patient of the bench's care team with 30 nights of 1 Hz oximetry (SpO2 and pulse: the 30 days
 * before the 1st of this month, as the trend history is seeded) and a ventilator session every
 * night; the monthly report of last month is timed through the API (the first, then 100 generated
 * one after the other) while the API process's RSS is sampled. Figures: docs/performance.md.
 */
export async function runReportStage(a: {
  databaseUrl: string;
  flavour: string;
  baseUrl: string;
  pid: number;
  teamId: string;
  physician: { id: string; username: string; password: string };
  runs: number;
  log: (m: string) => void;
}): Promise<ReportStageResult> {
  const monthStart = DateTime.now().setZone('Europe/Paris').startOf('month');
  const month = monthStart.minus({ months: 1 }).toFormat('yyyy-MM');
  const pool = new pg.Pool({ connectionString: a.databaseUrl, max: 1 });
  const run = randomBytes(3).toString('hex');
  let patientId: string;
  let seeded: number;
  try {
    patientId = (
      await pool.query<{ id: string }>(`INSERT INTO patients (display_name, profile, care_team_id) VALUES ($1, 'hypercapnic', $2) RETURNING id`, [`Bench report ${run}`, a.teamId])
    ).rows[0]!.id;
    const oximeter = `bench-rox-${run}`;
    const ventilator = `bench-rvent-${run}`;
    await pool.query(`INSERT INTO devices (device_id, kind, patient_id, secret_hash) VALUES ($1, 'oximeter', $3, 'unused'), ($2, 'ventilator', $3, 'unused')`, [oximeter, ventilator, patientId]);
    seeded = (await seedTrendHistory(a.databaseUrl, a.flavour, { patientId, deviceId: oximeter }, monthStart.toMillis())).rows;
    await pool.query(
      `INSERT INTO night_sessions (device_id, start_at, end_at, patient_id, usage_hours, leak_p95, ahi, resp_rate_median)
       SELECT $1, d + interval '22 hours', d + interval '30 hours', $2, 8, 18 + k % 5, 3 + k % 3, 16
         FROM generate_series(1, 30) AS k, LATERAL (SELECT (to_timestamp($3::float8 / 1000) - k * interval '1 day') AS d) AS x`,
      [ventilator, patientId, monthStart.toMillis()],
    );
    await pool.query(`INSERT INTO episodes (patient_id, indication, prescriber_id, start_date, created_by) VALUES ($1, 'niv', $2, $3, $2)`, [
      patientId,
      a.physician.id,
      monthStart.minus({ months: 2 }).toISODate(),
    ]);
  } finally {
    await pool.end();
  }
  a.log(`report stage: ${seeded.toLocaleString('en-US')} readings and 30 ventilator sessions in ${month}`);
  const login = await fetch(`${a.baseUrl}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: a.physician.username, password: a.physician.password }),
  });
  const { accessToken } = (await login.json()) as { accessToken: string };
  const report = async () => {
    const t0 = performance.now();
    const res = await fetch(`${a.baseUrl}/api/patients/${patientId}/reports/monthly.pdf?month=${month}`, { headers: { authorization: `Bearer ${accessToken}` } });
    const bytes = (await res.arrayBuffer()).byteLength;
    if (res.status !== 200) throw new Error(`report: ${res.status}`);
    return { ms: performance.now() - t0, bytes };
  };
  const rss = () => readProcStatus(a.pid)?.rssMb ?? 0;
  const rssAtStartMb = rss();
  const first = await report();
  a.log(`report stage: first report ${first.ms.toFixed(0)} ms, ${(first.bytes / 1024).toFixed(0)} KiB`);
  const times: number[] = [];
  let peakRssMb = rssAtStartMb;
  for (let i = 0; i < a.runs; i++) {
    times.push((await report()).ms);
    peakRssMb = Math.max(peakRssMb, rss());
    if ((i + 1) % 25 === 0) a.log(`report stage: ${i + 1} / ${a.runs} reports, RSS ${rss()} MB`);
  }
  times.sort((x, y) => x - y);
  const at = (p: number) => Math.round(times[Math.min(times.length - 1, Math.floor(p * times.length))]!);
  return {
    month,
    readings: seeded,
    nights: 30,
    firstMs: Math.round(first.ms),
    runs: a.runs,
    medianMs: at(0.5),
    p95Ms: at(0.95),
    maxMs: Math.round(times.at(-1)!),
    rssAtStartMb,
    peakRssMb,
    rssAtEndMb: rss(),
    pdfKiB: Math.round(first.bytes / 1024),
  };
}
