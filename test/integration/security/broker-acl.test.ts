import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { MqttClient } from 'mqtt';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { BrokerCredentialsService } from '../../../apps/server/src/broker-auth/broker-credentials.service.js';
import { DeviceRegistryListener } from '../../../apps/server/src/broker-auth/device-registry.listener.js';
import { api, eventually, startTestApp, type TestApp } from '../../support/test-app.js';
import { DynsecBroker } from './dynsec-broker.js';

// Device authentication at the broker (issue 7 §1) against a real Mosquitto 2.0 with the dynamic
// security plugin on a port of its own: the backend provisions devices through
// BrokerCredentialsService, and the broker itself refuses what a device may not do.

const broker = new DynsecBroker(18900);
const ingest = { username: 'tm-ingest-acl', password: 'ingest-password-123' };

const run = promisify(execFile);

/**
 * The provisioner as deploy/mosquitto sets it up: role `tm-provisioner`, dynamic-security commands
 * and their answers only, instead of the `admin` role of `mosquitto_ctrl dynsec init` (which may
 * also read `#` and `$SYS/#`). By the upgrade commands of deploy/mosquitto/dynamic-security.md.
 */
async function narrowProvisioner(): Promise<void> {
  const { port } = new URL(broker.url);
  const dynsec = (...args: string[]) =>
    run('mosquitto_ctrl', ['-h', '127.0.0.1', '-p', port, '-u', broker.admin.username, '-P', broker.admin.password, 'dynsec', ...args]);
  await dynsec('createRole', 'tm-provisioner');
  await dynsec('addRoleACL', 'tm-provisioner', 'publishClientSend', '$CONTROL/dynamic-security/v1', 'allow');
  await dynsec('addRoleACL', 'tm-provisioner', 'subscribePattern', '$CONTROL/dynamic-security/v1/response', 'allow');
  await dynsec('addRoleACL', 'tm-provisioner', 'publishClientReceive', '$CONTROL/dynamic-security/v1/response', 'allow');
  await dynsec('addClientRole', broker.admin.username, 'tm-provisioner');
  await dynsec('removeClientRole', broker.admin.username, 'admin');
  await dynsec('deleteRole', 'admin');
}

function deviceId(tag: string): string {
  return `OX-acl-${tag}-${randomUUID().slice(0, 8)}`;
}

/** A subscriber with the backend's ingest identity, collecting payloads per topic. */
async function backendSubscriber(): Promise<{ client: MqttClient; received: Map<string, string[]> }> {
  const client = await broker.connect({ ...ingest, clientId: `tm-ingest-acl-${randomUUID().slice(0, 6)}` });
  const received = new Map<string, string[]>();
  client.on('message', (topic, payload) => received.set(topic, [...(received.get(topic) ?? []), payload.toString()]));
  await client.subscribeAsync(`$share/acl-${randomUUID().slice(0, 6)}/tm/v1/devices/+/readings`, { qos: 1 });
  return { client, received };
}

