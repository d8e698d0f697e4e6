import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect as netConnect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { SCENARIOS, SimDevice, simulationStreams, type PublishRecord, type ScenarioId, type SimulatedPatient, type SimulationOptions } from '#devices-sim';
import { parseReadingsPayload } from '#protocol';
import { startChildApp, waitForHttpOk, type ChildApp } from '../../support/child-app.js';
import { connectConsole, type ConsoleClient } from '../../support/console-support.js';
import { eventually, TestContext, type TestUser } from '../../support/test-app.js';
import { TEST_DATABASE_URL, TEST_JWT_SECRET, TEST_REDIS_URL } from '../../support/test-env.js';

// The project-level testTimeout is not applied in multi-project mode: set it here.
jest.setTimeout(90_000);

/** Fixed ports of this test (19150-19199): its own no-drop Mosquitto, two gateways, two ingest processes. */
const BROKER_PORT = 19150;
const GATEWAY_PORTS = [19151, 19152] as const;
const INGEST_PORTS = [19153, 19154] as const;
const BROKER_URL = `mqtt://127.0.0.1:${BROKER_PORT}`;

const RUN = randomUUID().slice(0, 8);
/**
 * Two care teams, each with patients playing acute scenarios (and a stable one that must raise
 * nothing), as 40 minutes of 1 Hz history then a short live tail. History goes out in messages of
 * `samplesPerMessage` (instead of up to 1000), so each device's stream is spread over many
 * messages and the broker's round robin hands consecutive messages of one device to different
 * processes, as it does with live 5-second messages:
 * - team A, 30 s per message: a process sees a device again after holes of a few messages;
 * - team B, 200 s per message: the holes are longer than the rules' 2-minute gap.
 */
const TEAMS: ReadonlyArray<{ name: string; samplesPerMessage: number; scenarios: readonly ScenarioId[] }> = [
  { name: 'A', samplesPerMessage: 30, scenarios: ['critical-drop', 'nocturnal-desaturation', 'stable'] },
  { name: 'B', samplesPerMessage: 200, scenarios: ['tachycardia', 'sustained-hypoxaemia', 'stable'] },
];
const HISTORY_MS = 40 * 60_000;
/** Episodes start 32 minutes before the live start: each (but the 3-hour hypoxaemia) is over and cleared by then. */
const EVENT_BEFORE_LIVE_MS = 32 * 60_000;
/** Live tail after the history: the devices run in real time for this long. */
const LIVE_MS = 5_000;

interface Patient {
  id: string;
  team: number;
  scenario: ScenarioId;
  deviceId: string;
}

/**
 * Scale-out for real (issue 9, point 3): the built product as four child processes — two
 * ROLES=ingest in one `$share/` group, two ROLES=api gateways on the socket.io Redis adapter —
 * a dedicated no-drop Mosquitto, and the device simulator playing acute scenarios for the
 * patients of two care teams, with several consoles per team spread over both gateways.
 * Mosquitto distributes a shared group round robin (no per-device stickiness), so one device's
 * messages are consumed by both ingest processes: the hardest case for the rules' state.
 */
