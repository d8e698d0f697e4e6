import { afterAll, describe, expect, it } from '@jest/globals';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startChildApp, waitForHttpOk, type ChildApp } from '../support/child-app.js';

// `npm start` with no DATABASE_URL / MQTT_URL: embedded PostgreSQL and broker, migrations,
// ready on /health within 60 s; a restart keeps the data (CONTRACT.md §5, issue 2 §5).
describe('embedded start (no database or broker configured)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tm-embedded-'));
  // As root, PostgreSQL runs as the postgres user, who must be able to enter the directory.
  chmodSync(dataDir, 0o755);
  const env = {
    EMBEDDED_DATA_DIR: dataDir,
    EMBEDDED_PG_PORT: '55491',
    EMBEDDED_MQTT_PORT: '18891',
    PORT: '13091',
    DEMO: 'false',
    BOOTSTRAP_ADMIN_USERNAME: 'first.admin',
    BOOTSTRAP_ADMIN_PASSWORD: 'first-admin-password',
  };
  let app: ChildApp | undefined;

  afterAll(async () => {
    await app?.kill('SIGTERM');
    rmSync(dataDir, { recursive: true, force: true });
  }, 30000);

  it('starts, answers ready within 60 s, and keeps its data across a restart', async () => {
    app = startChildApp(env);
    await waitForHttpOk('http://127.0.0.1:13091/health', 60000, app).catch((err: Error) => {
      throw new Error(`${err.message}\n${app?.output()}`);
    });
    const login = await fetch('http://127.0.0.1:13091/api/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'first.admin', password: 'first-admin-password' }),
    });
    expect(login.status).toBe(200);
    expect(await app.kill('SIGTERM')).toBe(0);

    // Second start: same data directory, no bootstrap variables: the admin is still there.
    app = startChildApp({ ...env, BOOTSTRAP_ADMIN_USERNAME: '', BOOTSTRAP_ADMIN_PASSWORD: '' });
    await waitForHttpOk('http://127.0.0.1:13091/health', 60000, app);
    const again = await fetch('http://127.0.0.1:13091/api/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'first.admin', password: 'first-admin-password' }),
    });
    expect(again.status).toBe(200);
  }, 150000);
});
