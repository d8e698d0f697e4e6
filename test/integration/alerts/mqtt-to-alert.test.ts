/**
 * End to end from MQTT to the alerts table: a device publishes on `tm/v1/devices/<id>/readings`
 * (the Jest worker's own Mosquitto, see test-env.ts); the app runs with roles ['ingest', 'api']: ingestion
 * stores the samples and publishes them on StoredReadingsHub, the rules raise and clear alerts.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import mqtt, { type MqttClient } from 'mqtt';
import { addDays, lastCompleteNight, zonedEpoch } from '#rules';
import { AlertJobsService } from '../../../apps/server/src/alerts/alert-jobs.service.js';
import { TEST_MQTT_URL } from '../../support/test-env.js';
import { eventually, startTestApp, type TestApp } from '../../support/test-app.js';
import { alertsOf, HOUR, SECOND } from './alert-fixtures.js';

// Creating users (argon2) and apps is slow on a loaded machine: the jest default of 5 s is too short.
jest.setTimeout(30_000);

async function connectDevice(device: { deviceId: string; secret: string }): Promise<MqttClient> {
  return mqtt.connectAsync(TEST_MQTT_URL, {
    clientId: device.deviceId,
    username: device.deviceId,
    password: device.secret,
    protocolVersion: 4,
    reconnectPeriod: 0,
  });
}

/** Publishes samples (one per second) in messages of at most 100 samples, QoS 1. */
async function publishSamples(client: MqttClient, deviceId: string, start: number, count: number, values: Record<string, number>): Promise<void> {
  for (let i = 0; i < count; i += 100) {
    const samples = Array.from({ length: Math.min(100, count - i) }, (_, j) => ({ at: start + (i + j) * SECOND, ...values }));
    await client.publishAsync(`tm/v1/devices/${deviceId}/readings`, JSON.stringify({ v: 1, seq: i, samples }), { qos: 1 });
  }
}

describe('MQTT publish → alerts table', () => {
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

  it('a sustained desaturation raises spo2.critical, and clears after 2 minutes back to normal', async () => {
    const { patient, device } = await t.ctx.newTeamWithPatient(); // hypercapnic: ≤ 83 % for 60 s
    const client = await connectDevice(device);
    clients.push(client);
    const T = base();
    await publishSamples(client, device.deviceId, T, 90, { spo2: 80, pulseRate: 105 });
    const raised = await eventually(async () => (await alertsOf(t.pool, patient.id, 'spo2.critical')).find((a) => a.status === 'open'));
    expect(raised.started_at.getTime()).toBe(T);
    expect(raised).toMatchObject({ severity: 'critical', threshold: 83, value: 80, device_id: device.deviceId });
    await publishSamples(client, device.deviceId, T + 90 * SECOND, 130, { spo2: 92, pulseRate: 80 });
    const cleared = await eventually(async () => (await alertsOf(t.pool, patient.id, 'spo2.critical')).find((a) => a.status === 'resolved'));
    expect(cleared).toMatchObject({ id: raised.id, resolution: 'cleared' });
  }, 40_000);

  it('a leak streak over three nights of ventilator sessions raises niv.leak', async () => {
    const team = await t.ctx.newCareTeam();
    const patient = await t.ctx.newPatient(team.id);
    const vent = await t.ctx.newDevice(patient.id, 'ventilator');
    const client = await connectDevice(vent);
    clients.push(client);
    const last = lastCompleteNight(Date.now(), 'Europe/Paris');
    const sessions = [3, 2, 1].map((back) => {
      const start = zonedEpoch(addDays(last, -back), 22, 'Europe/Paris');
      return { start: new Date(start).toISOString(), end: new Date(start + 8 * HOUR).toISOString(), usageHours: 8, leakP95: 31, ahi: 3, respRateMedian: 16 };
    });
    await client.publishAsync(`tm/v1/devices/${vent.deviceId}/readings`, JSON.stringify({ v: 1, sessions }), { qos: 1 });
    const alert = await eventually(async () => (await alertsOf(t.pool, patient.id, 'niv.leak'))[0]);
    expect(alert).toMatchObject({ status: 'open', severity: 'warning', value: 31, threshold: 24 });
  }, 30_000);

  it('a silent device raises device.silent (scheduler job) and clears when it publishes again', async () => {
    const { patient, device } = await t.ctx.newTeamWithPatient();
    await t.pool.query(`UPDATE devices SET last_seen_at = now() - interval '30 hours', created_at = now() - interval '40 hours' WHERE device_id = $1`, [device.deviceId]);
    const jobs = t.app.get(AlertJobsService);
    expect((await jobs.checkSilentDevices(new Date(), { patientIds: [patient.id] })).raised).toBe(1);
    const client = await connectDevice(device);
    clients.push(client);
    await publishSamples(client, device.deviceId, Date.now() - 10 * SECOND, 5, { spo2: 95, pulseRate: 70 });
    const cleared = await eventually(async () => (await alertsOf(t.pool, patient.id, 'device.silent')).find((a) => a.status === 'resolved'));
    expect(cleared.resolution).toBe('cleared');
    // Ingestion keeps devices.last_seen_at, so the next silence check does not raise it again.
    expect((await jobs.checkSilentDevices(new Date(), { patientIds: [patient.id] })).raised).toBe(0);
  }, 30_000);
});
