import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { MqttClient } from 'mqtt';
import { MAX_PAYLOAD_BYTES, readingsTopic, type RejectionReason } from '#protocol';
import type { TestApp } from '../../support/test-app.js';
import {

  connectPublisher,
  countReadings,
  eventually,
  metricValue,
  publishReadings,
  publishStatus,
  recentTimes,
  rejectionsOf,
  startIngestApp,
} from './ingest-support.js';

// The project-level testTimeout of jest.config.js is not applied (Jest 30): set it here.
jest.setTimeout(60_000);

const now = () => Date.now() - 60_000;

/** Messages rejected whole: nothing stored, one dead letter with the reason. */
const WHOLE_MESSAGE: [RejectionReason, () => string][] = [
  ['malformed-json', () => '{"v":1,"samples":[{"at":'],
  ['malformed-message', () => '[1,2,3]'],
  ['malformed-message', () => JSON.stringify({ v: 1, samples: { at: now(), spo2: 90 } })],
  ['unsupported-version', () => JSON.stringify({ v: 2, samples: [{ at: now(), spo2: 90 }] })],
  ['too-many-samples', () => JSON.stringify({ v: 1, samples: Array.from({ length: 1001 }, (_, i) => ({ at: now() - i * 1000, spo2: 90 })) })],
  ['payload-too-large', () => JSON.stringify({ v: 1, samples: [{ at: now(), spo2: 90 }], pad: 'x'.repeat(MAX_PAYLOAD_BYTES) })],
];

/** One bad sample (or session) among good ones: only it is rejected. */
const ONE_ITEM: [RejectionReason, Record<string, unknown> | unknown[]][] = [
  ['unknown-field', { at: 0, spo2: 90, heartRate: 80 }],
  ['out-of-range', { at: 0, spo2: 140 }],
  ['out-of-range', { at: 0, pulseRate: 10 }],
  ['bad-value', { at: 0, spo2: '93' }],
  ['bad-value', { at: 0, spo2: 93, signalOk: 'yes' }],
  ['bad-timestamp', { at: '23/11/2026 03:10', spo2: 90 }],
  ['bad-timestamp', { at: '2026-11-23T03:10:00', spo2: 90 }],
  ['timestamp-in-future', { at: 'future', spo2: 90 }],
  ['timestamp-too-old', { at: 'old', spo2: 90 }],
  ['empty-sample', { at: 0, signalOk: true }],
  ['malformed-sample', [1, 2]],
];

