import { beforeAll } from '@jest/globals';
import pg from 'pg';
import { migrate } from '../../apps/server/src/database/migrator.js';
import { MIGRATIONS_DIR } from '../../apps/server/src/paths.js';
import { TEST_DATABASE_URL } from './test-env.js';

// Applies every migration to the fresh test database before the first test of each file
// (idempotent and serialised by the migrator's advisory lock, so parallel workers are safe).
beforeAll(async () => {
  const pool = new pg.Pool({ connectionString: TEST_DATABASE_URL, max: 1 });
  try {
    await migrate(pool, MIGRATIONS_DIR);
  } finally {
    await pool.end();
  }
});
