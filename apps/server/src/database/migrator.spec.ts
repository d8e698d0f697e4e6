import { describe, expect, it } from '@jest/globals';
import { listMigrations, parseMigrationFileName } from './migrator.js';
import { MIGRATIONS_DIR } from '../paths.js';

describe('migration files', () => {
  it.each([
    ['20261123150000_initial-schema.sql', { version: '20261123150000', name: 'initial-schema', flavour: 'all' }],
    ['20261123150100_rollup.timescaledb.sql', { version: '20261123150100', name: 'rollup', flavour: 'timescaledb' }],
    ['20261123150100_rollup.postgres.sql', { version: '20261123150100', name: 'rollup', flavour: 'postgres' }],
  ])('parses %s', (file, expected) => {
    expect(parseMigrationFileName(file, '/m')).toMatchObject(expected);
  });

  it.each(['1_x.sql', '20261123150000_Bad_Name.sql', '20261123150000_x.mysql.sql'])('rejects %s', (file) => {
    expect(parseMigrationFileName(file, '/m')).toBeUndefined();
  });

  it('every file in migrations/ is well named, and versions are unique per flavour', async () => {
    const all = await listMigrations(MIGRATIONS_DIR);
    expect(all.length).toBeGreaterThan(0);
    const keys = all.map((m) => `${m.version}:${m.flavour}`);
    expect(new Set(keys).size).toBe(keys.length);
  });
});
