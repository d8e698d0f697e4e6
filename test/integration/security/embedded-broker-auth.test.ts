import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import pg from 'pg';
import { createEmbeddedBrokerAuth, PgDeviceCredentialLookup } from '../../../apps/server/src/broker-auth/embedded-broker-auth.js';
import { startEmbeddedBroker } from '../../../apps/server/src/infrastructure/embedded-broker.js';
import { eventually, TestContext } from '../../support/test-app.js';
import { TEST_DATABASE_URL } from '../../support/test-env.js';

// The embedded aedes broker of the demo, with the hooks bootstrap.ts installs: devices are
// checked against the real devices table (argon2), may publish under their own topic only.

const PORT = 18902;
const URL = `mqtt://127.0.0.1:${PORT}`;
const internal = { username: 'tm:backend', password: 'internal-test-password' };

function connect(options: IClientOptions): Promise<MqttClient> {
  return mqtt.connectAsync(URL, { reconnectPeriod: 0, connectTimeout: 3000, ...options }, false);
}

describe('embedded broker authentication (aedes hooks)', () => {
  let pool: pg.Pool;
  let ctx: TestContext;
  let broker: Awaited<ReturnType<typeof startEmbeddedBroker>>;
  let patientId: string;

  beforeAll(async () => {
    pool = new pg.Pool({ connectionString: TEST_DATABASE_URL, max: 4 });
    ctx = new TestContext(pool, 'http://unused');
    broker = await startEmbeddedBroker({
      port: PORT,
      hooks: createEmbeddedBrokerAuth({ lookup: new PgDeviceCredentialLookup(pool), internal, activeTtlMs: 200 }),
    });
    const team = await ctx.newCareTeam();
    patientId = (await ctx.newPatient(team.id)).id;
  }, 30000);

  afterAll(async () => {
    await broker?.stop();
    await pool?.end();
  });

  it('refuses a wrong secret, an unknown device and anonymous clients at CONNECT', async () => {
    const device = await ctx.newDevice(patientId);
    await expect(connect({ clientId: device.deviceId, username: device.deviceId, password: 'wrong' })).rejects.toMatchObject({ code: 4 });
    await expect(connect({ clientId: 'OX-nobody-here', username: 'OX-nobody-here', password: device.secret })).rejects.toMatchObject({ code: 4 });
    await expect(connect({ clientId: 'anonymous-1' })).rejects.toMatchObject({ code: 4 });
    await expect(connect({ clientId: 'OX-other', username: device.deviceId, password: device.secret })).rejects.toMatchObject({ code: 2 });
    const ok = await connect({ clientId: device.deviceId, username: device.deviceId, password: device.secret });
    await ok.endAsync();
  }, 20000);

  it('delivers a device’s own readings and refuses another device’s topic', async () => {
    const a = await ctx.newDevice(patientId);
    const b = await ctx.newDevice(patientId);
    const backend = await connect({ ...internal, clientId: 'tm-ingest-embedded' });
    const received: string[] = [];
    backend.on('message', (topic, payload) => received.push(`${topic} ${payload.toString()}`));
    await backend.subscribeAsync('tm/v1/devices/+/readings', { qos: 1 });
    await expect(backend.subscribeAsync('#', { qos: 1 })).rejects.toThrow();

    const device = await connect({ clientId: a.deviceId, username: a.deviceId, password: a.secret });
    await device.publishAsync(`tm/v1/devices/${a.deviceId}/readings`, 'own', { qos: 1 });
    await eventually(async () => received.length === 1);
    // aedes closes the connection of a client that publishes where it may not.
    const closed = new Promise((r) => device.once('close', () => r(undefined)));
    device.publish(`tm/v1/devices/${b.deviceId}/readings`, 'forged', { qos: 1 }, () => undefined);
    await closed;

    const again = await connect({ clientId: a.deviceId, username: a.deviceId, password: a.secret });
    await expect(again.subscribeAsync('tm/v1/devices/+/readings', { qos: 1 })).rejects.toThrow();
    await again.publishAsync(`tm/v1/devices/${a.deviceId}/readings`, 'after', { qos: 1 });
    await eventually(async () => received.length === 2);
    expect(received).toEqual([`tm/v1/devices/${a.deviceId}/readings own`, `tm/v1/devices/${a.deviceId}/readings after`]);
    await again.endAsync();
    await backend.endAsync();
  }, 20000);

  it('refuses a deactivated device at CONNECT, and stops it publishing while connected', async () => {
    const d = await ctx.newDevice(patientId);
    const connected = await connect({ clientId: d.deviceId, username: d.deviceId, password: d.secret });
    await pool.query(`UPDATE devices SET active = false WHERE device_id = $1`, [d.deviceId]);
    await expect(connect({ clientId: `${d.deviceId}`, username: d.deviceId, password: d.secret })).rejects.toMatchObject({ code: 4 });
    await new Promise((r) => setTimeout(r, 250)); // past the 200 ms active-flag cache of this test
    const closed = new Promise((r) => connected.once('close', () => r(undefined)));
    connected.publish(`tm/v1/devices/${d.deviceId}/readings`, 'late', { qos: 1 }, () => undefined);
    await closed;
  }, 20000);
});
