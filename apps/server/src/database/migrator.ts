import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Pool, PoolClient } from 'pg';

/**
 * Applies the hand-written SQL migrations of migrations/ in order.
 *
 * File names: `<timestamp>_<name>.sql` runs on every database; `<timestamp>_<name>.timescaledb.sql`
 * only where the timescaledb extension is available, `<timestamp>_<name>.postgres.sql` only on
 * plain PostgreSQL. A file whose first line is `-- migrate:no-transaction` runs outside a
 * transaction (TimescaleDB continuous aggregates require it). The flavour is chosen once, on the
 * first run, and recorded, so a database never switches flavour.
 */
export type DatabaseFlavour = 'timescaledb' | 'postgres';

export interface MigrationFile {
  version: string;
  name: string;
  flavour: DatabaseFlavour | 'all';
  path: string;
}

const FILE_PATTERN = /^(\d{14})_([a-z0-9-]+)(?:\.(timescaledb|postgres))?\.sql$/;
/** Arbitrary constant: serialises concurrent migrators (several processes starting at once). */
const MIGRATION_LOCK_KEY = 0x7e1e_0001;

export function parseMigrationFileName(file: string, dir: string): MigrationFile | undefined {
  const m = FILE_PATTERN.exec(file);
  if (!m) return undefined;
  return { version: m[1]!, name: m[2]!, flavour: (m[3] as DatabaseFlavour | undefined) ?? 'all', path: join(dir, file) };
}

export async function listMigrations(dir: string): Promise<MigrationFile[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.sql'));
  const migrations: MigrationFile[] = [];
  for (const f of files) {
    const parsed = parseMigrationFileName(f, dir);
    if (!parsed) throw new Error(`migrations/${f}: name must be <14-digit timestamp>_<kebab-name>[.timescaledb|.postgres].sql`);
    migrations.push(parsed);
  }
  return migrations.sort((a, b) => a.version.localeCompare(b.version) || a.flavour.localeCompare(b.flavour));
}

export interface MigrateResult {
  flavour: DatabaseFlavour;
  applied: string[];
}

export async function migrate(pool: Pool, dir: string, log: (msg: string) => void = () => {}): Promise<MigrateResult> {
  const client = await pool.connect();
  try {
    // Migrations need the login's own rights (the schema's owner): leave the application's role
    // that DATABASE_APP_ROLE gives every connection; RESET ROLE below goes back to it.
    await client.query('SET ROLE NONE');
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
        version text NOT NULL, file text NOT NULL, flavour text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (version, file))`);
      const flavour = await chooseFlavour(client);
      const done = new Set(
        (await client.query<{ file: string }>('SELECT file FROM schema_migrations')).rows.map((r) => r.file),
      );
      const applied: string[] = [];
      for (const m of await listMigrations(dir)) {
        const file = m.path.split('/').pop()!;
        if (done.has(file) || (m.flavour !== 'all' && m.flavour !== flavour)) continue;
        const sql = await readFile(m.path, 'utf8');
        const inTransaction = !sql.startsWith('-- migrate:no-transaction');
        log(`applying migration ${file}`);
        try {
          if (inTransaction) await client.query('BEGIN');
          await client.query(sql);
          await client.query('INSERT INTO schema_migrations (version, file, flavour) VALUES ($1, $2, $3)', [m.version, file, flavour]);
          if (inTransaction) await client.query('COMMIT');
        } catch (err) {
          if (inTransaction) await client.query('ROLLBACK').catch(() => undefined);
          throw new Error(`migration ${file} failed: ${(err as Error).message}`, { cause: err });
        }
        applied.push(file);
      }
      return { flavour, applied };
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  } finally {
    await client.query('RESET ROLE').catch(() => undefined);
    client.release();
  }
}

/** Pending migrations, for readiness: a process is not ready while its schema is behind. */
export async function pendingMigrations(pool: Pool, dir: string): Promise<string[]> {
  const exists = await pool.query(`SELECT to_regclass('schema_migrations') IS NOT NULL AS ok`);
  if (!exists.rows[0].ok) return (await listMigrations(dir)).map((m) => m.path);
  const rows = await pool.query<{ file: string; flavour: string }>('SELECT file, flavour FROM schema_migrations');
  const flavour = rows.rows[0]?.flavour;
  const done = new Set(rows.rows.map((r) => r.file));
  return (await listMigrations(dir))
    .filter((m) => m.flavour === 'all' || m.flavour === flavour)
    .map((m) => m.path.split('/').pop()!)
    .filter((f) => !done.has(f));
}

async function chooseFlavour(client: PoolClient): Promise<DatabaseFlavour> {
  const recorded = await client.query<{ flavour: DatabaseFlavour }>('SELECT flavour FROM schema_migrations LIMIT 1');
  if (recorded.rows[0]) return recorded.rows[0].flavour;
  const available = await client.query(`SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb'`);
  if (available.rowCount === 0) return 'postgres';
  await client.query('CREATE EXTENSION IF NOT EXISTS timescaledb');
  return 'timescaledb';
}

export async function databaseFlavour(pool: Pool): Promise<DatabaseFlavour> {
  const r = await pool.query<{ flavour: DatabaseFlavour }>('SELECT flavour FROM schema_migrations LIMIT 1');
  return r.rows[0]?.flavour ?? 'postgres';
}
