import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PROJECT_ROOT } from '../../../apps/server/src/paths.js';
import { eventually } from '../../support/test-app.js';

// Runs the broker configuration that docker-compose.yml ships (deploy/mosquitto) with this
// machine's Mosquitto, on a port of its own, to prove it: refuses anonymous and wrong
// credentials, gives the backend's provisioning identity (created by the entrypoint) the
// dynamic-security commands only (it cannot read any device's topic), lets it provision a device
// that may publish under its own topic only, and queues far more than Mosquitto's default 1000
// messages for an offline ingest session without dropping any.

const PORT = 18831;
const URL = `mqtt://127.0.0.1:${PORT}`;
const BACKEND = { username: 'backend-test', password: 'backend-test-password-123' };
/** An ingest identity as the backend creates it (subscribe to the device topics only). */
const INGEST = { username: 'ingest-test', password: 'ingest-test-password-123' };
const PLUGIN_CANDIDATES = [
  '/usr/lib/x86_64-linux-gnu/mosquitto_dynamic_security.so',
  '/usr/lib/aarch64-linux-gnu/mosquitto_dynamic_security.so',
  '/usr/lib/mosquitto_dynamic_security.so',
  '/usr/local/lib/mosquitto_dynamic_security.so',
];
const run = promisify(execFile);

function connect(options: IClientOptions): Promise<MqttClient> {
  return mqtt.connectAsync(URL, { reconnectPeriod: 0, connectTimeout: 3000, ...options }, false);
}

async function dynsec(...args: string[]): Promise<void> {
  await run('mosquitto_ctrl', ['-h', '127.0.0.1', '-p', String(PORT), '-u', BACKEND.username, '-P', BACKEND.password, 'dynsec', ...args]);
}

