import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import mqtt, { type MqttClient } from 'mqtt';
import pg from 'pg';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { auditLogRole, PG_POOL } from '../../../apps/server/src/database/database.module.js';
import { migrate } from '../../../apps/server/src/database/migrator.js';
import { IngestService } from '../../../apps/server/src/ingest/ingest.service.js';
import { MIGRATIONS_DIR } from '../../../apps/server/src/paths.js';
import { api, eventually, startTestApp, type TestApp } from '../../support/test-app.js';
import { PG_ADMIN_URL, TEST_DATABASE_URL, TEST_DB_NAME, TEST_MQTT_URL } from '../../support/test-env.js';

jest.setTimeout(60_000);

/**
 * Issue 7 §3: the audit log is append-only for the application's database role, by privileges
 * and not only by the trigger (which the tables' owner could disable or drop). The application
 * connects as a login that is a member of `telemonitoring_app` (created by the migrations), as
 * docker-compose.yml does with `telemonitoring_runtime`; migrations run as the owner.
 */

const INSUFFICIENT_PRIVILEGE = '42501';
/** Roles are cluster-wide: a name of this run's own, dropped at the end. */
const LOGIN = `${TEST_DB_NAME}_rt_${randomUUID().slice(0, 8)}`;

function urlAs(base: string, user: string, password: string, database?: string): string {
  const u = new URL(base);
  u.username = user;
  u.password = password;
  if (database) u.pathname = `/${database}`;
  return u.toString();
}

async function refusal(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
    return undefined;
  } catch (err) {
    return (err as { code?: string }).code;
  }
}

