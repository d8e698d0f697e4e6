/**
 * Home oxygen end to end (CONTRACT.md §6), on the Jest worker's own Mosquitto and PostgreSQL:
 * a concentrator publishes flow samples and sessions of oxygen use over MQTT; they are stored,
 * GET /api/patients/:id/days shows them, malformed input is recorded as rejections, and
 * o2.adherence (oxygen < 15 h/day on ≥ 3 of the last 7 therapy days) raises and resolves.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import mqtt, { type MqttClient } from 'mqtt';
import { addDays, lastCompleteNight, nightEnd, SETTLE_HOURS, zonedEpoch } from '#rules';
import { AlertJobsService } from '../../../apps/server/src/alerts/alert-jobs.service.js';
import { TEST_MQTT_URL } from '../../support/test-env.js';
import { api, eventually, startTestApp, type TestApp } from '../../support/test-app.js';
import { alertsOf, HOUR, MINUTE } from '../alerts/alert-fixtures.js';

jest.setTimeout(60_000);

const TZ = 'Europe/Paris';

async function connectDevice(device: { deviceId: string; secret: string }): Promise<MqttClient> {
  return mqtt.connectAsync(TEST_MQTT_URL, { clientId: device.deviceId, username: device.deviceId, password: device.secret, protocolVersion: 4, reconnectPeriod: 0 });
}

/** One session of oxygen use per therapy day, from 14:00 local, for the days ending with `last`. */
function oxygenWeek(last: string, hours: number[]) {
  return hours.map((h, i) => {
    const start = zonedEpoch(addDays(last, i - (hours.length - 1)), 14, TZ);
    return { start: new Date(start).toISOString(), end: new Date(start + h * HOUR).toISOString(), o2UsageHours: h, o2FlowMean: 2 };
  });
}

