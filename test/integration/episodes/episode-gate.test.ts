/**
 * Episodes gate the rules (CONTRACT.md §6, docs/alert-rules.md "Episodes gate the rules"):
 * readings are always stored, the rules run for a patient only while an episode is active. Each
 * case runs a patient whose episode ended next to a control patient under telemonitoring fed the
 * same data through the same path (the worker's Mosquitto, roles ingest + api): the control
 * raises, so "nothing raised" is not "not evaluated yet".
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import mqtt, { type MqttClient } from 'mqtt';
import { addDays, lastCompleteNight, lastSettledNight, zonedEpoch } from '#rules';
import { AlertJobsService } from '../../../apps/server/src/alerts/alert-jobs.service.js';
import { TrendRulesService } from '../../../apps/server/src/alerts/trend-rules.service.js';
import { TEST_MQTT_URL } from '../../support/test-env.js';
import { api, eventually, startTestApp, type TestApp } from '../../support/test-app.js';
import { alertsOf, HOUR, MINUTE, SECOND } from '../alerts/alert-fixtures.js';

jest.setTimeout(60_000);

const TZ = 'Europe/Paris';

describe('episodes gate the rules', () => {
  let t: TestApp;
  let jobs: AlertJobsService;
  const clients: MqttClient[] = [];
  beforeAll(async () => {
    t = await startTestApp({ roles: ['ingest', 'api'] });
    jobs = t.app.get(AlertJobsService);
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.endAsync().catch(() => undefined)));
    await t.close();
  });

  async function connect(device: { deviceId: string; secret: string }): Promise<MqttClient> {
    const c = await mqtt.connectAsync(TEST_MQTT_URL, { clientId: device.deviceId, username: device.deviceId, password: device.secret, protocolVersion: 4, reconnectPeriod: 0 });
    clients.push(c);
    return c;
  }

  /** A team (nurse, physician) with two patients, each with an oximeter and a ventilator: one under telemonitoring, one whose episode the physician ended. */
  async function pair() {
    const { team, nurse, physician, patient: control, device: controlOx } = await t.ctx.newTeamWithPatient();
    const controlVent = await t.ctx.newDevice(control.id, 'ventilator');
    const ended = await t.ctx.newPatient(team.id);
    const endedOx = await t.ctx.newDevice(ended.id);
    const endedVent = await t.ctx.newDevice(ended.id, 'ventilator');
    await endEpisode(ended.id, physician.token);
    return { nurse, physician, control: { ...control, ox: controlOx, vent: controlVent }, ended: { ...ended, ox: endedOx, vent: endedVent } };
  }

  async function activeEpisode(patientId: string): Promise<string | undefined> {
    return (await t.pool.query(`SELECT id FROM episodes WHERE patient_id = $1 AND status = 'active'`, [patientId])).rows[0]?.id;
  }

  async function endEpisode(patientId: string, token: string): Promise<void> {
    const res = await api(t.url, 'POST', `/api/episodes/${await activeEpisode(patientId)}/end`, token, { reason: 'hospitalised' });
    expect(res.status).toBe(200);
  }

  /** 90 s at SpO2 80 % (hypercapnic: ≤ 83 % for 60 s raises spo2.critical). */
  async function desaturate(device: { deviceId: string; secret: string }, start: number): Promise<void> {
    const client = await connect(device);
    const samples = Array.from({ length: 90 }, (_, i) => ({ at: start + i * SECOND, spo2: 80, pulseRate: 100 }));
    await client.publishAsync(`tm/v1/devices/${device.deviceId}/readings`, JSON.stringify({ v: 1, seq: 1, samples }), { qos: 1 });
  }

  /** Three nights of leak at 31 L/min (niv.leak: > 24 on 3 consecutive nights). */
  async function leakyNights(device: { deviceId: string; secret: string }): Promise<void> {
    const client = await connect(device);
    const last = lastCompleteNight(Date.now(), TZ);
    const sessions = [3, 2, 1].map((back) => {
      const start = zonedEpoch(addDays(last, -back), 22, TZ);
      return { start: new Date(start).toISOString(), end: new Date(start + 8 * HOUR).toISOString(), usageHours: 8, leakP95: 31, ahi: 3, respRateMedian: 16 };
    });
    await client.publishAsync(`tm/v1/devices/${device.deviceId}/readings`, JSON.stringify({ v: 1, seq: 2, sessions }), { qos: 1 });
  }

  const readingsOf = async (patientId: string) => Number((await t.pool.query(`SELECT count(*) FROM readings WHERE patient_id = $1`, [patientId])).rows[0].count);
  const sessionsOf = async (patientId: string) => Number((await t.pool.query(`SELECT count(*) FROM night_sessions WHERE patient_id = $1`, [patientId])).rows[0].count);

  it('an ended episode: readings and sessions through MQTT are stored, the point and night rules raise nothing; the control raises both', async () => {
    const { control, ended } = await pair();
    const T = Math.floor((Date.now() - HOUR) / 1000) * 1000;
    await desaturate(ended.ox, T);
    await leakyNights(ended.vent);
    await desaturate(control.ox, T);
    await leakyNights(control.vent);
    await eventually(async () => (await alertsOf(t.pool, control.id, 'spo2.critical')).length === 1);
    await eventually(async () => (await alertsOf(t.pool, control.id, 'niv.leak')).length === 1);
    expect(await eventually(async () => (await readingsOf(ended.id)) === 180 && (await sessionsOf(ended.id)) === 3)).toBe(true);
    // The ended patient's messages were sent first, so handed to the rules before the control's; a second more for good measure.
    await new Promise((r) => setTimeout(r, 1000));
    expect(await alertsOf(t.pool, ended.id)).toEqual([]);
  });

  it('the scheduled rules raise nothing without an active episode: nightly (0 h nights), oximetry baseline, device.silent, escalation', async () => {
    const { control, ended, physician } = await pair();
    // Ventilator sessions 6 and 5 nights ago, then nothing: the nightly job counts the 0 h nights (niv.adherence).
    const last = lastSettledNight(Date.now(), TZ);
    for (const p of [control, ended]) {
      for (const back of [6, 5]) {
        const start = zonedEpoch(addDays(last, -back), 22, TZ);
        await t.pool.query(`INSERT INTO night_sessions (device_id, start_at, end_at, patient_id, usage_hours) VALUES ($1, $2, $3, $4, 8)`, [
          p.vent.deviceId,
          new Date(start),
          new Date(start + 8 * HOUR),
          p.id,
        ]);
      }
      await t.pool.query(`UPDATE devices SET last_seen_at = now() - interval '30 hours', created_at = now() - interval '40 hours' WHERE patient_id = $1`, [p.id]);
    }
    const both = { patientIds: [control.id, ended.id] };
    const now = new Date();
    expect(await jobs.runNightly(now, both)).toBeGreaterThan(0);
    expect((await alertsOf(t.pool, control.id, 'niv.adherence')).length).toBe(1);
    expect((await jobs.checkSilentDevices(now, both)).raised).toBe(1);
    expect((await alertsOf(t.pool, control.id, 'device.silent')).length).toBe(1);
    expect(await t.app.get(TrendRulesService).baselineForPatientId(ended.id, lastCompleteNight(now.getTime(), TZ))).toBe(0);
    const escalated = await jobs.escalateDue(new Date(now.getTime() + 5 * HOUR), both);
    expect(escalated).toEqual([(await alertsOf(t.pool, control.id, 'niv.adherence'))[0]!.id]);
    expect(await alertsOf(t.pool, ended.id)).toEqual([]);
    expect(physician.id).toBeDefined();
  });

  it('an alert open when the episode ends stays open until a professional handles it: not cleared, not escalated, not updated', async () => {
    const { nurse, physician, control } = await pair();
    const T = Math.floor((Date.now() - HOUR) / 1000) * 1000;
    await desaturate(control.ox, T);
    const [alert] = await eventually(async () => {
      const a = await alertsOf(t.pool, control.id, 'spo2.critical');
      return a.length === 1 ? a : undefined;
    });
    await endEpisode(control.id, physician.token);
    // Back to normal for 3 minutes: while monitored this clears spo2.critical (2 min of hysteresis).
    const client = await connect(control.ox);
    const normal = Array.from({ length: 180 }, (_, i) => ({ at: T + 90 * SECOND + i * SECOND, spo2: 95, pulseRate: 80 }));
    await client.publishAsync(`tm/v1/devices/${control.ox.deviceId}/readings`, JSON.stringify({ v: 1, seq: 3, samples: normal }), { qos: 1 });
    await eventually(async () => (await readingsOf(control.id)) === 180 + 360);
    expect(await jobs.escalateDue(new Date(Date.now() + 30 * MINUTE), { patientIds: [control.id] })).toEqual([]);
    expect((await alertsOf(t.pool, control.id))[0]).toMatchObject({ id: alert!.id, status: 'open', escalated: false });
    const resolved = await api<{ status: string; resolution: string }>(t.url, 'POST', `/api/alerts/${alert!.id}/resolve`, nurse.token, { note: 'patient in hospital' });
    expect(resolved.status).toBe(200);
    expect(resolved.body).toMatchObject({ status: 'resolved', resolution: 'manual' });
  });

  it('a new episode turns the rules back on: the next samples raise, a run already under way included', async () => {
    const { physician, ended } = await pair();
    const T = Math.floor((Date.now() - 2 * HOUR) / 1000) * 1000;
    await desaturate(ended.ox, T);
    await eventually(async () => (await readingsOf(ended.id)) === 180);
    expect(await alertsOf(t.pool, ended.id)).toEqual([]);
    const started = await api(t.url, 'POST', `/api/patients/${ended.id}/episodes`, physician.token, { indication: 'niv', prescriberId: physician.id, startDate: '2026-12-01' });
    expect(started.status).toBe(201);
    // 10 s more of the same desaturation: the windows are rebuilt from the stored run, which met its duration.
    const client = await connect(ended.ox);
    const more = Array.from({ length: 10 }, (_, i) => ({ at: T + 90 * SECOND + i * SECOND, spo2: 80, pulseRate: 100 }));
    await client.publishAsync(`tm/v1/devices/${ended.ox.deviceId}/readings`, JSON.stringify({ v: 1, seq: 4, samples: more }), { qos: 1 });
    const [alert] = await eventually(async () => {
      const a = await alertsOf(t.pool, ended.id, 'spo2.critical');
      return a.length === 1 ? a : undefined;
    });
    expect(alert).toMatchObject({ status: 'open', severity: 'critical', value: 80 });
    expect(alert!.started_at.getTime()).toBe(T);
  });
});
