import { afterAll, describe, expect, it } from '@jest/globals';
import type { RuleId } from '#domain';
import { DEMO_PATIENTS } from '../../apps/server/src/demo/demo-data.js';
import { SCENARIOS } from '#devices-sim';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startChildApp, waitForHttpOk, type ChildApp } from '../support/child-app.js';
import { eventually } from '../support/test-app.js';
import { TEST_MQTT_URL } from '../support/test-env.js';
import { connect } from 'node:net';

// `npm start` with no DATABASE_URL / MQTT_URL: embedded PostgreSQL and broker, migrations,
// ready on /health within 60 s; a restart keeps the data (CONTRACT.md §5, issue 2 §5).
describe('embedded start (no database or broker configured)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tm-embedded-'));
  // As root, PostgreSQL runs as the postgres user, who must be able to enter the directory.
  chmodSync(dataDir, 0o755);
  const env = {
    EMBEDDED_DATA_DIR: dataDir,
    EMBEDDED_PG_PORT: '55491',
    EMBEDDED_MQTT_PORT: '18891',
    PORT: '13091',
    DEMO: 'false',
    BOOTSTRAP_ADMIN_USERNAME: 'first.admin',
    BOOTSTRAP_ADMIN_PASSWORD: 'first-admin-password',
  };
  let app: ChildApp | undefined;

  afterAll(async () => {
    await app?.kill('SIGTERM');
    rmSync(dataDir, { recursive: true, force: true });
  }, 30000);

  it('starts, answers ready within 60 s, and keeps its data across a restart', async () => {
    app = startChildApp(env);
    await waitForHttpOk('http://127.0.0.1:13091/health', 60000, app).catch((err: Error) => {
      throw new Error(`${err.message}\n${app?.output()}`);
    });
    const login = await fetch('http://127.0.0.1:13091/api/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'first.admin', password: 'first-admin-password' }),
    });
    expect(login.status).toBe(200);
    expect(await app.kill('SIGTERM')).toBe(0);

    // Second start: same data directory, no bootstrap variables: the admin is still there.
    app = startChildApp({ ...env, BOOTSTRAP_ADMIN_USERNAME: '', BOOTSTRAP_ADMIN_PASSWORD: '' });
    await waitForHttpOk('http://127.0.0.1:13091/health', 60000, app);
    const again = await fetch('http://127.0.0.1:13091/api/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'first.admin', password: 'first-admin-password' }),
    });
    expect(again.status).toBe(200);
  }, 150000);
});

