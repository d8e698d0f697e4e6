/**
 * GET /api/alerts/:id/evidence (CONTRACT.md §7): the settings in force when the rules raised the
 * alert (recorded on its event), the statistic, the window and the samples that met the rule, and
 * the rule's clinical source; 404 outside the caller's teams.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { RULE_CATALOGUE } from '#domain';
import { api, startTestApp, type TestApp } from '../../support/test-app.js';
import { alertsOf, HOUR, ingest, SECOND } from './alert-fixtures.js';
import type { StoredSample } from '../../../apps/server/src/events/stored-readings.js';

jest.setTimeout(30_000);

interface Evidence {
  rule: string;
  parameters: Record<string, unknown> | null;
  statistic: { value: number; threshold: number; unit: string; comparison: string };
  window: { from: string; to: string };
  sampleKind: string;
  metric: string;
  samples: { at: string; value: number }[];
  source: string;
}

describe('GET /api/alerts/:id/evidence', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ roles: ['api'] });
  });
  afterAll(async () => {
    await t.close();
  });

  it('shows the parameters in force when raised, the window and only samples that met the rule', async () => {
    const { patient, device, nurse, physician } = await t.ctx.newTeamWithPatient(); // hypercapnic
    const put = await api(t.url, 'PUT', `/api/patients/${patient.id}/thresholds`, physician.token, { 'spo2.low': { threshold: 89, durationSeconds: 120 } });
    expect(put.status).toBe(200);
    const T = Math.floor((Date.now() - 2 * HOUR) / 1000) * 1000;
    // 60 s at 95 %, then 200 s between 85 and 88 % (all < 89), then 200 s at 95 %.
    const list: StoredSample[] = [];
    for (let i = 0; i < 460; i++) {
      const spo2 = i < 60 || i >= 260 ? 95 : 85 + (i % 4);
      list.push({ at: T + i * SECOND, values: { spo2, pulseRate: 80 }, signalOk: true });
    }
    await ingest(t, device, patient.id, list);
    const [alert] = await alertsOf(t.pool, patient.id, 'spo2.low');
    expect(alert).toBeDefined();

    // The physician changes the threshold afterwards: the evidence keeps the one in force then.
    await api(t.url, 'PUT', `/api/patients/${patient.id}/thresholds`, physician.token, { 'spo2.low': { threshold: 86 } });

    const res = await api<Evidence>(t.url, 'GET', `/api/alerts/${alert!.id}/evidence`, nurse.token);
    expect(res.status).toBe(200);
    const e = res.body;
    expect(e.rule).toBe('spo2.low');
    expect(e.parameters).toMatchObject({ threshold: 89, durationSeconds: 120, enabled: true });
    expect(e.statistic).toMatchObject({ value: 85, threshold: 89, unit: '%', comparison: '<' });
    expect(e.window.from).toBe(new Date(T + 60 * SECOND).toISOString());
    expect(e.source).toBe(RULE_CATALOGUE['spo2.low'].source);
    expect(e.sampleKind).toBe('readings');
    expect(e.metric).toBe('spo2');
    // Raised after 120 s of the run: at least the 121 samples of the run up to the raise.
    expect(e.samples.length).toBeGreaterThanOrEqual(121);
    for (const s of e.samples) {
      expect(s.value).toBeLessThan(89);
      expect(Date.parse(s.at)).toBeGreaterThanOrEqual(Date.parse(e.window.from));
      expect(Date.parse(s.at)).toBeLessThanOrEqual(Date.parse(e.window.to));
    }
    const audit = await t.pool.query(`SELECT 1 FROM audit_log WHERE action = 'alert.evidence' AND target_id = $1`, [alert!.id]);
    expect(audit.rows.length).toBe(1);
  });

  it('is 404 outside the caller’s teams and for an unknown alert', async () => {
    const mine = await t.ctx.newTeamWithPatient();
    const other = await t.ctx.newTeamWithPatient();
    const T = Math.floor((Date.now() - 3 * HOUR) / 1000) * 1000;
    await ingest(t, other.device, other.patient.id, Array.from({ length: 70 }, (_, i) => ({ at: T + i * SECOND, values: { spo2: 80 }, signalOk: true })));
    const [alert] = await alertsOf(t.pool, other.patient.id, 'spo2.critical');
    expect((await api(t.url, 'GET', `/api/alerts/${alert!.id}/evidence`, mine.nurse.token)).status).toBe(404);
    expect((await api(t.url, 'GET', `/api/alerts/${alert!.id}/evidence`, other.physician.token)).status).toBe(200);
    expect((await api(t.url, 'GET', `/api/alerts/999999999999/evidence`, mine.nurse.token)).status).toBe(404);
  });
});