describe('rejected input is recorded, counted and acknowledged (real Mosquitto and PostgreSQL)', () => {
  let t: TestApp;
  let pub: MqttClient;
  beforeAll(async () => {
    t = await startIngestApp({ INGEST_DEVICE_CACHE_TTL_MS: '1000' });
    pub = await connectPublisher();
  });
  afterAll(async () => {
    await pub?.endAsync();
    await t?.close();
  });

  it.each(WHOLE_MESSAGE)('rejects a whole message as %s and records it with an excerpt', async (reason, payload) => {
    const { device } = await t.ctx.newTeamWithPatient();
    const counted = await metricValue(t, `tm_ingest_rejections_total{reason="${reason}"}`);
    await publishReadings(pub, device.deviceId, payload());
    const rows = await eventually(async () => {
      const r = await rejectionsOf(t, device.deviceId);
      return r.length > 0 ? r : undefined;
    });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ reason, topic: readingsTopic(device.deviceId) });
    expect(rows[0]!.excerpt!.length).toBeGreaterThan(0);
    expect(rows[0]!.excerpt!.length).toBeLessThanOrEqual(513);
    expect(await countReadings(t, device.deviceId)).toBe(0);
    expect(await metricValue(t, `tm_ingest_rejections_total{reason="${reason}"}`)).toBeGreaterThanOrEqual(counted + 1);
  });

  it.each(ONE_ITEM)('rejects one sample as %s and stores the rest of the message', async (reason, bad) => {
    const { device } = await t.ctx.newTeamWithPatient();
    const [a, b] = recentTimes(2);
    const badSample = Array.isArray(bad)
      ? bad
      : { ...bad, at: bad.at === 'future' ? Date.now() + 3_600_000 : bad.at === 'old' ? Date.now() - 40 * 86_400_000 : bad.at === 0 ? a! + 500 : bad.at };
    await publishReadings(pub, device.deviceId, JSON.stringify({ v: 1, samples: [{ at: a, spo2: 95 }, badSample, { at: b, spo2: 96, pulseRate: 70 }] }));
    const rows = await eventually(async () => {
      const r = await rejectionsOf(t, device.deviceId);
      return r.length > 0 ? r : undefined;
    });
    expect(rows).toEqual([{ reason, topic: readingsTopic(device.deviceId), detail: expect.stringMatching(/^samples\[1\]: /), excerpt: JSON.stringify(badSample) }]);
    await eventually(async () => (await countReadings(t, device.deviceId)) === 3);
  });

  it('rejects sessions from a device that is neither a ventilator nor a concentrator, and a malformed session, keeping the samples', async () => {
    const { device } = await t.ctx.newTeamWithPatient();
    const start = Date.now() - 10 * 3_600_000;
    await publishReadings(pub, device.deviceId, { v: 1, samples: [{ at: start, spo2: 92 }], sessions: [{ start, end: start + 3_600_000, usageHours: 1 }] });
    const rows = await eventually(async () => {
      const r = await rejectionsOf(t, device.deviceId);
      return r.length > 0 ? r : undefined;
    });
    expect(rows).toMatchObject([{ reason: 'bad-session', detail: 'sessions[0]: sessions are accepted from ventilators and concentrators only' }]);
    await eventually(async () => (await countReadings(t, device.deviceId)) === 1);

    const team = await t.ctx.newCareTeam();
    const vent = await t.ctx.newDevice((await t.ctx.newPatient(team.id)).id, 'ventilator');
    await publishReadings(pub, vent.deviceId, JSON.stringify({ v: 1, sessions: [{ start, end: start - 1000, ahi: 3 }, { start, end: start + 1000, ahi: 300 }] }));
    const ventRows = await eventually(async () => {
      const r = await rejectionsOf(t, vent.deviceId);
      return r.length === 2 ? r : undefined;
    });
    expect(ventRows.map((r) => r.reason)).toEqual(['bad-session', 'out-of-range']);
  });

  it('records a message with many bad samples in a bounded number of rows but counts every one', async () => {
    const { device } = await t.ctx.newTeamWithPatient();
    const counted = await metricValue(t, 'tm_ingest_rejections_total{reason="out-of-range"}');
    const samples = recentTimes(300).map((at) => ({ at, spo2: 150 }));
    await publishReadings(pub, device.deviceId, { v: 1, samples });
    const rows = await eventually(async () => {
      const r = await rejectionsOf(t, device.deviceId);
      return r.length > 0 ? r : undefined;
    });
    expect(rows).toHaveLength(101);
    expect(rows[100]!.detail).toBe('200 more rejected items: out-of-range x200');
    expect(await metricValue(t, 'tm_ingest_rejections_total{reason="out-of-range"}')).toBe(counted + 300);
  });

  it('rejects a message from an unknown device (deviceId from the topic only)', async () => {
    const { device } = await t.ctx.newTeamWithPatient();
    const unknown = `OX-unknown-${Date.now()}`;
    // The payload cannot claim another (registered) device: there is no such field.
    await publishReadings(pub, unknown, JSON.stringify({ v: 1, deviceId: device.deviceId, samples: [{ at: now(), spo2: 90 }] }));
    await publishStatus(pub, unknown, { online: true });
    const rows = await eventually(async () => {
      const r = await rejectionsOf(t, unknown);
      return r.length === 2 ? r : undefined;
    });
    expect(rows.map((r) => r.reason)).toEqual(['unknown-device', 'unknown-device']);
    expect(await countReadings(t, unknown)).toBe(0);
    expect(await countReadings(t, device.deviceId)).toBe(0);
  });

  it('rejects a deactivated device within seconds of its deactivation', async () => {
    const { device } = await t.ctx.newTeamWithPatient();
    await publishReadings(pub, device.deviceId, { v: 1, samples: [{ at: now(), spo2: 90 }] });
    await eventually(async () => (await countReadings(t, device.deviceId)) === 1);
    await t.pool.query(`UPDATE devices SET active = false WHERE device_id = $1`, [device.deviceId]);
    // The cache is refreshed every TTL/2 (500 ms here): within a few seconds new messages are refused.
    const started = Date.now();
    await eventually(async () => {
      await publishReadings(pub, device.deviceId, { v: 1, samples: [{ at: now() - Math.floor(Math.random() * 1e6), spo2: 91 }] });
      return (await rejectionsOf(t, device.deviceId)).some((r) => r.reason === 'inactive-device');
    }, 10_000, 200);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('records a topic that does not carry a valid device id as bad-topic', async () => {
    const topic = `tm/v1/devices/x${Date.now() % 10}!/readings`;
    await pub.publishAsync(topic, '{"v":1}', { qos: 1 });
    const rows = await eventually(async () => {
      const { rows: r } = await t.pool.query(`SELECT DISTINCT device_id, reason FROM rejections WHERE topic = $1`, [topic]);
      return r.length > 0 ? r : undefined;
    });
    expect(rows).toEqual([{ device_id: null, reason: 'bad-topic' }]);
  });

  it('rejects a malformed status as bad-status', async () => {
    const { device } = await t.ctx.newTeamWithPatient();
    await publishStatus(pub, device.deviceId, { online: 'yes' });
    await publishStatus(pub, device.deviceId, { online: true, battery: 140 });
    const rows = await eventually(async () => {
      const r = await rejectionsOf(t, device.deviceId);
      return r.length === 2 ? r : undefined;
    });
    expect(rows.map((r) => r.reason)).toEqual(['bad-status', 'bad-status']);
  });
});
