import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { DateTime } from 'luxon';
import { insertReadings, regular, repeat } from '../../support/readings-fixture.js';
import { api, startTestApp, type TestApp } from '../../support/test-app.js';

jest.setTimeout(60000);

interface Day {
  day: string;
  dataReceived: boolean;
  ventilationHours: number | null;
  ventilationHoursChange: number | null;
  respRateMean: number | null;
  leakMedian: number | null;
  leakMean: number | null;
  o2Hours: number | null;
  o2FlowMean: number | null;
  spo2Mean: number | null;
}

const local = (iso: string, zone = 'Europe/Paris') => DateTime.fromISO(iso, { zone }).toJSDate();
const MIN = 60_000;

describe('GET /api/patients/:id/days (therapy days, noon to noon)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ roles: ['api'] });
  });
  afterAll(async () => {
    await t.close();
  });

  const session = async (deviceId: string, patientId: string, start: Date, end: Date, fields: { usageHours?: number; respRateMedian?: number } = {}) =>
    t.pool.query(`INSERT INTO night_sessions (device_id, start_at, end_at, patient_id, usage_hours, resp_rate_median) VALUES ($1, $2, $3, $4, $5, $6)`, [
      deviceId,
      start,
      end,
      patientId,
      fields.usageHours ?? null,
      fields.respRateMedian ?? null,
    ]);
  const days = async (token: string, patientId: string, query: string) => {
    const res = await api<Day[]>(t.url, 'GET', `/api/patients/${patientId}/days?${query}`, token);
    expect(res.status).toBe(200);
    return res.body;
  };

  it('SpO2 mean: whole UTC hours from the hourly rollup, the half hours at the edges of a +05:30 day from the samples, exactly', async () => {
    const { nurse, patient, device } = await t.ctx.newTeamWithPatient();
    await t.pool.query(`UPDATE patients SET timezone = 'Asia/Kolkata' WHERE id = $1`, [patient.id]);
    const base = { deviceId: device.deviceId, patientId: patient.id, metric: 'spo2' };
    // The day of 10 November 2026 runs 06:30Z → 06:30Z (noon to noon, UTC+05:30).
    await insertReadings(t.pool, [
      ...regular(base, '2026-11-10T06:20:00Z', MIN, repeat(70, 5)), // before noon: the day before
      ...regular(base, '2026-11-10T06:35:00Z', MIN, repeat(80, 10)), // the first half hour
      ...regular(base, '2026-11-10T08:00:00Z', MIN, repeat(96, 20)), // a whole hour
      ...regular(base, '2026-11-11T06:10:00Z', MIN, repeat(90, 10)), // the last half hour
      ...regular(base, '2026-11-11T06:40:00Z', MIN, repeat(60, 5)), // after noon: the next day
    ]);
    const [day] = await days(nurse.token, patient.id, 'days=1&until=2026-11-10');
    expect(day!.spo2Mean).toBe(Math.round(((80 * 10 + 96 * 20 + 90 * 10) / 40) * 10) / 10);
  });

  it('a session across the spring DST night counts its true hours on one day (Paris, 28→29 March 2026)', async () => {
    const { nurse, patient } = await t.ctx.newTeamWithPatient();
    const vent = await t.ctx.newDevice(patient.id, 'ventilator');
    // 22:00 CET → 07:00 CEST: 9 hours on the wall clock, 8 true hours; no usageHours sent.
    await session(vent.deviceId, patient.id, local('2026-03-28T22:00'), local('2026-03-29T07:00'));
    // The evening before: 23:00 → 06:00, with the device's own usage count (6.5 h).
    await session(vent.deviceId, patient.id, local('2026-03-27T23:00'), local('2026-03-28T06:00'), { usageHours: 6.5 });
    const rows = await days(nurse.token, patient.id, 'days=3&until=2026-03-29');
    expect(rows.map((r) => r.day)).toEqual(['2026-03-29', '2026-03-28', '2026-03-27']);
    const [d29, d28, d27] = rows;
    expect(d28).toMatchObject({ dataReceived: true, ventilationHours: 8, ventilationHoursChange: 1.5 });
    expect(d27).toMatchObject({ dataReceived: true, ventilationHours: 6.5 });
    // The patient has a ventilator: a day without a session is 0 h, not null.
    expect(d29).toMatchObject({ dataReceived: false, ventilationHours: 0, ventilationHoursChange: -8, spo2Mean: null, respRateMean: null, leakMedian: null, o2Hours: null });
  });

  it('the noon boundary: 11:59 belongs to the day before, 12:00 to the day itself (autumn DST day of 25 h too)', async () => {
    const { physician, patient, device } = await t.ctx.newTeamWithPatient();
    await insertReadings(t.pool, [
      { deviceId: device.deviceId, patientId: patient.id, metric: 'spo2', value: 90, at: local('2026-10-24T11:59') },
      { deviceId: device.deviceId, patientId: patient.id, metric: 'spo2', value: 96, at: local('2026-10-24T12:00') },
      // 11:30 CET on the 25th, after the clocks went back: still the day of the 24th (25 hours).
      { deviceId: device.deviceId, patientId: patient.id, metric: 'spo2', value: 92, at: local('2026-10-25T11:30') },
    ]);
    const rows = await days(physician.token, patient.id, 'days=3&until=2026-10-25');
    expect(rows.map((r) => [r.day, r.dataReceived, r.spo2Mean])).toEqual([
      ['2026-10-25', false, null],
      ['2026-10-24', true, 94],
      ['2026-10-23', true, 90],
    ]);
    // An oximeter only: no ventilation, no oxygen fields.
    expect(rows[1]).toMatchObject({ ventilationHours: null, ventilationHoursChange: null, o2Hours: null, o2FlowMean: null });
  });

  it('another zone: a patient in New York has New York noons', async () => {
    const { nurse, patient, device } = await t.ctx.newTeamWithPatient();
    await t.pool.query(`UPDATE patients SET timezone = 'America/New_York' WHERE id = $1`, [patient.id]);
    // 17:30 Paris = 11:30 New York: the day before in New York, the same day in Paris.
    await insertReadings(t.pool, [{ deviceId: device.deviceId, patientId: patient.id, metric: 'spo2', value: 93, at: local('2026-11-10T11:30', 'America/New_York') }]);
    const rows = await days(nurse.token, patient.id, 'days=2&until=2026-11-10');
    expect(rows.map((r) => [r.day, r.dataReceived])).toEqual([
      ['2026-11-10', false],
      ['2026-11-09', true],
    ]);
  });

  it('indicators: SpO2 without poor-signal samples, respiratory rate and leak from samples, O2 from flow samples', async () => {
    const { nurse, patient, device } = await t.ctx.newTeamWithPatient();
    const vent = await t.ctx.newDevice(patient.id, 'ventilator');
    const night = local('2026-11-20T22:00');
    await session(vent.deviceId, patient.id, night, local('2026-11-21T06:00'), { usageHours: 8, respRateMedian: 30 });
    await insertReadings(t.pool, [
      ...regular({ deviceId: device.deviceId, patientId: patient.id, metric: 'spo2' }, night, MIN, [...repeat(90, 3), 96]),
      { deviceId: device.deviceId, patientId: patient.id, metric: 'spo2', value: 60, at: local('2026-11-20T23:30'), signalOk: false },
      ...regular({ deviceId: vent.deviceId, patientId: patient.id, metric: 'respRate' }, night, MIN, [16, 18, 20]),
      ...regular({ deviceId: vent.deviceId, patientId: patient.id, metric: 'leak' }, night, MIN, [10, 20, 60]),
      // 90 minutes of 2 L/min, then 30 minutes at 0 (the flow is off: no O2 hours).
      ...regular({ deviceId: vent.deviceId, patientId: patient.id, metric: 'o2Flow' }, night, MIN, [...repeat(2, 90), ...repeat(0, 30)]),
    ]);
    const [day] = await days(nurse.token, patient.id, 'days=1&until=2026-11-20');
    expect(day).toMatchObject({
      day: '2026-11-20',
      dataReceived: true,
      ventilationHours: 8,
      spo2Mean: 91.5,
      // From the samples, not the session's median.
      respRateMean: 18,
      leakMedian: 20,
      leakMean: 30,
      o2Hours: 1.5,
      o2FlowMean: 1.5,
    });
  });

  it("respiratory rate from the sessions' medians, weighted by their hours, when there are no samples", async () => {
    const { nurse, patient } = await t.ctx.newTeamWithPatient();
    const vent = await t.ctx.newDevice(patient.id, 'ventilator');
    await session(vent.deviceId, patient.id, local('2026-11-20T21:00'), local('2026-11-21T00:00'), { usageHours: 3, respRateMedian: 20 });
    await session(vent.deviceId, patient.id, local('2026-11-21T01:00'), local('2026-11-21T02:00'), { usageHours: 1, respRateMedian: 16 });
    const [day] = await days(nurse.token, patient.id, 'days=1&until=2026-11-20');
    expect(day).toMatchObject({ ventilationHours: 4, respRateMean: 19, leakMedian: null, leakMean: null });
  });

  it('newest first, the day in progress by default; 1–366 days; admin 403; another team 404', async () => {
    const { nurse, patient, team } = await t.ctx.newTeamWithPatient();
    const rows = await days(nurse.token, patient.id, 'days=366');
    expect(rows).toHaveLength(366);
    const today = DateTime.now().setZone('Europe/Paris');
    expect(rows[0]!.day).toBe((today.hour < 12 ? today.minus({ days: 1 }) : today).toISODate());
    expect(rows[1]!.day < rows[0]!.day).toBe(true);
    expect((await days(nurse.token, patient.id, '')).length).toBe(30);
    for (const q of ['days=0', 'days=367', 'days=x', 'until=2026-13-01', 'other=1']) {
      expect((await api(t.url, 'GET', `/api/patients/${patient.id}/days?${q}`, nurse.token)).status).toBe(400);
    }
    const admin = await t.ctx.newUser('admin', [team.id]);
    expect((await api(t.url, 'GET', `/api/patients/${patient.id}/days`, admin.token)).status).toBe(403);
    const other = await t.ctx.newTeamWithPatient();
    expect((await api(t.url, 'GET', `/api/patients/${patient.id}/days`, other.nurse.token)).status).toBe(404);
    const trail = await t.pool.query(`SELECT outcome FROM audit_log WHERE patient_id = $1 AND action = 'patient.days.read' ORDER BY id`, [patient.id]);
    expect(trail.rows.map((r) => r.outcome)).toEqual(['success', 'success', 'denied']);
  });
});
