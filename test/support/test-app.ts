import type { INestApplication } from '@nestjs/common';
import pg from 'pg';
import { randomUUID } from 'node:crypto';
import { createApp } from '../../apps/server/src/bootstrap.js';
import { loadConfig, type AppConfig, type ProcessRole } from '../../apps/server/src/config/app-config.js';
import { hashSecret } from '../../apps/server/src/auth/password.js';
import type { DeviceKind } from '#domain';
import { TEST_DATABASE_URL, TEST_JWT_SECRET, TEST_MQTT_URL } from './test-env.js';

const DEVICE_PREFIX: Record<DeviceKind, string> = { oximeter: 'OX', ventilator: 'VE', concentrator: 'OC' };

export interface TestApp {
  app: INestApplication;
  config: AppConfig;
  /** http://127.0.0.1:<port> */
  url: string;
  pool: pg.Pool;
  ctx: TestContext;
  close: () => Promise<void>;
}

/** A configuration for tests: the test database and broker, unique ingest client ids, quiet logs. */
export function testConfig(overrides: Record<string, string> = {}): AppConfig {
  return loadConfig({
    DATABASE_URL: TEST_DATABASE_URL,
    MQTT_URL: TEST_MQTT_URL,
    JWT_SECRET: TEST_JWT_SECRET,
    PORT: '0',
    MIGRATE_ON_START: 'false',
    LOG_LEVEL: 'silent',
    INGEST_CLIENT_ID_PREFIX: `tm-test-${randomUUID().slice(0, 8)}`,
    INGEST_SHARE_GROUP: `test-${randomUUID().slice(0, 8)}`,
    // Tests log in many users from 127.0.0.1; the rate-limit test sets its own low limits.
    LOGIN_RATE_LIMIT_PER_IP: '100000',
    LOGIN_RATE_LIMIT_PER_USERNAME: '100000',
    // Test sessions use random ids: let the shared broker forget them soon.
    INGEST_SESSION_EXPIRY_SECONDS: '120',
    ...overrides,
  });
}

/** Starts the app in-process on a random port (migrations were applied by the global setup). */
export async function startTestApp(
  options: { roles?: ProcessRole[]; env?: Record<string, string> } = {},
): Promise<TestApp> {
  const config = testConfig({ ...(options.roles ? { ROLES: options.roles.join(',') } : {}), ...options.env });
  const app = await createApp(config, { logger: false });
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address() as { port: number };
  const url = `http://127.0.0.1:${address.port}`;
  const pool = new pg.Pool({ connectionString: TEST_DATABASE_URL, max: 4 });
  return {
    app,
    config,
    url,
    pool,
    ctx: new TestContext(pool, url),
    close: async () => {
      await app.close();
      await pool.end();
    },
  };
}

export interface TestUser {
  id: string;
  username: string;
  password: string;
  token: string;
}

/**
 * Makes the data a test needs, each time new (own care team, users, patients, devices), so tests
 * never depend on one another or on order.
 */
export class TestContext {
  constructor(
    readonly pool: pg.Pool,
    private readonly url: string,
  ) {}

  async newCareTeam(name = `team-${randomUUID().slice(0, 8)}`): Promise<{ id: string; name: string }> {
    const { rows } = await this.pool.query(`INSERT INTO care_teams (name) VALUES ($1) RETURNING id, name`, [name]);
    return rows[0];
  }

  async newUser(role: 'nurse' | 'physician' | 'admin', careTeamIds: string[] = []): Promise<TestUser> {
    const username = `${role}-${randomUUID().slice(0, 8)}`;
    const password = `pw-${randomUUID()}`;
    const { rows } = await this.pool.query(
      `INSERT INTO users (username, password_hash, role) VALUES ($1, $2, $3) RETURNING id`,
      [username, await hashSecret(password), role],
    );
    const id = rows[0].id as string;
    for (const t of careTeamIds) {
      await this.pool.query(`INSERT INTO user_care_teams (user_id, care_team_id) VALUES ($1, $2)`, [id, t]);
    }
    return { id, username, password, token: await this.login(username, password) };
  }

