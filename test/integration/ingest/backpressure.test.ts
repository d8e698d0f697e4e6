import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { MqttClient } from 'mqtt';
import pg from 'pg';
import { MAX_PAYLOAD_BYTES } from '#protocol';
import { admin, createScratchDatabase, type ScratchDatabase } from '../../support/scratch-db.js';
import { TestContext, type TestApp } from '../../support/test-app.js';
import { connectPublisher, eventually, metricValue, publishReadings, recentTimes, startIngestApp } from './ingest-support.js';

// The project-level testTimeout of jest.config.js is not applied (Jest 30): set it here.
jest.setTimeout(120_000);

/** The smallest budget the configuration accepts (INGEST_MAX_INFLIGHT_BYTES ≥ 1 MiB). */
const BUDGET = 1_048_576;
const CONNECTIONS = 2;
const DEVICES = 4;
const MESSAGES_PER_DEVICE = 16;
const SAMPLES_PER_MESSAGE = 1000;

/**
 * One readings message of 1000 SpO2 samples, about 137 KB: pretty-printed (valid JSON, the
 * whitespace only adds bytes), so the test moves many bytes for few rows.
 */
function bigMessage(seq: number, times: number[]): string {
  const payload = JSON.stringify({ v: 1, seq, samples: times.map((at, i) => ({ at, spo2: 90 + (i % 10) })) }, null, 10);
  if (Buffer.byteLength(payload) > MAX_PAYLOAD_BYTES) throw new Error('test message over the payload limit');
  return payload;
}

/**
 * Issue 8: a database outage pauses acknowledgements (the broker keeps the messages) and memory
 * stays bounded while ingestion waits. An ingest app with a 1 MiB in-flight budget and 2
 * connections; the database away; devices publish ~8.8 MB. The bytes the process holds never
 * exceed the budget plus one message per connection (InflightBudget's bound), the broker keeps
 * the rest, and once the database is back everything is stored exactly once.
 */
