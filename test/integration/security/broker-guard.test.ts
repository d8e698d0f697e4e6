import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../../apps/server/src/paths.js';
import { startChildApp, waitForHttpOk, type ChildApp } from '../../support/child-app.js';
import { startOwnBroker, type OwnBroker } from '../../support/own-broker.js';
import { eventually } from '../../support/test-app.js';
import { TEST_DATABASE_URL, TEST_JWT_SECRET } from '../../support/test-env.js';
import { DynsecBroker } from './dynsec-broker.js';

// The project-level testTimeout of jest.config.js is not applied (Jest 30): set it here.
jest.setTimeout(90_000);

/** Ports of this file's own (no other test uses them). */
const ANONYMOUS_PORT = 19371;
const DYNSEC_PORT = 19372;
const ACL_PORT = 19373;
const LATE_PORT = 19374;
const APP_PORT = 19375;

const INGEST = { MQTT_USERNAME: 'tm-guard-ingest', MQTT_PASSWORD: 'guard-ingest-password-123' };

/**
 * Issue 21 §1, CONTRACT.md §5: in production the product refuses to start against a broker that
 * accepts anonymous clients, or without per-device provisioning (MQTT_ADMIN_*), with a message
 * naming MQTT_INSECURE; MQTT_INSECURE=true runs it anyway with a warning and /health says so.
 * The real product (dist/) as a child process, against Mosquittos of this file's own.
 */
describe('production refuses an insecure MQTT broker', () => {
  let anonymous: OwnBroker;
  const dynsec = new DynsecBroker(DYNSEC_PORT);
  let app: ChildApp | undefined;

  const production = (env: Record<string, string>) =>
    startChildApp({
      NODE_ENV: 'production',
      DATABASE_URL: TEST_DATABASE_URL,
      JWT_SECRET: TEST_JWT_SECRET,
      // Production also requires the public address (FHIR links; docs/security.md, "HTTP surface").
      PUBLIC_BASE_URL: `http://127.0.0.1:${APP_PORT}`,
      MIGRATE_ON_START: 'false',
      ROLES: 'api',
      PORT: String(APP_PORT),
      HOST: '127.0.0.1',
      ...env,
    });
  const health = async () => {
    const res = await fetch(`http://127.0.0.1:${APP_PORT}/health`);
    return { status: res.status, body: (await res.json()) as { status?: string; details?: { broker?: Record<string, unknown> } } };
  };
  const ready = (child: ChildApp) =>
    waitForHttpOk(`http://127.0.0.1:${APP_PORT}/health`, 60_000, child).catch((err: unknown) => {
      throw new Error(`${String(err)}\n${child.output().slice(0, 4000)}`);
    });
  /** Exits by itself, non-zero, within the time a start takes. */
  const refusal = async (child: ChildApp) => {
    return { code: await exitWithin(child, 30_000), output: child.output() };
  };

  beforeAll(async () => {
    anonymous = await startOwnBroker({ port: ANONYMOUS_PORT });
    await dynsec.start();
  }, 60_000);

  afterEach(async () => {
    await app?.kill('SIGTERM');
    app = undefined;
  });

  afterAll(async () => {
    await anonymous?.dispose();
    await dynsec.destroy();
  }, 60_000);

  it('exits non-zero against an anonymous broker, naming what to set and MQTT_INSECURE', async () => {
    app = production({ MQTT_URL: anonymous.url, MQTT_ADMIN_USERNAME: 'prov', MQTT_ADMIN_PASSWORD: 'prov-password-123' });
    const { code, output } = await refusal(app);
    expect(code).not.toBe(0);
    expect(code).not.toBe('still running');
    expect(output).toMatch(/accepts anonymous clients/);
    expect(output).toMatch(/lets them subscribe to tm\/v1\/devices\/#/);
    expect(output).toMatch(/allow_anonymous false/);
    expect(output).toMatch(/MQTT_INSECURE=true/);
    expect(output).not.toMatch(/\n\s+at /); // an operator's message, not a stack trace
  });

  it('exits non-zero without provisioning (MQTT_ADMIN_* unset), even with a secured broker', async () => {
    app = production({ MQTT_URL: dynsec.url, ...INGEST });
    const { code, output } = await refusal(app);
    expect(code).not.toBe(0);
    expect(code).not.toBe('still running');
    expect(output).toMatch(/MQTT_ADMIN_USERNAME and MQTT_ADMIN_PASSWORD/);
    expect(output).toMatch(/MQTT_INSECURE=true/);
    expect(output).not.toMatch(/accepts anonymous clients/);
  });

  it('with MQTT_INSECURE=true starts, warns, and /health flags the broker insecure (still 200 ok)', async () => {
    app = production({ MQTT_URL: anonymous.url, MQTT_INSECURE: 'true' });
    await ready(app);
    const res = await health();
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'ok', details: { broker: { status: 'up', insecure: true } } });
    expect(app.output()).toMatch(/insecure MQTT broker, running anyway \(MQTT_INSECURE=true\)/);
    expect(app.output()).toMatch(/accepts anonymous clients/);
    expect(app.output()).toMatch(/MQTT_ADMIN_USERNAME \/ MQTT_ADMIN_PASSWORD are not set/);
  });

  it('starts normally against a broker without anonymous access, with provisioning configured', async () => {
    app = production({ MQTT_URL: dynsec.url, ...INGEST, MQTT_ADMIN_USERNAME: dynsec.admin.username, MQTT_ADMIN_PASSWORD: dynsec.admin.password });
    // The broker probe of /health connects as MQTT_USERNAME, which the backend creates at start.
    await ready(app);
    const res = await health();
    expect(res.body).toMatchObject({ status: 'ok', details: { broker: { status: 'up' } } });
    expect(res.body.details!.broker).not.toHaveProperty('insecure');
    expect(app.output()).not.toMatch(/insecure MQTT broker|MQTT_INSECURE/);
  });

  it('exits against an anonymous broker whose ACL refuses the device topics (it is still anonymous)', async () => {
    const acl = await aclBroker(ACL_PORT);
    try {
      app = production({ MQTT_URL: acl.url, MQTT_ADMIN_USERNAME: 'prov', MQTT_ADMIN_PASSWORD: 'prov-password-123' });
      const { code, output } = await refusal(app);
      expect(code).not.toBe(0);
      expect(code).not.toBe('still running');
      // Mosquitto grants the SUBSCRIBE and filters each message by its ACL: connecting is what counts.
      expect(output).toMatch(/accepts anonymous clients/);
      expect(output).toMatch(/MQTT_INSECURE=true/);
    } finally {
      await acl.stop();
    }
  });

  it('judges a broker unreachable at start once it answers: an anonymous one stops the process', async () => {
    app = production({ MQTT_URL: `mqtt://127.0.0.1:${LATE_PORT}`, MQTT_ADMIN_USERNAME: 'prov', MQTT_ADMIN_PASSWORD: 'prov-password-123' });
    await app.waitFor(/MQTT broker not reachable/, 30_000);
    expect(app.proc.exitCode).toBeNull();
    const late = await startOwnBroker({ port: LATE_PORT });
    try {
      const code = await exitWithin(app, 45_000);
      expect(code).toBe(1);
      expect(app.output()).toMatch(/Refusing to start in production[\s\S]*MQTT_INSECURE=true/);
    } finally {
      await late.dispose();
    }
  });
});

