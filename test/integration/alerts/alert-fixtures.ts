import type pg from 'pg';
import type { AlertView } from '#domain';
import { AlertEventsHub, StoredReadingsHub, type AlertEventMessage } from '../../../apps/server/src/events/event-hubs.js';
import type { StoredDeviceBatch, StoredSample, StoredSession } from '../../../apps/server/src/events/stored-readings.js';
import type { TestApp } from '../../support/test-app.js';

export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;

/** One sample per second from `start`, `count` samples with the same values. */
export function samples(start: number, count: number, values: StoredSample['values'], signalOk = true): StoredSample[] {
  return Array.from({ length: count }, (_, i) => ({ at: start + i * SECOND, values: { ...values }, signalOk }));
}

/** Stores samples in the readings table the way ingestion does (one row per metric value). */
export async function insertReadings(pool: pg.Pool, deviceId: string, patientId: string, list: StoredSample[]): Promise<void> {
  const devices: string[] = [];
  const metrics: string[] = [];
  const times: Date[] = [];
  const values: number[] = [];
  const oks: boolean[] = [];
  for (const s of list) {
    for (const [metric, value] of Object.entries(s.values)) {
      devices.push(deviceId);
      metrics.push(metric);
      times.push(new Date(s.at));
      values.push(value as number);
      oks.push(s.signalOk);
    }
  }
  await pool.query(
    `INSERT INTO readings (device_id, metric, time, patient_id, value, signal_ok)
     SELECT d, m, t, $6::uuid, v, ok FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::float8[], $5::bool[]) AS x(d, m, t, v, ok)
     ON CONFLICT DO NOTHING`,
    [devices, metrics, times, values, oks, patientId],
  );
}

export async function insertSessions(pool: pg.Pool, deviceId: string, patientId: string, sessions: StoredSession[]): Promise<void> {
  for (const s of sessions) {
    await pool.query(
      `INSERT INTO night_sessions (device_id, start_at, end_at, patient_id, usage_hours, leak_p95, ahi, resp_rate_median)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING`,
      [deviceId, new Date(s.start), new Date(s.end), patientId, s.values.usageHours ?? null, s.values.leakP95 ?? null, s.values.ahi ?? null, s.values.respRateMedian ?? null],
    );
  }
}

/** What ingestion does after its commit: store, then publish the device batch on the hub. */
export async function ingest(
  t: TestApp,
  device: { deviceId: string; kind?: 'oximeter' | 'ventilator' },
  patientId: string,
  list: StoredSample[],
  sessions: StoredSession[] = [],
): Promise<void> {
  await insertReadings(t.pool, device.deviceId, patientId, list);
  await insertSessions(t.pool, device.deviceId, patientId, sessions);
  const batch: StoredDeviceBatch = { deviceId: device.deviceId, patientId, kind: device.kind ?? 'oximeter', samples: list, sessions };
  await t.app.get(StoredReadingsHub).publish([batch]);
}

export interface AlertRowLite {
  id: string;
  rule: string;
  status: string;
  severity: string;
  occurrences: number;
  started_at: Date;
  value: number | null;
  threshold: number | null;
  resolution: string | null;
  news2_spo2_score: number | null;
  escalated: boolean;
  device_id: string | null;
}

export async function alertsOf(pool: pg.Pool, patientId: string, rule?: string): Promise<AlertRowLite[]> {
  const { rows } = await pool.query<AlertRowLite>(
    `SELECT id::text AS id, rule, status, severity, occurrences, started_at, value, threshold, resolution, news2_spo2_score, escalated, device_id
       FROM alerts WHERE patient_id = $1 AND ($2::text IS NULL OR rule = $2) ORDER BY alerts.id`,
    [patientId, rule ?? null],
  );
  return rows;
}

export async function eventsOf(pool: pg.Pool, alertId: string): Promise<string[]> {
  const { rows } = await pool.query<{ kind: string }>(`SELECT kind FROM alert_events WHERE alert_id = $1 ORDER BY id`, [alertId]);
  return rows.map((r) => r.kind);
}

/** Records the console messages of one patient, and whether each alert was committed when it was published. */
export function recordAlertEvents(t: TestApp, patientId: string): { messages: AlertEventMessage[]; committed: boolean[]; stop: () => void } {
  const messages: AlertEventMessage[] = [];
  const committed: boolean[] = [];
  const stop = t.app.get(AlertEventsHub).subscribe(async (m) => {
    if (m.alert.patientId !== patientId) return;
    messages.push(m);
    // Seen from another connection: only true if the transition was committed before publishing.
    const { rows } = await t.pool.query(`SELECT 1 FROM alert_events WHERE id = $1`, [m.eventId]);
    committed.push(rows.length === 1);
  });
  return { messages, committed, stop };
}

export const kinds = (messages: { kind: string; alert: AlertView }[]) => messages.map((m) => `${m.kind} ${m.alert.rule}`);