describe('back-pressure: bounded in-flight bytes while the database is away', () => {
  let db: ScratchDatabase;
  let t: TestApp;
  let ctx: TestContext;
  let pub: MqttClient;

  beforeAll(async () => {
    // A database of its own: the outage must not disturb the other test files.
    db = await createScratchDatabase('backpressure');
    ctx = new TestContext(db.pool, '');
    t = await startIngestApp({
      DATABASE_URL: db.url,
      INGEST_MAX_INFLIGHT_BYTES: String(BUDGET),
      INGEST_CONNECTIONS: String(CONNECTIONS),
    });
    pub = await connectPublisher();
  }, 60_000);

  afterAll(async () => {
    await pub?.endAsync();
    await t?.close();
    if (db) {
      await admin((c) => c.query(`ALTER DATABASE ${db.name} ALLOW_CONNECTIONS true`));
      await db.drop();
    }
  }, 60_000);

  const count = async (deviceIds: string[]): Promise<Map<string, number>> => {
    const { rows } = await db.pool.query(`SELECT device_id, count(*)::int AS n FROM readings WHERE device_id = ANY($1) GROUP BY 1`, [deviceIds]);
    return new Map(rows.map((r) => [r.device_id as string, r.n as number]));
  };

  /** Takes the database away; returns how to bring it back. */
  const outages: Record<string, () => Promise<() => Promise<void>>> = {
    'refuses every connection': async () => {
      await admin(async (c) => {
        await c.query(`ALTER DATABASE ${db.name} ALLOW_CONNECTIONS false`);
        await c.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, [db.name]);
      });
      return async () => void (await admin((c) => c.query(`ALTER DATABASE ${db.name} ALLOW_CONNECTIONS true`)));
    },
    'holds every write (readings table locked)': async () => {
      const locker = new pg.Client({ connectionString: db.url });
      await locker.connect();
      await locker.query(`BEGIN`);
      await locker.query(`LOCK TABLE readings IN ACCESS EXCLUSIVE MODE`);
      return async () => {
        await locker.query(`ROLLBACK`);
        await locker.end();
      };
    },
  };

  it.each(Object.keys(outages))('while the database %s', async (outage) => {
    const team = await ctx.newCareTeam();
    const devices: string[] = [];
    for (let d = 0; d < DEVICES; d++) devices.push((await ctx.newDevice((await ctx.newPatient(team.id)).id)).deviceId);
    const times = recentTimes(MESSAGES_PER_DEVICE * SAMPLES_PER_MESSAGE + 1, 1000, 3_600_000);
    // One small message per device first, so the devices are in the cache before the outage.
    for (const deviceId of devices) await publishReadings(pub, deviceId, { v: 1, seq: 0, samples: [{ at: times[0]!, spo2: 95 }] });
    await eventually(async () => [...(await count(devices)).values()].reduce((a, b) => a + b, 0) === DEVICES, 15_000);

    const received = () => metricValue(t, 'tm_ingest_messages_received_total{channel="readings"}');
    const acked = () => metricValue(t, 'tm_ingest_ack_seconds_count');
    const receivedBefore = await received();
    const ackedBefore = await acked();
    const duplicatesBefore = await metricValue(t, 'tm_ingest_readings_duplicate_total');

    // What the process holds, polled independently of the high-water mark gauge.
    let polledMax = 0;
    let polling = true;
    const poller = (async () => {
      while (polling) {
        polledMax = Math.max(polledMax, await metricValue(t, 'tm_ingest_inflight_bytes'));
        await new Promise((r) => setTimeout(r, 20));
      }
    })();

    const messages = devices.flatMap((deviceId) =>
      Array.from({ length: MESSAGES_PER_DEVICE }, (_, m) => ({
        deviceId,
        payload: bigMessage(m + 1, times.slice(1 + m * SAMPLES_PER_MESSAGE, 1 + (m + 1) * SAMPLES_PER_MESSAGE)),
      })),
    );
    const publishedBytes = messages.reduce((sum, m) => sum + Buffer.byteLength(m.payload), 0);
    const maxWeight = Math.max(...messages.map((m) => Buffer.byteLength(m.payload))) + 64;
    const bound = BUDGET + CONNECTIONS * maxWeight;
    expect(publishedBytes).toBeGreaterThan(8 * BUDGET);

    const restore = await outages[outage]!();
    let restored = false;
    try {
      // The broker acknowledges each publication (QoS 1) whatever ingestion does.
      await Promise.all(messages.map((m) => publishReadings(pub, m.deviceId, m.payload)));
      // Intake stops once the budget is used up: every connection held.
      await eventually(async () => (await metricValue(t, 'tm_ingest_paused_connections')) === CONNECTIONS, 20_000);
      const receivedWhilePaused = await received();
      await new Promise((r) => setTimeout(r, 1500));
      expect(await received()).toBe(receivedWhilePaused); // nothing more is read
      // Far from everything was taken: the broker keeps the rest.
      expect(receivedWhilePaused - receivedBefore).toBeLessThan(messages.length / 2);
      expect(await metricValue(t, 'tm_ingest_inflight_bytes')).toBeGreaterThan(BUDGET);
      expect(await metricValue(t, 'tm_ingest_inflight_bytes')).toBeLessThanOrEqual(bound);
      // Nothing committed, nothing acknowledged.
      expect(await acked()).toBe(ackedBefore);
      await restore();
      restored = true;
    } finally {
      if (!restored) await restore();
    }

    // Ingestion resumes by itself and takes everything the broker kept.
    const expected = MESSAGES_PER_DEVICE * SAMPLES_PER_MESSAGE + 1;
    await eventually(async () => [...(await count(devices)).values()].every((n) => n === expected) && (await count(devices)).size === DEVICES, 60_000, 250);
    await eventually(async () => (await acked()) >= ackedBefore + messages.length, 15_000);
    polling = false;
    await poller;

    // Each message received once (no redelivery), stored once, no dead letter.
    expect(await received()).toBe(receivedBefore + messages.length);
    expect(await metricValue(t, 'tm_ingest_readings_duplicate_total')).toBe(duplicatesBefore);
    expect(Object.fromEntries(await count(devices))).toEqual(Object.fromEntries(devices.map((d) => [d, expected])));
    const { rows } = await db.pool.query(`SELECT count(*)::int AS n FROM rejections WHERE device_id = ANY($1)`, [devices]);
    expect(rows[0].n).toBe(0);

    // Bounded the whole time, outage and catch-up: the budget plus one message per connection.
    const peak = await metricValue(t, 'tm_ingest_inflight_bytes_max');
    expect(peak).toBeGreaterThan(BUDGET); // the budget was used up: back-pressure did the bounding
    expect(peak).toBeLessThanOrEqual(bound);
    expect(polledMax).toBeGreaterThan(BUDGET);
    expect(polledMax).toBeLessThanOrEqual(peak);
    await eventually(async () => (await metricValue(t, 'tm_ingest_inflight_bytes')) === 0, 10_000);
  });
});
