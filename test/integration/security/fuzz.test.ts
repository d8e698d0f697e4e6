import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import mqtt, { type MqttClient } from 'mqtt';
import { randomInt } from 'node:crypto';
import {
  parseDeviceTopic,
  parseReadingsPayload,
  parseStatusPayload,
  readingsTopic,
  statusTopic,
  type ParseResult,
  type RejectionReason,
  type StatusPayload,
} from '#protocol';
import { startChildApp, waitForHttpOk, type ChildApp } from '../../support/child-app.js';
import { startOwnBroker, type OwnBroker } from '../../support/own-broker.js';
import { createScratchDatabase, type ScratchDatabase } from '../../support/scratch-db.js';
import { eventually } from '../../support/test-app.js';
import { TEST_JWT_SECRET } from '../../support/test-env.js';
import {
  hostileReadings,
  hostileStatus,
  oddTopicSegment,
  seededRng,
  undeliveredTopic,
  unknownDeviceId,
  type DeviceKind,
  type Rng,
} from './fuzz-payloads.js';

// The project-level testTimeout of jest.config.js is not applied (Jest 30): set it here.
jest.setTimeout(150_000);

/**
 * Issue 7 §5: hostile MQTT input through the real broker into the real server (a child process).
 * Every message the backend's subscription can receive is accounted for exactly: what it stores
 * (readings rows, sessions, a device status) or the dead letters it records, per device and reason,
 * and per topic. The expected
 * outcome of a payload is computed with the protocol's own parser (libs/protocol, unit-tested on
 * its own): this test is about the pipeline losing, duplicating, crashing or stalling on nothing.
 * Meanwhile registered devices send valid traffic, which must be stored in full.
 *
 * FUZZ_SEED reproduces a run; FUZZ_MESSAGES changes the number of delivered messages.
 */
const BROKER_PORT = 19100;
const APP_PORT = 19101;
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : randomInt(2 ** 31);
const DELIVERED = Number(process.env.FUZZ_MESSAGES ?? 10_000);
/** Messages on topics the subscription does not cover (published too, expected nowhere). */
const UNDELIVERED = Math.round(DELIVERED * 0.03);
/** Registered devices that the fuzzed readings are spread over. */
const READINGS_DEVICES = 100;
const VALID_DEVICES = 8;
const VALID_MESSAGES = 50;
const VALID_SAMPLES = 10;
const BACKFILL_HORIZON_MS = 30 * 86_400_000;
const FUTURE_SKEW_MS = 300_000;
const MAX_ITEM_ROWS_PER_MESSAGE = 100;

type Outcome =
  | { kind: 'readings'; deviceId: string; rows: string[]; sessions: number[]; rejections: RejectionReason[] }
  | { kind: 'status'; deviceId: string; status: StatusPayload }
  | { kind: 'rejected'; deviceId: string | null; topic: string; reason: RejectionReason }
  | { kind: 'undelivered' };

interface Planned {
  topic: string;
  payload: Buffer;
  outcome: Outcome;
  acked?: boolean;
  error?: string;
}

const window = (nowMs: number) => ({ nowMs, backfillHorizonMs: BACKFILL_HORIZON_MS, futureSkewMs: FUTURE_SKEW_MS });

/** The outcome without its details (which quote the receive time). */
function signature(r: ParseResult): string {
  if (!r.ok) return r.reason;
  return JSON.stringify([r.samples, r.sessions, r.rejected.map((x) => [x.kind, x.index, x.reason])]);
}

