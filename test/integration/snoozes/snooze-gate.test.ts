/**
 * The snooze gate on the rules, end to end: devices publish over MQTT (the test broker), the app
 * (roles ingest + api) stores and evaluates; a snoozed rule raises nothing for its patient while
 * an unsnoozed patient's same condition raises, and a condition still present when the snooze
 * ends (DELETE or expiry) raises at the next sample; one that cleared during it raises nothing.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import mqtt, { type MqttClient } from 'mqtt';
import { addDays, lastCompleteNight, lastSettledNight, zonedEpoch } from '#rules';
import { AlertJobsService } from '../../../apps/server/src/alerts/alert-jobs.service.js';
import { TEST_MQTT_URL } from '../../support/test-env.js';
import { api, eventually, startTestApp, type TestApp, type TestUser } from '../../support/test-app.js';
import { alertsOf, HOUR, SECOND } from '../alerts/alert-fixtures.js';

jest.setTimeout(60_000);

async function connectDevice(device: { deviceId: string; secret: string }): Promise<MqttClient> {
  return mqtt.connectAsync(TEST_MQTT_URL, { clientId: device.deviceId, username: device.deviceId, password: device.secret, protocolVersion: 4, reconnectPeriod: 0 });
}

/** Samples one per second from `start`, in messages of at most 100, QoS 1. */
async function publish(client: MqttClient, deviceId: string, start: number, count: number, values: Record<string, number>): Promise<void> {
  for (let i = 0; i < count; i += 100) {
    const samples = Array.from({ length: Math.min(100, count - i) }, (_, j) => ({ at: start + (i + j) * SECOND, ...values }));
    await client.publishAsync(`tm/v1/devices/${deviceId}/readings`, JSON.stringify({ v: 1, seq: start + i, samples }), { qos: 1 });
  }
}

const stored = (t: TestApp, deviceId: string, metric = 'spo2') => async () =>
  Number((await t.pool.query(`SELECT count(*) AS n FROM readings WHERE device_id = $1 AND metric = $2`, [deviceId, metric])).rows[0].n);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// Hypercapnic spo2.low: ≤ 88 % for 5 minutes; 85 % stays above spo2.critical (83 %).
const LOW = { spo2: 85, pulseRate: 80 };
const NORMAL = { spo2: 94, pulseRate: 80 };

