import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import mqtt, { type MqttClient } from 'mqtt';
import { randomUUID } from 'node:crypto';
import { eventually, startTestApp, type TestApp } from '../../support/test-app.js';
import { TEST_MQTT_URL } from '../../support/test-env.js';

// Second line of defence (issue 7 §1): if a message reaches the backend on a device topic that the
// broker should have refused (aedes, a misconfigured broker: here the machine's Mosquitto, which
// lets anyone publish), the backend trusts the topic's deviceId only for a registered, active
// device: anything else is recorded as rejected and nothing is stored.

describe('backend check of the topic’s device', () => {
  let t: TestApp;
  let publisher: MqttClient;

  beforeAll(async () => {
    t = await startTestApp({ roles: ['ingest'], env: { INGEST_BATCH_MAX_DELAY_MS: '10' } });
    publisher = await mqtt.connectAsync(TEST_MQTT_URL, { clientId: `forger-${randomUUID().slice(0, 8)}`, reconnectPeriod: 0 });
  }, 30000);

  afterAll(async () => {
    await publisher?.endAsync();
    await t?.close();
  });

  const payload = () => JSON.stringify({ v: 1, seq: 1, samples: [{ at: Date.now() - 60_000, spo2: 95, pulseRate: 70 }] });

  /** Publishes until the backend has recorded a rejection on that topic (its subscriptions may still be settling). */
  async function rejectionsOn(topic: string): Promise<Array<{ reason: string; device_id: string | null }>> {
    return eventually(async () => {
      await publisher.publishAsync(topic, payload(), { qos: 1 });
      const { rows } = await t.pool.query(`SELECT reason, device_id FROM rejections WHERE topic = $1`, [topic]);
      return rows.length > 0 ? rows : undefined;
    }, 20000, 500);
  }

  it('rejects readings on the topic of an unregistered device and stores none', async () => {
    const deviceId = `OX-forged-${randomUUID().slice(0, 8)}`;
    const rows = await rejectionsOn(`tm/v1/devices/${deviceId}/readings`);
    expect(rows.every((r) => r.reason === 'unknown-device')).toBe(true);
    const stored = await t.pool.query(`SELECT 1 FROM readings WHERE device_id = $1`, [deviceId]);
    expect(stored.rowCount).toBe(0);
  }, 30000);

  it('rejects readings on the topic of a deactivated device and stores none', async () => {
    const team = await t.ctx.newCareTeam();
    const patient = await t.ctx.newPatient(team.id);
    const device = await t.ctx.newDevice(patient.id);
    await t.pool.query(`UPDATE devices SET active = false WHERE device_id = $1`, [device.deviceId]);
    const rows = await rejectionsOn(`tm/v1/devices/${device.deviceId}/readings`);
    expect(rows.every((r) => r.reason === 'inactive-device')).toBe(true);
    const stored = await t.pool.query(`SELECT 1 FROM readings WHERE device_id = $1`, [device.deviceId]);
    expect(stored.rowCount).toBe(0);
  }, 30000);
});
