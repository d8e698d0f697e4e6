import { afterAll, beforeAll } from '@jest/globals';
import mqtt from 'mqtt';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect as netConnect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import type { DeviceKind, PatientProfile } from '#domain';
import type { DeviceEvent, SimulatedDevice } from '#devices-sim';
import { parseReadingsPayload, readingsTopic, statusTopic } from '#protocol';
import { eventually, startTestApp, type TestApp } from '../../support/test-app.js';
import { TEST_MQTT_URL } from '../../support/test-env.js';

/** What a simulator test against the real backend works with; ready once the suite's beforeAll ran. */
export interface SimBackend {
  /** The app (roles api and ingest) with its pool and test context, its ingestion subscribed. */
  readonly t: TestApp;
  /** Device ids the suite used: their retained status is cleared from the shared broker at the end. */
  readonly used: string[];
  /** The suite's scratch directory (with `tempDir`), removed at the end. */
  readonly dir: string;
  /** A care team with one patient and a device of each kind, recorded in `used`. */
  newPatient(profile: PatientProfile, kinds: readonly DeviceKind[]): Promise<{ patient: { id: string }; devices: ProvisionedDevice[] }>;
}

export type ProvisionedDevice = SimulatedDevice & { secret: string };

/**
 * The one set-up of the simulator suites that need the backend: call it in the `describe`; it
 * starts the app and waits for ingestion before the tests, and tears down after them.
 */
export function useSimBackend(options: { tempDir?: string } = {}): SimBackend {
  let app: TestApp | undefined;
  let scratch: string | undefined;
  const used: string[] = [];
  beforeAll(async () => {
    app = await startTestApp({ roles: ['api', 'ingest'] });
    if (options.tempDir) scratch = await mkdtemp(join(tmpdir(), options.tempDir));
    await waitForIngest(app);
  });
  afterAll(async () => {
    await clearRetainedStatus(used);
    if (scratch) await rm(scratch, { recursive: true, force: true });
    await app?.close();
  });
  const ready = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`${what} is set up in beforeAll: use it inside a test`);
    return value;
  };
  return {
    get t() {
      return ready(app, 'the backend');
    },
    used,
    get dir() {
      return ready(scratch, 'the scratch directory (useSimBackend({ tempDir }))');
    },
    async newPatient(profile, kinds) {
      const t = ready(app, 'the backend');
      const team = await t.ctx.newCareTeam();
      const patient = await t.ctx.newPatient(team.id, profile);
      const devices: ProvisionedDevice[] = [];
      for (const kind of kinds) devices.push({ ...(await t.ctx.newDevice(patient.id, kind)), kind });
      used.push(...devices.map((d) => d.deviceId));
      return { patient, devices };
    },
  };
}

/**
 * Waits until the app's ingestion is subscribed and storing: a canary device publishes a sample
 * every 300 ms until one is in `readings` (API-agnostic: works whatever the consumer looks like).
 */
export async function waitForIngest(t: TestApp): Promise<void> {
  const team = await t.ctx.newCareTeam();
  const patient = await t.ctx.newPatient(team.id);
  const device = await t.ctx.newDevice(patient.id);
  const client = await mqtt.connectAsync(TEST_MQTT_URL, { clientId: device.deviceId, username: device.deviceId, password: device.secret, protocolVersion: 4 });
  try {
    await eventually(
      async () => {
        await client.publishAsync(readingsTopic(device.deviceId), JSON.stringify({ v: 1, samples: [{ at: Date.now() - 1000, spo2: 95 }] }), { qos: 1 });
        const { rows } = await t.pool.query(`SELECT 1 FROM readings WHERE device_id = $1 LIMIT 1`, [device.deviceId]);
        return rows.length > 0;
      },
      20_000,
      300,
    );
  } finally {
    await client.endAsync();
  }
  await clearRetainedStatus([device.deviceId]);
}

/** Removes the retained status messages the tests' devices left on the shared broker. */
export async function clearRetainedStatus(deviceIds: string[], url = TEST_MQTT_URL): Promise<void> {
  if (deviceIds.length === 0) return;
  const client = await mqtt.connectAsync(url, { protocolVersion: 4, reconnectPeriod: 0 });
  try {
    for (const id of deviceIds) await client.publishAsync(statusTopic(id), '', { qos: 1, retain: true });
  } finally {
    await client.endAsync();
  }
}

export async function readingCount(t: TestApp, deviceIds: string[]): Promise<number> {
  const { rows } = await t.pool.query(`SELECT count(*)::int AS n FROM readings WHERE device_id = ANY($1)`, [deviceIds]);
  return rows[0].n;
}

/** Rules of every alert the patient ever had (any status). */
export async function alertRules(t: TestApp, patientId: string): Promise<string[]> {
  const { rows } = await t.pool.query(`SELECT DISTINCT rule FROM alerts WHERE patient_id = $1 ORDER BY rule`, [patientId]);
  return rows.map((r) => r.rule as string);
}