describe('scale-out: 2 ingest processes in one $share group, 2 gateways on Redis, the simulator running', () => {
  let scratch: string;
  let broker: ChildProcess | undefined;
  const ingest: ChildApp[] = [];
  const gateways: ChildApp[] = [];
  let pool: pg.Pool;
  let ctx: TestContext;
  const patients: Patient[] = [];
  const teamIds: string[] = [];
  const consoles: Array<{ team: number; gateway: number; client: ConsoleClient }> = [];

  const children = () => [...ingest, ...gateways];
  const outputs = () => children().map((c, i) => `--- child ${i} ---\n${c.output().slice(-4000)}`).join('\n');

  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), `scale-out-${process.pid}-`));
    broker = await startBroker(scratch);
    pool = new pg.Pool({ connectionString: TEST_DATABASE_URL, max: 3 });

    const common = {
      DATABASE_URL: TEST_DATABASE_URL,
      MQTT_URL: BROKER_URL,
      JWT_SECRET: TEST_JWT_SECRET,
      HOST: '127.0.0.1',
      MIGRATE_ON_START: 'false',
      LOG_LEVEL: 'info',
      // Four processes of this test share the machine's PostgreSQL with other runs: small pools.
      DB_POOL_SIZE: '4',
      LOGIN_RATE_LIMIT_PER_IP: '100000',
      LOGIN_RATE_LIMIT_PER_USERNAME: '100000',
    };
    for (const [i, port] of INGEST_PORTS.entries()) {
      ingest.push(
        startChildApp({
          ...common,
          ROLES: 'ingest',
          PORT: String(port),
          INGEST_SHARE_GROUP: `scale-${RUN}`,
          // Stable and unique per process (docs/ingestion.md, Operations).
          INGEST_CLIENT_ID_PREFIX: `scale-${RUN}-${i}`,
          INGEST_CONNECTIONS: '2',
          INGEST_SESSION_EXPIRY_SECONDS: '120',
        }),
      );
    }
    for (const port of GATEWAY_PORTS) {
      gateways.push(
        startChildApp({ ...common, ROLES: 'api', PORT: String(port), REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: `tm-scale-${RUN}` }),
      );
    }
    try {
      await Promise.all([
        ...gateways.map((g, i) => waitForHttpOk(`http://127.0.0.1:${GATEWAY_PORTS[i]}/health`, 60_000, g)),
        ...ingest.map((p, i) =>
          eventually(async () => (await metric(INGEST_PORTS[i], 'tm_ingest_connections_up')) === 2 || (p.proc.exitCode !== null && Promise.reject(new Error('exited'))), 60_000, 250),
        ),
      ]);
    } catch (err) {
      throw new Error(`${(err as Error).message}\n${outputs()}`, { cause: err });
    }

    ctx = new TestContext(pool, `http://127.0.0.1:${GATEWAY_PORTS[0]}`);
    for (const [t, team] of TEAMS.entries()) {
      const { id } = await ctx.newCareTeam(`scale-${RUN}-${team.name}`);
      teamIds.push(id);
      for (const scenario of team.scenarios) {
        const patient = await ctx.newPatient(id, SCENARIOS[scenario].profile);
        const { deviceId } = await ctx.newDevice(patient.id, 'oximeter');
        patients.push({ id: patient.id, team: t, scenario, deviceId });
      }
    }
    // Two nurses per team, one of them with two consoles open: spread over both gateways.
    for (const [t, teamId] of teamIds.entries()) {
      const first: TestUser = await ctx.newUser('nurse', [teamId]);
      const second: TestUser = await ctx.newUser('nurse', [teamId]);
      for (const [user, gateway] of [
        [first, t % 2],
        [second, (t + 1) % 2],
        [first, (t + 1) % 2],
      ] as const) {
        consoles.push({ team: t, gateway, client: await connectConsole(`http://127.0.0.1:${GATEWAY_PORTS[gateway]}`, user.token) });
      }
    }
  }, 120_000);

  afterAll(async () => {
    for (const c of consoles) c.client.close();
    await Promise.all(children().map((c) => stopChild(c)));
    if (broker && broker.exitCode === null) {
      broker.kill('SIGTERM');
      await new Promise((r) => broker!.once('exit', r));
    }
    await pool?.end();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  }, 30_000);

  it('stores every acknowledged reading once, raises each alert once and delivers it to every console of its team', async () => {
    const now = Date.now();
    const simulations = TEAMS.map((team, t): Omit<SimulationOptions, 'mqttUrl'> & { now: number } => ({
      now,
      historyMs: HISTORY_MS,
      durationMs: LIVE_MS,
      tuning: { fullRateHistoryMs: HISTORY_MS, maxSamplesPerMessage: team.samplesPerMessage },
      patients: patients
        .filter((p) => p.team === t)
        .map((p, i): SimulatedPatient => ({
          scenario: p.scenario,
          seed: 1 + 100 * t + i,
          devices: [{ deviceId: p.deviceId, kind: 'oximeter' }],
          eventAt: now - EVENT_BEFORE_LIVE_MS,
        })),
    }));
    const records: PublishRecord[] = [];
    await Promise.all(simulations.flatMap((o) => simulationStreams(o)).map((stream) => playAsLive(stream, pool, (r) => records.push(r))));
    const readingsRecords = records.filter((r) => r.topic.endsWith('/readings'));
    expect(readingsRecords.filter((r) => r.error !== undefined || r.ackedAt === undefined)).toEqual([]);
    const sent = readingsRecords.length;

    // What the broker acknowledged to the devices (readings messages), through the backend's own parser.
    const ackedSeqs = new Map<string, Set<number>>();
    for (const r of records) {
      if (r.ackedAt === undefined || r.seq === undefined || !r.topic.endsWith('/readings')) continue;
      if (!ackedSeqs.has(r.deviceId)) ackedSeqs.set(r.deviceId, new Set());
      ackedSeqs.get(r.deviceId)!.add(r.seq);
    }
    const expected = expectedRows(simulations.flatMap((o) => simulationStreams(o)), ackedSeqs, now + LIVE_MS + 60_000);
    const expectedTotal = [...expected.values()].reduce((n, m) => n + [...m.values()].reduce((a, b) => a + b, 0), 0);
    expect(expectedTotal).toBeGreaterThan(patients.length * 5000);

    const deviceIds = patients.map((p) => p.deviceId);
    await eventually(async () => (await storedCount(pool, deviceIds)) >= expectedTotal, 45_000, 250).catch(async (err: Error) => {
      throw new Error(`${err.message}: ${await storedCount(pool, deviceIds)} of ${expectedTotal} rows stored\n${outputs()}`);
    });
    // Exactly the acknowledged samples, each metric once (the primary key forbids a second copy; nothing extra, nothing missing).
    for (const deviceId of deviceIds) {
      const { rows } = await pool.query<{ ms: number; n: number }>(
        `SELECT (extract(epoch FROM time) * 1000)::float8 AS ms, count(*)::int AS n FROM readings WHERE device_id = $1 GROUP BY 1 ORDER BY 1`,
        [deviceId],
      );
      const want = [...(expected.get(deviceId) ?? new Map<number, number>()).entries()].sort((a, b) => a[0] - b[0]);
      expect(rows.map((r) => [Number(r.ms), r.n])).toEqual(want);
    }

    // Both ingest processes took part, and between them inserted every row once.
    const received = await Promise.all(INGEST_PORTS.map((p) => metric(p, 'tm_ingest_messages_received_total', { channel: 'readings' })));
    const inserted = await Promise.all(INGEST_PORTS.map((p) => metric(p, 'tm_ingest_readings_stored_total')));
    for (const n of received) expect(n).toBeGreaterThan(sent / 10);
    // (More than sent only if the broker redelivered after a dropped connection: stored once anyway.)
    expect(received.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(sent);
    expect(inserted.reduce((a, b) => a + b, 0)).toBe(expectedTotal);

    // Every expected alert, once per episode; the stable patients none.
    const expectedAlerts = patients.flatMap((p) => SCENARIOS[p.scenario].expectedRules.map((rule) => `${p.id} ${rule}`)).sort();
    await eventually(async () => (await alertKeys(pool, patients)).length >= expectedAlerts.length, 30_000, 250).catch(async (err: Error) => {
      throw new Error(`${err.message}: alerts ${JSON.stringify(await alertKeys(pool, patients))}, expected ${JSON.stringify(expectedAlerts)}\n${outputs()}`);
    });
    // Let the rules finish what is in flight before judging duplicates.
    await eventually(async () => (await Promise.all(INGEST_PORTS.map((p) => metric(p, 'tm_ingest_inflight_messages')))).every((n) => n === 0), 20_000, 250);
    await new Promise((r) => setTimeout(r, 2000));
    const alerts = await alertRows(pool, patients);
    const explain = async () =>
      `alerts: ${JSON.stringify(alerts)}\nevents: ${JSON.stringify((await Promise.all(teamIds.map((id) => teamEvents(pool, id)))).flat())}\n` +
      ingest.map((c, i) => `--- ingest ${i} ---\n${c.output().split('\n').filter((l) => l.includes('alert transition')).join('\n')}`).join('\n');
    try {
      expect(alerts.map((a) => `${a.patient_id} ${a.rule}`).sort()).toEqual(expectedAlerts);
      // One raise and no second occurrence per alert: each scenario plays one episode.
      for (const a of alerts) expect({ id: a.id, occurrences: a.occurrences, raised: a.raised }).toEqual({ id: a.id, occurrences: 1, raised: 1 });
    } catch (err) {
      throw new Error(`${(err as Error).message}\n${await explain()}`, { cause: err });
    }

    // Every committed event of a team reached every console of that team, once, whichever
    // gateway it is connected to; nothing of the other team.
    const eventsByTeam = await Promise.all(teamIds.map((id) => teamEvents(pool, id)));
    for (const events of eventsByTeam) expect(events.length).toBeGreaterThan(0);
    await eventually(
      async () => consoles.every((c) => eventsByTeam[c.team]!.every((e) => c.client.received.some((r) => r.alert.eventId === e.id))),
      20_000,
      100,
    ).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 1000));
    for (const c of consoles) {
      const got = c.client.received.map((r) => `${r.alert.eventId} ${r.event} ${r.alert.id}`).sort();
      const want = eventsByTeam[c.team]!.map((e) => `${e.id} ${e.kind === 'raised' ? 'alert.raised' : 'alert.updated'} ${e.alert_id}`).sort();
      expect({ team: c.team, gateway: c.gateway, events: got }).toEqual({ team: c.team, gateway: c.gateway, events: want });
    }
    // Each gateway delivered relayed events (the alerts were raised in the ingest processes).
    for (const port of GATEWAY_PORTS) expect(await metric(port, 'tm_console_alert_events_emitted_total', { source: 'relay' })).toBeGreaterThan(0);
  });
});

