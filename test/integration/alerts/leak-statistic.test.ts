/**
 * niv.leak as the LATM states it, end to end on the Jest worker's Mosquitto and PostgreSQL: the
 * physician chooses the 24 h median (or mean) and the run of consecutive days; the ventilator's
 * sessions carry leakMedian / leakMean, or only leak samples come and the median is computed.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import mqtt, { type MqttClient } from 'mqtt';
import { addDays, lastCompleteNight, nightEnd, SETTLE_HOURS, zonedEpoch } from '#rules';
import { AlertJobsService } from '../../../apps/server/src/alerts/alert-jobs.service.js';
import { TEST_MQTT_URL } from '../../support/test-env.js';
import { api, eventually, startTestApp, type TestApp } from '../../support/test-app.js';
import { alertsOf, HOUR, MINUTE } from './alert-fixtures.js';

jest.setTimeout(60_000);

const TZ = 'Europe/Paris';

describe('niv.leak on the 24 h median (physician setting)', () => {
  let t: TestApp;
  const clients: MqttClient[] = [];
  beforeAll(async () => {
    t = await startTestApp({ roles: ['ingest', 'api'] });
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.endAsync().catch(() => undefined)));
    await t.close();
  });

  const last = () => lastCompleteNight(Date.now(), TZ);

  async function ventilatedPatient(leak: Record<string, unknown>) {
    const { physician, patient } = await t.ctx.newTeamWithPatient();
    const vent = await t.ctx.newDevice(patient.id, 'ventilator');
    const put = await api(t.url, 'PUT', `/api/patients/${patient.id}/thresholds`, physician.token, { 'niv.leak': leak });
    expect(put.status).toBe(200);
    const client = await mqtt.connectAsync(TEST_MQTT_URL, { clientId: vent.deviceId, username: vent.deviceId, password: vent.secret, protocolVersion: 4, reconnectPeriod: 0 });
    clients.push(client);
    const publish = (payload: unknown) => client.publishAsync(`tm/v1/devices/${vent.deviceId}/readings`, JSON.stringify(payload), { qos: 1 });
    const stored = async () => (await t.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM night_sessions WHERE device_id = $1`, [vent.deviceId])).rows[0]!.n;
    return { physician, patient, publish, stored };
  }

  /** One 8 h session per night ending with the last complete night; P95 always low (10 L/min). */
  const nights = (fields: Record<string, number>[]) =>
    fields.map((f, i) => {
      const start = zonedEpoch(addDays(last(), i - (fields.length - 1)), 22, TZ);
      return { start: new Date(start).toISOString(), end: new Date(start + 8 * HOUR).toISOString(), usageHours: 8, leakP95: 10, ...f };
    });

  it("raises on 3 consecutive days of the sessions' leakMedian above 24 L/min, not on 2", async () => {
    const three = await ventilatedPatient({ statistic: 'median' });
    await three.publish({ v: 1, sessions: nights([{ leakMedian: 12 }, { leakMedian: 30 }, { leakMedian: 31 }, { leakMedian: 32 }]) });
    const alert = await eventually(async () => (await alertsOf(t.pool, three.patient.id, 'niv.leak'))[0]);
    expect(alert).toMatchObject({ status: 'open', severity: 'warning', value: 32, threshold: 24 });
    const { rows } = await t.pool.query(`SELECT message FROM alerts WHERE id = $1`, [alert.id]);
    expect(rows[0].message).toBe('Leak median (24 h) above 24 L/min on 3 consecutive nights (last 32 L/min)');

    const two = await ventilatedPatient({ statistic: 'median' });
    await two.publish({ v: 1, sessions: nights([{ leakMedian: 30 }, { leakMedian: 12 }, { leakMedian: 30 }, { leakMedian: 31 }]) });
    await eventually(async () => (await two.stored()) === 4);
    await t.app.get(AlertJobsService).runNightly(new Date(nightEnd(last(), TZ) + (SETTLE_HOURS + 1) * HOUR), { patientIds: [two.patient.id] });
    expect(await alertsOf(t.pool, two.patient.id, 'niv.leak')).toEqual([]);
  });

  it('computes the median from the leak samples when the sessions do not carry it; without a choice the P95 rules', async () => {
    // Sessions without leakMedian; per night 5 leak samples with a median of 28 L/min (mean 40).
    const samples = (values: number[]) =>
      [0, 1, 2].flatMap((back) => {
        const start = zonedEpoch(addDays(last(), -back), 23, TZ);
        return values.map((v, i) => ({ at: start + i * MINUTE, leak: v }));
      });
    const payload = { v: 1, sessions: nights([{}, {}, {}]), samples: samples([20, 25, 28, 60, 67]) };
    const median = await ventilatedPatient({ statistic: 'median', consecutiveNights: 3 });
    await median.publish(payload);
    const alert = await eventually(async () => (await alertsOf(t.pool, median.patient.id, 'niv.leak'))[0]);
    expect(alert).toMatchObject({ status: 'open', value: 28 });

    // The default (P95 of the sessions, 10 L/min): nothing.
    const p95 = await ventilatedPatient({});
    await p95.publish(payload);
    await eventually(async () => (await p95.stored()) === 3);
    await t.app.get(AlertJobsService).runNightly(new Date(nightEnd(last(), TZ) + (SETTLE_HOURS + 1) * HOUR), { patientIds: [p95.patient.id] });
    expect(await alertsOf(t.pool, p95.patient.id, 'niv.leak')).toEqual([]);
  });

  it('validates the choice: 400 with a stable code, nothing saved', async () => {
    const { physician, patient } = await t.ctx.newTeamWithPatient();
    for (const leak of [{ statistic: 'median', consecutiveNights: 2 }, { statistic: 'mean', consecutiveNights: 8 }, { statistic: 'max' }]) {
      const res = await api<{ error: { code: string } }>(t.url, 'PUT', `/api/patients/${patient.id}/thresholds`, physician.token, { 'niv.leak': leak });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('VALIDATION_FAILED');
    }
    const view = await api<{ effective: Record<string, Record<string, unknown>> }>(t.url, 'GET', `/api/patients/${patient.id}/thresholds`, physician.token);
    expect(view.body.effective['niv.leak']).toEqual({ enabled: true, threshold: 24, consecutiveNights: 3, statistic: 'p95' });
  });
});