describe('audit_log is append-only for the application role (privileges, not just the trigger)', () => {
  let owner: pg.Pool;
  let runtime: pg.Pool;
  const runtimeUrl = urlAs(TEST_DATABASE_URL, LOGIN, 'runtime-password-1234');

  beforeAll(async () => {
    owner = new pg.Pool({ connectionString: TEST_DATABASE_URL, max: 2 });
    await owner.query(`CREATE ROLE ${LOGIN} LOGIN PASSWORD 'runtime-password-1234' IN ROLE telemonitoring_app`);
    runtime = new pg.Pool({ connectionString: runtimeUrl, max: 1 });
  });

  afterAll(async () => {
    await runtime?.end();
    await owner?.query(`DROP ROLE IF EXISTS ${LOGIN}`).catch(() => undefined);
    await owner?.end();
  });

  it('gives telemonitoring_app (NOLOGIN) all DML on the tables, only SELECT and INSERT on audit_log', async () => {
    const { rows } = await owner.query(
      `SELECT r.rolcanlogin, r.rolsuper,
              has_table_privilege('telemonitoring_app', 'audit_log', 'SELECT') AS audit_select,
              has_table_privilege('telemonitoring_app', 'audit_log', 'INSERT') AS audit_insert,
              has_table_privilege('telemonitoring_app', 'audit_log', 'UPDATE') AS audit_update,
              has_table_privilege('telemonitoring_app', 'audit_log', 'DELETE') AS audit_delete,
              has_table_privilege('telemonitoring_app', 'audit_log', 'TRUNCATE') AS audit_truncate,
              has_table_privilege('telemonitoring_app', 'audit_log', 'TRIGGER') AS audit_trigger,
              has_table_privilege('telemonitoring_app', 'alerts', 'SELECT, INSERT, UPDATE, DELETE') AS alerts_dml,
              has_table_privilege('telemonitoring_app', 'schema_migrations', 'INSERT') AS migrations_insert
         FROM pg_roles r WHERE r.rolname = 'telemonitoring_app'`,
    );
    expect(rows).toEqual([
      {
        rolcanlogin: false,
        rolsuper: false,
        audit_select: true,
        audit_insert: true,
        audit_update: false,
        audit_delete: false,
        audit_truncate: false,
        audit_trigger: false,
        alerts_dml: true,
        migrations_insert: false,
      },
    ]);
    // Every table of the schema is covered (a table without the grants would break the app).
    const missing = await owner.query(
      `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm')
          AND NOT has_table_privilege('telemonitoring_app', c.oid, 'SELECT')`,
    );
    expect(missing.rows).toEqual([]);
  });

  it('as that role: INSERT and SELECT work; UPDATE, DELETE and TRUNCATE are refused with a permission error', async () => {
    const inserted = await runtime.query<{ id: string }>(
      `INSERT INTO audit_log (action, outcome) VALUES ('test.privileges', 'success') RETURNING id`,
    );
    const id = inserted.rows[0]!.id;
    expect((await runtime.query(`SELECT action FROM audit_log WHERE id = $1`, [id])).rows).toEqual([{ action: 'test.privileges' }]);
    expect(await refusal(runtime.query(`UPDATE audit_log SET action = 'tampered' WHERE id = $1`, [id]))).toBe(INSUFFICIENT_PRIVILEGE);
    expect(await refusal(runtime.query(`DELETE FROM audit_log WHERE id = $1`, [id]))).toBe(INSUFFICIENT_PRIVILEGE);
    expect(await refusal(runtime.query(`TRUNCATE audit_log`))).toBe(INSUFFICIENT_PRIVILEGE);
    expect((await runtime.query(`SELECT action FROM audit_log WHERE id = $1`, [id])).rows).toEqual([{ action: 'test.privileges' }]);
  });

  it('as that role: the trigger cannot be disabled or dropped, and there is no way back to more rights', async () => {
    expect(await refusal(runtime.query(`ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update`))).toBe(INSUFFICIENT_PRIVILEGE);
    expect(await refusal(runtime.query(`DROP TRIGGER audit_log_no_update ON audit_log`))).toBe(INSUFFICIENT_PRIVILEGE);
    expect(await refusal(runtime.query(`DROP TABLE audit_log`))).toBe(INSUFFICIENT_PRIVILEGE);
    expect(await refusal(runtime.query(`CREATE TABLE audit_log_copy (id bigint)`))).toBe(INSUFFICIENT_PRIVILEGE);
    expect(await refusal(runtime.query(`INSERT INTO schema_migrations (version, file, flavour) VALUES ('0', 'x', 'postgres')`))).toBe(
      INSUFFICIENT_PRIVILEGE,
    );
    // A login, not a SET ROLE: leaving the role leaves the same login, with the same rights.
    await runtime.query('SET ROLE NONE');
    expect(await refusal(runtime.query(`DELETE FROM audit_log WHERE action = 'test.privileges'`))).toBe(INSUFFICIENT_PRIVILEGE);
    const owners = (await owner.query<{ rolname: string }>(`SELECT r.rolname FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner WHERE c.oid = 'audit_log'::regclass`)).rows;
    expect(await refusal(runtime.query(`SET ROLE "${owners[0]!.rolname}"`))).toBe(INSUFFICIENT_PRIVILEGE);
    expect(await auditLogRole(runtime)).toEqual({ role: LOGIN, appendOnly: true });
    expect(await auditLogRole(owner)).toMatchObject({ appendOnly: false });
  });

  describe('the application connected as that login', () => {
    let t: TestApp;
    let device: MqttClient;

    beforeAll(async () => {
      t = await startTestApp({ roles: ['api', 'ingest'], env: { DATABASE_URL: runtimeUrl, INGEST_BATCH_MAX_DELAY_MS: '10' } });
      const ingest = t.app.get(IngestService);
      const expected = t.config.mqtt.sharedSubscriptions ? t.config.ingest.connections : 1;
      await eventually(async () => ingest.connectedCount === expected, 15000);
      await new Promise((r) => setTimeout(r, 300));
      device = await mqtt.connectAsync(TEST_MQTT_URL, { clientId: `rt-dev-${randomUUID().slice(0, 8)}`, protocolVersion: 5, reconnectPeriod: 0 });
    });

    afterAll(async () => {
      await device?.endAsync();
      await t?.close();
    });

    it('runs every pool as the login', async () => {
      expect((await t.app.get<pg.Pool>(PG_POOL).query('SELECT current_user AS u')).rows).toEqual([{ u: LOGIN }]);
      expect(await t.app.get(DataSource).query('SELECT current_user AS u')).toEqual([{ u: LOGIN }]);
    });

    it('still logs in, registers, ingests and audits; is ready', async () => {
      const admin = await t.ctx.newUser('admin'); // logs in through the app: an audited login
      const team = await api<{ id: string }>(t.url, 'POST', '/api/care-teams', admin.token, { name: `rt-${randomUUID().slice(0, 8)}` });
      expect(team.status).toBe(201);
      const patient = await api<{ id: string }>(t.url, 'POST', '/api/patients', admin.token, { displayName: 'P', careTeamId: team.body.id, profile: 'standard' });
      expect(patient.status).toBe(201);
      const deviceId = `OX-rt-${randomUUID().slice(0, 8)}`;
      const registered = await api<{ secret: string }>(t.url, 'POST', '/api/devices', admin.token, { deviceId, kind: 'oximeter', patientId: patient.body.id });
      expect(registered.status).toBe(201);
      const nurse = await t.ctx.newUser('nurse', [team.body.id]);
      expect((await api(t.url, 'GET', '/api/patients', nurse.token)).status).toBe(200);

      const audit = await t.pool.query<{ action: string }>(
        `SELECT action FROM audit_log WHERE actor_id = ANY($1::uuid[]) ORDER BY id`,
        [[admin.id, nurse.id]],
      );
      expect(audit.rows.map((r) => r.action)).toEqual([
        'auth.login',
        'registry.care_team.create',
        'registry.patient.create',
        'registry.device.register',
        'auth.login',
        'patient.list',
      ]);

      // Ingestion's own pool writes readings (and the hourly rollup) as the login too.
      await device.publishAsync(
        `tm/v1/devices/${deviceId}/readings`,
        JSON.stringify({ v: 1, seq: 1, samples: [{ at: Date.now() - 60_000, spo2: 95, pulseRate: 70 }] }),
        { qos: 1 },
      );
      await eventually(async () => (await t.pool.query(`SELECT 1 FROM readings WHERE device_id = $1`, [deviceId])).rowCount === 2);

      let status = 0;
      for (let i = 0; i < 30 && status !== 200; i++) {
        status = (await api(t.url, 'GET', '/health')).status;
        if (status !== 200) await new Promise((r) => setTimeout(r, 100));
      }
      expect(status).toBe(200);
    });
  });
});