describe('snoozes gate the rules', () => {
  let t: TestApp;
  const clients: MqttClient[] = [];
  beforeAll(async () => {
    t = await startTestApp({ roles: ['ingest', 'api'] });
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.endAsync().catch(() => undefined)));
    await t.close();
  });

  const base = () => Math.floor((Date.now() - HOUR) / 1000) * 1000;
  const snooze = async (nurse: TestUser, patientId: string, rule: string, until: string) => {
    const res = await api<{ id: string }>(t.url, 'POST', `/api/patients/${patientId}/snoozes`, nurse.token, { rule, until, reason: 'known chronic desaturation' });
    expect(res.status).toBe(201);
    return res.body.id;
  };
  const setup = async () => {
    const s = await t.ctx.newTeamWithPatient();
    const client = await connectDevice(s.device);
    clients.push(client);
    return { ...s, client };
  };

  it('a snoozed spo2.low raises nothing while an unsnoozed patient raises; after DELETE the persisting condition raises', async () => {
    const snoozed = await setup();
    const control = await setup();
    const id = await snooze(snoozed.nurse, snoozed.patient.id, 'spo2.low', new Date(Date.now() + 6 * HOUR).toISOString());
    const T = base();
    await publish(snoozed.client, snoozed.device.deviceId, T, 400, LOW);
    await publish(control.client, control.device.deviceId, T, 400, LOW);
    await eventually(async () => (await alertsOf(t.pool, control.patient.id, 'spo2.low')).find((a) => a.status === 'open'));
    await eventually(async () => (await stored(t, snoozed.device.deviceId)()) === 400);
    await sleep(500); // evaluation follows the commit
    expect(await alertsOf(t.pool, snoozed.patient.id)).toEqual([]);
    expect((await t.pool.query(`SELECT 1 FROM alert_events WHERE patient_id = $1`, [snoozed.patient.id])).rowCount).toBe(0);

    // Still snoozed: more of the same raises nothing either.
    await publish(snoozed.client, snoozed.device.deviceId, T + 400 * SECOND, 20, LOW);
    await eventually(async () => (await stored(t, snoozed.device.deviceId)()) === 420);
    await sleep(500);
    expect(await alertsOf(t.pool, snoozed.patient.id)).toEqual([]);

    expect((await api(t.url, 'DELETE', `/api/snoozes/${id}`, snoozed.nurse.token)).status).toBe(200);
    await publish(snoozed.client, snoozed.device.deviceId, T + 420 * SECOND, 5, LOW);
    const raised = await eventually(async () => (await alertsOf(t.pool, snoozed.patient.id, 'spo2.low')).find((a) => a.status === 'open'), 10_000);
    // The run under way all along: dated from its start, not from the end of the snooze.
    expect(raised.started_at.getTime()).toBe(T);
    expect(raised).toMatchObject({ severity: 'warning', value: 85, threshold: 88 });
  });

  it('at expiry a persisting condition raises at the next sample; one that cleared during the snooze raises nothing', async () => {
    const persisting = await setup();
    const cleared = await setup();
    const until = new Date(Date.now() + 5 * SECOND).toISOString();
    await snooze(persisting.nurse, persisting.patient.id, 'spo2.low', until);
    await snooze(cleared.nurse, cleared.patient.id, 'spo2.low', until);
    const T = base();
    await publish(persisting.client, persisting.device.deviceId, T, 400, LOW);
    await publish(cleared.client, cleared.device.deviceId, T, 400, LOW);
    await publish(cleared.client, cleared.device.deviceId, T + 400 * SECOND, 200, NORMAL);
    await eventually(async () => (await stored(t, persisting.device.deviceId)()) === 400);
    await eventually(async () => (await stored(t, cleared.device.deviceId)()) === 600);
    await sleep(300);
    expect(await alertsOf(t.pool, persisting.patient.id)).toEqual([]);
    expect(await alertsOf(t.pool, cleared.patient.id)).toEqual([]);

    await sleep(Math.max(0, Date.parse(until) - Date.now() + 200));
    const expiredAt = Date.now();
    await publish(persisting.client, persisting.device.deviceId, T + 400 * SECOND, 3, LOW);
    await publish(cleared.client, cleared.device.deviceId, T + 600 * SECOND, 3, NORMAL);
    const raised = await eventually(async () => (await alertsOf(t.pool, persisting.patient.id, 'spo2.low')).find((a) => a.status === 'open'), 10_000);
    expect(Date.now() - expiredAt).toBeLessThan(10_000);
    expect(raised.started_at.getTime()).toBe(T);
    await eventually(async () => (await stored(t, cleared.device.deviceId)()) === 603);
    await sleep(500);
    expect(await alertsOf(t.pool, cleared.patient.id)).toEqual([]);
  });

  it('a snoozed night rule (niv.leak) raises nothing for its patient', async () => {
    const team = await t.ctx.newCareTeam();
    const nurse = await t.ctx.newUser('nurse', [team.id]);
    const last = lastCompleteNight(Date.now(), 'Europe/Paris');
    const sessions = [3, 2, 1].map((back) => {
      const start = zonedEpoch(addDays(last, -back), 22, 'Europe/Paris');
      return { start: new Date(start).toISOString(), end: new Date(start + 8 * HOUR).toISOString(), usageHours: 8, leakP95: 31, ahi: 3, respRateMedian: 16 };
    });
    const run = async (snoozeIt: boolean) => {
      const patient = await t.ctx.newPatient(team.id);
      const vent = await t.ctx.newDevice(patient.id, 'ventilator');
      if (snoozeIt) await snooze(nurse, patient.id, 'niv.leak', new Date(Date.now() + 24 * HOUR).toISOString());
      const client = await connectDevice(vent);
      clients.push(client);
      await client.publishAsync(`tm/v1/devices/${vent.deviceId}/readings`, JSON.stringify({ v: 1, sessions }), { qos: 1 });
      return patient.id;
    };
    const snoozedId = await run(true);
    const controlId = await run(false);
    await eventually(async () => (await alertsOf(t.pool, controlId, 'niv.leak'))[0]);
    await eventually(async () => Number((await t.pool.query(`SELECT count(*) AS n FROM night_sessions WHERE patient_id = $1`, [snoozedId])).rows[0].n) === 3);
    await sleep(500);
    expect(await alertsOf(t.pool, snoozedId, 'niv.leak')).toEqual([]);
  });

  it('the snoozes-ended job re-evaluates a night rule whose snooze just ended: the leak streak still present raises then', async () => {
    const team = await t.ctx.newCareTeam();
    const nurse = await t.ctx.newUser('nurse', [team.id]);
    const patient = await t.ctx.newPatient(team.id);
    const vent = await t.ctx.newDevice(patient.id, 'ventilator');
    const id = await snooze(nurse, patient.id, 'niv.leak', new Date(Date.now() + 24 * HOUR).toISOString());
    // The three nights up to the last settled one: what the nightly evaluation looks at.
    const last = lastSettledNight(Date.now(), 'Europe/Paris');
    const sessions = [2, 1, 0].map((back) => {
      const start = zonedEpoch(addDays(last, -back), 22, 'Europe/Paris');
      return { start: new Date(start).toISOString(), end: new Date(start + 8 * HOUR).toISOString(), usageHours: 8, leakP95: 31, ahi: 3, respRateMedian: 16 };
    });
    const client = await connectDevice(vent);
    clients.push(client);
    await client.publishAsync(`tm/v1/devices/${vent.deviceId}/readings`, JSON.stringify({ v: 1, sessions }), { qos: 1 });
    await eventually(async () => Number((await t.pool.query(`SELECT count(*) AS n FROM night_sessions WHERE patient_id = $1`, [patient.id])).rows[0].n) === 3);
    const jobs = t.app.get(AlertJobsService);
    await sleep(300);
    // Still snoozed: the job finds nothing ended, and a nightly run raises nothing.
    expect(await jobs.afterSnoozesEnded(new Date(), 60_000, { patientIds: [patient.id] })).toBe(0);
    await jobs.runNightly(new Date(), { patientIds: [patient.id] });
    expect(await alertsOf(t.pool, patient.id, 'niv.leak')).toEqual([]);

    expect((await api(t.url, 'DELETE', `/api/snoozes/${id}`, nurse.token)).status).toBe(200);
    expect(await jobs.afterSnoozesEnded(new Date(Date.now() + 1000), 60_000, { patientIds: [patient.id] })).toBeGreaterThan(0);
    expect(await alertsOf(t.pool, patient.id, 'niv.leak')).toMatchObject([{ status: 'open', value: 31, threshold: 24 }]);
  });
});
