import { beforeAll, describe, expect, it } from '@jest/globals';
import type { Client, PublishPacket, Subscription } from 'aedes';
import { hashSecret } from '../auth/password.js';
import { createEmbeddedBrokerAuth, type DeviceCredentials } from './embedded-broker-auth.js';

const internal = { username: 'tm:backend', password: 'internal-pw' };

function setup() {
  const devices = new Map<string, DeviceCredentials>();
  let lookups = 0;
  let time = 1_000_000;
  const hooks = createEmbeddedBrokerAuth({
    lookup: {
      find: async (id) => {
        lookups++;
        return devices.get(id);
      },
    },
    internal,
    verifiedTtlMs: 60_000,
    activeTtlMs: 5_000,
    now: () => time,
  });
  const connect = (clientId: string, username?: string, password?: string) =>
    new Promise<{ ok: boolean | null; code?: number; client: Client }>((resolve) => {
      const client = { id: clientId } as Client;
      hooks.authenticate(client, username, password === undefined ? undefined : Buffer.from(password), (err, ok) =>
        resolve({ ok, code: err?.returnCode, client }),
      );
    });
  const publish = (client: Client | null, topic: string) =>
    new Promise<boolean>((resolve) => hooks.authorizePublish(client, { topic, payload: Buffer.from('{}'), qos: 1 } as PublishPacket, (err) => resolve(!err)));
  const subscribe = (client: Client, topic: string) =>
    new Promise<boolean>((resolve) => hooks.authorizeSubscribe(client, { topic, qos: 1 } as Subscription, (_err, sub) => resolve(!!sub)));
  return {
    devices,
    connect,
    publish,
    subscribe,
    lookups: () => lookups,
    advance: (ms: number) => (time += ms),
  };
}

describe('embedded broker authentication', () => {
  let hash: string;
  beforeAll(async () => {
    hash = await hashSecret('good-secret');
  });

  it.each([
    ['the right secret', 'OX-1', 'OX-1', 'good-secret', true, undefined],
    ['a wrong secret', 'OX-1', 'OX-1', 'bad-secret', false, 4],
    ['no credentials', 'OX-1', undefined, undefined, false, 4],
    ['an unknown device', 'OX-9', 'OX-9', 'good-secret', false, 4],
    ['a client id that is not the device id', 'OX-2', 'OX-1', 'good-secret', false, 2],
    ['a username that is no device id', 'x y', 'x y', 'good-secret', false, 4],
    ['the internal identity with a wrong password', 'tm-ingest-0', 'tm:backend', 'nope', false, 4],
    ['the internal identity', 'tm-ingest-0', 'tm:backend', 'internal-pw', true, undefined],
  ])('connecting with %s', async (_name, clientId, username, password, ok, code) => {
    const t = setup();
    t.devices.set('OX-1', { secretHash: hash, active: true });
    const res = await t.connect(clientId, username, password);
    expect(res.ok).toBe(ok);
    expect(res.code).toBe(code);
  });

  it('refuses a deactivated device even with its secret', async () => {
    const t = setup();
    t.devices.set('OX-1', { secretHash: hash, active: false });
    expect((await t.connect('OX-1', 'OX-1', 'good-secret')).ok).toBe(false);
  });

  it('answers server unavailable when the registry cannot be read', async () => {
    const hooks = createEmbeddedBrokerAuth({ lookup: { find: () => Promise.reject(new Error('down')) }, internal });
    const code = await new Promise<number | undefined>((resolve) =>
      hooks.authenticate({ id: 'OX-1' } as Client, 'OX-1', Buffer.from('x'), (err) => resolve(err?.returnCode)),
    );
    expect(code).toBe(3);
  });

  it('lets a device publish to its own topics only, and subscribe to nothing', async () => {
    const t = setup();
    t.devices.set('OX-1', { secretHash: hash, active: true });
    const { client } = await t.connect('OX-1', 'OX-1', 'good-secret');
    expect(await t.publish(client, 'tm/v1/devices/OX-1/readings')).toBe(true);
    expect(await t.publish(client, 'tm/v1/devices/OX-1/status')).toBe(true);
    expect(await t.publish(client, 'tm/v1/devices/OX-2/readings')).toBe(false);
    expect(await t.publish(client, 'tm/v1/devices/OX-1/other')).toBe(false);
    expect(await t.subscribe(client, 'tm/v1/devices/OX-1/readings')).toBe(false);
    expect(await t.subscribe(client, '#')).toBe(false);
  });

  it('lets the backend subscribe to device filters and publish nothing', async () => {
    const t = setup();
    const { client } = await t.connect('tm-ingest-0', 'tm:backend', 'internal-pw');
    expect(await t.subscribe(client, 'tm/v1/devices/+/readings')).toBe(true);
    expect(await t.subscribe(client, 'tm/v1/devices/+/status')).toBe(true);
    expect(await t.subscribe(client, '#')).toBe(false);
    expect(await t.publish(client, 'tm/v1/devices/OX-1/readings')).toBe(false);
  });

  it('refuses publishing for an unknown client (wills without a connection)', async () => {
    const t = setup();
    expect(await t.publish(null, 'tm/v1/devices/OX-1/status')).toBe(false);
  });

  it('stops a connected device from publishing once it is deactivated (after the active TTL)', async () => {
    const t = setup();
    t.devices.set('OX-1', { secretHash: hash, active: true });
    const { client } = await t.connect('OX-1', 'OX-1', 'good-secret');
    t.devices.set('OX-1', { secretHash: hash, active: false });
    expect(await t.publish(client, 'tm/v1/devices/OX-1/readings')).toBe(true); // still within the TTL
    t.advance(5_001);
    expect(await t.publish(client, 'tm/v1/devices/OX-1/readings')).toBe(false);
  });

  it('caches a verified secret briefly, and never a wrong one', async () => {
    const t = setup();
    t.devices.set('OX-1', { secretHash: hash, active: true });
    expect((await t.connect('OX-1', 'OX-1', 'good-secret')).ok).toBe(true);
    // A cached entry for the right secret does not admit another one.
    expect((await t.connect('OX-1', 'OX-1', 'bad-secret')).ok).toBe(false);
    // A new secret (new hash) is not served from the cache of the old one.
    t.devices.set('OX-1', { secretHash: await hashSecret('rotated'), active: true });
    expect((await t.connect('OX-1', 'OX-1', 'good-secret')).ok).toBe(false);
    expect((await t.connect('OX-1', 'OX-1', 'rotated')).ok).toBe(true);
  });
});
