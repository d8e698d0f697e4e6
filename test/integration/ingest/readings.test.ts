import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { MqttClient } from 'mqtt';
import { StoredReadingsHub } from '../../../apps/server/src/events/event-hubs.js';
import type { StoredDeviceBatch } from '../../../apps/server/src/events/stored-readings.js';
import type { TestApp } from '../../support/test-app.js';
import {

  connectPublisher,
  countReadings,
  eventually,
  metricValue,
  publishReadings,
  readingsOf,
  recentTimes,
  startIngestApp,
} from './ingest-support.js';

// The project-level testTimeout of jest.config.js is not applied (Jest 30): set it here.
jest.setTimeout(60_000);

describe('ingestion of readings (real Mosquitto and PostgreSQL)', () => {
  let t: TestApp;
  let pub: MqttClient;
  /** Everything the rules were handed, per device. */
  const handed = new Map<string, StoredDeviceBatch[]>();
  beforeAll(async () => {
    t = await startIngestApp();
    t.app.get(StoredReadingsHub).subscribe(async (batches) => {
      for (const b of batches) handed.set(b.deviceId, [...(handed.get(b.deviceId) ?? []), b]);
    });
    pub = await connectPublisher();
  });
  afterAll(async () => {
    await pub?.endAsync();
    await t?.close();
  });

  it('stores every metric of every sample with its own time, patient and signal flag', async () => {
    const { patient, device } = await t.ctx.newTeamWithPatient();
    const [a, b] = recentTimes(2);
    await publishReadings(pub, device.deviceId, {
      v: 1,
      seq: 1,
      samples: [
        { at: new Date(a!).toISOString(), spo2: 93, pulseRate: 78, perfusionIndex: 2.1, signalOk: true },
        { at: b!, spo2: 91.5, pulseRate: 80, signalOk: false },
      ],
    });
    const rows = await eventually(async () => {
      const r = await readingsOf(t, device.deviceId);
      return r.length === 5 ? r : undefined;
    });
    expect(rows).toEqual([
      { metric: 'perfusionIndex', ms: a, value: 2.1, signal_ok: true, patient_id: patient.id },
      { metric: 'pulseRate', ms: a, value: 78, signal_ok: true, patient_id: patient.id },
      { metric: 'spo2', ms: a, value: 93, signal_ok: true, patient_id: patient.id },
      { metric: 'pulseRate', ms: b, value: 80, signal_ok: false, patient_id: patient.id },
      { metric: 'spo2', ms: b, value: 91.5, signal_ok: false, patient_id: patient.id },
    ]);
    const seen = await eventually(async () => {
      const { rows: d } = await t.pool.query(`SELECT last_seen_at FROM devices WHERE device_id = $1`, [device.deviceId]);
      return d[0].last_seen_at as Date | null;
    });
    expect(Math.abs(seen.getTime() - Date.now())).toBeLessThan(30_000);
  });

  it('stores a duplicate (same device, metric, time) once, and the hourly rollup counts it once', async () => {
    const { patient, device } = await t.ctx.newTeamWithPatient();
    const before = await metricValue(t, 'tm_ingest_readings_duplicate_total');
    // Four samples in one clock hour (the rollup bucket), an hour ago.
    const hour = Math.floor((Date.now() - 3_600_000) / 3_600_000) * 3_600_000;
    const samples = [0, 1, 2, 3].map((i) => ({ at: hour + i * 60_000, spo2: 90 + i }));
    await publishReadings(pub, device.deviceId, { v: 1, samples: samples.slice(0, 3) });
    await eventually(async () => (await countReadings(t, device.deviceId)) === 3);
    // The same message again (a redelivery), then one overlapping the first.
    await publishReadings(pub, device.deviceId, { v: 1, samples: samples.slice(0, 3) });
    await publishReadings(pub, device.deviceId, { v: 1, samples: samples.slice(1, 4) });
    await eventually(async () => (await metricValue(t, 'tm_ingest_readings_duplicate_total')) >= before + 5);
    expect(await countReadings(t, device.deviceId)).toBe(4);
    const flavour = (await t.pool.query(`SELECT flavour FROM schema_migrations LIMIT 1`)).rows[0].flavour;
    if (flavour === 'postgres') {
      const { rows } = await t.pool.query(
        `SELECT min_value, max_value, sum_value, n::int AS n FROM readings_hourly WHERE patient_id = $1 AND metric = 'spo2'`,
        [patient.id],
      );
      expect(rows).toEqual([{ min_value: 90, max_value: 93, sum_value: 90 + 91 + 92 + 93, n: 4 }]);
    }
  });

  it('stores a late, out-of-order backlog and hands it to the rules in time order', async () => {
    const { device } = await t.ctx.newTeamWithPatient();
    // Live samples first, then last night's backlog, itself in reverse order.
    const night = recentTimes(200, 60_000, 8 * 3_600_000);
    const live = recentTimes(5, 1000, 10_000);
    await publishReadings(pub, device.deviceId, { v: 1, samples: live.map((at) => ({ at, spo2: 95 })) });
    await publishReadings(pub, device.deviceId, { v: 1, samples: [...night].reverse().map((at, i) => ({ at, spo2: 85 + (i % 10), pulseRate: 60 })) });
    await eventually(async () => (await countReadings(t, device.deviceId)) === 5 + 400);
    const batches = await eventually(async () => {
      const b = handed.get(device.deviceId) ?? [];
      return b.reduce((n, x) => n + x.samples.length, 0) === 205 ? b : undefined;
    });
    for (const batch of batches) {
      const times = batch.samples.map((s) => s.at);
      expect(times).toEqual([...times].sort((x, y) => x - y));
      expect(batch.kind).toBe('oximeter');
    }
    const all = batches.flatMap((b) => b.samples.map((s) => s.at)).sort((x, y) => x - y);
    expect(all).toEqual([...night, ...live]);
  });

  it('stores ventilation sessions once, in the same commit as the samples', async () => {
    const team = await t.ctx.newCareTeam();
    const patient = await t.ctx.newPatient(team.id);
    const vent = await t.ctx.newDevice(patient.id, 'ventilator');
    const start = Math.floor((Date.now() - 12 * 3_600_000) / 1000) * 1000;
    const session = { start, end: start + 8 * 3_600_000, usageHours: 8, leakP95: 22, ahi: 3.1, respRateMedian: 17 };
    const payload = { v: 1 as const, samples: [{ at: start + 60_000, respRate: 16, leak: 12 }], sessions: [session] };
    await publishReadings(pub, vent.deviceId, payload);
    await publishReadings(pub, vent.deviceId, payload);
    await eventually(async () => (await countReadings(t, vent.deviceId)) === 2);
    const sessions = await eventually(async () => {
      const { rows } = await t.pool.query(
        `SELECT (extract(epoch from start_at) * 1000)::float8 AS start, usage_hours, leak_p95, ahi, resp_rate_median, tidal_volume_median, patient_id
           FROM night_sessions WHERE device_id = $1`,
        [vent.deviceId],
      );
      return rows.length > 0 ? rows : undefined;
    });
    expect(sessions).toEqual([
      { start, usage_hours: 8, leak_p95: 22, ahi: 3.1, resp_rate_median: 17, tidal_volume_median: null, patient_id: patient.id },
    ]);
    const handedSessions = await eventually(async () => {
      // An empty list is truthy: wait for the session itself.
      const sessions = (handed.get(vent.deviceId) ?? []).flatMap((b) => b.sessions);
      return sessions.length > 0 ? sessions : undefined;
    });
    expect(handedSessions[0]).toEqual({ start, end: start + 8 * 3_600_000, values: { usageHours: 8, leakP95: 22, ahi: 3.1, respRateMedian: 17 } });
  });

  it('counts messages, stored samples and batches in the metrics', async () => {
    const { device } = await t.ctx.newTeamWithPatient();
    const received = await metricValue(t, 'tm_ingest_messages_received_total{channel="readings"}');
    const accepted = await metricValue(t, 'tm_ingest_samples_accepted_total');
    // Stored by this app, or found already stored (another test file's app on the shared broker may be first).
    const rows = async () => (await metricValue(t, 'tm_ingest_readings_stored_total')) + (await metricValue(t, 'tm_ingest_readings_duplicate_total'));
    const rowsBefore = await rows();
    await publishReadings(pub, device.deviceId, { v: 1, samples: recentTimes(10).map((at) => ({ at, spo2: 96, pulseRate: 70 })) });
    await eventually(async () => (await metricValue(t, 'tm_ingest_samples_accepted_total')) >= accepted + 10);
    expect(await rows()).toBeGreaterThanOrEqual(rowsBefore + 20);
    expect(await metricValue(t, 'tm_ingest_messages_received_total{channel="readings"}')).toBeGreaterThanOrEqual(received + 1);
    expect(await metricValue(t, 'tm_ingest_batch_rows_count')).toBeGreaterThan(0);
    expect(await metricValue(t, 'tm_ingest_commit_seconds_count')).toBeGreaterThan(0);
    expect(await metricValue(t, 'tm_ingest_ack_seconds_count')).toBeGreaterThan(0);
  });
});

