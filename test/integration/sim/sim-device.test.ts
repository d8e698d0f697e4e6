import { describe, expect, it, jest } from '@jest/globals';
import mqtt, { type MqttClient } from 'mqtt';
import { randomUUID } from 'node:crypto';
import { SimDevice } from '#devices-sim';
import { parseStatusPayload, readingsTopic, statusTopic } from '#protocol';
import { eventually } from '../../support/test-app.js';
import { useDedicatedBroker } from './sim-support.js';

// jest ignores testTimeout inside a project entry: set it here
jest.setTimeout(60_000);

/** Messages received by an observer, by topic. */
async function observe(url: string, filter: string, opts: { clientId?: string; clean?: boolean; username?: string; password?: string } = {}) {
  const received: Array<{ topic: string; payload: string; retain: boolean }> = [];
  const client: MqttClient = await mqtt.connectAsync(url, { protocolVersion: 4, reconnectPeriod: 300, ...opts });
  client.on('message', (topic, payload, packet) => received.push({ topic, payload: payload.toString(), retain: packet.retain }));
  await client.subscribeAsync(filter, { qos: 1 });
  return { client, received };
}

describe('simulated device on MQTT (own broker)', () => {
  const broker = useDedicatedBroker(18881);

  it('publishes a retained online status on connect, and its Last Will (retained offline) when it drops off', async () => {
    const deviceId = `OX-${randomUUID().slice(0, 8)}`;
    const device = new SimDevice({ mqttUrl: broker.url, deviceId, secret: 's', status: { battery: 77, firmware: '2.4.1' } });
    await device.connect();
    await eventually(async () => device.pendingCount === 0);
    const late = await observe(broker.url, statusTopic(deviceId));
    await eventually(async () => late.received.length === 1);
    expect(late.received[0]!.retain).toBe(true);
    expect(parseStatusPayload(late.received[0]!.payload)).toEqual({ ok: true, status: { online: true, battery: 77, firmware: '2.4.1' } });

    await device.dropOffline(); // no DISCONNECT: the broker publishes the will
    await eventually(async () => late.received.length === 2);
    expect(JSON.parse(late.received[1]!.payload)).toEqual({ online: false });
    const after = await observe(broker.url, statusTopic(deviceId));
    await eventually(async () => after.received.length === 1);
    expect(after.received[0]).toMatchObject({ payload: '{"online":false}', retain: true });
    await late.client.endAsync();
    await after.client.endAsync();
  });

  it('keeps unacknowledged QoS 1 messages and sends them after the broker comes back', async () => {
    const deviceId = `OX-${randomUUID().slice(0, 8)}`;
    // a persistent subscriber: its session (and the messages queued for it) survive the restart
    const sub = await observe(broker.url, readingsTopic(deviceId), { clientId: `obs-${deviceId}`, clean: false });
    const device = new SimDevice({ mqttUrl: broker.url, deviceId, reconnectPeriodMs: 300 });
    await device.connect();
    const first = await Promise.all([1, 2, 3].map((seq) => device.publish({ v: 1, seq, samples: [{ at: Date.now() - seq, spo2: 95 }] })));
    expect(first.every((r) => r.latencyMs !== undefined)).toBe(true);

    await broker.stop();
    await eventually(async () => !device.connected);
    const during = [4, 5, 6, 7, 8].map((seq) => device.publish({ v: 1, seq, samples: [{ at: Date.now() - seq, spo2: 94 }] }));
    expect(device.pendingCount).toBe(5);
    await broker.start();

    const records = await Promise.all(during);
    expect(records.map((r) => r.error)).toEqual([undefined, undefined, undefined, undefined, undefined]);
    expect(records.every((r) => r.latencyMs! > 0)).toBe(true);
    expect(device.connectionCount).toBeGreaterThanOrEqual(2);
    await eventually(async () => new Set(sub.received.map((m) => JSON.parse(m.payload).seq)).size === 8, 15_000);
    await device.close();
    await sub.client.endAsync();
  });

  it('the session is persistent: the broker keeps it across a reconnect (clean: false, clientId = deviceId)', async () => {
    const deviceId = `VE-${randomUUID().slice(0, 8)}`;
    const device = new SimDevice({ mqttUrl: broker.url, deviceId });
    await device.connect();
    expect(device.mqttClient!.options).toMatchObject({ clientId: deviceId, username: deviceId, clean: false, protocolVersion: 4 });
    await device.dropOffline();
    await device.reconnect();
    // CONNACK of the second connection says the broker still had the session
    expect(device.mqttClient!.connected).toBe(true);
    await eventually(async () => (device.mqttClient as unknown as { connackPacket?: { sessionPresent: boolean } }).connackPacket?.sessionPresent === true);
    await device.close();
  });
});

describe('simulated device against a broker with per-device credentials and ACL', () => {
  const a = { id: `OX-${randomUUID().slice(0, 8)}`, secret: randomUUID() };
  const b = { id: `OX-${randomUUID().slice(0, 8)}`, secret: randomUUID() };
  const broker = useDedicatedBroker(18882, {
    users: [
      { username: a.id, password: a.secret },
      { username: b.id, password: b.secret },
      { username: 'observer', password: 'observer-pw' },
    ],
    // the observer reads everything; a device reads and writes its own topics only
    acl: 'user observer\ntopic read tm/#\n\npattern readwrite tm/v1/devices/%u/#\n',
  });

  it('connects with its own secret and is refused with another', async () => {
    const ok = new SimDevice({ mqttUrl: broker.url, deviceId: a.id, secret: a.secret });
    await ok.connect();
    expect(ok.connected).toBe(true);
    await ok.close();
    const bad = new SimDevice({ mqttUrl: broker.url, deviceId: a.id, secret: b.secret });
    await expect(bad.connect()).rejects.toThrow(/cannot connect: Connection refused: Not authorized/);
  });

  it("cannot publish on another device's topic (the broker's ACL drops it)", async () => {
    const obs = await observe(broker.url, 'tm/#', { username: 'observer', password: 'observer-pw' });
    const device = new SimDevice({ mqttUrl: broker.url, deviceId: a.id, secret: a.secret });
    await device.connect();
    await device.publish({ v: 1, seq: 1, samples: [{ at: Date.now(), spo2: 95 }] }, { topic: readingsTopic(b.id) });
    await device.publish({ v: 1, seq: 2, samples: [{ at: Date.now(), spo2: 95 }] });
    await eventually(async () => obs.received.some((m) => m.topic === readingsTopic(a.id)));
    expect(obs.received.filter((m) => m.topic === readingsTopic(b.id))).toEqual([]);
    await device.close();
    await obs.client.endAsync();
  });
});
