/**
 * The thresholds what-if (CONTRACT.md §7) against the live engine: a scenario published over MQTT
 * to the Jest worker's Mosquitto is stored and evaluated live (roles ingest + api); the preview of
 * the same settings on the stored data gives the same alerts at the same times, a lower SpO2
 * threshold fewer, and bad input a stable 4xx.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import mqtt, { type MqttClient } from 'mqtt';
import { TEST_MQTT_URL } from '../../support/test-env.js';
import { api, eventually, startTestApp, type TestApp } from '../../support/test-app.js';
import { alertsOf, HOUR, SECOND } from './alert-fixtures.js';

jest.setTimeout(60_000);

interface Preview {
  from: string;
  to: string;
  days: number;
  current: Record<string, number>;
  proposed: Record<string, number>;
  alerts: { current: { rule: string; startedAt: string; raisedAt: string }[]; proposed: { rule: string; startedAt: string; raisedAt: string }[] };
}
interface ErrorBody {
  error: { code: string };
}

/** [SpO2, seconds] segments at 1 Hz, pulse 80. */
function scenario(start: number, segments: [number, number][]) {
  const out: { at: number; spo2: number; pulseRate: number }[] = [];
  let t = start;
  for (const [spo2, seconds] of segments) for (let i = 0; i < seconds; i++, t += SECOND) out.push({ at: t, spo2, pulseRate: 80 });
  return out;
}

describe('POST /api/patients/:id/thresholds/preview', () => {
  let t: TestApp;
  const clients: MqttClient[] = [];
  beforeAll(async () => {
    t = await startTestApp({ roles: ['ingest', 'api'] });
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.endAsync().catch(() => undefined)));
    await t.close();
  });

  it('replays the stored data as the live engine did: same alerts, same times; a lower SpO2 threshold previews fewer', async () => {
    const { patient, device, physician } = await t.ctx.newTeamWithPatient(); // hypercapnic: spo2.low < 88 % for 5 min
    const client = await mqtt.connectAsync(TEST_MQTT_URL, {
      clientId: device.deviceId,
      username: device.deviceId,
      password: device.secret,
      protocolVersion: 4,
      reconnectPeriod: 0,
    });
    clients.push(client);
    const T = Math.floor((Date.now() - 2 * HOUR) / 1000) * 1000;
    // Three desaturations (86, 85, 87 % for 400 s), each followed by 200 s at 95 % (clears after 120 s).
    const all = scenario(T, [
      [95, 60],
      [86, 400],
      [95, 200],
      [85, 400],
      [95, 200],
      [87, 400],
      [95, 200],
    ]);
    for (let i = 0; i < all.length; i += 100) {
      const samples = all.slice(i, i + 100).map((s) => ({ ...s, at: s.at }));
      await client.publishAsync(`tm/v1/devices/${device.deviceId}/readings`, JSON.stringify({ v: 1, seq: i, samples }), { qos: 1 });
    }
    const live = await eventually(async () => {
      const rows = await alertsOf(t.pool, patient.id, 'spo2.low');
      return rows.length === 3 && rows.every((a) => a.status === 'resolved') ? rows : undefined;
    }, 30_000);
    const liveStarts = live.map((a) => a.started_at.toISOString()).sort();
    const allLive = await alertsOf(t.pool, patient.id);

    const same = await api<Preview>(t.url, 'POST', `/api/patients/${patient.id}/thresholds/preview`, physician.token, {});
    expect(same.status).toBe(200);
    expect(same.body.days).toBe(30);
    expect(same.body.current['spo2.low']).toBe(3);
    expect(same.body.proposed['spo2.low']).toBe(3);
    expect(same.body.alerts.current.filter((a) => a.rule === 'spo2.low').map((a) => a.startedAt)).toEqual(liveStarts);
    // Every rule: the preview counts what the live engine raised.
    const liveByRule: Record<string, number> = {};
    for (const a of allLive) liveByRule[a.rule] = (liveByRule[a.rule] ?? 0) + a.occurrences;
    for (const [rule, n] of Object.entries(same.body.current)) expect([rule, n]).toEqual([rule, liveByRule[rule] ?? 0]);

    // spo2.low below 86 %: only the 85 % desaturation meets it.
    const lower = await api<Preview>(t.url, 'POST', `/api/patients/${patient.id}/thresholds/preview`, physician.token, {
      'spo2.low': { threshold: 86 },
      days: 7,
    });
    expect(lower.status).toBe(200);
    expect(lower.body.current['spo2.low']).toBe(3);
    expect(lower.body.proposed['spo2.low']).toBe(1);
    expect(lower.body.alerts.proposed.find((a) => a.rule === 'spo2.low')!.startedAt).toBe(liveStarts[1]);
    expect(Date.parse(lower.body.to) - Date.parse(lower.body.from)).toBe(7 * 24 * HOUR);

    // Saves nothing: the thresholds are unchanged, no alert was added; audited as a read.
    const thresholds = await api<{ overrides: object }>(t.url, 'GET', `/api/patients/${patient.id}/thresholds`, physician.token);
    expect(thresholds.body.overrides).toEqual({});
    expect((await alertsOf(t.pool, patient.id)).length).toBe(allLive.length);
    const audit = await t.pool.query(`SELECT details FROM audit_log WHERE action = 'thresholds.preview' AND patient_id = $1`, [patient.id]);
    expect(audit.rows.length).toBe(2);
  });

  it('more than 90 days is 400 RANGE_TOO_LARGE; invalid settings 400; another team or a nurse cannot preview', async () => {
    const mine = await t.ctx.newTeamWithPatient();
    const other = await t.ctx.newTeamWithPatient();
    const url = `/api/patients/${mine.patient.id}/thresholds/preview`;
    const tooLong = await api<ErrorBody>(t.url, 'POST', url, mine.physician.token, { days: 91 });
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.error.code).toBe('RANGE_TOO_LARGE');
    expect((await api(t.url, 'POST', url, mine.physician.token, { days: 90 })).status).toBe(200);
    for (const body of [{ days: 0 }, { days: 'thirty' }, { days: 2.5 }, { 'spo2.low': { threshold: 40 } }, { 'spo2.lowest': {} }, { 'spo2.critical': { threshold: 90 } }]) {
      const bad = await api<ErrorBody>(t.url, 'POST', url, mine.physician.token, body);
      expect([JSON.stringify(body), bad.status, bad.body.error.code]).toEqual([JSON.stringify(body), 400, 'VALIDATION_FAILED']);
    }
    expect((await api(t.url, 'POST', `/api/patients/${other.patient.id}/thresholds/preview`, mine.physician.token, {})).status).toBe(404);
    expect((await api(t.url, 'POST', url, mine.nurse.token, {})).status).toBe(403);
  });
});
