import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { DataSource } from 'typeorm';
import { startTestApp, type TestApp } from '../../support/test-app.js';

jest.setTimeout(30_000);

/** The statements of a TypeORM schema sync that would change a table's columns (not its checks, keys or indexes). */
const COLUMN_CHANGE = /^(CREATE TABLE|ALTER TABLE \S+ (ADD "|DROP COLUMN|ALTER COLUMN|RENAME COLUMN))/;

/**
 * The TypeORM entities describe the tables that the SQL migrations create: every entity's table
 * exists, with the same columns (names, types, nullability, defaults). A schema sync is computed,
 * never run (the migrations are the one source of the schema); checks, unique keys, foreign keys
 * and indexes are the migrations' alone, so their "drops" are ignored.
 */
describe('TypeORM entities match the migrated tables', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ roles: ['api', 'ingest', 'scheduler'] });
  });
  afterAll(async () => {
    await t.close();
  });

  it('a schema sync would change no column of any entity', async () => {
    const dataSource = t.app.get(DataSource);
    const tables = dataSource.entityMetadatas.map((m) => m.tableName);
    expect(tables).toEqual(expect.arrayContaining(['care_teams', 'users', 'user_care_teams', 'patients', 'devices', 'audit_log']));
    const sync = await dataSource.driver.createSchemaBuilder().log();
    expect(sync.upQueries.map((q) => q.query).filter((q) => COLUMN_CHANGE.test(q))).toEqual([]);
  });
});
