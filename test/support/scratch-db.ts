import { copyFile, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { migrate } from '../../apps/server/src/database/migrator.js';
import { MIGRATIONS_DIR } from '../../apps/server/src/paths.js';
import { PG_ADMIN_URL, TEST_DB_NAME } from './test-env.js';

export interface ScratchDatabase {
  name: string;
  url: string;
  pool: pg.Pool;
  drop: () => Promise<void>;
}

/** Runs `fn` on a connection of the admin user to the maintenance database (create, drop, terminate). */
export async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: PG_ADMIN_URL });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/**
 * A migrated database of the test's own (`<TEST_DB_NAME>_<suffix>`), for tests whose counts must
 * be exact (nothing else writes there) or that disturb it. `migratedBefore`: only the migrations
 * older than that file are applied — the schema as an earlier version left it, for a test of that
 * migration on existing data (it then runs `migrate(pool, MIGRATIONS_DIR)` itself).
 */
export async function createScratchDatabase(suffix: string, options: { migratedBefore?: string } = {}): Promise<ScratchDatabase> {
  if (!/^[a-z0-9_]+$/.test(suffix)) throw new Error('suffix must be [a-z0-9_]+');
  const name = `${TEST_DB_NAME}_${suffix}`;
  await admin(async (c) => {
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await c.query(`CREATE DATABASE ${name}`);
  });
  const u = new URL(PG_ADMIN_URL);
  u.pathname = `/${name}`;
  const url = u.toString();
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  pool.on('error', () => undefined);
  if (options.migratedBefore) {
    const dir = await migrationsBefore(options.migratedBefore);
    await migrate(pool, dir).finally(() => rm(dir, { recursive: true, force: true }));
  } else {
    await migrate(pool, MIGRATIONS_DIR);
  }
  return {
    name,
    url,
    pool,
    drop: async () => {
      await pool.end();
      await admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}

/** A scratch directory holding the migrations older than `file`. */
async function migrationsBefore(file: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tm-migrations-'));
  for (const f of await readdir(MIGRATIONS_DIR)) if (f < file) await copyFile(join(MIGRATIONS_DIR, f), join(dir, f));
  return dir;
}
