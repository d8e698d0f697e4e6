import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { copyFile, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { migrate } from '../../../apps/server/src/database/migrator.js';
import { MIGRATIONS_DIR } from '../../../apps/server/src/paths.js';
import { admin } from '../../support/scratch-db.js';
import { PG_ADMIN_URL, TEST_DB_NAME } from '../../support/test-env.js';

const SESSIONS_MIGRATION = '20261125100000_auth-sessions.sql';

/** Issue 21: usernames become case-insensitive; existing accounts that differ only by case are reported, not merged. */
describe('migration 20261125100000 (case-insensitive usernames)', () => {
  const name = `${TEST_DB_NAME}_username_case`;
  let pool: pg.Pool;
  let before: string;

  beforeAll(async () => {
    await admin(async (c) => {
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.query(`CREATE DATABASE ${name}`);
    });
    const u = new URL(PG_ADMIN_URL);
    u.pathname = `/${name}`;
    pool = new pg.Pool({ connectionString: u.toString(), max: 2 });
    // Every migration before this one.
    before = await mkdtemp(join(tmpdir(), 'tm-migrations-'));
    for (const f of await readdir(MIGRATIONS_DIR)) if (f < SESSIONS_MIGRATION) await copyFile(join(MIGRATIONS_DIR, f), join(before, f));
    await migrate(pool, before);
  });
  afterAll(async () => {
    await pool.end();
    await rm(before, { recursive: true, force: true });
    await admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
  });

  it('stops and names the accounts that clash, changes nothing; once renamed, applies and enforces uniqueness', async () => {
    const { rows } = await pool.query<{ id: string }>(
      `INSERT INTO users (username, password_hash, role) VALUES ('Nurse.Martin', 'x', 'nurse'), ('nurse.martin', 'x', 'nurse'), ('other', 'x', 'nurse') RETURNING id`,
    );
    await expect(migrate(pool, MIGRATIONS_DIR)).rejects.toThrow(/usernames that differ only by case: nurse\.martin \(Nurse\.Martin=.*, nurse\.martin=.*\)/);
    const applied = await pool.query(`SELECT 1 FROM schema_migrations WHERE file = $1`, [SESSIONS_MIGRATION]);
    expect(applied.rowCount).toBe(0);
    expect((await pool.query(`SELECT to_regclass('refresh_tokens') AS t`)).rows[0].t).toBeNull();

    await pool.query(`UPDATE users SET username = 'nurse.martin2' WHERE id = $1`, [rows[1]!.id]);
    await migrate(pool, MIGRATIONS_DIR);
    await expect(pool.query(`INSERT INTO users (username, password_hash, role) VALUES ('OTHER', 'x', 'nurse')`)).rejects.toThrow(/users_username_lower_key/);
  });
});
