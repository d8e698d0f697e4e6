import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import mqtt, { type MqttClient } from 'mqtt';
import pg from 'pg';
import { readingsTopic } from '#protocol';
import { startChildApp, type ChildApp } from '../../support/child-app.js';
import { publishUntilAcknowledged } from '../../support/device-publish.js';
import { startOwnBroker, type OwnBroker } from '../../support/own-broker.js';
import { eventually, TestContext } from '../../support/test-app.js';
import { TEST_DATABASE_URL, TEST_JWT_SECRET } from '../../support/test-env.js';

// The project-level testTimeout of jest.config.js is not applied (Jest 30): set it here.
jest.setTimeout(90_000);

const DEVICES = 4;
const MESSAGES = 200;
const SAMPLES = 5;
const RESTARTS = 2;

/** Runs of consecutive lost messages per device: "device 3: m 100..199 (acked 5012 ms..8230 ms)". */
function describeRuns(lost: { device: number; m: number; ackedAt: number }[], time: (t: number) => string): string {
  const runs: { device: number; from: number; to: number; firstAck: number; lastAck: number }[] = [];
  for (const l of [...lost].sort((a, b) => a.device - b.device || a.m - b.m)) {
    const run = runs.at(-1);
    if (run && run.device === l.device && run.to === l.m - 1) Object.assign(run, { to: l.m, lastAck: l.ackedAt });
    else runs.push({ device: l.device, from: l.m, to: l.m, firstAck: l.ackedAt, lastAck: l.ackedAt });
  }
  return runs.map((r) => `device ${r.device}: m ${r.from}..${r.to} (acked ${time(r.firstAck)}..${time(r.lastAck)})`).join('\n');
}

