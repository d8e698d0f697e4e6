import mqtt from 'mqtt';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect as netConnect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { parseReadingsPayload, readingsTopic, statusTopic } from '#protocol';
import type { DeviceEvent } from '../../../devices-sim/src/generators/device-stream.js';
import { eventually, type TestApp } from '../../support/test-app.js';
import { TEST_MQTT_URL } from '../../support/test-env.js';



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

/** A dedicated Mosquitto on a port of this helper's range, with its own config and persistence. */
export class DedicatedBroker {
  private process: ChildProcess | undefined;
  private constructor(
    readonly port: number,
    readonly dir: string,
    private readonly conf: string,
  ) {}

  static async create(port: number, extraConfig: string[] = []): Promise<DedicatedBroker> {
    const dir = await mkdtemp(join(tmpdir(), 'sim-broker-'));
    const conf = join(dir, 'mosquitto.conf');
    // `user`: when started as root, stay root (the temp dir is root's); ignored otherwise
    const lines = [`listener ${port} 127.0.0.1`, `user ${userInfo().username}`, 'persistence true', `persistence_location ${dir}/`, 'max_queued_messages 100000', ...extraConfig];
    if (!extraConfig.some((l) => l.startsWith('allow_anonymous'))) lines.push('allow_anonymous true');
    await writeFile(conf, `${lines.join('\n')}\n`);
    return new DedicatedBroker(port, dir, conf);
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
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
    await rm(this.dir, { recursive: true, force: true });
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