describe('home oxygen: a concentrator over MQTT', () => {
  let t: TestApp;
  const clients: MqttClient[] = [];
  beforeAll(async () => {
    t = await startTestApp({ roles: ['ingest', 'api'] });
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.endAsync().catch(() => undefined)));
    await t.close();
  });

  async function oxygenPatient() {
    const { nurse, physician, patient } = await t.ctx.newTeamWithPatient();
    const concentrator = await t.ctx.newDevice(patient.id, 'concentrator');
    const client = await connectDevice(concentrator);
    clients.push(client);
    const publish = (payload: unknown) => client.publishAsync(`tm/v1/devices/${concentrator.deviceId}/readings`, typeof payload === 'string' ? payload : JSON.stringify(payload), { qos: 1 });
    const storedSessions = async () =>
      (await t.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM night_sessions WHERE device_id = $1`, [concentrator.deviceId])).rows[0]!.n;
    return { nurse, physician, patient, concentrator, publish, storedSessions };
  }

  it('stores flow and SpO2 samples and oxygen sessions; /days shows oxygen hours and mean flow', async () => {
    const { nurse, patient, concentrator, publish } = await oxygenPatient();
    const last = lastCompleteNight(Date.now(), TZ);
    const start = zonedEpoch(last, 14, TZ);
    // 16.5 h of oxygen at 2 L/min on the last complete therapy day; 30 flow samples with SpO2 (a sensor).
    const samples = Array.from({ length: 30 }, (_, i) => ({ at: start + i * MINUTE, o2Flow: 2, spo2: i < 15 ? 90 : 94 }));
    await publish({ v: 1, samples, sessions: [{ start: new Date(start).toISOString(), end: new Date(start + 16.5 * HOUR).toISOString(), o2UsageHours: 16.5, o2FlowMean: 2.2 }] });
    const session = await eventually(async () => (await t.pool.query(`SELECT * FROM night_sessions WHERE device_id = $1`, [concentrator.deviceId])).rows[0]);
    expect(session).toMatchObject({ o2_usage_hours: 16.5, o2_flow_mean: 2.2, usage_hours: null, leak_median: null });
    await eventually(async () => (await t.pool.query(`SELECT count(*)::int AS n FROM readings WHERE device_id = $1`, [concentrator.deviceId])).rows[0].n === 60);

    const res = await api<Record<string, unknown>[]>(t.url, 'GET', `/api/patients/${patient.id}/days?days=2&until=${last}`, nurse.token);
    expect(res.status).toBe(200);
    expect(res.body[0]).toMatchObject({ day: last, dataReceived: true, o2Hours: 16.5, o2FlowMean: 2.2, spo2Mean: 92, ventilationHours: null, leakMedian: null });
    // The day before: no data, and a concentrator's day without a session is 0 h of oxygen (not null).
    expect(res.body[1]).toMatchObject({ day: addDays(last, -1), dataReceived: false, o2Hours: 0, ventilationHours: null });
  });

  it('malformed concentrator input is recorded as rejections with their reasons; the rest is stored', async () => {
    const { concentrator, publish, storedSessions } = await oxygenPatient();
    const at = Date.now() - 10 * MINUTE;
    await publish({
      v: 1,
      samples: [{ at, o2Flow: 22 }, { at: at + MINUTE, o2Flow: 2 }],
      sessions: [
        { start: new Date(at - 5 * HOUR).toISOString(), end: new Date(at).toISOString(), o2UsageHours: 5, usageHours: 5 },
        { start: new Date(at - 30 * HOUR).toISOString(), end: new Date(at - 26 * HOUR).toISOString(), o2UsageHours: 4 },
      ],
    });
    await publish('{"v":1,"samples":[{"at":');
    const rows = await eventually(async () => {
      const r = await t.pool.query<{ reason: string; detail: string }>(`SELECT reason, detail FROM rejections WHERE device_id = $1 ORDER BY id`, [concentrator.deviceId]);
      return r.rows.length === 3 && r.rows;
    });
    expect(rows).toEqual([
      { reason: 'out-of-range', detail: 'samples[0]: o2Flow=22 outside 0–15' },
      { reason: 'unknown-field', detail: 'sessions[0]: usageHours is not a field of a concentrator session' },
      { reason: 'malformed-json', detail: 'payload is not JSON' },
    ]);
    expect(await storedSessions()).toBe(1);
  });

  it('o2.adherence raises (warning) on 3 of the last 7 therapy days below 15 h, not on 2; it resolves when use is back', async () => {
    const last = lastCompleteNight(Date.now(), TZ);
    const jobs = t.app.get(AlertJobsService);
    const nightly = new Date(nightEnd(last, TZ) + (SETTLE_HOURS + 1) * HOUR);

    // Two short days of seven: nothing, neither on arrival nor in the nightly job.
    const two = await oxygenPatient();
    await two.publish({ v: 1, sessions: oxygenWeek(last, [16, 14, 16, 16, 10, 16, 16]) });
    await eventually(async () => (await two.storedSessions()) === 7);
    await jobs.runNightly(nightly, { patientIds: [two.patient.id] });
    expect(await alertsOf(t.pool, two.patient.id, 'o2.adherence')).toEqual([]);

    // Three short days: raised on arrival of the sessions.
    const three = await oxygenPatient();
    await three.publish({ v: 1, sessions: oxygenWeek(last, [16, 14, 16, 16, 10, 16, 14.5]) });
    const alert = await eventually(async () => (await alertsOf(t.pool, three.patient.id, 'o2.adherence'))[0]);
    expect(alert).toMatchObject({ status: 'open', severity: 'warning', value: 3, threshold: 3 });
    const { rows } = await t.pool.query(`SELECT message FROM alerts WHERE id = $1`, [alert.id]);
    expect(rows[0].message).toBe('Oxygen used less than 15 h on 3 of the last 7 days');
    // The physician's prescription of 12 h/day makes those days adherent: the next evaluation clears it.
    const put = await api(t.url, 'PUT', `/api/patients/${three.patient.id}/thresholds`, three.physician.token, { 'o2.adherence': { minUsageHours: 12 } });
    expect(put.status).toBe(200);
    await jobs.runNightly(nightly, { patientIds: [three.patient.id] });
    const [resolved] = await alertsOf(t.pool, three.patient.id, 'o2.adherence');
    expect(resolved).toMatchObject({ id: alert.id, status: 'resolved', resolution: 'cleared' });
    // A concentrator's sessions are no ventilation nights: no NIV rule raised.
    expect(await alertsOf(t.pool, three.patient.id, 'niv.adherence')).toEqual([]);
  });

  it('the nightly job counts a settled therapy day without oxygen as 0 h', async () => {
    const last = lastCompleteNight(Date.now(), TZ);
    const p = await oxygenPatient();
    // Two short days and, on the last two days, no session at all: four days below 15 h once settled.
    await p.publish({ v: 1, sessions: oxygenWeek(addDays(last, -2), [16, 16, 10, 16, 10]) });
    await eventually(async () => (await p.storedSessions()) === 5);
    expect(await alertsOf(t.pool, p.patient.id, 'o2.adherence')).toEqual([]);
    await t.app.get(AlertJobsService).runNightly(new Date(nightEnd(last, TZ) + (SETTLE_HOURS + 1) * HOUR), { patientIds: [p.patient.id] });
    const [alert] = await alertsOf(t.pool, p.patient.id, 'o2.adherence');
    expect(alert).toMatchObject({ status: 'open', value: 4, threshold: 3 });
  });

  it('the prescribed hours are validated: 400 with a stable code, nothing saved', async () => {
    const { physician, patient } = await oxygenPatient();
    for (const body of [{ 'o2.adherence': { minUsageHours: 30 } }, { 'o2.adherence': { minDays: 8, windowDays: 7 } }, { 'o2.adherence': { minNights: 3 } }]) {
      const res = await api<{ error: { code: string } }>(t.url, 'PUT', `/api/patients/${patient.id}/thresholds`, physician.token, body);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('VALIDATION_FAILED');
    }
    const view = await api<{ effective: Record<string, Record<string, unknown>> }>(t.url, 'GET', `/api/patients/${patient.id}/thresholds`, physician.token);
    expect(view.body.effective['o2.adherence']).toEqual({ enabled: true, minUsageHours: 15, minDays: 3, windowDays: 7 });
  });
});