describe('device authentication at the broker (Mosquitto dynamic security)', () => {
  let t: TestApp;
  let credentials: BrokerCredentialsService;

  beforeAll(async () => {
    await broker.start();
    await narrowProvisioner();
    t = await startTestApp({
      roles: ['api'],
      env: {
        MQTT_URL: broker.url,
        MQTT_USERNAME: ingest.username,
        MQTT_PASSWORD: ingest.password,
        MQTT_ADMIN_USERNAME: broker.admin.username,
        MQTT_ADMIN_PASSWORD: broker.admin.password,
      },
    });
    credentials = t.app.get(BrokerCredentialsService);
    expect(credentials.enabled).toBe(true);
    // The backend creates its own ingest identity at start (subscribe-only role).
    await eventually(async () => {
      const c = await broker.connect({ ...ingest, clientId: 'tm-ingest-probe' });
      await c.endAsync();
      return true;
    });
  }, 40000);

  afterAll(async () => {
    await t?.close();
    await broker.destroy();
  }, 20000);

  it('gives the backend identity the device filters only: no wildcard, no publishing', async () => {
    const c = await broker.connect({ ...ingest, clientId: 'tm-ingest-rights', protocolVersion: 5 });
    await expect(c.subscribeAsync('$share/any-group/tm/v1/devices/+/status', { qos: 1 })).resolves.toEqual([
      expect.objectContaining({ qos: 1 }),
    ]);
    await expect(c.subscribeAsync('tm/v1/devices/+/readings', { qos: 1 })).resolves.toEqual([expect.objectContaining({ qos: 1 })]);
    await expect(c.subscribeAsync('#', { qos: 1 })).rejects.toThrow();
    await expect(c.subscribeAsync('$CONTROL/dynamic-security/v1/response', { qos: 1 })).rejects.toThrow();
    await expect(c.publishAsync('tm/v1/devices/OX-forged/readings', '{}', { qos: 1 })).rejects.toMatchObject({ code: 0x87 });
    await c.endAsync();
  }, 20000);

  it('gives the provisioning identity the dynamic-security commands only: it cannot read device topics', async () => {
    const c = await broker.connect({ ...broker.admin, clientId: 'tm-provisioner-rights', protocolVersion: 5 });
    for (const filter of ['tm/v1/devices/+/readings', 'tm/v1/devices/+/status', '$share/g/tm/v1/devices/+/readings', '#', '$SYS/#']) {
      await expect(c.subscribeAsync(filter, { qos: 1 })).rejects.toThrow();
    }
    await expect(c.publishAsync('tm/v1/devices/OX-forged/readings', '{}', { qos: 1 })).rejects.toMatchObject({ code: 0x87 });
    await expect(c.subscribeAsync('$CONTROL/dynamic-security/v1/response', { qos: 1 })).resolves.toEqual([expect.objectContaining({ qos: 1 })]);
    await c.endAsync();
    // ...and with only that, the backend provisions (every test below goes through it).
    const d = { deviceId: deviceId('p'), secret: randomUUID() };
    expect(await credentials.provision(d.deviceId, d.secret)).toBe('applied');
  }, 20000);

  it('lets a device publish under its own topic and the broker refuses another device’s topic', async () => {
    const a = { deviceId: deviceId('a'), secret: randomUUID() };
    const b = { deviceId: deviceId('b'), secret: randomUUID() };
    expect(await credentials.provision(a.deviceId, a.secret)).toBe('applied');
    expect(await credentials.provision(b.deviceId, b.secret)).toBe('applied');
    const sub = await backendSubscriber();

    // MQTT 5: the broker answers the forbidden publish with PUBACK 0x87 (not authorized).
    const a5 = await broker.connect({ clientId: a.deviceId, username: a.deviceId, password: a.secret, protocolVersion: 5 });
    await a5.publishAsync(`tm/v1/devices/${a.deviceId}/readings`, 'own-v5', { qos: 1 });
    await expect(a5.publishAsync(`tm/v1/devices/${b.deviceId}/readings`, 'forged-v5', { qos: 1 })).rejects.toMatchObject({ code: 0x87 });
    // A device subscribes to nothing.
    await expect(a5.subscribeAsync(`tm/v1/devices/${a.deviceId}/readings`, { qos: 1 })).rejects.toThrow();
    await a5.endAsync();

    // MQTT 3.1.1: Mosquitto acknowledges and drops it; the subscriber must never see it. The
    // own message sent after it arrives on the same session, so the forged one would be there first.
    const a4 = await broker.connect({ clientId: a.deviceId, username: a.deviceId, password: a.secret });
    await a4.publishAsync(`tm/v1/devices/${b.deviceId}/readings`, 'forged-v311', { qos: 1 });
    await a4.publishAsync(`tm/v1/devices/${a.deviceId}/readings`, 'own-v311', { qos: 1 });
    await a4.endAsync();

    await eventually(async () => sub.received.get(`tm/v1/devices/${a.deviceId}/readings`)?.length === 2);
    expect(sub.received.get(`tm/v1/devices/${a.deviceId}/readings`)).toEqual(['own-v5', 'own-v311']);
    expect(sub.received.get(`tm/v1/devices/${b.deviceId}/readings`)).toBeUndefined();
    await sub.client.endAsync();
  }, 20000);

  it('refuses a wrong secret, and the right secret under another client id', async () => {
    const a = { deviceId: deviceId('pw'), secret: randomUUID() };
    expect(await credentials.provision(a.deviceId, a.secret)).toBe('applied');
    await expect(broker.connect({ clientId: a.deviceId, username: a.deviceId, password: 'wrong' })).rejects.toMatchObject({ code: 5 });
    await expect(broker.connect({ clientId: a.deviceId, username: a.deviceId, password: 'wrong', protocolVersion: 5 })).rejects.toMatchObject({
      code: 0x87,
    });
    // Bound client id: a device cannot take over another session with its own credentials.
    await expect(broker.connect({ clientId: 'OX-someone-else', username: a.deviceId, password: a.secret })).rejects.toMatchObject({ code: 5 });
    await expect(broker.connect({ clientId: a.deviceId })).rejects.toMatchObject({ code: 5 });
    const ok = await broker.connect({ clientId: a.deviceId, username: a.deviceId, password: a.secret });
    await ok.endAsync();
  }, 20000);

  it('revoking disconnects the device and refuses it at CONNECT; restoring lets it back in', async () => {
    const a = { deviceId: deviceId('rev'), secret: randomUUID() };
    expect(await credentials.provision(a.deviceId, a.secret)).toBe('applied');
    const connected = await broker.connect({ clientId: a.deviceId, username: a.deviceId, password: a.secret, protocolVersion: 5 });
    const closed = new Promise((r) => connected.once('close', () => r(undefined)));

    expect(await credentials.revoke(a.deviceId)).toBe('applied');
    await closed;
    await expect(broker.connect({ clientId: a.deviceId, username: a.deviceId, password: a.secret })).rejects.toMatchObject({ code: 5 });
    // Idempotent: revoking again (or an unknown device) is fine.
    expect(await credentials.revoke(a.deviceId)).toBe('applied');
    expect(await credentials.revoke(deviceId('never'))).toBe('applied');

    expect(await credentials.restore(a.deviceId)).toBe('applied');
    const back = await broker.connect({ clientId: a.deviceId, username: a.deviceId, password: a.secret });
    await back.publishAsync(`tm/v1/devices/${a.deviceId}/status`, '{"online":true}', { qos: 1, retain: true });
    await back.endAsync();
    expect(await t.pool.query(`SELECT 1 FROM broker_provisioning_outbox WHERE device_id = $1`, [a.deviceId])).toMatchObject({ rowCount: 0 });
  }, 20000);

  it('re-provisioning replaces the secret and re-enables the device', async () => {
    const id = deviceId('rot');
    expect(await credentials.provision(id, 'first-secret')).toBe('applied');
    expect(await credentials.revoke(id)).toBe('applied');
    expect(await credentials.provision(id, 'second-secret')).toBe('applied');
    await expect(broker.connect({ clientId: id, username: id, password: 'first-secret' })).rejects.toMatchObject({ code: 5 });
    const c = await broker.connect({ clientId: id, username: id, password: 'second-secret' });
    await c.endAsync();
  }, 20000);

  it('restoring a device the broker never had is a failure kept for an operator, not a silent success', async () => {
    const id = deviceId('ghost');
    expect(await credentials.restore(id)).toBe('failed');
    const { rows } = await t.pool.query(`SELECT state, last_error FROM broker_provisioning_outbox WHERE device_id = $1`, [id]);
    expect(rows).toEqual([{ state: 'failed', last_error: expect.stringContaining('no client') }]);
  }, 20000);

  it('follows registry events: registered, deactivated, activated', async () => {
    const listener = t.app.get(DeviceRegistryListener);
    const id = deviceId('evt');
    await listener.handle({ type: 'registered', deviceId: id, secret: 'event-secret' });
    (await broker.connect({ clientId: id, username: id, password: 'event-secret' })).end();
    await listener.handle({ type: 'deactivated', deviceId: id });
    await expect(broker.connect({ clientId: id, username: id, password: 'event-secret' })).rejects.toMatchObject({ code: 5 });
    await listener.handle({ type: 'activated', deviceId: id });
    (await broker.connect({ clientId: id, username: id, password: 'event-secret' })).end();
  }, 20000);

  it('registering, deactivating and reactivating through the REST API updates the broker', async () => {
    const admin = await t.ctx.newUser('admin');
    const team = await t.ctx.newCareTeam();
    const patient = await t.ctx.newPatient(team.id);
    const id = deviceId('rest');
    const created = await api<{ deviceId: string; secret: string }>(t.url, 'POST', '/api/devices', admin.token, {
      deviceId: id,
      kind: 'oximeter',
      patientId: patient.id,
    });
    expect(created.status).toBe(201);
    const creds = { clientId: id, username: id, password: created.body.secret };
    (await broker.connect(creds)).end();

    expect((await api(t.url, 'PATCH', `/api/devices/${id}`, admin.token, { active: false })).status).toBe(200);
    await expect(broker.connect(creds)).rejects.toMatchObject({ code: 5 });
    expect((await api(t.url, 'PATCH', `/api/devices/${id}`, admin.token, { active: true })).status).toBe(200);
    (await broker.connect(creds)).end();
  }, 20000);

  // Registration while the broker is unreachable: the change waits in broker_provisioning_outbox
  // (the secret sealed, never in clear), is retried in the background in order per device, and
  // the device ends up with exactly the access the registry says. (Same file as the tests above:
  // one provisioning backend per test database, or another file's app would drain these rows
  // into its own broker.)
  it('queues changes made during an outage and applies them, in order, once the broker is back', async () => {
    const kept = `OX-out-kept-${randomUUID().slice(0, 8)}`;
    const revoked = `OX-out-rev-${randomUUID().slice(0, 8)}`;
    const secret = `secret-${randomUUID()}`;
    await broker.stop();

    expect(await credentials.provision(kept, secret)).toBe('pending');
    expect(await credentials.provision(revoked, secret)).toBe('pending');
    // Queued behind its provisioning: answered at once, applied after it.
    expect(await credentials.revoke(revoked)).toBe('pending');

    const { rows } = await t.pool.query(
      `SELECT device_id, action, state, secret_box, attempts, last_error FROM broker_provisioning_outbox
        WHERE device_id = ANY($1) ORDER BY id`,
      [[kept, revoked]],
    );
    expect(rows.map((r) => [r.device_id, r.action, r.state])).toEqual([
      [kept, 'provision', 'pending'],
      [revoked, 'provision', 'pending'],
      [revoked, 'revoke', 'pending'],
    ]);
    for (const r of rows) expect(String(r.secret_box)).not.toContain(secret);
    expect(rows[0].attempts).toBe(1);
    expect(rows[0].last_error).toMatch(/unreachable|timed out|no dynamic security response/);

    await broker.start();
    await eventually(async () => {
      await credentials.drain();
      const left = await t.pool.query(`SELECT 1 FROM broker_provisioning_outbox WHERE device_id = ANY($1)`, [[kept, revoked]]);
      return left.rowCount === 0;
    }, 30000, 500);

    const c = await broker.connect({ clientId: kept, username: kept, password: secret });
    await c.endAsync();
    await expect(broker.connect({ clientId: revoked, username: revoked, password: secret })).rejects.toMatchObject({ code: 5 });
  }, 60000);

  it('marks a change it can never apply as failed, and forgets the sealed secret', async () => {
    const id = `OX-out-bad-${randomUUID().slice(0, 8)}`;
    // Sealed with another key (e.g. before MQTT_ADMIN_PASSWORD changed).
    await t.pool.query(`INSERT INTO broker_provisioning_outbox (device_id, action, secret_box) VALUES ($1, 'provision', 'v1.AA.AA.AA.AA')`, [id]);
    await eventually(async () => {
      await credentials.drain();
      const { rows } = await t.pool.query(`SELECT state, secret_box, last_error FROM broker_provisioning_outbox WHERE device_id = $1`, [id]);
      return rows[0]?.state === 'failed' ? rows[0] : undefined;
    }).then((row) => {
      expect(row.secret_box).toBeNull();
      expect(row.last_error).toMatch(/new secret/);
    });
  }, 30000);
});
