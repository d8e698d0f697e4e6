import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { MqttClient } from 'mqtt';
import pg from 'pg';
import { migrate } from '../../../apps/server/src/database/migrator.js';
import { MIGRATIONS_DIR } from '../../../apps/server/src/paths.js';
import { admin } from '../../support/scratch-db.js';
import { TestContext, type TestApp } from '../../support/test-app.js';
import { PG_ADMIN_URL, TEST_DB_NAME } from '../../support/test-env.js';
import { connectPublisher, eventually, metricValue, publishReadings, recentTimes, startIngestApp } from './ingest-support.js';

// The project-level testTimeout of jest.config.js is not applied (Jest 30): set it here.
jest.setTimeout(60_000);

/**
 * A database of its own: these tests kill every connection to it, and must not disturb the
 * other test files sharing the test database.
 */
const DB = `${TEST_DB_NAME}_outage`;
const DB_URL = (() => {
  const u = new URL(PG_ADMIN_URL);
  u.pathname = `/${DB}`;
  return u.toString();
})();
const KILL_ALL = `SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`;

describe('database outages: acknowledgements pause, nothing is lost, ingestion resumes by itself', () => {
  let t: TestApp;
  let pool: pg.Pool;
  let ctx: TestContext;
  let pub: MqttClient;

  beforeAll(async () => {
    await admin(async (c) => {
      await c.query(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`);
      await c.query(`CREATE DATABASE ${DB}`);
    });
    pool = new pg.Pool({ connectionString: DB_URL, max: 3 });
    pool.on('error', () => undefined); // its idle connections get killed too
    await migrate(pool, MIGRATIONS_DIR);
    ctx = new TestContext(pool, '');
    t = await startIngestApp({ DATABASE_URL: DB_URL, INGEST_BATCH_MAX_ROWS: '400' });
    pub = await connectPublisher();
  }, 60_000);

  afterAll(async () => {
    await pub?.endAsync();
    await t?.close();
    await pool?.end();
    await admin(async (c) => {
      await c.query(`ALTER DATABASE ${DB} ALLOW_CONNECTIONS true`);
      await c.query(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`);
    });
  }, 60_000);

  const newDevice = async (): Promise<string> => {
    const team = await ctx.newCareTeam();
    const patient = await ctx.newPatient(team.id);
    return (await ctx.newDevice(patient.id)).deviceId;
  };
  const count = async (deviceIds: string[]): Promise<number> =>
    (await pool.query(`SELECT count(*)::int AS n FROM readings WHERE device_id = ANY($1)`, [deviceIds])).rows[0].n;

  it('loses no sample while its connections are killed again and again mid-stream', async () => {
    const devices = [await newDevice(), await newDevice(), await newDevice()];
    const failuresBefore = await metricValue(t, 'tm_ingest_commit_failures_total{kind="retried"}');
    const killer = new pg.Client({ connectionString: DB_URL });
    await killer.connect();
    let killing = true;
    let kills = 0;
    const killLoop = (async () => {
      while (killing) {
        kills += (await killer.query(KILL_ALL)).rows[0].n;
        await new Promise((r) => setTimeout(r, 80));
      }
    })();
    // Kills land on idle connections as often as on a commit in flight: the stream goes on, in
    // rounds of 40 messages per device (20 samples × 2 metrics each, three devices in parallel),
    // until at least one commit was hit and retried (at most 5 rounds).
    const MAX_ROUNDS = 5;
    const times = recentTimes(MAX_ROUNDS * 40 * 20, 1000, 3_600_000);
    const retried = () => metricValue(t, 'tm_ingest_commit_failures_total{kind="retried"}');
    let rounds = 0;
    try {
      while (rounds < MAX_ROUNDS && (rounds === 0 || (await retried()) <= failuresBefore)) {
        const round = rounds++;
        await Promise.all(
          devices.map(async (deviceId) => {
            for (let m = 0; m < 40; m++) {
              const first = (round * 40 + m) * 20;
              const samples = times.slice(first, first + 20).map((at, i) => ({ at, spo2: 90 + (i % 5), pulseRate: 70 }));
              await publishReadings(pub, deviceId, { v: 1, seq: round * 40 + m, samples });
              await new Promise((r) => setTimeout(r, 40));
            }
          }),
        );
      }
    } finally {
      killing = false;
      await killLoop;
      await killer.end();
    }
    expect(kills).toBeGreaterThan(0);
    const perDeviceExpected = rounds * 40 * 20 * 2;
    await eventually(async () => (await count(devices)) === 3 * perDeviceExpected, 30_000, 250);
    // Exactly once: the key makes a second copy impossible, the count proves none is missing.
    const perDevice = await pool.query(`SELECT device_id, count(*)::int AS n FROM readings WHERE device_id = ANY($1) GROUP BY 1`, [devices]);
    expect(perDevice.rows.map((r) => r.n)).toEqual([perDeviceExpected, perDeviceExpected, perDeviceExpected]);
    expect(await retried()).toBeGreaterThan(failuresBefore);
    console.log(
      `database connections killed: ${kills} backends terminated over ${rounds} round(s), ${(await retried()) - failuresBefore} commits retried; ` +
        `${3 * perDeviceExpected} readings sent, all stored exactly once: lost 0`,
    );
  }, 120_000);

  it('holds the acknowledgements while the database refuses connections, then catches up alone', async () => {
    const deviceId = await newDevice();
    // Route one message first so the device is in the cache.
    await publishReadings(pub, deviceId, { v: 1, samples: [{ at: Date.now() - 600_000, spo2: 93 }] });
    await eventually(async () => (await count([deviceId])) === 1);
    const acked = await metricValue(t, 'tm_ingest_ack_seconds_count');
    const received = await metricValue(t, 'tm_ingest_messages_received_total{channel="readings"}');
    await admin(async (c) => {
      await c.query(`ALTER DATABASE ${DB} ALLOW_CONNECTIONS false`);
      await c.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1`, [DB]);
    });
    let reopened = false;
    try {
      const times = recentTimes(100, 1000, 7_200_000);
      for (let m = 0; m < 10; m++) {
        await publishReadings(pub, deviceId, { v: 1, seq: m, samples: times.slice(m * 10, (m + 1) * 10).map((at) => ({ at, spo2: 94 })) });
      }
      await eventually(async () => (await metricValue(t, 'tm_ingest_messages_received_total{channel="readings"}')) >= received + 10);
      await new Promise((r) => setTimeout(r, 1500));
      // Received, not committed: not acknowledged (the broker still holds them).
      expect(await metricValue(t, 'tm_ingest_ack_seconds_count')).toBe(acked);
      expect(await metricValue(t, 'tm_ingest_inflight_messages')).toBeGreaterThanOrEqual(10);
      await admin((c) => c.query(`ALTER DATABASE ${DB} ALLOW_CONNECTIONS true`));
      reopened = true;
    } finally {
      if (!reopened) await admin((c) => c.query(`ALTER DATABASE ${DB} ALLOW_CONNECTIONS true`));
    }
    await eventually(async () => (await count([deviceId])) === 101, 30_000, 250);
    await eventually(async () => (await metricValue(t, 'tm_ingest_ack_seconds_count')) >= acked + 10);
  }, 60_000);

  it('records a message the database refuses for its data as store-failed, without blocking the others', async () => {
    const deviceId = await newDevice();
    await pool.query(`ALTER TABLE readings ADD CONSTRAINT test_poison CHECK (value <> 42.4242)`);
    try {
      const [a, b, c] = recentTimes(3, 1000, 900_000);
      await Promise.all([
        publishReadings(pub, deviceId, { v: 1, seq: 1, samples: [{ at: a!, spo2: 95 }] }),
        publishReadings(pub, deviceId, { v: 1, seq: 2, samples: [{ at: b!, spo2: 42.4242 }] }),
        publishReadings(pub, deviceId, { v: 1, seq: 3, samples: [{ at: c!, spo2: 96 }] }),
      ]);
      const dead = await eventually(async () => {
        const { rows } = await pool.query(`SELECT reason, detail, excerpt FROM rejections WHERE device_id = $1`, [deviceId]);
        return rows.length > 0 ? rows : undefined;
      });
      expect(dead).toEqual([{ reason: 'store-failed', detail: expect.stringContaining('SQLSTATE 23514'), excerpt: expect.stringContaining('42.4242') }]);
      await eventually(async () => (await count([deviceId])) === 2);
    } finally {
      await pool.query(`ALTER TABLE readings DROP CONSTRAINT IF EXISTS test_poison`);
    }
  });
});
