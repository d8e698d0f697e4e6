// Jest loads its global setup as CommonJS, outside the ESM test runtime: this file recreates
// the test database (migrations are applied by migrate-once.ts inside the runtime) and builds
// dist/ once, for the tests that run the product as real child processes (kill -9, restarts,
// several instances). TEST_SKIP_BUILD=1 skips the build when dist/ is known to be fresh.
const pg = require('pg');
const { execFileSync } = require('node:child_process');
const { join } = require('node:path');

module.exports = async function globalSetup() {
  const adminUrl = process.env.TEST_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const name = process.env.TEST_DB_NAME ?? 'tm_test';
  if (!/^[a-z0-9_]+$/.test(name)) throw new Error('TEST_DB_NAME must be [a-z0-9_]+');
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  if (process.env.TEST_SKIP_BUILD !== '1') {
    const root = join(__dirname, '..', '..');
    execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], {
      cwd: root,
      stdio: 'inherit',
    });
  }
};