/** The child's exit code, or 'still running' after `ms` (the timer is cleared either way). */
async function exitWithin(child: ChildApp, ms: number): Promise<number | string> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<string>((r) => (timer = setTimeout(() => r('still running'), ms)));
  try {
    return await Promise.race([child.exited, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** A Mosquitto that lets anonymous clients in, with an ACL that gives them nothing (test/fixtures). */
async function aclBroker(port: number): Promise<{ url: string; stop: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'tm-acl-'));
  // Started as root, Mosquitto drops to its own user before it reads the ACL file.
  await chmod(dir, 0o755);
  const acl = join(dir, 'acl');
  await writeFile(acl, await readFile(join(PROJECT_ROOT, 'test/fixtures/mosquitto-anonymous-acl.acl'), 'utf8'));
  const conf = (await readFile(join(PROJECT_ROOT, 'test/fixtures/mosquitto-anonymous-acl.conf'), 'utf8'))
    .replaceAll('{{PORT}}', String(port))
    .replaceAll('{{ACL_FILE}}', acl);
  await writeFile(join(dir, 'mosquitto.conf'), conf);
  const proc: ChildProcess = spawn('mosquitto', ['-c', join(dir, 'mosquitto.conf')], { stdio: 'ignore' });
  await eventually(async () => {
    if (proc.exitCode !== null) throw new Error(`mosquitto exited with ${proc.exitCode}`);
    return new Promise<boolean>((resolve) => {
      const s = connect({ host: '127.0.0.1', port }, () => (s.destroy(), resolve(true)));
      s.on('error', () => resolve(false));
    });
  }, 10_000);
  return {
    url: `mqtt://127.0.0.1:${port}`,
    stop: async () => {
      if (proc.exitCode === null) {
        const exited = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGTERM');
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