describe('deploy/mosquitto configuration', () => {
  let dir: string;
  let broker: ChildProcess;
  let output = '';

  beforeAll(async () => {
    const plugin = PLUGIN_CANDIDATES.find((p) => existsSync(p));
    if (!plugin) throw new Error('mosquitto_dynamic_security.so not found: install the mosquitto package');
    dir = await mkdtemp(join(tmpdir(), 'tm-mosquitto-'));
    const shipped = await readFile(join(PROJECT_ROOT, 'deploy/mosquitto/mosquitto.conf'), 'utf8');
    expect(shipped).toMatch(/^listener 1883$/m);
    expect(shipped).toMatch(/^plugin \/usr\/lib\/mosquitto_dynamic_security\.so$/m);
    const conf = shipped
      .replace(/^listener 1883$/m, `listener ${PORT} 127.0.0.1`)
      .replace(/^plugin .*$/m, `plugin ${plugin}`)
      .replaceAll('/mosquitto/data/', `${dir}/`);
    await writeFile(join(dir, 'mosquitto.conf'), conf);
    // Started as root, Mosquitto drops to its own user before reading the plugin file and the
    // persistence folder (the image's entrypoint chowns /mosquitto/data the same way).
    if (process.getuid?.() === 0) await run('chown', ['-R', 'mosquitto', dir]);
    broker = spawn('sh', [join(PROJECT_ROOT, 'deploy/mosquitto/docker-entrypoint.sh'), 'mosquitto', '-c', join(dir, 'mosquitto.conf')], {
      env: { ...process.env, DYNSEC_FILE: join(dir, 'dynamic-security.json'), MQTT_ADMIN_USERNAME: BACKEND.username, MQTT_ADMIN_PASSWORD: BACKEND.password },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    broker.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    broker.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    await eventually(async () => {
      const c = await connect(BACKEND);
      await c.endAsync();
      return true;
    }, 10000).catch((err: unknown) => {
      throw new Error(`broker did not start: ${String(err)}\n${output}`);
    });
    await dynsec('createRole', 'ingest-test');
    await dynsec('addRoleACL', 'ingest-test', 'subscribePattern', 'tm/v1/devices/+/readings', 'allow');
    await dynsec('createClient', INGEST.username, '-p', INGEST.password);
    await dynsec('addClientRole', INGEST.username, 'ingest-test');
  }, 30000);

  afterAll(async () => {
    if (broker && broker.exitCode === null) {
      const exited = new Promise((r) => broker.once('exit', r));
      broker.kill('SIGTERM');
      await exited;
    }
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 15000);

  it('refuses anonymous clients and wrong passwords', async () => {
    await expect(connect({})).rejects.toThrow(/not authori[sz]ed|Connection refused/i);
    await expect(connect({ username: BACKEND.username, password: 'wrong' })).rejects.toThrow(/not authori[sz]ed|Connection refused|Bad User Name or Password/i);
  }, 30000);

  it('gives the provisioning identity the dynamic-security commands only: no device topic, no #, no $SYS', async () => {
    const file = JSON.parse(await readFile(join(dir, 'dynamic-security.json'), 'utf8')) as {
      clients: { username: string; roles: { rolename: string }[] }[];
      roles: { rolename: string; acls: { acltype: string; topic: string; allow: boolean }[] }[];
    };
    const client = file.clients.find((c) => c.username === BACKEND.username)!;
    expect(client.roles).toEqual([{ rolename: 'tm-provisioner' }]);
    const role = file.roles.find((r) => r.rolename === 'tm-provisioner')!;
    // (The broker rewrites the file in its own order.)
    expect(role.acls.map((a) => `${a.acltype} ${a.topic} ${a.allow}`).sort()).toEqual([
      'publishClientReceive $CONTROL/dynamic-security/v1/response true',
      'publishClientSend $CONTROL/dynamic-security/v1 true',
      'subscribePattern $CONTROL/dynamic-security/v1/response true',
    ]);
    expect(file.roles.map((r) => r.rolename)).not.toContain('admin');

    const provisioner = await connect({ ...BACKEND, clientId: 'tm-provisioner-rights', protocolVersion: 5 });
    const received: string[] = [];
    provisioner.on('message', (topic) => received.push(topic));
    for (const filter of ['tm/v1/devices/+/readings', 'tm/v1/devices/OX-deploy-1/status', '#', '$SYS/#', '$share/g/tm/v1/devices/+/readings']) {
      await expect(provisioner.subscribeAsync(filter, { qos: 1 })).rejects.toThrow();
    }
    await expect(provisioner.publishAsync('tm/v1/devices/OX-forged/readings', '{}', { qos: 1 })).rejects.toMatchObject({ code: 0x87 });
    // What it is for still works: commands, and their answers.
    await expect(provisioner.subscribeAsync('$CONTROL/dynamic-security/v1/response', { qos: 1 })).resolves.toEqual([expect.objectContaining({ qos: 1 })]);
    await dynsec('createClient', 'OX-deploy-0', '-p', 'device-secret-0');
    await dynsec('createRole', 'device-OX-deploy-0');
    await dynsec('addRoleACL', 'device-OX-deploy-0', 'publishClientSend', 'tm/v1/devices/OX-deploy-0/#', 'allow');
    await dynsec('addClientRole', 'OX-deploy-0', 'device-OX-deploy-0');
    const ingest = await connect({ ...INGEST, clientId: 'tm-ingest-rights' });
    const delivered: string[] = [];
    ingest.on('message', (topic) => delivered.push(topic));
    await ingest.subscribeAsync('tm/v1/devices/+/readings', { qos: 1 });
    const device = await connect({ clientId: 'OX-deploy-0', username: 'OX-deploy-0', password: 'device-secret-0' });
    await device.publishAsync('tm/v1/devices/OX-deploy-0/readings', '{}', { qos: 1 });
    await eventually(async () => delivered.includes('tm/v1/devices/OX-deploy-0/readings'));
    expect(received.filter((t) => t.startsWith('tm/'))).toEqual([]);
    await device.endAsync();
    await ingest.endAsync();
    await provisioner.endAsync();
  }, 30000);

  it('lets a provisioned device publish under its own topic only', async () => {
    await dynsec('createClient', 'OX-deploy-1', '-p', 'device-secret-1');
    await dynsec('createRole', 'device-OX-deploy-1');
    await dynsec('addRoleACL', 'device-OX-deploy-1', 'publishClientSend', 'tm/v1/devices/OX-deploy-1/#', 'allow');
    await dynsec('addClientRole', 'OX-deploy-1', 'device-OX-deploy-1');

    const backend = await connect({ ...INGEST, clientId: 'tm-ingest-acl' });
    const received: string[] = [];
    backend.on('message', (topic) => received.push(topic));
    await backend.subscribeAsync('tm/v1/devices/+/readings', { qos: 1 });
    const device = await connect({ clientId: 'OX-deploy-1', username: 'OX-deploy-1', password: 'device-secret-1' });
    await device.publishAsync('tm/v1/devices/OX-other/readings', '{}', { qos: 1 });
    await device.publishAsync('tm/v1/devices/OX-deploy-1/readings', '{}', { qos: 1 });
    await eventually(async () => received.includes('tm/v1/devices/OX-deploy-1/readings'));
    expect(received).toEqual(['tm/v1/devices/OX-deploy-1/readings']);
    await device.endAsync();
    await backend.endAsync();
  }, 30000);

  it('queues 3000 QoS 1 messages for an offline persistent session without dropping any', async () => {
    await dynsec('createClient', 'OX-deploy-2', '-p', 'device-secret-2');
    await dynsec('createRole', 'device-OX-deploy-2');
    await dynsec('addRoleACL', 'device-OX-deploy-2', 'publishClientSend', 'tm/v1/devices/OX-deploy-2/#', 'allow');
    await dynsec('addClientRole', 'OX-deploy-2', 'device-OX-deploy-2');
    const session = { ...INGEST, clientId: 'tm-ingest-queue', clean: false };
    const first = await connect(session);
    await first.subscribeAsync('tm/v1/devices/OX-deploy-2/readings', { qos: 1 });
    await first.endAsync();

    const device = await connect({ clientId: 'OX-deploy-2', username: 'OX-deploy-2', password: 'device-secret-2' });
    const total = 3000;
    for (let i = 0; i < total; i += 100) {
      await Promise.all(Array.from({ length: 100 }, (_, j) => device.publishAsync('tm/v1/devices/OX-deploy-2/readings', String(i + j), { qos: 1 })));
    }
    await device.endAsync();

    const seen = new Set<string>();
    const again = mqtt.connect(URL, { ...session, reconnectPeriod: 0 });
    again.on('message', (_topic, payload) => seen.add(payload.toString()));
    await eventually(async () => seen.size === total, 20000);
    expect(seen.size).toBe(total);
    await again.endAsync();
  }, 60000);
});