/** What ingestion writes for a readings payload of an active device (mirrors MessageValidator.route). */
function readingsOutcome(deviceId: string, kind: DeviceKind, payload: Buffer, nowMs: number): Outcome | undefined {
  // With the sender's kind, as the server parses it: an oximeter's sessions are rejected in their place.
  const result = parseReadingsPayload(payload, window(nowMs), kind);
  // The server parses a little later: a timestamp that a byte flip put near an edge of the
  // acceptance window could fall either side. Such a payload is not used.
  if (signature(result) !== signature(parseReadingsPayload(payload, window(nowMs + 180_000), kind))) return undefined;
  if (!result.ok) return { kind: 'readings', deviceId, rows: [], sessions: [], rejections: [result.reason] };
  const rows = new Set<string>();
  for (const s of result.samples) for (const metric of Object.keys(s.values)) rows.add(`${metric}|${s.at}`);
  const rejected = result.rejected.map((x) => x.reason);
  const sessions = [...new Set(result.sessions.map((s) => s.start))];
  const rejections = rejected.slice(0, MAX_ITEM_ROWS_PER_MESSAGE);
  if (rejected.length > MAX_ITEM_ROWS_PER_MESSAGE) rejections.push(rejected[MAX_ITEM_ROWS_PER_MESSAGE]!);
  return { kind: 'readings', deviceId, rows: [...rows], sessions, rejections };
}

/** Whether the backend's subscription (tm/v1/devices/+/readings|status) receives `topic`. */
function matchesSubscription(topic: string): boolean {
  const parts = topic.split('/');
  return parts.length === 5 && parts.slice(0, 3).join('/') === 'tm/v1/devices' && (parts[4] === 'readings' || parts[4] === 'status');
}

/** The topic as a rejection row keeps it (first 256 UTF-16 units, then UTF-8). */
const storedTopic = (topic: string) => Buffer.from(topic.slice(0, 256), 'utf8').toString('utf8');

interface Plan {
  items: Planned[];
  fuzzDevices: { id: string; kind: DeviceKind; active: boolean }[];
}

function plan(r: Rng, tag: string, validIds: string[], nowMs: number): Plan {
  const items: Planned[] = [];
  const fuzzDevices: Plan['fuzzDevices'] = [];
  const registered = new Set<string>();
  /** Planned messages the subscription will not receive (an odd segment holding a '/'). */
  let skipped = 0;
  const fuzzTime = () => Math.floor((nowMs - 2 * 3600_000 - r.int(0, 3600) * 1000) / 1000) * 1000;
  const hostile = (channel: 'readings' | 'status', kind: DeviceKind) =>
    channel === 'readings' ? hostileReadings(r, kind, fuzzTime(), nowMs) : hostileStatus(r);
  for (let i = 0; items.length - skipped < DELIVERED; i++) {
    const p = r.float();
    const channel = r.chance(0.8) ? 'readings' : 'status';
    if (p < 0.8) {
      // Readings go to a pool of registered devices (the rules read the history of every device
      // they see for the first time: one device per message would make the run rules-bound);
      // each status to a device of its own (the latest status wins, and arrival order across
      // publishers is not known).
      const n = p < 0.72 ? r.int(0, READINGS_DEVICES - 1) : i;
      const id = `FZ${tag}-${p < 0.72 ? 'r' : 's'}${n}`;
      const kind: DeviceKind = n % 3 === 0 ? 'ventilator' : 'oximeter';
      if (!registered.has(id)) fuzzDevices.push({ id, kind, active: true });
      registered.add(id);
      if (p < 0.72) {
        let payload = hostile('readings', kind);
        let outcome = readingsOutcome(id, kind, payload, nowMs);
        if (!outcome) {
          payload = Buffer.from('{"v":1,');
          outcome = readingsOutcome(id, kind, payload, nowMs)!;
        }
        items.push({ topic: readingsTopic(id), payload, outcome });
      } else {
        const payload = hostile('status', kind);
        const status = parseStatusPayload(payload);
        items.push({
          topic: statusTopic(id),
          payload,
          outcome: status.ok ? { kind: 'status', deviceId: id, status: status.status } : { kind: 'rejected', deviceId: id, topic: statusTopic(id), reason: 'bad-status' },
        });
      }
    } else if (p < 0.84) {
      const id = unknownDeviceId(r, `UX${tag}-${i}`);
      const topic = `tm/v1/devices/${id}/${channel}`;
      items.push({ topic, payload: hostile(channel, 'oximeter'), outcome: { kind: 'rejected', deviceId: id, topic, reason: 'unknown-device' } });
    } else if (p < 0.86) {
      const id = `IN${tag}-${i}`;
      fuzzDevices.push({ id, kind: 'oximeter', active: false });
      const topic = `tm/v1/devices/${id}/${channel}`;
      items.push({ topic, payload: hostile(channel, 'oximeter'), outcome: { kind: 'rejected', deviceId: id, topic, reason: 'inactive-device' } });
    } else if (p < 0.94) {
      const topic = `tm/v1/devices/${oddTopicSegment(r)}/${channel}`;
      const parsed = parseDeviceTopic(topic);
      const received = matchesSubscription(topic);
      if (!received) skipped++;
      items.push({
        topic,
        payload: hostile(channel, 'oximeter'),
        outcome: !received
          ? { kind: 'undelivered' }
          : parsed
            ? { kind: 'rejected', deviceId: parsed.deviceId, topic, reason: 'unknown-device' }
            : { kind: 'rejected', deviceId: null, topic: storedTopic(topic), reason: 'bad-topic' },
      });
    } else {
      // Another (valid, registered) device's topic: its fuzzed samples sit hours before its valid ones.
      const id = r.pick(validIds);
      let payload = hostile('readings', 'oximeter');
      let outcome = readingsOutcome(id, 'oximeter', payload, nowMs);
      if (!outcome) {
        payload = Buffer.from('{"v":1,');
        outcome = readingsOutcome(id, 'oximeter', payload, nowMs)!;
      }
      items.push({ topic: readingsTopic(id), payload, outcome });
    }
  }
  // Interleave messages on topics the subscription never receives.
  for (let i = 0; i < UNDELIVERED; i++) {
    const at = r.int(0, items.length);
    items.splice(at, 0, { topic: undeliveredTopic(r, r.pick(validIds)), payload: hostileReadings(r, 'oximeter', fuzzTime(), nowMs), outcome: { kind: 'undelivered' } });
  }
  return { items, fuzzDevices };
}