// `npm start` exactly as a newcomer runs it: no configuration at all, so the demo (seeded team,
// printed passwords, the simulator's scenarios). Ready within 60 s, and each demo patient's
// scenario raises the alert it is named for within the first minute (CONTRACT.md §5, issue 4 §5).
describe('npm start with no configuration at all: the demo', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tm-demo-'));
  chmodSync(dataDir, 0o755);
  let app: ChildApp | undefined;
  const base = 'http://127.0.0.1:13092';

  afterAll(async () => {
    await app?.kill('SIGTERM');
    rmSync(dataDir, { recursive: true, force: true });
  }, 30000);

  it('is ready within 60 s, prints the console and the passwords, and raises the demo alerts within the first minute', async () => {
    // Only where to put its files and ports free on a test machine: no DEMO, no URLs.
    app = startChildApp({ EMBEDDED_DATA_DIR: dataDir, EMBEDDED_PG_PORT: '55492', EMBEDDED_MQTT_PORT: '18892', PORT: '13092', LOG_LEVEL: 'info' });
    await waitForHttpOk(`${base}/health`, 60000, app).catch((err: Error) => {
      throw new Error(`${err.message}\n${app?.output()}`);
    });
    const readyAt = Date.now();
    await eventually(async () => /Nurse console: http:\/\/localhost:13092\/console/.test(app!.output()), 10000);
    const password = /nurse\.demo\s+(\S+)/.exec(app.output())?.[1];
    expect(password).toMatch(/^[A-Za-z0-9_-]{16}$/);
    // One logger, readable in the demo: pino-pretty's lines, from the first start-up step on, and
    // not a line of raw JSON (README, "Logs").
    expect(app.output()).toMatch(/^\[[\d:.]+\] INFO: \[Bootstrap\] embedded PostgreSQL on /m);
    expect(app.output().split('\n').filter((l) => l.trimStart().startsWith('{'))).toEqual([]);
    const login = await fetch(`${base}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'nurse.demo', password }),
    });
    expect(login.status).toBe(200);
    const { accessToken } = (await login.json()) as { accessToken: string };
    const get = async <T>(path: string): Promise<T> => (await (await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${accessToken}` } })).json()) as T;
    const patients = await get<Array<{ id: string; displayName: string }>>('/api/patients');
    const expected = new Map(
      DEMO_PATIENTS.map((p) => [patients.find((q) => q.displayName === p.displayName)!.id, [...SCENARIOS[p.scenario].expectedRules].sort()]),
    );
    const raised = async () => {
      const list = await get<Array<{ patientId: string; rule: RuleId }> | { items: Array<{ patientId: string; rule: RuleId }> }>('/api/alerts');
      const alerts = Array.isArray(list) ? list : list.items;
      const byPatient = new Map<string, string[]>();
      for (const a of alerts) byPatient.set(a.patientId, [...new Set([...(byPatient.get(a.patientId) ?? []), a.rule])].sort());
      return byPatient;
    };
    const complete = async () => {
      const got = await raised();
      return [...expected].every(([id, rules]) => rules.every((r) => got.get(id)?.includes(r)));
    };
    await eventually(complete, 60000, 1000).catch(async () => {
      throw new Error(`within a minute of being ready, expected ${JSON.stringify([...expected])}, raised ${JSON.stringify([...(await raised())])}`);
    });
    expect(Date.now() - readyAt).toBeLessThan(60000);
    // The stable patient raised nothing.
    const got = await raised();
    for (const [id, rules] of expected) if (rules.length === 0) expect(got.get(id) ?? []).toEqual([]);
  }, 180000);
});

// Each unset URL falls back to its embedded service on its own (CONTRACT.md §5): with MQTT_URL
// only, the embedded PostgreSQL with the configured broker (the worker's Mosquitto), no demo.
describe('MQTT_URL set, DATABASE_URL unset: embedded PostgreSQL, configured broker', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tm-embedded-pg-'));
  chmodSync(dataDir, 0o755);
  let app: ChildApp | undefined;
  const base = 'http://127.0.0.1:13093';
  const listening = (port: number) =>
    new Promise<boolean>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port }, () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });

  afterAll(async () => {
    await app?.kill('SIGTERM');
    rmSync(dataDir, { recursive: true, force: true });
  }, 30000);

  it('is ready through the configured broker, on the embedded PostgreSQL, without the embedded broker', async () => {
    app = startChildApp({
      MQTT_URL: TEST_MQTT_URL,
      EMBEDDED_DATA_DIR: dataDir,
      EMBEDDED_PG_PORT: '55493',
      EMBEDDED_MQTT_PORT: '18893',
      PORT: '13093',
      LOG_LEVEL: 'info',
      INGEST_CLIENT_ID_PREFIX: `tm-e2e-pg-only-${process.pid}`,
      INGEST_SHARE_GROUP: `pg-only-${process.pid}`,
      INGEST_SESSION_EXPIRY_SECONDS: '60',
    });
    await waitForHttpOk(`${base}/health`, 60000, app).catch((err: Error) => {
      throw new Error(`${err.message}\n${app?.output()}`);
    });
    expect(await (await fetch(`${base}/health`)).json()).toMatchObject({
      status: 'ok',
      info: { database: { status: 'up' }, broker: { status: 'up' } },
    });
    expect(app.output()).toMatch(/embedded PostgreSQL on postgres:\/\/telemonitoring:\*\*\*@127\.0\.0\.1:55493\//);
    expect(app.output()).not.toMatch(/embedded MQTT broker/);
    expect(await listening(18893)).toBe(false);
    // Not the demo: no demo team was seeded.
    expect(app.output()).not.toMatch(/nurse\.demo/);
  }, 90000);
});