/**
 * Plays one device's stream of the simulator (its generated messages, through its MQTT device
 * client) the way a live device paces them: the next message only once the previous one is
 * stored. Live messages are seconds apart, far longer than a commit, so the process that receives
 * a device's next message can read what another process stored of it. (A backlog sent with many
 * messages in flight is handed to several processes at once: see docs/scaling.md.)
 */
async function playAsLive(stream: ReturnType<typeof simulationStreams>[number], pool: pg.Pool, onRecord: (r: PublishRecord) => void): Promise<void> {
  const device = new SimDevice({ mqttUrl: BROKER_URL, deviceId: stream.device.deviceId, status: { battery: 80, firmware: '2.4.1' }, onRecord });
  await device.connect();
  try {
    for (const e of stream.events) {
      if (e.type !== 'publish') continue;
      const wait = e.sendAt - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const record = await device.publish(e.payload, { samples: e.sampleCount });
      if (record.ackedAt === undefined) return;
      await eventually(
        async () =>
          (await pool.query(`SELECT 1 FROM readings WHERE device_id = $1 AND metric = ANY($2::text[]) AND time = $3`, [stream.device.deviceId, ['spo2', 'pulseRate', 'perfusionIndex'], new Date(e.lastAt)]))
            .rows.length > 0,
        20_000,
        10,
      );
    }
  } finally {
    await device.close();
  }
}