async function metricSum(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`))
    .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

function countBy<K>(keys: Iterable<K>): Map<K, number> {
  const m = new Map<K, number>();
  for (const k of keys) m.set(k, (m.get(k) ?? 0) + 1);
  return m;
}

/** Differences between two count maps, as readable lines (at most `limit`). */
function diff<K>(expected: Map<K, number>, actual: Map<K, number>, limit = 15): string[] {
  const out: string[] = [];
  for (const k of new Set([...expected.keys(), ...actual.keys()])) {
    const e = expected.get(k) ?? 0;
    const a = actual.get(k) ?? 0;
    if (e !== a && out.length < limit) out.push(`${JSON.stringify(k).slice(0, 200)}: expected ${e}, stored ${a}`);
  }
  return out;
}

describe(`MQTT fuzz: hostile payloads and topics through the real broker (seed ${SEED})`, () => {
  let db: ScratchDatabase;
  let broker: OwnBroker;
  let app: ChildApp;
  const appUrl = `http://127.0.0.1:${APP_PORT}`;
  const clients: MqttClient[] = [];

  beforeAll(async () => {
    db = await createScratchDatabase('fuzz');
    broker = await startOwnBroker({ port: BROKER_PORT });
    app = startChildApp({
      DATABASE_URL: db.url,
      MQTT_URL: broker.url,
      JWT_SECRET: TEST_JWT_SECRET,
      ROLES: 'api,ingest',
      PORT: String(APP_PORT),
      HOST: '127.0.0.1',
      MIGRATE_ON_START: 'false',
      LOG_LEVEL: 'warn',
      INGEST_CLIENT_ID_PREFIX: `tm-fuzz-${process.pid}`,
      INGEST_SHARE_GROUP: 'fuzz',
      INGEST_SESSION_EXPIRY_SECONDS: '60',
    });
    await waitForHttpOk(`${appUrl}/health`, 60_000, app);
    await eventually(async () => (await metricSum(appUrl, 'tm_ingest_connections_up')) === 4, 15_000);
    await new Promise((r) => setTimeout(r, 300));
  }, 90_000);

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)));
    await app?.kill('SIGTERM');
    await broker?.dispose();
    await db?.drop();
  }, 60_000);

  it('stores or records every message, stays healthy, and stores the valid traffic sent meanwhile in full', async () => {
    const r = seededRng(SEED);
    const tag = SEED.toString(36);
    const nowMs = Date.now();
    const { rows: [team] } = await db.pool.query(`INSERT INTO care_teams (name) VALUES ($1) RETURNING id`, [`fuzz-${tag}`]);
    const { rows: patients } = await db.pool.query<{ id: string }>(
      `INSERT INTO patients (display_name, profile, care_team_id) SELECT 'Fuzz ' || g, 'standard', $1 FROM generate_series(1, 10) g RETURNING id`,
      [team.id],
    );
    const validIds = Array.from({ length: VALID_DEVICES }, (_, k) => `VA${tag}-${k}`);
    const { items, fuzzDevices } = plan(r, tag, validIds, nowMs);
    const devices = [...fuzzDevices, ...validIds.map((id) => ({ id, kind: 'oximeter' as DeviceKind, active: true }))];
    // The secret hash is never checked: the test broker lets anyone in.
    await db.pool.query(
      `INSERT INTO devices (device_id, kind, patient_id, secret_hash, active)
       SELECT d, k, ($4::uuid[])[1 + (ord % 10)], 'unused', a FROM unnest($1::text[], $2::text[], $3::bool[]) WITH ORDINALITY AS u(d, k, a, ord)`,
      [devices.map((d) => d.id), devices.map((d) => d.kind), devices.map((d) => d.active), patients.map((p) => p.id)],
    );

    // Valid traffic: VALID_MESSAGES × VALID_SAMPLES samples (SpO2 + pulse) per device, over the last hour.
    const validBase = Math.floor((nowMs - 55 * 60_000) / 1000) * 1000;
    const validAt = (m: number, i: number) => validBase + (m * VALID_SAMPLES + i) * 5000;
    const validValue = (k: number, m: number, i: number) => ({ spo2: 92 + ((k + m + i) % 7), pulseRate: 60 + ((k * 7 + m + i) % 30) });

    let published = 0;
    const fuzzClients = await Promise.all(
      [0, 1, 2, 3].map((n) => mqtt.connectAsync(broker.url, { clientId: `fuzz-${tag}-${n}`, protocolVersion: 5, reconnectPeriod: 0 })),
    );
    const validClients = await Promise.all(validIds.map((id) => mqtt.connectAsync(broker.url, { clientId: id, protocolVersion: 5, reconnectPeriod: 0 })));
    clients.push(...fuzzClients, ...validClients);

    const started = Date.now();
    const fuzzing = Promise.all(
      fuzzClients.map(async (client, n) => {
        const mine = items.filter((_, j) => j % fuzzClients.length === n);
        let next = 0;
        await Promise.all(
          Array.from({ length: 32 }, async () => {
            while (next < mine.length) {
              const item = mine[next++]!;
              try {
                await client.publishAsync(item.topic, item.payload, { qos: 1 });
                item.acked = true;
              } catch (err) {
                item.error = (err as Error).message;
              }
              published++;
            }
          }),
        );
      }),
    );
    const validTraffic = Promise.all(
      validClients.map(async (client, k) => {
        for (let m = 0; m < VALID_MESSAGES; m++) {
          // Spread over the fuzzing.
          while (published < (m / VALID_MESSAGES) * items.length) await new Promise((res) => setTimeout(res, 5));
          const samples = Array.from({ length: VALID_SAMPLES }, (_, i) => ({ at: validAt(m, i), ...validValue(k, m, i) }));
          await client.publishAsync(readingsTopic(validIds[k]!), JSON.stringify({ v: 1, seq: m, samples }), { qos: 1 });
        }
      }),
    );
    await Promise.all([fuzzing, validTraffic]);
    const publishMs = Date.now() - started;

    // Every publish was accepted by the broker (PUBACK).
    expect(items.filter((x) => !x.acked).map((x) => `${x.topic.slice(0, 80)}: ${x.error}`).slice(0, 10)).toEqual([]);

    // Expected state.
    const delivered = items.filter((x) => x.outcome.kind !== 'undelivered');
    const expectedRows = new Map<string, Set<string>>();
    const rowsOf = (id: string) => expectedRows.get(id) ?? expectedRows.set(id, new Set()).get(id)!;
    validIds.forEach((id, k) => {
      for (let m = 0; m < VALID_MESSAGES; m++) {
        for (let i = 0; i < VALID_SAMPLES; i++) for (const metric of ['spo2', 'pulseRate']) rowsOf(id).add(`${metric}|${validAt(m, i)}`);
      }
      void k;
    });
    const expectedSessions = new Map<string, Set<number>>();
    const rejectionKeys: string[] = [];
    const badTopics: string[] = [];
    const expectedStatus = new Map<string, StatusPayload>();
    let silent = 0;
    for (const { outcome: o } of delivered) {
      if (o.kind === 'readings') {
        for (const k of o.rows) rowsOf(o.deviceId).add(k);
        for (const s of o.sessions) (expectedSessions.get(o.deviceId) ?? expectedSessions.set(o.deviceId, new Set()).get(o.deviceId)!).add(s);
        for (const reason of o.rejections) rejectionKeys.push(`${o.deviceId}|${reason}`);
        if (o.rows.length === 0 && o.sessions.length === 0 && o.rejections.length === 0) silent++;
      } else if (o.kind === 'status') {
        expectedStatus.set(o.deviceId, o.status);
      } else if (o.kind === 'rejected') {
        if (o.deviceId === null) badTopics.push(o.topic);
        else rejectionKeys.push(`${o.deviceId}|${o.reason}`);
      }
    }
    const totalRows = [...expectedRows.values()].reduce((n, s) => n + s.size, 0);
    const totalSessions = [...expectedSessions.values()].reduce((n, s) => n + s.size, 0);
    const totalRejections = rejectionKeys.length + badTopics.length;

    // Wait for the pipeline to drain (bounded), then compare exactly.
    const totals = async () =>
      (
        await db.pool.query(
          `SELECT (SELECT count(*) FROM readings)::int AS rows, (SELECT count(*) FROM night_sessions)::int AS sessions,
                  (SELECT count(*) FROM rejections)::int AS rejections, (SELECT count(*) FROM devices WHERE status_at IS NOT NULL)::int AS statuses`,
        )
      ).rows[0] as { rows: number; sessions: number; rejections: number; statuses: number };
    const expectedTotals = { rows: totalRows, sessions: totalSessions, rejections: totalRejections, statuses: expectedStatus.size };
    const exited = () => app.proc.exitCode !== null || app.proc.signalCode !== null;
    await eventually(async () => exited() || JSON.stringify(await totals()) === JSON.stringify(expectedTotals), 60_000, 250).catch(() => undefined);
    const drainedMs = Date.now() - started;
    // Nothing more arrives late (a duplicate would).
    await new Promise((res) => setTimeout(res, 1000));

    const storedRows = new Map<string, number>();
    const missingRows: string[] = [];
    {
      const { rows } = await db.pool.query<{ device_id: string; metric: string; ms: number }>(
        `SELECT device_id, metric, round(extract(epoch FROM time) * 1000)::float8 AS ms FROM readings`,
      );
      const seen = new Map<string, Set<string>>();
      for (const row of rows) (seen.get(row.device_id) ?? seen.set(row.device_id, new Set()).get(row.device_id)!).add(`${row.metric}|${row.ms}`);
      for (const row of rows) storedRows.set(row.device_id, (storedRows.get(row.device_id) ?? 0) + 1);
      for (const [id, keys] of expectedRows) for (const k of keys) if (!seen.get(id)?.has(k) && missingRows.length < 15) missingRows.push(`${id} ${k}`);
    }
    const storedSessions = new Map<string, number>(
      (await db.pool.query<{ device_id: string; n: number }>(`SELECT device_id, count(*)::int AS n FROM night_sessions GROUP BY 1`)).rows.map((x) => [x.device_id, x.n]),
    );
    const storedRejections = new Map<string, number>(
      (
        await db.pool.query<{ k: string; n: number }>(`SELECT device_id || '|' || reason AS k, count(*)::int AS n FROM rejections WHERE device_id IS NOT NULL GROUP BY 1`)
      ).rows.map((x) => [x.k, x.n]),
    );
    const storedBadTopics = new Map<string, number>(
      (await db.pool.query<{ topic: string; n: number }>(`SELECT topic, count(*)::int AS n FROM rejections WHERE device_id IS NULL AND reason = 'bad-topic' GROUP BY 1`)).rows.map(
        (x) => [x.topic, x.n],
      ),
    );
    const statusRows = (await db.pool.query<{ device_id: string; online: boolean; battery: number | null; firmware: string | null }>(
      `SELECT device_id, online, battery, firmware FROM devices WHERE status_at IS NOT NULL`,
    )).rows;
    const wrongStatus = statusRows
      .filter((s) => {
        const e = expectedStatus.get(s.device_id);
        return !e || e.online !== s.online || (e.battery ?? null) !== s.battery || (e.firmware ?? null) !== s.firmware;
      })
      .map((s) => JSON.stringify(s));

    const stored = await totals();
    if (exited()) {
      throw new Error(`the server exited (${app.proc.exitCode ?? app.proc.signalCode}) during the fuzz (seed ${SEED}):\n${app.output().slice(-4000)}`);
    }
    const received = await metricSum(appUrl, 'tm_ingest_messages_received_total');
    console.log(
      `fuzz seed=${SEED}: ${items.length} messages published (${delivered.length} on the ingest subscription's topics, ${items.length - delivered.length} on others) ` +
        `+ ${VALID_DEVICES * VALID_MESSAGES} valid; stored ${stored.rows} readings rows, ${stored.sessions} sessions, ${stored.statuses} statuses; ` +
        `${stored.rejections} dead letters (${badTopics.length} bad topics); ${silent} valid messages with nothing to store; ` +
        `received ${received}; published in ${publishMs} ms, drained in ${drainedMs} ms`,
    );

    expect({ missingRows, wrongStatus }).toEqual({ missingRows: [], wrongStatus: [] });
    expect(diff(new Map([...expectedRows].map(([id, s]) => [id, s.size])), storedRows)).toEqual([]);
    expect(diff(new Map([...expectedSessions].map(([id, s]) => [id, s.size])), storedSessions)).toEqual([]);
    expect(diff(countBy(rejectionKeys), storedRejections)).toEqual([]);
    expect(diff(countBy(badTopics), storedBadTopics)).toEqual([]);
    expect(stored).toEqual(expectedTotals);

    // The valid traffic, value by value (the fuzzed samples on those devices sit hours earlier).
    const { rows: validRows } = await db.pool.query<{ device_id: string; metric: string; ms: number; value: number }>(
      `SELECT device_id, metric, round(extract(epoch FROM time) * 1000)::float8 AS ms, value FROM readings WHERE device_id = ANY($1) AND time >= to_timestamp($2 / 1000.0)`,
      [validIds, validBase],
    );
    const byKey = new Map(validRows.map((x) => [`${x.device_id}|${x.metric}|${x.ms}`, x.value]));
    const wrongValid: string[] = [];
    validIds.forEach((id, k) => {
      for (let m = 0; m < VALID_MESSAGES; m++) {
        for (let i = 0; i < VALID_SAMPLES; i++) {
          for (const [metric, value] of Object.entries(validValue(k, m, i))) {
            if (byKey.get(`${id}|${metric}|${validAt(m, i)}`) !== value && wrongValid.length < 10) wrongValid.push(`${id} ${metric} ${m}/${i}`);
          }
        }
      }
    });
    expect(wrongValid).toEqual([]);

    // Still alive, healthy, never failed on a message, and still ingesting.
    expect(app.proc.exitCode).toBeNull();
    expect((await fetch(`${appUrl}/health`)).status).toBe(200);
    expect(app.output()).not.toMatch(/message handling failed|Unhandled|uncaught|FATAL/i);
    expect(received).toBeGreaterThanOrEqual(delivered.length + VALID_DEVICES * VALID_MESSAGES);
    const after = Date.now() - 60_000;
    await validClients[0]!.publishAsync(readingsTopic(validIds[0]!), JSON.stringify({ v: 1, samples: [{ at: after, spo2: 97 }] }), { qos: 1 });
    await eventually(async () => (await db.pool.query(`SELECT 1 FROM readings WHERE device_id = $1 AND time = to_timestamp($2 / 1000.0)`, [validIds[0], after])).rowCount === 1, 10_000);
  });

  it('records a rejected sample nested 100,000 levels deep, whether its device is cached or not, and keeps running', async () => {
    // Found by the fuzz: JSON.stringify of the rejected item overflowed the stack and killed the server.
    const { rows: [team] } = await db.pool.query(`INSERT INTO care_teams (name) VALUES ('deep') RETURNING id`);
    const { rows: [patient] } = await db.pool.query(`INSERT INTO patients (display_name, profile, care_team_id) VALUES ('Deep', 'standard', $1) RETURNING id`, [team.id]);
    const ids = ['DEEP-uncached', 'DEEP-cached'];
    await db.pool.query(`INSERT INTO devices (device_id, kind, patient_id, secret_hash) SELECT d, 'oximeter', $2, 'unused' FROM unnest($1::text[]) d`, [ids, patient.id]);
    const pub = await mqtt.connectAsync(broker.url, { clientId: `fuzz-deep-${process.pid}`, protocolVersion: 5, reconnectPeriod: 0 });
    clients.push(pub);
    const at = Math.floor(Date.now() / 1000) * 1000 - 60_000;
    await pub.publishAsync(readingsTopic(ids[1]!), JSON.stringify({ v: 1, samples: [{ at: at - 1000, spo2: 95 }] }), { qos: 1 });
    await eventually(async () => (await db.pool.query(`SELECT 1 FROM readings WHERE device_id = $1`, [ids[1]])).rowCount === 1);
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    for (const id of ids) {
      await pub.publishAsync(readingsTopic(id), `{"v":1,"samples":[${deep},{"at":${at},"spo2":96}]}`, { qos: 1 });
      await pub.publishAsync(readingsTopic(id), `{"v":1,"samples":[{"at":${at + 1000},"spo2":${deep}}]}`, { qos: 1 });
    }
    for (const id of ids) {
      const rejections = await eventually(async () => {
        const { rows } = await db.pool.query(`SELECT reason, left(excerpt, 20) AS excerpt FROM rejections WHERE device_id = $1 ORDER BY reason`, [id]);
        return rows.length === 2 ? rows : undefined;
      });
      // The item cannot be quoted: the message's own (bounded) excerpt is kept instead.
      expect(rejections).toEqual([
        { reason: 'bad-value', excerpt: '{"v":1,"samples":[{"' },
        { reason: 'malformed-sample', excerpt: '{"v":1,"samples":[[[' },
      ]);
      expect((await db.pool.query(`SELECT 1 FROM readings WHERE device_id = $1 AND time = to_timestamp($2 / 1000.0)`, [id, at])).rowCount).toBe(1);
    }
    expect(app.proc.exitCode).toBeNull();
    expect((await fetch(`${appUrl}/health`)).status).toBe(200);
  });
});
