import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { parseDeviceTopic, parseReadingsPayload } from '#protocol';
import { verifySecret } from '../../../apps/server/src/auth/password.js';
import { startEmbeddedBroker } from '../../../apps/server/src/infrastructure/embedded-broker.js';
import type { SyncResult } from '../../../apps/server/src/console/console-events.js';
import { DEMO_PATIENTS } from '../../../apps/server/src/demo/demo-data.js';
import { connectConsole } from '../../support/console-support.js';
import { api, eventually, startTestApp, type TestApp } from '../../support/test-app.js';
import { TEST_DATABASE_URL } from '../../support/test-env.js';
import pg from 'pg';

jest.setTimeout(60000);

/** Starts the app in demo mode and returns it with what it printed. */
async function startDemo(env: Record<string, string>): Promise<{ app: TestApp; printed: string }> {
  let printed = '';
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    printed += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
    return true;
  });
  try {
    const app = await startTestApp({ roles: ['api'], env: { DEMO: 'true', ...env } });
    await eventually(async () => printed.includes('Nurse console:'), 10000, 20);
    return { app, printed };
  } finally {
    spy.mockRestore();
  }
}

const passwordOf = (printed: string, username: string) => new RegExp(`${username.replace('.', '\\.')}\\s+(\\S+)`).exec(printed)?.[1];

describe('demo mode', () => {
  const apps: TestApp[] = [];
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((a) => a.close()));
  });

  it('seeds the demo team idempotently, prints new passwords and the console address at each start', async () => {
    const first = await startDemo({ DEMO_SIMULATOR: 'false' });
    apps.push(first.app);
    const port = new URL(first.app.url).port;
    expect(first.printed).toContain(`http://localhost:${port}/console`);
    const nursePassword = passwordOf(first.printed, 'nurse.demo')!;
    for (const u of ['nurse.demo', 'dr.demo', 'admin.demo']) expect(passwordOf(first.printed, u)).toMatch(/^[A-Za-z0-9_-]{16}$/);

    const snapshot = async (pool: pg.Pool) =>
      (
        await pool.query(
          `SELECT t.id AS team, array_agg(DISTINCT p.id::text ORDER BY p.id::text) AS patients, array_agg(DISTINCT d.device_id ORDER BY d.device_id) AS devices
             FROM care_teams t JOIN patients p ON p.care_team_id = t.id JOIN devices d ON d.patient_id = p.id
            WHERE t.name = 'Demo team' GROUP BY t.id`,
        )
      ).rows;
    const before = await snapshot(first.app.pool);
    expect(before).toHaveLength(1);
    expect(before[0].patients).toHaveLength(DEMO_PATIENTS.length);
    expect(before[0].devices).toHaveLength(DEMO_PATIENTS.flatMap((p) => p.devices).length);
    // Only hashes are stored.
    const stored = await first.app.pool.query(`SELECT password_hash FROM users WHERE username = 'nurse.demo'`);
    expect(stored.rows[0].password_hash).toMatch(/^\$argon2id\$/);
    expect(JSON.stringify(stored.rows)).not.toContain(nursePassword);

    // The demo nurse signs in and opens the console on the demo team.
    const login = await api<{ accessToken: string }>(first.app.url, 'POST', '/api/auth/login', undefined, { username: 'nurse.demo', password: nursePassword });
    expect(login.status).toBe(200);
    const c = await connectConsole(first.app.url, login.body.accessToken);
    const sync = await c.request<SyncResult>('alerts.sync');
    expect(sync.hasMore).toBe(false);
    c.close();
    await first.app.close();
    apps.length = 0;

    const second = await startDemo({ DEMO_SIMULATOR: 'false' });
    apps.push(second.app);
    expect(await snapshot(second.app.pool)).toEqual(before);
    const newPassword = passwordOf(second.printed, 'nurse.demo')!;
    expect(newPassword).not.toBe(nursePassword);
    expect((await api(second.app.url, 'POST', '/api/auth/login', undefined, { username: 'nurse.demo', password: nursePassword })).status).toBe(401);
    expect((await api(second.app.url, 'POST', '/api/auth/login', undefined, { username: 'nurse.demo', password: newPassword })).status).toBe(200);
  });

  describe('with the simulator', () => {
    let broker: Awaited<ReturnType<typeof startEmbeddedBroker>>;
    let pool: pg.Pool;
    const accepted = new Map<string, boolean>();
    const received = new Map<string, string[]>();

    beforeAll(async () => {
      pool = new pg.Pool({ connectionString: TEST_DATABASE_URL, max: 2 });
      broker = await startEmbeddedBroker({
        port: 18871,
        hooks: {
          // Checks each demo device's password against the hash the demo stored.
          authenticate: (client, username, password, done) => {
            if (!username?.includes('-DEMO-')) return done(null, true);
            void pool.query(`SELECT secret_hash FROM devices WHERE device_id = $1`, [username]).then(async ({ rows }) => {
              const ok = rows[0] ? await verifySecret(rows[0].secret_hash, password?.toString() ?? '') : false;
              accepted.set(username, ok && client.id === username);
              done(null, ok);
            });
          },
        },
      });
      broker.broker.on('publish', (packet) => {
        const topic = parseDeviceTopic(packet.topic);
        if (topic?.channel !== 'readings') return;
        received.set(topic.deviceId, [...(received.get(topic.deviceId) ?? []), packet.payload.toString()]);
      });
    });
    afterAll(async () => {
      await broker?.stop();
      await pool?.end();
    });

    it('publishes contract-valid readings for every demo device with its own credentials', async () => {
      const demo = await startDemo({ MQTT_URL: broker.url });
      apps.push(demo.app);
      const deviceIds = DEMO_PATIENTS.flatMap((p) => p.devices.map((d) => d.deviceId));
      await eventually(async () => deviceIds.every((id) => received.has(id)), 15000);
      for (const id of deviceIds) {
        expect(accepted.get(id)).toBe(true);
        const parsed = parseReadingsPayload(received.get(id)![0]!, { nowMs: Date.now(), backfillHorizonMs: 30 * 86_400_000, futureSkewMs: 300_000 });
        expect(parsed.ok && parsed.rejected.length === 0).toBe(true);
      }
    });
  });
});
