import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import mqtt from 'mqtt';
import { randomUUID } from 'node:crypto';
import { readingsTopic, statusTopic } from '#protocol';
import { startEmbeddedBroker } from '../../../apps/server/src/infrastructure/embedded-broker.js';
import type { TestApp } from '../../support/test-app.js';
import { countReadings, eventually, recentTimes, startIngestApp } from './ingest-support.js';

// The project-level testTimeout of jest.config.js is not applied (Jest 30): set it here.
jest.setTimeout(60_000);

/** The demo's embedded broker (aedes: MQTT 3.1.1, no shared subscriptions), on a port of the ingest tests' own range. */
const PORT = 18853;

describe('ingestion against the embedded aedes broker (one plain subscription, MQTT 3.1.1)', () => {
  let broker: Awaited<ReturnType<typeof startEmbeddedBroker>>;
  let t: TestApp | undefined;
  const env = {
    MQTT_URL: `mqtt://127.0.0.1:${PORT}`,
    MQTT_SHARED_SUBSCRIPTIONS: 'false',
    MQTT_PROTOCOL_VERSION: '4',
    INGEST_CLIENT_ID_PREFIX: `tm-aedes-${randomUUID().slice(0, 8)}`,
  };
  beforeAll(async () => {
    broker = await startEmbeddedBroker({ port: PORT });
  });
  afterAll(async () => {
    await t?.close();
    await broker?.stop();
  });

  it('stores readings and statuses, and gets what was published while it was stopped', async () => {
    t = await startIngestApp(env);
    const { device } = await t.ctx.newTeamWithPatient();
    const pub = await mqtt.connectAsync(env.MQTT_URL, { protocolVersion: 4, reconnectPeriod: 0 });
    try {
      const [a, b] = recentTimes(2);
      await pub.publishAsync(readingsTopic(device.deviceId), JSON.stringify({ v: 1, samples: [{ at: a, spo2: 93 }] }), { qos: 1 });
      await pub.publishAsync(statusTopic(device.deviceId), JSON.stringify({ online: true, battery: 42 }), { qos: 1 });
      await eventually(async () => (await countReadings(t!, device.deviceId)) === 1);
      await eventually(async () => (await t!.pool.query(`SELECT battery FROM devices WHERE device_id = $1`, [device.deviceId])).rows[0].battery === 42);

      // Stopped, the session persists (clean: false): aedes queues for it, the restart drains it.
      await t.close();
      t = undefined;
      await pub.publishAsync(readingsTopic(device.deviceId), JSON.stringify({ v: 1, samples: [{ at: b, spo2: 94 }] }), { qos: 1 });
      t = await startIngestApp(env);
      await eventually(async () => (await countReadings(t!, device.deviceId)) === 2);
    } finally {
      await pub.endAsync();
    }
    expect(t.config.mqtt.sharedSubscriptions).toBe(false);
  });
});