/** Rules of the patient's alerts still open or acknowledged. */
export async function activeAlertRules(t: TestApp, patientId: string): Promise<string[]> {
  const { rows } = await t.pool.query(`SELECT DISTINCT rule FROM alerts WHERE patient_id = $1 AND status <> 'resolved' ORDER BY rule`, [patientId]);
  return rows.map((r) => r.rule as string);
}

/** The backend's scheduled rule jobs, loaded at run time (the file is written by another helper). */
export interface RuleJobs {
  runNightly(now: Date, scope?: { patientIds?: readonly string[] }): Promise<number>;
  checkSilentDevices(now: Date, scope?: { patientIds?: readonly string[] }): Promise<unknown>;
}

export async function ruleJobs(t: TestApp): Promise<RuleJobs> {
  const path = '../../../apps/server/src/alerts/alert-jobs.service.js';
  const mod = (await import(path)) as { AlertJobsService: abstract new (...args: never[]) => RuleJobs };
  return t.app.get(mod.AlertJobsService, { strict: false });
}

/** Per-device logins and an ACL for a dedicated broker (mosquitto_passwd, acl_file). */
export interface BrokerAuth {
  users: Array<{ username: string; password: string }>;
  acl: string;
}

/**
 * A dedicated Mosquitto on a port of this helper's range, with its own config and persistence,
 * started before the suite's tests and removed after them: call it in the `describe`.
 */
export function useDedicatedBroker(port: number, auth?: BrokerAuth): DedicatedBroker {
  const broker = new DedicatedBroker(port, auth);
  beforeAll(async () => {
    await broker.create();
    await broker.start();
  });
  afterAll(async () => {
    await broker.destroy();
  });
  return broker;
}

export class DedicatedBroker {
  private process: ChildProcess | undefined;
  private dir: string | undefined;

  constructor(
    readonly port: number,
    private readonly auth?: BrokerAuth,
  ) {}

  /** Writes its configuration (and the logins and ACL) into a fresh temp directory. */
  async create(): Promise<void> {
    const dir = await mkdtemp(join(tmpdir(), 'sim-broker-'));
    this.dir = dir;
    // `user`: when started as root, stay root (the temp dir is root's); ignored otherwise
    const lines = [`listener ${this.port} 127.0.0.1`, `user ${userInfo().username}`, 'persistence true', `persistence_location ${dir}/`, 'max_queued_messages 100000'];
    if (this.auth) {
      const passwd = join(dir, 'passwd');
      const acl = join(dir, 'acl');
      this.auth.users.forEach(({ username, password }, i) => execFileSync('mosquitto_passwd', [...(i === 0 ? ['-c'] : []), '-b', passwd, username, password]));
      await writeFile(acl, this.auth.acl);
      lines.push('allow_anonymous false', `password_file ${passwd}`, `acl_file ${acl}`);
    } else {
      lines.push('allow_anonymous true');
    }
    await writeFile(this.conf, `${lines.join('\n')}\n`);
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  private get conf(): string {
    if (!this.dir) throw new Error('the broker is created in beforeAll');
    return join(this.dir, 'mosquitto.conf');
  }

  async start(): Promise<void> {
    const p = spawn('mosquitto', ['-c', this.conf], { stdio: 'ignore' });
    this.process = p;
    await eventually(() => portOpen(this.port), 10_000, 50);
  }

  /** SIGTERM: Mosquitto saves its persistence (sessions, queued messages, retained) and exits. */
  async stop(): Promise<void> {
    const p = this.process;
    this.process = undefined;
    if (!p || p.exitCode !== null) return;
    await new Promise<void>((resolveExit) => {
      p.once('exit', () => resolveExit());
      p.kill('SIGTERM');
    });
  }

  async destroy(): Promise<void> {
    await this.stop();
    if (this.dir) await rm(this.dir, { recursive: true, force: true });
  }
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((r) => {
    const s = netConnect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      r(true);
    });
    s.once('error', () => r(false));
  });
}

/** Values (rows of `readings`) and sessions the given device streams must store, through the backend's parser. */
export function expectedStorage(streams: Array<{ device: { deviceId: string }; events: Iterable<DeviceEvent> }>, nowMs: number) {
  const rows = new Map<string, number>();
  const sessions = new Map<string, number>();
  for (const { device, events } of streams) {
    const seen = new Set<number>();
    for (const e of events) {
      if (e.type !== 'publish') continue;
      const r = parseReadingsPayload(JSON.stringify(e.payload), { nowMs, backfillHorizonMs: 30 * 86_400_000, futureSkewMs: 300_000 });
      if (!r.ok) throw new Error(`generated message rejected: ${r.reason}`);
      for (const s of r.samples) {
        if (seen.has(s.at)) continue;
        seen.add(s.at);
        rows.set(device.deviceId, (rows.get(device.deviceId) ?? 0) + Object.keys(s.values).length);
      }
      sessions.set(device.deviceId, (sessions.get(device.deviceId) ?? 0) + r.sessions.length);
    }
  }
  return { rows, sessions, totalRows: [...rows.values()].reduce((a, b) => a + b, 0) };
}
