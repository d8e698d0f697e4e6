import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import mqtt, { type MqttClient } from 'mqtt';
import { statusTopic } from '#protocol';
import type { TestApp } from '../../support/test-app.js';
import { TEST_MQTT_URL } from '../../support/test-env.js';
import { connectPublisher, eventually, metricValue, publishStatus, startIngestApp } from './ingest-support.js';

// The project-level testTimeout of jest.config.js is not applied (Jest 30): set it here.
jest.setTimeout(60_000);

interface DeviceRow {
  online: boolean;
  battery: number | null;
  firmware: string | null;
  status_at: Date | null;
}

describe('device status and Last Will (real Mosquitto and PostgreSQL)', () => {
  let t: TestApp;
  let pub: MqttClient;
  beforeAll(async () => {
    t = await startIngestApp();
    pub = await connectPublisher();
  });
  afterAll(async () => {
    await pub?.endAsync();
    await t?.close();
  });

  const deviceRow = async (deviceId: string): Promise<DeviceRow> =>
    (await t.pool.query(`SELECT online, battery, firmware, status_at FROM devices WHERE device_id = $1`, [deviceId])).rows[0];

  it('marks a device online with its battery and firmware', async () => {
    const { device } = await t.ctx.newTeamWithPatient();
    await publishStatus(pub, device.deviceId, { online: true, battery: 76, firmware: '2.4.1' });
    const row = await eventually(async () => {
      const r = await deviceRow(device.deviceId);
      return r.online ? r : undefined;
    });
    expect(row).toMatchObject({ online: true, battery: 76, firmware: '2.4.1' });
    expect(Math.abs(row.status_at!.getTime() - Date.now())).toBeLessThan(30_000);
  });

  it("marks it offline when the broker publishes the device's Last Will, keeping the last battery", async () => {
    const { device } = await t.ctx.newTeamWithPatient();
    const deviceClient = await mqtt.connectAsync(TEST_MQTT_URL, {
      clientId: device.deviceId,
      reconnectPeriod: 0,
      will: { topic: statusTopic(device.deviceId), payload: Buffer.from('{"online": false}'), qos: 1, retain: true },
    });
    await deviceClient.publishAsync(statusTopic(device.deviceId), JSON.stringify({ online: true, battery: 55, firmware: '1.0.0' }), { qos: 1, retain: true });
    await eventually(async () => (await deviceRow(device.deviceId)).online);
    // The device vanishes without DISCONNECT: the broker publishes its will.
    deviceClient.stream.destroy();
    const row = await eventually(async () => {
      const r = await deviceRow(device.deviceId);
      return r.online ? undefined : r;
    });
    expect(row).toMatchObject({ online: false, battery: 55, firmware: '1.0.0' });
    await deviceClient.endAsync(true).catch(() => undefined);
    // Clear the retained status so the shared broker does not keep it.
    await pub.publishAsync(statusTopic(device.deviceId), '', { qos: 1, retain: true });
  });

  it('ignores a status older than the one stored', async () => {
    const { device } = await t.ctx.newTeamWithPatient();
    const future = new Date(Date.now() + 3_600_000);
    await t.pool.query(`UPDATE devices SET online = true, battery = 90, status_at = $2 WHERE device_id = $1`, [device.deviceId, future]);
    const received = await metricValue(t, 'tm_ingest_messages_received_total{channel="status"}');
    await publishStatus(pub, device.deviceId, { online: false, battery: 10 });
    // Received and fully processed (nothing in flight in this app).
    await eventually(
      async () =>
        (await metricValue(t, 'tm_ingest_messages_received_total{channel="status"}')) === received + 1 &&
        (await metricValue(t, 'tm_ingest_inflight_messages')) === 0,
    );
    expect(await deviceRow(device.deviceId)).toEqual({ online: true, battery: 90, firmware: null, status_at: future });
  });
});
