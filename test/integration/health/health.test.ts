import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import pg from 'pg';
import { startOwnBroker, type OwnBroker } from '../../support/own-broker.js';
import { createScratchDatabase, type ScratchDatabase } from '../../support/scratch-db.js';
import { api, eventually, startTestApp, type TestApp } from '../../support/test-app.js';
import { PG_ADMIN_URL } from '../../support/test-env.js';

// The project-level testTimeout of jest.config.js is not applied (Jest 30): set it here.
jest.setTimeout(60_000);

/** A port of this file's own Mosquitto (no other test uses it). */
const BROKER_PORT = 19341;

interface Component {
  status: 'up' | 'down';
  [key: string]: unknown;
}
type HealthBody =
  | { status: 'ok'; details: Record<string, Component> }
  | { error: { code: string; message: string; details: Record<string, Component> } };

async function admin(sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: PG_ADMIN_URL });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

/**
 * CONTRACT.md §5: GET /health is 200 `{ status: "ok" }` once the database and the broker are
 * reachable, 503 otherwise, naming what is down; and 200 again, by itself, once they are back.
 * A database and a broker of this file's own, so that cutting them disturbs no other test.
 */
describe('GET /health when the database or the broker is unreachable', () => {
  let db: ScratchDatabase;
  let broker: OwnBroker;
  let t: TestApp;
  const health = () => api<HealthBody>(t.url, 'GET', '/health');
  const healthIs = (status: number) =>
    eventually(async () => {
      const res = await health();
      return res.status === status ? res.body : undefined;
    }, 20_000, 100);
  const closeDatabase = () =>
    admin(`ALTER DATABASE ${db.name} ALLOW_CONNECTIONS false`).then(() =>
      admin(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${db.name}'`),
    );
  const openDatabase = () => admin(`ALTER DATABASE ${db.name} ALLOW_CONNECTIONS true`);

  beforeAll(async () => {
    db = await createScratchDatabase('health');
    broker = await startOwnBroker({ port: BROKER_PORT });
    t = await startTestApp({ roles: ['api'], env: { DATABASE_URL: db.url, MQTT_URL: broker.url } });
  }, 60_000);

  afterAll(async () => {
    await t?.close();
    await broker?.dispose();
    if (db) {
      await openDatabase();
      await db.drop();
    }
  }, 60_000);

  it('is 200 with both up', async () => {
    expect(await healthIs(200)).toMatchObject({
      status: 'ok',
      details: { database: { status: 'up' }, broker: { status: 'up' } },
    });
  });

  it('is 503 naming the database while it refuses connections, then 200 again', async () => {
    await healthIs(200);
    await closeDatabase();
    try {
      expect(await healthIs(503)).toEqual({
        error: {
          code: 'SERVICE_UNAVAILABLE',
          message: 'not ready: database down',
          details: { database: { status: 'down', reachable: false }, broker: { status: 'up' } },
        },
      });
    } finally {
      await openDatabase();
    }
    expect(await healthIs(200)).toMatchObject({ status: 'ok', details: { database: { status: 'up' } } });
  });

  it('is 503 naming the broker while it is stopped, then 200 again once it is back', async () => {
    await healthIs(200);
    await broker.stop();
    try {
      expect(await healthIs(503)).toEqual({
        error: {
          code: 'SERVICE_UNAVAILABLE',
          message: 'not ready: broker down',
          details: { database: { status: 'up' }, broker: { status: 'down' } },
        },
      });
    } finally {
      await broker.start();
    }
    // The probe reconnects by itself (every 2 s).
    expect(await healthIs(200)).toMatchObject({ status: 'ok', details: { broker: { status: 'up' } } });
  });

  it('is 503 naming both when both are down', async () => {
    await healthIs(200);
    await broker.stop();
    await closeDatabase();
    try {
      const body = await healthIs(503);
      expect(body).toMatchObject({ error: { code: 'SERVICE_UNAVAILABLE', message: 'not ready: database, broker down' } });
      expect(body).toMatchObject({ error: { details: { database: { status: 'down' }, broker: { status: 'down' } } } });
    } finally {
      await openDatabase();
      await broker.start();
    }
    await healthIs(200);
  });
});