describe('ingestion on one connection (arrival order = publish order)', () => {
  let t: TestApp;
  let pub: MqttClient;
  const handed: StoredDeviceBatch[] = [];
  beforeAll(async () => {
    t = await startIngestApp({ INGEST_CONNECTIONS: '1', INGEST_BATCH_MAX_ROWS: '50' });
    t.app.get(StoredReadingsHub).subscribe(async (batches) => void handed.push(...batches));
    pub = await connectPublisher();
  });
  afterAll(async () => {
    await pub?.endAsync();
    await t?.close();
  });

  it('hands successive batches of a device to the rules in order, each sorted', async () => {
    const { device } = await t.ctx.newTeamWithPatient();
    const times = recentTimes(300, 1000, 60_000);
    const messages = 10;
    const per = times.length / messages;
    // Ten messages, each internally reversed; the publisher does not wait for each PUBACK.
    await Promise.all(
      Array.from({ length: messages }, (_, m) =>
        publishReadings(pub, device.deviceId, { v: 1, seq: m, samples: times.slice(m * per, (m + 1) * per).reverse().map((at) => ({ at, spo2: 94 })) }),
      ),
    );
    const handedCount = () => handed.filter((b) => b.deviceId === device.deviceId).reduce((n, b) => n + b.samples.length, 0);
    await eventually(async () => handedCount() >= 300).catch(async (err: Error) => {
      throw new Error(`${err.message}: ${handedCount()} samples handed, ${await countReadings(t, device.deviceId)} stored`);
    });
    const mine = handed.filter((b) => b.deviceId === device.deviceId);
    expect(mine.length).toBeGreaterThan(1); // batches of at most 50 rows
    expect(mine.flatMap((b) => b.samples.map((s) => s.at))).toEqual(times);
  });
});
