import mqtt, { type MqttClient } from 'mqtt';
import { randomUUID } from 'node:crypto';
import { readingsTopic, statusTopic, type ReadingsPayload } from '#protocol';
import { IngestService } from '../../../apps/server/src/ingest/ingest.service.js';
import { eventually, startTestApp, type TestApp } from '../../support/test-app.js';
import { TEST_MQTT_URL } from '../../support/test-env.js';

/** An app with only the ingest role, consuming once all its connections are up. */
export async function startIngestApp(env: Record<string, string> = {}): Promise<TestApp> {
  const t = await startTestApp({ roles: ['ingest'], env: { INGEST_BATCH_MAX_DELAY_MS: '10', ...env } });
  const service = t.app.get(IngestService);
  const expected = t.config.mqtt.sharedSubscriptions ? t.config.ingest.connections : 1;
  await eventually(async () => service.connectedCount === expected, 15000);
  // Subscriptions are sent right after CONNACK; give the broker a moment to register them.
  await new Promise((r) => setTimeout(r, 300));
  return t;
}

/** A device-like publisher (QoS 1). */
export async function connectPublisher(url = TEST_MQTT_URL): Promise<MqttClient> {
  return mqtt.connectAsync(url, { clientId: `test-pub-${randomUUID().slice(0, 8)}`, protocolVersion: 5, reconnectPeriod: 0 });
}

export async function publishReadings(client: MqttClient, deviceId: string, payload: ReadingsPayload | string): Promise<void> {
  await client.publishAsync(readingsTopic(deviceId), typeof payload === 'string' ? payload : JSON.stringify(payload), { qos: 1 });
}

export async function publishStatus(client: MqttClient, deviceId: string, payload: unknown): Promise<void> {
  await client.publishAsync(statusTopic(deviceId), JSON.stringify(payload), { qos: 1 });
}

/** Minute-aligned recent times (epoch ms), oldest first. */
export function recentTimes(count: number, stepMs = 1000, endAgoMs = 60_000): number[] {
  const end = Math.floor((Date.now() - endAgoMs) / 1000) * 1000;
  return Array.from({ length: count }, (_, i) => end - (count - 1 - i) * stepMs);
}

export async function readingsOf(t: TestApp, deviceId: string): Promise<{ metric: string; ms: number; value: number; signal_ok: boolean; patient_id: string }[]> {
  const { rows } = await t.pool.query(
    `SELECT metric, (extract(epoch from time) * 1000)::float8 AS ms, value, signal_ok, patient_id
       FROM readings WHERE device_id = $1 ORDER BY time, metric`,
    [deviceId],
  );
  return rows.map((r) => ({ ...r, ms: Number(r.ms) }));
}

export async function countReadings(t: TestApp, deviceId: string): Promise<number> {
  const { rows } = await t.pool.query(`SELECT count(*)::int AS n FROM readings WHERE device_id = $1`, [deviceId]);
  return rows[0].n;
}

/**
 * The distinct dead letters of a device, in order. Distinct: on the shared broker, the ingest app
 * of another test file running at the same time (its own share group, same test database) may
 * record the same message too (with a detail computed at its own receive time).
 */
export async function rejectionsOf(t: TestApp, deviceId: string): Promise<{ reason: string; detail: string | null; excerpt: string | null; topic: string }[]> {
  const { rows } = await t.pool.query(
    `SELECT reason, min(detail) AS detail, excerpt, topic FROM rejections WHERE device_id = $1
      GROUP BY reason, excerpt, topic ORDER BY min(id)`,
    [deviceId],
  );
  return rows;
}

export { eventually };

/** The value of one sample line of /metrics (`name` or `name{labels}`), 0 when absent. */
export async function metricValue(t: TestApp, series: string): Promise<number> {
  const text = await (await fetch(`${t.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}