describe('DATABASE_APP_ROLE: a login that owns the schema narrowed to telemonitoring_app', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ roles: ['api'], env: { DATABASE_APP_ROLE: 'telemonitoring_app' } });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('runs the pools as the role: audit_log UPDATE refused, the app still logs in and writes', async () => {
    const pool = t.app.get<pg.Pool>(PG_POOL);
    expect((await pool.query('SELECT current_user AS u')).rows).toEqual([{ u: 'telemonitoring_app' }]);
    expect(await t.app.get(DataSource).query('SELECT current_user AS u')).toEqual([{ u: 'telemonitoring_app' }]);
    // The pool keeps its own session settings beside the role.
    expect((await pool.query('SHOW jit')).rows).toEqual([{ jit: 'off' }]);
    expect(await refusal(pool.query(`UPDATE audit_log SET action = action WHERE id = 0`))).toBe(INSUFFICIENT_PRIVILEGE);
    const admin = await t.ctx.newUser('admin');
    const team = await api(t.url, 'POST', '/api/care-teams', admin.token, { name: `ar-${randomUUID().slice(0, 8)}` });
    expect(team.status).toBe(201);
    const audit = await t.pool.query(`SELECT action FROM audit_log WHERE actor_id = $1 ORDER BY id`, [admin.id]);
    expect(audit.rows.map((r) => r.action)).toEqual(['auth.login', 'registry.care_team.create']);
  });

  it('migrates an empty database through such a URL (the migrator uses the login, not the role)', async () => {
    const name = `${TEST_DB_NAME}_approle`;
    const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
    await admin.connect();
    try {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.query(`CREATE DATABASE ${name}`);
      const u = new URL(t.config.database.url!);
      u.pathname = `/${name}`;
      const pool = new pg.Pool({ connectionString: u.toString(), max: 1 });
      pool.on('error', () => undefined);
      try {
        const result = await migrate(pool, MIGRATIONS_DIR);
        expect(result.applied).toContain('20261124090000_app-database-role.sql');
        // Back to the role afterwards, on the same connection.
        expect((await pool.query('SELECT current_user AS u')).rows).toEqual([{ u: 'telemonitoring_app' }]);
      } finally {
        await pool.end();
      }
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined);
      await admin.end();
    }
  });
});
