import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ALERT_ENTITIES } from '../../../apps/server/src/alerts/alert.entities.js';
import { TEST_DATABASE_URL } from '../../support/test-env.js';
import { standaloneDatabase, type StandaloneDatabase } from '../../support/transaction-runner.js';

// TypeORM's names of the column types the entities use → PostgreSQL's (information_schema.data_type).
const PG_TYPE: Record<string, string> = {
  uuid: 'uuid',
  text: 'text',
  bigint: 'bigint',
  integer: 'integer',
  smallint: 'smallint',
  boolean: 'boolean',
  jsonb: 'jsonb',
  'double precision': 'double precision',
  timestamptz: 'timestamp with time zone',
};

/**
 * The migrations are the one source of the schema (no synchronize): the alert entities must
 * describe the tables they create, column for column: name, type, nullability, primary key.
 */
describe('alert entities match the tables of the migrations', () => {
  let db: StandaloneDatabase;
  beforeAll(async () => {
    db = await standaloneDatabase(TEST_DATABASE_URL, 1);
  });
  afterAll(async () => {
    await db?.close();
  });

  it.each(ALERT_ENTITIES.map((e) => [e.name, e] as const))('%s', async (_name, entity) => {
    const meta = db.dataSource.getMetadata(entity);
    const { rows } = await db.pool.query<{ column_name: string; data_type: string; is_nullable: 'YES' | 'NO' }>(
      `SELECT column_name, data_type, is_nullable FROM information_schema.columns
        WHERE table_schema = current_schema() AND table_name = $1 ORDER BY column_name`,
      [meta.tableName],
    );
    const { rows: pk } = await db.pool.query<{ column_name: string }>(
      `SELECT a.attname AS column_name FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
        WHERE i.indrelid = $1::regclass AND i.indisprimary ORDER BY 1`,
      [meta.tableName],
    );
    expect(rows.length).toBeGreaterThan(0);
    const mapped = meta.columns
      .map((c) => ({ column_name: c.databaseName, data_type: PG_TYPE[String(c.type)] ?? `unmapped ${String(c.type)}`, is_nullable: c.isNullable ? 'YES' : 'NO' }))
      .sort((x, y) => x.column_name.localeCompare(y.column_name));
    expect(mapped).toEqual([...rows].sort((x, y) => x.column_name.localeCompare(y.column_name)));
    expect(meta.primaryColumns.map((c) => c.databaseName).sort()).toEqual(pk.map((r) => r.column_name));
  });
});