  async login(username: string, password: string): Promise<string> {
    const res = await fetch(`${this.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password }),
    });
    if (res.status !== 200) throw new Error(`login failed: ${res.status} ${await res.text()}`);
    return ((await res.json()) as { accessToken: string }).accessToken;
  }

  /**
   * A patient under telemonitoring: with an active episode (the rules run only then), unless
   * `episode: false` (a patient registered, not yet prescribed).
   */
  async newPatient(careTeamId: string, profile: 'hypercapnic' | 'standard' = 'hypercapnic', opts: { episode?: boolean } = {}): Promise<{ id: string }> {
    const { rows } = await this.pool.query(
      `INSERT INTO patients (display_name, profile, care_team_id) VALUES ($1, $2, $3) RETURNING id`,
      [`Patient ${randomUUID().slice(0, 6)}`, profile, careTeamId],
    );
    if (opts.episode !== false) await this.startEpisode(rows[0].id);
    return rows[0];
  }

  /**
   * An active episode for the patient, prescribed by the context's prescriber: a physician in no
   * care team, so that no team gains a member (escalations name the team's physicians).
   */
  async startEpisode(patientId: string, startDate = '2026-01-01'): Promise<{ id: string }> {
    this.prescriber ??= this.pool
      .query(`INSERT INTO users (username, password_hash, role) VALUES ($1, $2, 'physician') RETURNING id`, [`prescriber-${randomUUID().slice(0, 8)}`, `!${randomUUID()}`])
      .then((r) => r.rows[0].id as string);
    const { rows } = await this.pool.query(
      `INSERT INTO episodes (patient_id, indication, prescriber_id, start_date) VALUES ($1, 'niv', $2, $3) RETURNING id`,
      [patientId, await this.prescriber, startDate],
    );
    return rows[0];
  }

  private prescriber: Promise<string> | undefined;

  /** A registered, active device with a known secret (for MQTT credentials). */
  async newDevice(patientId: string, kind: DeviceKind = 'oximeter'): Promise<{ deviceId: string; secret: string }> {
    const deviceId = `${DEVICE_PREFIX[kind]}-${randomUUID().slice(0, 12)}`;
    const secret = randomUUID();
    await this.pool.query(
      `INSERT INTO devices (device_id, kind, patient_id, secret_hash) VALUES ($1, $2, $3, $4)`,
      [deviceId, kind, patientId, await hashSecret(secret)],
    );
    return { deviceId, secret };
  }

  /**
   * A care team with a nurse, a physician and one hypercapnic patient with an oximeter, under
   * telemonitoring (an active episode) unless `episode: false`.
   */
  async newTeamWithPatient(opts: { episode?: boolean } = {}): Promise<{
    team: { id: string; name: string };
    nurse: TestUser;
    physician: TestUser;
    patient: { id: string };
    device: { deviceId: string; secret: string };
  }> {
    const team = await this.newCareTeam();
    const nurse = await this.newUser('nurse', [team.id]);
    const physician = await this.newUser('physician', [team.id]);
    const patient = await this.newPatient(team.id, 'hypercapnic', opts);
    const device = await this.newDevice(patient.id);
    return { team, nurse, physician, patient, device };
  }
}

/** fetch with a bearer token and JSON; returns status and parsed body. */
export async function api<T = unknown>(
  base: string,
  method: string,
  path: string,
  token?: string,
  body?: unknown,
): Promise<{ status: number; body: T }> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    /* keep the text */
  }
  return { status: res.status, body: parsed as T };
}

/** Polls until `check` returns a truthy value or the deadline passes (for asynchronous pipelines). */
export async function eventually<T>(check: () => Promise<T | undefined | null | false>, timeoutMs = 15000, stepMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value) return value;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, stepMs));
  }
  throw new Error(`condition not met within ${timeoutMs} ms${last ? `: ${String(last)}` : ''}`);
}
