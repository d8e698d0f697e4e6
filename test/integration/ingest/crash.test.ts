import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import mqtt, { type MqttClient } from 'mqtt';
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { readingsTopic } from '#protocol';
import { PROJECT_ROOT } from '../../../apps/server/src/paths.js';
import { startChildApp, type ChildApp } from '../../support/child-app.js';
import { eventually, TestContext } from '../../support/test-app.js';
import { TEST_DATABASE_URL, TEST_JWT_SECRET } from '../../support/test-env.js';

// The project-level testTimeout of jest.config.js is not applied (Jest 30): set it here.
jest.setTimeout(60_000);

/** The dedicated no-drop broker of test/fixtures/mosquitto-nodrop.conf. */
const BROKER_URL = 'mqtt://127.0.0.1:18850';
const PREFIX = `tm-crash-${process.pid}`;

/**
 * The real server (ROLES=ingest) as a child process, killed with SIGKILL mid-stream: every
 * message the broker accepted from the devices must end up stored exactly once, because the
 * backend acknowledges a message to the broker only after its commit.
 */
describe('ingest process killed mid-stream (child process, dedicated Mosquitto)', () => {
  let scratchDir: string;
  let broker: ChildProcess;
  /** The broker's log goes to a file (a pipe that the test reads late would slow the broker down). */
  let brokerLogFile: string;
  const brokerLog = () => readFileSync(brokerLogFile, 'utf8');
  let child: ChildApp | undefined;
  let pool: pg.Pool;
  let ctx: TestContext;
  let pub: MqttClient;

  const env = {
    DATABASE_URL: TEST_DATABASE_URL,
    MQTT_URL: BROKER_URL,
    JWT_SECRET: TEST_JWT_SECRET,
    ROLES: 'ingest',
    PORT: '0',
    HOST: '127.0.0.1',
    MIGRATE_ON_START: 'false',
    LOG_LEVEL: 'info',
    // Fixed across restarts: the broker keeps these sessions and redelivers what was not acknowledged.
    INGEST_CLIENT_ID_PREFIX: PREFIX,
    INGEST_SHARE_GROUP: 'crash',
    INGEST_SESSION_EXPIRY_SECONDS: '600',
  };
  const startIngest = async (): Promise<ChildApp> => {
    const app = startChildApp(env);
    await app.waitFor(new RegExp(`${PREFIX}-3 connected`), 50_000);
    await new Promise((r) => setTimeout(r, 300));
    return app;
  };
  const killIngest = async (): Promise<void> => {
    if (!child || child.process.exitCode !== null || child.process.signalCode !== null) return;
    child.process.kill('SIGKILL');
    await child.exited;
  };
  const count = async (deviceIds: string[]): Promise<number> =>
    (await pool.query(`SELECT count(*)::int AS n FROM readings WHERE device_id = ANY($1)`, [deviceIds])).rows[0].n;
  const newDevice = async (): Promise<string> => {
    const team = await ctx.newCareTeam();
    return (await ctx.newDevice((await ctx.newPatient(team.id)).id)).deviceId;
  };

  beforeAll(async () => {
    scratchDir = await mkdtemp(join(tmpdir(), `ingest-crash-${process.pid}-`));
    brokerLogFile = join(scratchDir, 'mosquitto.log');
    const log = openSync(brokerLogFile, 'w');
    broker = spawn('mosquitto', ['-c', join(PROJECT_ROOT, 'test/fixtures/mosquitto-nodrop.conf')], { stdio: ['ignore', 'ignore', log] });
    closeSync(log);
    await eventually(async () => brokerLog().includes('running') || (broker.exitCode !== null && Promise.reject(new Error(brokerLog()))), 10_000, 50);
    pool = new pg.Pool({ connectionString: TEST_DATABASE_URL, max: 3 });
    ctx = new TestContext(pool, '');
    child = await startIngest();
    pub = await mqtt.connectAsync(BROKER_URL, { clientId: `crash-pub-${process.pid}`, protocolVersion: 5, reconnectPeriod: 0 });
  }, 240_000);

  afterAll(async () => {
    await pub?.endAsync(true).catch(() => undefined);
    await killIngest();
    broker?.kill('SIGTERM');
    await pool?.end();
    if (scratchDir) await rm(scratchDir, { recursive: true, force: true });
  }, 30_000);

  it('sends no PUBACK for a message before its data is committed', async () => {
    const deviceId = await newDevice();
    // Hold the commit back: INSERT needs a lock that SHARE mode denies.
    const locker = await pool.connect();
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE readings IN SHARE MODE');
      const mark = brokerLog().length;
      await pub.publishAsync(readingsTopic(deviceId), JSON.stringify({ v: 1, samples: [{ at: Date.now() - 60_000, spo2: 94 }] }), { qos: 1 });
      const sent = new RegExp(`Sending PUBLISH to (${PREFIX}-\\d) \\(d0, q1, r0, m(\\d+), '${readingsTopic(deviceId)}'`);
      const delivery = await eventually(async () => sent.exec(brokerLog().slice(mark)) ?? undefined, 10_000, 50);
      const puback = `Received PUBACK from ${delivery[1]} (Mid: ${delivery[2]},`;
      await new Promise((r) => setTimeout(r, 1500));
      expect(brokerLog().slice(mark)).not.toContain(puback);
      expect(await count([deviceId])).toBe(0);
      await locker.query('ROLLBACK');
      await eventually(async () => brokerLog().slice(mark).includes(puback), 15_000, 50);
      expect(await count([deviceId])).toBe(1);
    } finally {
      await locker.query('ROLLBACK').catch(() => undefined);
      locker.release();
    }
  }, 40_000);

  it('stores every sample the broker accepted exactly once after a SIGKILL and a restart', async () => {
    const devices = [await newDevice(), await newDevice(), await newDevice(), await newDevice()];
    /** Messages PUBACKed by the broker to the publisher: device → seqs. */
    const acked = new Map<string, number[]>(devices.map((d) => [d, []]));
    const SAMPLES = 10;
    const MAX_SEQ = 1500;
    // Every sample in the past: the product rejects samples more than 5 min ahead (`future`), and
    // a stream that ran into the future once looked like a loss here.
    const base = Math.floor((Date.now() - (MAX_SEQ * SAMPLES * 1000 + 3_600_000)) / 1000) * 1000;
    const sampleTime = (seq: number, i: number) => base + (seq * SAMPLES + i) * 1000;
    let publishing = true;
    const loops = devices.map(async (deviceId) => {
      for (let seq = 0; publishing && seq < MAX_SEQ; seq++) {
        const samples = Array.from({ length: SAMPLES }, (_, i) => ({ at: sampleTime(seq, i), spo2: 90 + (i % 9), pulseRate: 60 + seq % 40 }));
        await pub.publishAsync(readingsTopic(deviceId), JSON.stringify({ v: 1, seq, samples }), { qos: 1 });
        acked.get(deviceId)!.push(seq);
      }
    });
    const mark = brokerLog().length;
    let figures: { total: number; storedAtKill: number } | undefined;
    try {
      await eventually(async () => (await count(devices)) > 0, 20_000, 50);
      await new Promise((r) => setTimeout(r, 500));
      await killIngest();
      const storedAtKill = await count(devices);
      // The devices keep publishing while the backend is down: the broker queues for its sessions.
      await new Promise((r) => setTimeout(r, 1000));
      publishing = false;
      await Promise.all(loops);
      const total = [...acked.values()].reduce((n, s) => n + s.length, 0);
      expect(storedAtKill).toBeLessThan(total * SAMPLES * 2);
      figures = { total, storedAtKill };

      child = await startIngest();
      // Draining the broker's queue after the restart is slow on a loaded 2-core machine: bounded, generous.
      await eventually(async () => (await count(devices)) >= total * SAMPLES * 2, 150_000, 250).catch(async (err: Error) => {
        const { rows } = await pool.query(`SELECT reason, count(*)::int AS n FROM rejections WHERE device_id = ANY($1) GROUP BY 1`, [devices]);
        throw new Error(
          `${err.message}: ${await count(devices)} rows stored of ${total * SAMPLES * 2} acknowledged (${storedAtKill} at the kill); rejections: ${JSON.stringify(rows)}`,
        );
      });
    } finally {
      publishing = false;
      await Promise.all(loops).catch(() => undefined);
    }
    // Nothing of this valid stream was turned away.
    expect((await pool.query(`SELECT count(*)::int AS n FROM rejections WHERE device_id = ANY($1)`, [devices])).rows[0].n).toBe(0);
    // Exactly the acknowledged samples, each once.
    for (const deviceId of devices) {
      const { rows } = await pool.query(
        `SELECT (extract(epoch from time) * 1000)::float8 AS ms, count(*)::int AS metrics FROM readings WHERE device_id = $1 GROUP BY 1 ORDER BY 1`,
        [deviceId],
      );
      const expected = acked.get(deviceId)!.flatMap((seq) => Array.from({ length: SAMPLES }, (_, i) => sampleTime(seq, i)));
      expect(rows.map((r) => Number(r.ms))).toEqual(expected);
      expect(rows.every((r) => r.metrics === 2)).toBe(true);
    }
    // The broker redelivered (DUP) what the killed process had received but not acknowledged.
    expect(brokerLog().slice(mark)).toMatch(new RegExp(`Sending PUBLISH to ${PREFIX}-\\d \\(d1, q1`));
    console.log(
      `ingest SIGKILL: 1 kill mid-stream; ${figures!.total} messages (${figures!.total * SAMPLES * 2} readings) acknowledged by the broker, ` +
        `${figures!.storedAtKill} rows stored at the kill; after the restart every acknowledged reading stored exactly once: lost 0, duplicates 0`,
    );
  }, 240_000);
});
