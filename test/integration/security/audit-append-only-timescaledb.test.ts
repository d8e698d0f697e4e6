import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import pg from 'pg';
import { randomUUID } from 'node:crypto';
import { migrate } from '../../../apps/server/src/database/migrator.js';
import { MIGRATIONS_DIR } from '../../../apps/server/src/paths.js';
import { startPgliteTimescale, type PgliteTimescale } from '../../support/pglite-timescaledb.js';
import { insertReadings, regular } from '../../support/readings-fixture.js';

// PGlite is slow: hooks need more than the default.
jest.setTimeout(120_000);

// Port from the TimescaleDB tests' range (55440–55449).
const PORT = 55447;
const INSUFFICIENT_PRIVILEGE = '42501';

/**
 * The application role of migrations/…_app-database-role.sql on the TimescaleDB flavour (PGlite
 * build of TimescaleDB 2.23): the app's writes and reads of the hypertable (new chunks, compressed
 * chunks) and of the continuous aggregate work as `telemonitoring_app`, and audit_log is
 * append-only for it there too. PGlite has a single session, so the role is taken with SET ROLE.
 */
describe('telemonitoring_app on TimescaleDB (PGlite)', () => {
  let tsdb: PgliteTimescale;
  let db: pg.Client;
  const patientId = randomUUID();
  const deviceId = `OX-${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    tsdb = await startPgliteTimescale(PORT);
    const pool = new pg.Pool({ connectionString: tsdb.url, max: 1 });
    try {
      const result = await migrate(pool, MIGRATIONS_DIR);
      expect(result.flavour).toBe('timescaledb');
      expect(result.applied).toContain('20261124090000_app-database-role.sql');
    } finally {
      await pool.end();
    }
    db = new pg.Client({ connectionString: tsdb.url });
    await db.connect();
    await db.query('SET ROLE telemonitoring_app');
  }, 180_000);

  afterAll(async () => {
    await db?.end();
    await tsdb?.stop();
  }, 30_000);

  async function refusal(sql: string): Promise<string | undefined> {
    try {
      await db.query(sql);
      return undefined;
    } catch (err) {
      return (err as { code?: string }).code;
    }
  }

  it('writes the registry and readings (new chunks) and reads the continuous aggregate as the role', async () => {
    expect((await db.query('SELECT current_user AS u')).rows).toEqual([{ u: 'telemonitoring_app' }]);
    const team = (await db.query(`INSERT INTO care_teams (name) VALUES ($1) RETURNING id`, [`ts-${randomUUID()}`])).rows[0].id;
    await db.query(`INSERT INTO patients (id, display_name, profile, care_team_id) VALUES ($1, 'P', 'standard', $2)`, [patientId, team]);
    await db.query(`INSERT INTO devices (device_id, kind, patient_id, secret_hash) VALUES ($1, 'oximeter', $2, 'x')`, [deviceId, patientId]);
    const base = { deviceId, patientId, metric: 'spo2' };
    expect(await insertReadings(db, regular(base, '2026-10-05T23:00:00Z', 60_000, Array.from({ length: 120 }, (_, i) => 90 + (i % 5))), 'timescaledb')).toBe(120);
    const hourly = await db.query(`SELECT count(*)::int AS buckets, sum(n)::int AS n FROM readings_hourly WHERE patient_id = $1`, [patientId]);
    expect(hourly.rows).toEqual([{ buckets: 2, n: 120 }]);
  });

  it('still does once the chunks are compressed and the aggregate materialised (as the owner)', async () => {
    await db.query('SET ROLE NONE');
    try {
      await db.query(`CALL refresh_continuous_aggregate('readings_hourly', NULL, NULL)`);
      expect((await db.query(`SELECT compress_chunk(c) FROM show_chunks('readings') AS c`)).rowCount).toBeGreaterThan(0);
    } finally {
      await db.query('SET ROLE telemonitoring_app');
    }
    // A late backfill into a compressed chunk, and a duplicate, as the role.
    const late = [
      { deviceId, patientId, metric: 'spo2', at: '2026-10-05T23:00:30Z', value: 80 },
      { deviceId, patientId, metric: 'spo2', at: '2026-10-05T23:00:00Z', value: 10 },
    ];
    expect(await insertReadings(db, late, 'timescaledb')).toBe(1);
    const hourly = await db.query(`SELECT sum(n)::int AS n FROM readings_hourly WHERE patient_id = $1`, [patientId]);
    expect(hourly.rows[0].n).toBeGreaterThanOrEqual(120);
    expect((await db.query(`SELECT count(*)::int AS n FROM readings WHERE device_id = $1`, [deviceId])).rows).toEqual([{ n: 121 }]);
  });

  it('keeps audit_log append-only: INSERT and SELECT work, UPDATE, DELETE, TRUNCATE and DDL are refused', async () => {
    const id = (await db.query(`INSERT INTO audit_log (action) VALUES ('test.ts-privileges') RETURNING id`)).rows[0].id;
    expect((await db.query(`SELECT action FROM audit_log WHERE id = $1`, [id])).rows).toEqual([{ action: 'test.ts-privileges' }]);
    expect(await refusal(`UPDATE audit_log SET action = 'tampered'`)).toBe(INSUFFICIENT_PRIVILEGE);
    expect(await refusal(`DELETE FROM audit_log`)).toBe(INSUFFICIENT_PRIVILEGE);
    expect(await refusal(`TRUNCATE audit_log`)).toBe(INSUFFICIENT_PRIVILEGE);
    expect(await refusal(`ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update`)).toBe(INSUFFICIENT_PRIVILEGE);
    expect(await refusal(`DROP TABLE readings`)).toBe(INSUFFICIENT_PRIVILEGE);
  });
});