async function metric(url: string, series: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

/**
 * Issue 7 §4: the broker restarted during a stream. Mosquitto runs with persistence on, so the
 * ingest sessions (fixed client ids, session expiry) and the QoS 1 messages queued for them
 * survive a SIGTERM and a start on the same port. The devices keep publishing (reconnecting as
 * a device does, retrying what was not acknowledged); the ingest process (a real child process)
 * reconnects by itself. Every sample the broker acknowledged to a device must be stored once.
 *
 * Two subscription modes (docs/ingestion.md, "Broker restarts"):
 * - plain (MQTT_SHARED_SUBSCRIPTIONS=false, one connection): Mosquitto restores the subscription
 *   with the session, so what devices publish before ingestion is back is queued for it:
 *   nothing acknowledged may be lost, at all;
 * - shared ($share group, 4 connections): Mosquitto 2.0 does not restore `$share/` subscriptions
 *   from its persistence file, so what is acknowledged between the restart and the backend's new
 *   subscription is routed to nobody: counted apart; nothing else may be lost.
 */
describe.each([
  { mode: 'plain', connections: 1, brokerPort: 19112, appPort: 19113 },
  { mode: 'shared', connections: 4, brokerPort: 19110, appPort: 19111 },
] as const)('broker restarted mid-stream (persistent Mosquitto, ingest child process, $mode subscription)', ({ mode, connections, brokerPort, appPort }) => {
  const PREFIX = `tm-brk-${mode}-${process.pid}`;
  let broker: OwnBroker;
  let app: ChildApp;
  let pool: pg.Pool;
  let ctx: TestContext;
  const publishers: MqttClient[] = [];
  const appUrl = `http://127.0.0.1:${appPort}`;

  beforeAll(async () => {
    broker = await startOwnBroker({ port: brokerPort, persistence: true });
    pool = new pg.Pool({ connectionString: TEST_DATABASE_URL, max: 3 });
    ctx = new TestContext(pool, '');
    app = startChildApp({
      DATABASE_URL: TEST_DATABASE_URL,
      MQTT_URL: broker.url,
      JWT_SECRET: TEST_JWT_SECRET,
      ROLES: 'ingest',
      PORT: String(appPort),
      HOST: '127.0.0.1',
      MIGRATE_ON_START: 'false',
      LOG_LEVEL: 'info',
      // Fixed across reconnections: the broker keeps these sessions and what is queued for them.
      INGEST_CLIENT_ID_PREFIX: PREFIX,
      INGEST_SHARE_GROUP: 'brk',
      INGEST_SESSION_EXPIRY_SECONDS: '600',
      MQTT_SHARED_SUBSCRIPTIONS: String(mode === 'shared'),
    });
    await app.waitFor(new RegExp(`${PREFIX}-${connections - 1} connected`), 60_000);
    await eventually(async () => (await metric(appUrl, 'tm_ingest_connections_up')) === connections, 15_000);
    await new Promise((r) => setTimeout(r, 300));
  }, 90_000);

  afterAll(async () => {
    await Promise.all(publishers.map((p) => p.endAsync(true).catch(() => undefined)));
    await app?.kill('SIGTERM');
    await broker?.dispose();
    await pool?.end();
  }, 60_000);

  it('stores every acknowledged sample exactly once across two broker restarts, and resumes by itself', async () => {
    const team = await ctx.newCareTeam();
    const deviceIds: string[] = [];
    for (let k = 0; k < DEVICES; k++) deviceIds.push((await ctx.newDevice((await ctx.newPatient(team.id)).id)).deviceId);
    const base = Math.floor((Date.now() - 3 * 3600_000) / 1000) * 1000;
    const at = (m: number, i: number) => base + (m * SAMPLES + i) * 1000;

    /** Per device, the messages the broker acknowledged (PUBACK), and when. */
    const acked = deviceIds.map(() => new Map<number, number>());
    let attempts = 0;
    for (const id of deviceIds) {
      // A device: reconnects on its own, retries a message until the broker acknowledges it.
      const client = await mqtt.connectAsync(broker.url, { clientId: id, protocolVersion: 5, reconnectPeriod: 200, connectTimeout: 2000 });
      client.on('error', () => undefined);
      publishers.push(client);
    }
    let streaming = true;
    const stream = Promise.all(
      publishers.map(async (client, k) => {
        for (let m = 0; m < MESSAGES; m++) {
          const payload = JSON.stringify({ v: 1, seq: m, samples: Array.from({ length: SAMPLES }, (_, i) => ({ at: at(m, i), spo2: 90 + ((m + i) % 8), pulseRate: 72 })) });
          const sent = await publishUntilAcknowledged(client, readingsTopic(deviceIds[k]!), payload, `message ${m} of device ${k}`);
          attempts += sent.attempts;
          acked[k]!.set(m, sent.ackedAt);
          await new Promise((r) => setTimeout(r, 15));
        }
      }),
    ).finally(() => (streaming = false));

    // Restart the broker twice while the devices stream.
    const ackedCount = () => acked.reduce((n, a) => n + a.size, 0);
    const restarts: { stoppedAt: number }[] = [];
    for (let n = 1; n <= RESTARTS; n++) {
      await eventually(async () => ackedCount() >= (n * DEVICES * MESSAGES) / (RESTARTS + 1), 30_000, 20);
      expect(streaming).toBe(true);
      const stoppedAt = Date.now();
      await broker.stop('SIGTERM'); // saves sessions and queued messages to its persistence file
      await new Promise((r) => setTimeout(r, 500));
      await broker.start();
      restarts.push({ stoppedAt });
    }
    await stream;
    // Every message was acknowledged in the end (the devices retried).
    expect(acked.map((a) => a.size)).toEqual(deviceIds.map(() => MESSAGES));

    // The ingest connections came back on their own, to their saved sessions.
    expect(app.proc.exitCode).toBeNull();
    await eventually(async () => (await metric(appUrl, 'tm_ingest_connections_up')) === connections, 15_000);
    const connects = app
      .output()
      .split('\n')
      .flatMap((line) => {
        const m = /"time":(\d+).*"msg":"[^"]+-\d connected \(session (resumed|new)\)"/.exec(line);
        return m ? [{ at: Number(m[1]), resumed: m[2] === 'resumed' }] : [];
      });
    // The first connections after each stop: the ingest connections coming back to their sessions.
    const reconnections = restarts.map((r) => connects.filter((c) => c.at >= r.stoppedAt).slice(0, connections));
    for (const back of reconnections) expect(back.map((c) => c.resumed)).toEqual(Array(connections).fill(true));

    /**
     * Mosquitto 2.0.11 restores sessions, their queued and in-flight messages and plain
     * subscriptions from its persistence file, but not $share subscriptions (checked by hand):
     * what devices publish after the restart and before the backend has subscribed again is
     * acknowledged and routed to nobody. Those messages are counted apart (docs/security.md);
     * every other acknowledged message must be stored.
     */
    const windows = restarts.map((r, n) => ({ from: r.stoppedAt, to: Math.max(...reconnections[n]!.map((c) => c.at)) + 500 }));
    const count = async () =>
      (await pool.query<{ device_id: string; n: number }>(`SELECT device_id, count(*)::int AS n FROM readings WHERE device_id = ANY($1) GROUP BY 1 ORDER BY 1`, [deviceIds])).rows;
    const total = async () => (await count()).reduce((n, r) => n + r.n, 0);
    const inAWindow = (ackedAt: number) => windows.some((w) => ackedAt >= w.from && ackedAt <= w.to);
    /** The acknowledged messages not (yet) completely stored. */
    const missing = async () => {
      const stored = new Set(
        (
          await pool.query<{ device_id: string; ms: number }>(
            `SELECT device_id, round(extract(epoch FROM time) * 1000)::float8 AS ms FROM readings WHERE device_id = ANY($1) AND metric = 'spo2'`,
            [deviceIds],
          )
        ).rows.map((r) => `${r.device_id}|${r.ms}`),
      );
      const result: { device: number; m: number; ackedAt: number }[] = [];
      acked.forEach((a, k) => {
        for (const [m, ackedAt] of a) {
          if (!Array.from({ length: SAMPLES }, (_, i) => stored.has(`${deviceIds[k]}|${at(m, i)}`)).every(Boolean)) result.push({ device: k, m, ackedAt });
        }
      });
      return result;
    };
    // Give what the broker still holds for the backend time to arrive (bounded), whatever the
    // machine's load: first what must be stored, then until the stored count stops moving.
    const mustBeStored = (l: { ackedAt: number }) => mode === 'plain' || !inAWindow(l.ackedAt);
    await eventually(async () => (await missing()).filter(mustBeStored).length === 0, 30_000, 500).catch(() => undefined);
    let last = -1;
    await eventually(async () => {
      const now = await total();
      const still = now === last;
      last = now;
      return still && now > 0;
    }, 30_000, 1000);
    const lost = await missing();
    const inWindows = acked.reduce((n, a) => n + [...a.values()].filter(inAWindow).length, 0);
    const outsideWindows = lost.filter((l) => !inAWindow(l.ackedAt));
    console.log(
      `${mode} subscription, broker restarts: ${RESTARTS} (SIGTERM + start) during a stream of ${DEVICES * MESSAGES} messages (${attempts} publish attempts), ` +
        `all acknowledged in the end; ${inWindows} acknowledged between a restart and the backend's new subscription, ` +
        `(windows of ${windows.map((w) => w.to - w.from).join(' and ')} ms), of which ${lost.length} lost (${lost.length * SAMPLES} samples); lost outside those windows: ${outsideWindows.length}`,
    );
    const unexplained = lost.filter(mustBeStored);
    if (unexplained.length > 0) {
      // Enough to tell a broker that stopped delivering from a backend that stopped storing.
      const relative = (t: number) => `${t - restarts[0]!.stoppedAt} ms`;
      const metrics = (await (await fetch(`${appUrl}/metrics`)).text()).split('\n').filter((l) => /^tm_ingest_(messages_received|readings_stored|readings_duplicate|inflight_messages|paused_connections|connections_up|commit_failures)/.test(l));
      console.log(
        `${mode}: ${unexplained.length} acknowledged messages not stored (times from the first stop; windows ${windows.map((w) => `${relative(w.from)}..${relative(w.to)}`).join(', ')}):\n` +
          describeRuns(unexplained, relative) +
          `\nbackend metrics:\n${metrics.join('\n')}\nbroker log (tail):\n${broker.log().split('\n').slice(-40).join('\n')}\nbackend log (tail):\n${app.output().split('\n').slice(-30).join('\n')}`,
      );
    }
    expect(describeRuns(unexplained, String)).toBe('');
    // Exactly once: no (device, metric, time) twice, and nothing but what was sent.
    expect((await count()).every((r) => r.n <= MESSAGES * SAMPLES * 2)).toBe(true);
    expect(await total()).toBe((DEVICES * MESSAGES - lost.length) * SAMPLES * 2);
    expect((await fetch(`${appUrl}/health`)).status).toBe(200);
  });
});
