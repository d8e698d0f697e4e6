import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { insertReadings, regular, repeat, type FixtureReading } from '../../support/readings-fixture.js';
import { api, startTestApp, type TestApp } from '../../support/test-app.js';

// jest.config's testTimeout is not applied per project: hooks would get 5 s on a loaded machine.
jest.setTimeout(60000);

interface Night {
  night: string;
  start: string;
  end: string;
  source: 'session' | 'default';
  sessions: number;
  usageHours: number | null;
  leakP95: number | null;
  ahi: number | null;
  respRateMedian: number | null;
  tidalVolumeMedian: number | null;
  minuteVentilationMedian: number | null;
  triggeredBreathsPct: number | null;
  spo2Mean: number | null;
  spo2Min: number | null;
  t90Pct: number | null;
  odi3: number | null;
  pulseMean: number | null;
  oximetryHours: number;
}

const DAY = 86_400_000;
const isoDate = (ms: number) => new Date(ms).toISOString().slice(0, 10);

describe('GET /api/patients/:id/nights', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ roles: ['api'] });
  });
  afterAll(async () => {
    await t.close();
  });

  it('joins each ventilation session with the oximetry of its window, worked out by hand', async () => {
    const { physician, patient, device, team } = await t.ctx.newTeamWithPatient();
    await t.pool.query(`UPDATE patients SET timezone = 'UTC' WHERE id = $1`, [patient.id]);
    const ventilator = await t.ctx.newDevice(patient.id, 'ventilator');
    // Nights are the evenings of D-1 and D, where D is yesterday (UTC = the patient's timezone).
    const today = Math.floor(Date.now() / DAY) * DAY;
    const d = today - DAY;
    const at = (dayMs: number, hhmmss: string) => `${isoDate(dayMs)}T${hhmmss}Z`;
    const base = { deviceId: device.deviceId, patientId: patient.id };

    // Night D: a ventilation session 22:00 → 06:00. One hour of 1 Hz SpO2 from 22:00:
    // 30 min at 95, 60 s at 85, 29 min at 95 → mean (3540*95 + 60*85)/3600 = 94.83, min 85,
    // T90 = 60/3600 = 1.67 %, one desaturation in 1 h → ODI 1. Pulse 70, 80, 90 → 80.
    await t.pool.query(
      `INSERT INTO night_sessions (device_id, start_at, end_at, patient_id, usage_hours, leak_p95, ahi, resp_rate_median,
         tidal_volume_median, minute_ventilation_median, triggered_breaths_pct)
       VALUES ($1, $2, $3, $4, 8, 24, 5.2, 17, 460, 7.8, 60)`,
      [ventilator.deviceId, at(d, '22:00:00'), at(d + DAY, '06:00:00'), patient.id],
    );
    const rows: FixtureReading[] = [
      ...regular({ ...base, metric: 'spo2' }, at(d, '22:00:00'), 1000, [...repeat(95, 1800), ...repeat(85, 60), ...repeat(95, 1740)]),
      { ...base, metric: 'pulseRate', at: at(d, '23:00:00'), value: 70 },
      { ...base, metric: 'pulseRate', at: at(d + DAY, '01:00:00'), value: 80 },
      { ...base, metric: 'pulseRate', at: at(d + DAY, '05:59:59'), value: 90 },
      // Outside the session window, and poor-signal samples: excluded.
      { ...base, metric: 'spo2', at: at(d, '21:59:59'), value: 70 },
      { ...base, metric: 'pulseRate', at: at(d + DAY, '06:00:00'), value: 150 },
      { ...base, metric: 'spo2', at: at(d, '22:10:00.500'), value: 60, signalOk: false },
      { ...base, metric: 'pulseRate', at: at(d, '23:30:00'), value: 200, signalOk: false },
      // Night D-1, no session → 20:00–08:00: 10 min at 1 Hz from 02:00, 300 s at 92 then 300 s at 88:
      // mean 90, min 88, T90 50 %, one desaturation (baseline 92, 88 ≤ 89) in 1/6 h → ODI 6.
      ...regular({ ...base, metric: 'spo2' }, at(d, '02:00:00'), 1000, [...repeat(92, 300), ...repeat(88, 300)]),
      { ...base, metric: 'spo2', at: at(d - DAY, '19:59:59'), value: 50 },
    ];
    await insertReadings(t.pool, rows);

    const res = await api<Night[]>(t.url, 'GET', `/api/patients/${patient.id}/nights?days=2`, physician.token);
    expect(res.status).toBe(200);
    expect(res.body.map((n) => n.night)).toEqual([isoDate(d - DAY), isoDate(d)]);
    const [quiet, ventilated] = res.body as [Night, Night];
    expect(quiet).toEqual({
      night: isoDate(d - DAY),
      start: new Date(d - DAY + 20 * 3_600_000).toISOString(),
      end: new Date(d + 8 * 3_600_000).toISOString(),
      source: 'default',
      sessions: 0,
      usageHours: null,
      leakP95: null,
      ahi: null,
      respRateMedian: null,
      tidalVolumeMedian: null,
      minuteVentilationMedian: null,
      triggeredBreathsPct: null,
      spo2Mean: 90,
      spo2Min: 88,
      t90Pct: 50,
      odi3: 6,
      pulseMean: null,
      oximetryHours: 0.17,
    });
    expect(ventilated).toEqual({
      night: isoDate(d),
      start: new Date(d + 22 * 3_600_000).toISOString(),
      end: new Date(d + 30 * 3_600_000).toISOString(),
      source: 'session',
      sessions: 1,
      usageHours: 8,
      leakP95: 24,
      ahi: 5.2,
      respRateMedian: 17,
      tidalVolumeMedian: 460,
      minuteVentilationMedian: 7.8,
      triggeredBreathsPct: 60,
      spo2Mean: 94.8,
      spo2Min: 85,
      t90Pct: 1.7,
      odi3: 1,
      pulseMean: 80,
      oximetryHours: 1,
    });

    // The same nights by date.
    const byDate = await api<Night[]>(t.url, 'GET', `/api/patients/${patient.id}/nights?days=1&until=${isoDate(d - DAY)}`, physician.token);
    expect(byDate.body).toEqual([quiet]);

    const audit = await t.pool.query(`SELECT details FROM audit_log WHERE actor_id = $1 AND action = 'patient.nights.read' AND patient_id = $2 ORDER BY id`, [physician.id, patient.id]);
    expect(audit.rows).toEqual([{ details: { days: 2 } }, { details: { days: 1, until: isoDate(d - DAY) } }]);
    const stranger = await t.ctx.newUser('physician', [(await t.ctx.newCareTeam()).id]);
    expect((await api(t.url, 'GET', `/api/patients/${patient.id}/nights`, stranger.token)).status).toBe(404);
    expect(team.id).toBeDefined();
  });

  it('caches computed nights and recomputes a night when new samples arrive in its window (backfill)', async () => {
    const { physician, patient, device } = await t.ctx.newTeamWithPatient();
    await t.pool.query(`UPDATE patients SET timezone = 'UTC' WHERE id = $1`, [patient.id]);
    const d = Math.floor(Date.now() / DAY) * DAY - DAY;
    const base = { deviceId: device.deviceId, patientId: patient.id, metric: 'spo2' };
    await insertReadings(t.pool, regular(base, `${isoDate(d)}T23:00:00Z`, 1000, repeat(94, 600)));
    const get = async () => (await api<Night[]>(t.url, 'GET', `/api/patients/${patient.id}/nights?days=1`, physician.token)).body[0]!;
    expect(await get()).toMatchObject({ spo2Mean: 94, spo2Min: 94, t90Pct: 0 });
    const cached = await t.pool.query(`SELECT summary FROM night_oximetry_cache WHERE patient_id = $1`, [patient.id]);
    expect(cached.rows).toHaveLength(1);
    // Served from the cache while the data is unchanged (a marked entry proves it)...
    await t.pool.query(`UPDATE night_oximetry_cache SET summary = jsonb_set(summary, '{min}', '93') WHERE patient_id = $1`, [patient.id]);
    expect((await get()).spo2Min).toBe(93);
    // ...and recomputed when a late backlog lands in the window: 60 s at 80 % →
    // mean (600*94 + 60*80)/660 = 92.7, T90 = 60/660 = 9.1 % (the gap before it is not recording time).
    await insertReadings(t.pool, regular(base, `${isoDate(d)}T23:30:00Z`, 1000, repeat(80, 60)));
    expect(await get()).toMatchObject({ spo2Min: 80, spo2Mean: 92.7, t90Pct: 9.1 });
  });

  it('uses 20:00–08:00 in the patient timezone when there is no session, one row per night even without data', async () => {
    const { physician, patient } = await t.ctx.newTeamWithPatient();
    await t.pool.query(`UPDATE patients SET timezone = 'Europe/Paris' WHERE id = $1`, [patient.id]);
    const res = await api<Night[]>(t.url, 'GET', `/api/patients/${patient.id}/nights?days=7`, physician.token);
    expect(res.status).toBe(200);
    expect(res.body).toHaveLength(7);
    const local = (iso: string) => new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Paris', hour: '2-digit', minute: '2-digit', hour12: false }).format(new Date(iso));
    for (const n of res.body) {
      expect(local(n.start)).toBe('20:00');
      expect(local(n.end)).toBe('08:00');
      expect(n).toMatchObject({ source: 'default', spo2Mean: null, t90Pct: null, odi3: null, oximetryHours: 0 });
    }
    const parisToday = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Paris' }).format(new Date());
    expect(res.body.at(-1)!.night < parisToday).toBe(true);
  });

  it.each([
    ['days=0', 'VALIDATION_FAILED'],
    ['days=abc', 'VALIDATION_FAILED'],
    ['days=400', 'RANGE_TOO_LARGE'],
    ['until=2026-13-01', 'VALIDATION_FAILED'],
    ['until=yesterday', 'VALIDATION_FAILED'],
  ])('refuses %s with %s', async (query, code) => {
    const { physician, patient } = await t.ctx.newTeamWithPatient();
    const res = await api<{ error: { code: string } }>(t.url, 'GET', `/api/patients/${patient.id}/nights?${query}`, physician.token);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe(code);
  });
});