/** Rows each device must have: sample time → number of metrics, for the acknowledged messages only. */
function expectedRows(
  streams: ReturnType<typeof simulationStreams>,
  ackedSeqs: Map<string, Set<number>>,
  nowMs: number,
): Map<string, Map<number, number>> {
  const out = new Map<string, Map<number, number>>();
  for (const { device, events } of streams) {
    const rows = new Map<number, number>();
    out.set(device.deviceId, rows);
    const acked = ackedSeqs.get(device.deviceId) ?? new Set<number>();
    for (const e of events) {
      if (e.type !== 'publish' || !acked.has(e.payload.seq!)) continue;
      const r = parseReadingsPayload(JSON.stringify(e.payload), { nowMs, backfillHorizonMs: 30 * 86_400_000, futureSkewMs: 300_000 });
      if (!r.ok) throw new Error(`generated message rejected: ${r.reason}`);
      for (const s of r.samples) rows.set(s.at, Object.keys(s.values).length);
    }
  }
  return out;
}

async function storedCount(pool: pg.Pool, deviceIds: string[]): Promise<number> {
  const { rows } = await pool.query(`SELECT count(*)::int AS n FROM readings WHERE device_id = ANY($1)`, [deviceIds]);
  return rows[0].n;
}

async function alertKeys(pool: pg.Pool, patients: Patient[]): Promise<string[]> {
  return (await alertRows(pool, patients)).map((a) => `${a.patient_id} ${a.rule}`).sort();
}

