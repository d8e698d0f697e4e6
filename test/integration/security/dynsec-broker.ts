import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PROJECT_ROOT } from '../../../apps/server/src/paths.js';
import { eventually } from '../../support/test-app.js';

const run = promisify(execFile);
const PLUGIN_CANDIDATES = [
  '/usr/lib/x86_64-linux-gnu/mosquitto_dynamic_security.so',
  '/usr/lib/aarch64-linux-gnu/mosquitto_dynamic_security.so',
  '/usr/lib/mosquitto_dynamic_security.so',
  '/usr/local/lib/mosquitto_dynamic_security.so',
];

/**
 * A dedicated Mosquitto with the dynamic security plugin (test/fixtures/mosquitto-dynsec.conf),
 * initialised with one admin client, on a port of the caller's range. It can be stopped and
 * started again with the same state (broker outage tests).
 */
export class DynsecBroker {
  readonly url: string;
  readonly admin = { username: 'tm-provisioner', password: 'provisioner-password-123' };
  private dir = '';
  private process: ChildProcess | undefined;
  private output = '';

  constructor(readonly port: number) {
    this.url = `mqtt://127.0.0.1:${port}`;
  }

  async start(): Promise<void> {
    if (!this.dir) await this.init();
    this.output = '';
    const proc = spawn('mosquitto', ['-c', join(this.dir, 'mosquitto.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
    proc.stdout!.on('data', (d: Buffer) => (this.output += d.toString()));
    proc.stderr!.on('data', (d: Buffer) => (this.output += d.toString()));
    this.process = proc;
    await eventually(async () => {
      if (proc.exitCode !== null) throw new Error(`mosquitto exited with ${proc.exitCode}`);
      const c = await this.connect(this.admin);
      await c.endAsync();
      return true;
    }, 10000).catch((err: unknown) => {
      throw new Error(`dedicated broker did not start: ${String(err)}\n${this.output}`);
    });
  }

  async stop(): Promise<void> {
    const proc = this.process;
    this.process = undefined;
    if (!proc || proc.exitCode !== null) return;
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGTERM');
    await exited;
  }

  async destroy(): Promise<void> {
    await this.stop();
    if (this.dir) await rm(this.dir, { recursive: true, force: true });
  }

  /** Connects without retrying: a refusal rejects with the CONNACK code. */
  connect(options: IClientOptions): Promise<MqttClient> {
    return mqtt.connectAsync(this.url, { reconnectPeriod: 0, connectTimeout: 3000, ...options }, false);
  }

  get log(): string {
    return this.output;
  }

  private async init(): Promise<void> {
    const plugin = PLUGIN_CANDIDATES.find((p) => existsSync(p));
    if (!plugin) throw new Error('mosquitto_dynamic_security.so not found: install the mosquitto package');
    this.dir = await mkdtemp(join(tmpdir(), 'tm-dynsec-'));
    const dynsecFile = join(this.dir, 'dynamic-security.json');
    await run('mosquitto_ctrl', ['dynsec', 'init', dynsecFile, this.admin.username, this.admin.password]);
    const template = await readFile(join(PROJECT_ROOT, 'test/fixtures/mosquitto-dynsec.conf'), 'utf8');
    const conf = template.replaceAll('{{PORT}}', String(this.port)).replaceAll('{{PLUGIN}}', plugin).replaceAll('{{DYNSEC_FILE}}', dynsecFile);
    await writeFile(join(this.dir, 'mosquitto.conf'), conf);
    // Started as root, Mosquitto drops to its own user before reading the plugin's file.
    if (process.getuid?.() === 0) await run('chown', ['-R', 'mosquitto', this.dir]);
  }
}
