import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import mqtt, { type MqttClient } from 'mqtt';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { readingsTopic } from '#protocol';
import { deviceShard } from '../../../apps/server/src/ingest/device-shard.js';
import { startChildApp, type ChildApp } from '../../support/child-app.js';
import { publishUntilAcknowledged } from '../../support/device-publish.js';
import { startOwnBroker, type OwnBroker } from '../../support/own-broker.js';
import { eventually, TestContext } from '../../support/test-app.js';
import { TEST_DATABASE_URL, TEST_JWT_SECRET } from '../../support/test-env.js';

// The project-level testTimeout of jest.config.js is not applied (Jest 30): set it here.
jest.setTimeout(120_000);

const SHARDS = 2;
const DEVICES_PER_SHARD = 3;
/** Each device publishes at least this many messages, and on until the faults are injected. */
const MIN_MESSAGES = 100;
const MAX_MESSAGES = 3000;
const SAMPLES = 5;
const BROKER_PORT = 19160;
const appPort = (shard: number) => 19161 + shard;

async function metric(url: string, series: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

/** CPU time (user + system, ms) of a process so far, from /proc (clock ticks of 10 ms). */
function cpuMs(pid: number | undefined): number {
  if (pid === undefined) return 0;
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/**
 * Issue 19 §3: scaled out on Mosquitto with no loss. Two ingest processes in shards mode
 * (INGEST_SHARDS=2, INGEST_SHARD=0/1): each has ONE plain persistent subscription of its own
 * (client id `<prefix>-shard-<i>`), receives every message, stores its shard's devices and
 * acknowledges the others unstored. Mosquitto restores plain subscriptions from its persistence
 * file, so unlike a `$share` group (docs/ingestion.md, "Broker restarts") a broker restart loses
 * nothing, and a shard process that is down finds its shard queued at the broker.
 *
 * Under a QoS 1 stream from six devices (three per shard): shard 1's process is SIGKILLed, the
 * broker restarted (SIGTERM + start) while it is down, shard 1 restarted, then the broker
 * restarted again with both up. Every sample the broker acknowledged to a device must be stored
 * exactly once: 0 lost, 0 duplicates, nothing else.
 */
describe('ingest shards on a persistent Mosquitto: broker restarts and a killed shard process', () => {
  const PREFIX = `tm-shard-${process.pid}`;
  let broker: OwnBroker;
  const apps: (ChildApp | undefined)[] = [];
  let pool: pg.Pool;
  let ctx: TestContext;
  const publishers: MqttClient[] = [];
  const url = (shard: number) => `http://127.0.0.1:${appPort(shard)}`;

  const startShard = async (shard: number): Promise<ChildApp> => {
    const app = startChildApp({
      DATABASE_URL: TEST_DATABASE_URL,
      MQTT_URL: broker.url,
      JWT_SECRET: TEST_JWT_SECRET,
      ROLES: 'ingest',
      PORT: String(appPort(shard)),
      HOST: '127.0.0.1',
      MIGRATE_ON_START: 'false',
      LOG_LEVEL: 'info',
      DB_POOL_SIZE: '3',
      INGEST_CLIENT_ID_PREFIX: PREFIX,
      INGEST_SESSION_EXPIRY_SECONDS: '600',
      INGEST_SHARDS: String(SHARDS),
      INGEST_SHARD: String(shard),
    });
    apps[shard] = app;
    await app.waitFor(new RegExp(`${PREFIX}-shard-${shard} connected`), 60_000);
    await eventually(async () => (await metric(url(shard), 'tm_ingest_connections_up').catch(() => 0)) === 1, 15_000);
    return app;
  };

  beforeAll(async () => {
    broker = await startOwnBroker({ port: BROKER_PORT, persistence: true });
    pool = new pg.Pool({ connectionString: TEST_DATABASE_URL, max: 3 });
    ctx = new TestContext(pool, '');
    await Promise.all([0, 1].map((s) => startShard(s)));
    await new Promise((r) => setTimeout(r, 300));
  }, 120_000);

  afterAll(async () => {
    await Promise.all(publishers.map((p) => p.endAsync(true).catch(() => undefined)));
    await Promise.all(apps.map((a) => a?.kill('SIGTERM')));
    await broker?.dispose();
    await pool?.end();
  }, 60_000);

  it('stores every acknowledged sample exactly once, each shard its own devices', async () => {
    // Three devices of each shard (device ids are random: draw until both shards have theirs).
    const team = await ctx.newCareTeam();
    const byShard: string[][] = [[], []];
    while (byShard.some((ids) => ids.length < DEVICES_PER_SHARD)) {
      const id = (await ctx.newDevice((await ctx.newPatient(team.id)).id)).deviceId;
      const ids = byShard[deviceShard(id, SHARDS)]!;
      if (ids.length < DEVICES_PER_SHARD) ids.push(id);
    }
    const deviceIds = byShard.flat();
    const base = Math.floor((Date.now() - 3 * 3600_000) / 1000) * 1000;
    const at = (m: number, i: number) => base + (m * SAMPLES + i) * 1000;

    /** Per device, the messages the broker acknowledged (PUBACK). */
    const acked = deviceIds.map(() => new Set<number>());
    let attempts = 0;
    for (const id of deviceIds) {
      // A device: reconnects on its own, retries a message until the broker acknowledges it.
      const client = await mqtt.connectAsync(broker.url, { clientId: id, protocolVersion: 5, reconnectPeriod: 200, connectTimeout: 2000 });
      client.on('error', () => undefined);
      publishers.push(client);
    }
    let streaming = true;
    let faultsDone = false;
    const startedAt = Date.now();
    const stream = Promise.all(
      publishers.map(async (client, k) => {
        for (let m = 0; !(faultsDone && m >= MIN_MESSAGES); m++) {
          if (m >= MAX_MESSAGES) throw new Error('the faults took too long to inject');
          const payload = JSON.stringify({ v: 1, seq: m, samples: Array.from({ length: SAMPLES }, (_, i) => ({ at: at(m, i), spo2: 90 + ((m + i) % 8), pulseRate: 72 })) });
          const sent = await publishUntilAcknowledged(client, readingsTopic(deviceIds[k]!), payload, `message ${m} of device ${k}`);
          attempts += sent.attempts;
          acked[k]!.add(m);
          await new Promise((r) => setTimeout(r, 40));
        }
      }),
    ).finally(() => (streaming = false));

    const ackedCount = () => acked.reduce((n, a) => n + a.size, 0);
    /** Waits until `more` further messages are acknowledged to the devices. */
    const further = async (more: number) => {
      const target = ackedCount() + more;
      await eventually(async () => ackedCount() >= target, 40_000, 20);
    };
    let brokerCpuMs = 0;
    const restartBroker = async () => {
      brokerCpuMs += cpuMs(broker.pid());
      await broker.stop('SIGTERM'); // saves sessions, plain subscriptions and queued messages
      await new Promise((r) => setTimeout(r, 500));
      await broker.start();
    };
    const injected: string[] = [];

    await further(120);
    apps[1]!.process.kill('SIGKILL');
    await apps[1]!.exited;
    injected.push(`shard 1 SIGKILLed at ${ackedCount()} acknowledged`);
    await further(90);
    await restartBroker();
    injected.push(`broker restarted (shard 1 down) at ${ackedCount()}`);
    await further(60);
    await startShard(1);
    injected.push(`shard 1 restarted at ${ackedCount()}`);
    await further(90);
    await restartBroker();
    injected.push(`broker restarted (both up) at ${ackedCount()}`);
    await further(90);
    expect(streaming).toBe(true);
    faultsDone = true;
    await stream;
    const streamMs = Date.now() - startedAt;
    // Every message was acknowledged in the end (the devices retried, in order): 0 … n-1 per device.
    const total = ackedCount();
    for (const a of acked) expect(Math.max(...a) + 1).toBe(a.size);

    // Both shard processes are (back) up, on their resumed sessions.
    for (const s of [0, 1]) {
      expect(apps[s]!.process.exitCode).toBeNull();
      await eventually(async () => (await metric(url(s), 'tm_ingest_connections_up')) === 1, 15_000);
    }
    expect(apps[1]!.output()).toMatch(new RegExp(`${PREFIX}-shard-1 connected \\(session resumed\\)`));

    const expectedRows = total * SAMPLES * 2;
    const count = async () =>
      (await pool.query<{ n: number; distinct: number }>(
        `SELECT count(*)::int AS n, count(DISTINCT (device_id, metric, time))::int AS distinct FROM readings WHERE device_id = ANY($1)`,
        [deviceIds],
      )).rows[0]!;
    // Wait until everything is stored, or the count stops moving (bounded).
    let last = -1;
    await eventually(async () => {
      const now = (await count()).n;
      const done = now === expectedRows || (now === last && now > 0);
      last = now;
      return done;
    }, 30_000, 1000);
    brokerCpuMs += cpuMs(broker.pid());

    const stored = new Set(
      (
        await pool.query<{ device_id: string; ms: number }>(
          `SELECT device_id, round(extract(epoch FROM time) * 1000)::float8 AS ms FROM readings WHERE device_id = ANY($1) AND metric = 'spo2'`,
          [deviceIds],
        )
      ).rows.map((r) => `${r.device_id}|${r.ms}`),
    );
    const lost: string[] = [];
    acked.forEach((a, k) => {
      for (const m of a) {
        if (!Array.from({ length: SAMPLES }, (_, i) => stored.has(`${deviceIds[k]}|${at(m, i)}`)).every(Boolean)) lost.push(`${k}:${m}`);
      }
    });
    const { n, distinct } = await count();
    const foreign = await Promise.all([0, 1].map((s) => metric(url(s), 'tm_ingest_foreign_shard_messages_total')));
    // Shard 0 ran throughout: what it inserted is exactly its own devices' rows.
    const insertedBy0 = await metric(url(0), 'tm_ingest_readings_stored_total');
    console.log(
      `shards: ${SHARDS} ingest processes, ${deviceIds.length} devices (${DEVICES_PER_SHARD} per shard), ${total} messages ` +
        `(${attempts} publish attempts) in ${streamMs} ms; injected: ${injected.join('; ')}. ` +
        `Stored ${n} rows of ${expectedRows} sent (${distinct} distinct): lost ${lost.length} messages, duplicates ${n - distinct}. ` +
        `Rows inserted by shard 0: ${insertedBy0}. Foreign-shard messages acknowledged unstored since each process's (re)start: ${foreign.join(' / ')}. ` +
        `Broker CPU over the run: ${brokerCpuMs} ms for ${total} messages delivered ${SHARDS}× ` +
        `(${Math.round((brokerCpuMs * 1000) / total)} µs per published message, restarts included)`,
    );
    expect(lost).toEqual([]);
    expect(n - distinct).toBe(0);
    expect(n).toBe(expectedRows);
    // Each process saw the other shard's messages and stored none of them (they are all stored once, above).
    expect(foreign.every((f) => f > 0)).toBe(true);
    expect(insertedBy0).toBe(acked.slice(0, DEVICES_PER_SHARD).reduce((sum, a) => sum + a.size, 0) * SAMPLES * 2);
  });
});