async function alertRows(pool: pg.Pool, patients: Patient[]) {
  const { rows } = await pool.query<{ id: string; patient_id: string; rule: string; occurrences: number; raised: number }>(
    `SELECT a.id::text AS id, a.patient_id, a.rule, a.occurrences,
            (SELECT count(*)::int FROM alert_events e WHERE e.alert_id = a.id AND e.kind = 'raised') AS raised
       FROM alerts a WHERE a.patient_id = ANY($1::uuid[]) ORDER BY a.id`,
    [patients.map((p) => p.id)],
  );
  return rows;
}

async function teamEvents(pool: pg.Pool, careTeamId: string) {
  const { rows } = await pool.query<{ id: string; alert_id: string; kind: string }>(
    `SELECT id::text AS id, alert_id::text AS alert_id, kind FROM alert_events WHERE care_team_id = $1 ORDER BY id`,
    [careTeamId],
  );
  return rows;
}

/** A value of the process's /metrics (summed over the series matching `labels`). */
async function metric(port: number, name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+)(\{[^}]*\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    if (!Object.entries(labels).every(([k, v]) => (m[2] ?? '').includes(`${k}="${v}"`))) continue;
    sum += Number(m[3]);
  }
  return sum;
}

/** Mosquitto on BROKER_PORT with the no-drop settings of test/fixtures/mosquitto-nodrop.conf. */
async function startBroker(dir: string): Promise<ChildProcess> {
  const conf = join(dir, 'mosquitto.conf');
  const log = join(dir, 'mosquitto.log');
  await writeFile(
    conf,
    [
      `listener ${BROKER_PORT} 127.0.0.1`,
      `user ${userInfo().username}`,
      'allow_anonymous true',
      'persistence false',
      // Never drop messages queued for a slow or offline session (the stock default drops past 1000).
      'max_queued_messages 0',
      'max_queued_bytes 0',
      `log_dest file ${log}`,
      'log_type error',
      'log_type warning',
      '',
    ].join('\n'),
  );
  const p = spawn('mosquitto', ['-c', conf], { stdio: 'ignore' });
  try {
    await eventually(async () => (p.exitCode !== null ? Promise.reject(new Error('mosquitto exited')) : portOpen(BROKER_PORT)), 10_000, 50);
  } catch (err) {
    p.kill('SIGKILL');
    const text = await readFile(log, 'utf8').catch(() => '');
    throw new Error(`mosquitto on port ${BROKER_PORT} did not start (${(err as Error).message}): ${text}`, { cause: err });
  }
  return p;
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = netConnect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** SIGTERM (the product drains and disconnects), SIGKILL if it takes more than 10 s. */
async function stopChild(child: ChildApp): Promise<void> {
  const timer = setTimeout(() => child.proc.kill('SIGKILL'), 10_000);
  await child.kill('SIGTERM');
  clearTimeout(timer);
}
