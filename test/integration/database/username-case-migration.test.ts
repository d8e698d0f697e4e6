import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { migrate } from '../../../apps/server/src/database/migrator.js';
import { MIGRATIONS_DIR } from '../../../apps/server/src/paths.js';
import { createScratchDatabase, type ScratchDatabase } from '../../support/scratch-db.js';

const SESSIONS_MIGRATION = '20261125100000_auth-sessions.sql';

/** Issue 21: usernames become case-insensitive; existing accounts that differ only by case are reported, not merged. */
describe('migration 20261125100000 (case-insensitive usernames)', () => {
  let db: ScratchDatabase;
  let pool: pg.Pool;

  beforeAll(async () => {
    // The schema as the previous version left it: every migration older than this one.
    db = await createScratchDatabase('username_case', { migratedBefore: SESSIONS_MIGRATION });
    pool = db.pool;
  });
  afterAll(async () => {
    await db.drop();
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
