import { afterAll, describe, expect, it, jest } from '@jest/globals';
import { startChildApp, waitForHttpOk, type ChildApp } from '../../support/child-app.js';
import { TEST_DATABASE_URL, TEST_JWT_SECRET, TEST_MQTT_URL } from '../../support/test-env.js';

// The project-level testTimeout of jest.config.js is not applied (Jest 30): set it here.
jest.setTimeout(60_000);

const PORT = 13094;

/** What the child wrote to stdout alone (ChildApp.output() mixes in stderr). */
function collectStdout(app: ChildApp): () => string {
  let text = '';
  app.proc.stdout!.on('data', (d: Buffer) => (text += d.toString('utf8')));
  return () => text;
}

// One logger for the whole process (README, "Logs"): in production every line a collector reads
// is one JSON object, from the first start-up step (before the Nest application exists) to the
// shutdown, Nest's own messages and the HTTP request logs included.
describe('log output of the product in production (NODE_ENV=production, child process)', () => {
  let app: ChildApp | undefined;

  afterAll(async () => {
    await app?.kill('SIGKILL');
  });

  it('is one JSON object per stdout line, from the first start-up step to the shutdown', async () => {
    app = startChildApp({
      NODE_ENV: 'production',
      // Required in production for the API's absolute links (docs/security.md "HTTP surface").
      PUBLIC_BASE_URL: `http://127.0.0.1:${PORT}`,
      DATABASE_URL: TEST_DATABASE_URL,
      MQTT_URL: TEST_MQTT_URL,
      // The worker's test broker is anonymous: production starts on it only when told to, and
      // its warning must be a JSON line too.
      MQTT_INSECURE: 'true',
      JWT_SECRET: TEST_JWT_SECRET,
      // No ingest: this process must not consume the worker broker's messages of other tests.
      ROLES: 'api',
      PORT: String(PORT),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
    });
    const stdout = collectStdout(app);
    await waitForHttpOk(`http://127.0.0.1:${PORT}/health`, 45_000, app).catch((err: Error) => {
      throw new Error(`${err.message}\n${app?.output()}`);
    });
    expect((await fetch(`http://127.0.0.1:${PORT}/api/patients`)).status).toBe(401);
    await app.kill('SIGTERM');

    const lines = stdout().split('\n').filter((l) => l.trim() !== '');
    const notJson = lines.filter((l) => {
      try {
        const entry: unknown = JSON.parse(l);
        return typeof entry !== 'object' || entry === null || Array.isArray(entry);
      } catch {
        return true;
      }
    });
    expect(notJson).toEqual([]);
    const entries = lines.map((l) => JSON.parse(l) as { level: number; time: number; msg?: string; context?: string; req?: { url?: string } });
    for (const e of entries) expect([typeof e.level, typeof e.time]).toEqual(['number', 'number']);
    const has = (context: string, msg: RegExp) => entries.some((e) => e.context === context && msg.test(e.msg ?? ''));
    expect(has('Bootstrap', /^database schema up to date/)).toBe(true); // before the Nest application
    expect(has('NestApplication', /successfully started/)).toBe(true); // Nest's own logger
    expect(has('Bootstrap', /^API on http:\/\/localhost:13094\/api/)).toBe(true);
    expect(entries.some((e) => e.req?.url === '/api/patients')).toBe(true); // pino-http
    expect(has('Bootstrap', /^SIGTERM: shutting down$/)).toBe(true);
  });
});
