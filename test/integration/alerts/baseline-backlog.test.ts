import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { addDays, lastCompleteNight, zonedEpoch } from '#rules';
import { AlertJobsService } from '../../../apps/server/src/alerts/alert-jobs.service.js';
import { RuleEvaluationService } from '../../../apps/server/src/alerts/rule-evaluation.service.js';
import { TrendRulesService } from '../../../apps/server/src/alerts/trend-rules.service.js';
import { startTestApp, type TestApp } from '../../support/test-app.js';
import { alertsOf } from './alert-fixtures.js';

jest.setTimeout(30_000);

const TZ = 'Europe/Paris';

/**
 * oximetry.baseline is a daily rule run by the scheduler for the last complete day. A device that
 * was offline uploads its backlog later: the day it holds was evaluated before its data existed.
 * The rules hand such late days back to the baseline rule (CONTRACT.md §3: a backlog uploaded
 * late raises the alerts it contains).
 */
describe('oximetry.baseline for a day uploaded late', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ roles: ['api', 'scheduler'], env: { SCHEDULER_ESCALATION_SECONDS: '3600', SCHEDULER_SILENCE_SECONDS: '86400', SCHEDULER_NIGHTLY_SECONDS: '86400' } });
  });
  afterAll(async () => {
    await t.close();
  });

  it('raises the alert of an abnormal day three days back once its samples arrive, not before', async () => {
    const { patient, device } = await t.ctx.newTeamWithPatient();
    const now = Date.now();
    const late = addDays(lastCompleteNight(now, TZ), -3);
    // 14 baseline days before it (92/94 %, 78/82 /min), the late day itself (90 %, 84 /min), and
    // normal days after it up to yesterday: the nightly run of today sees nothing abnormal.
    for (let i = -14; i <= 3; i++) {
      const bucket = new Date(zonedEpoch(addDays(late, i), 23, TZ));
      const [spo2, pulse] = i === 0 ? [90, 84] : Math.abs(i) % 2 ? [92, 78] : [94, 82];
      await t.pool.query(
        `INSERT INTO readings_hourly (patient_id, metric, bucket, min_value, max_value, sum_value, n)
         VALUES ($1, 'spo2', $2, $3::float8, $3::float8, $3::float8 * 3600, 3600), ($1, 'pulseRate', $2, $4::float8, $4::float8, $4::float8 * 3600, 3600)`,
        [patient.id, bucket, spo2, pulse],
      );
    }
    await t.app.get(AlertJobsService).runNightly(new Date(now), { patientIds: [patient.id] });
    expect(await alertsOf(t.pool, patient.id, 'oximetry.baseline')).toEqual([]);

    // The backlog's samples reach the rules after their commit, dated on the late day.
    const at = zonedEpoch(late, 23, TZ);
    await t.app.get(RuleEvaluationService).evaluate(
      [{ deviceId: device.deviceId, patientId: patient.id, kind: 'oximeter', samples: [0, 1, 2].map((k) => ({ at: at + k * 1000, values: { spo2: 90, pulseRate: 84 }, signalOk: true })), sessions: [] }],
      now,
    );
    expect(await t.app.get(TrendRulesService).flushLateDays()).toBeGreaterThanOrEqual(1);
    const [alert] = await alertsOf(t.pool, patient.id, 'oximetry.baseline');
    expect(alert).toMatchObject({ status: 'open', severity: 'warning', threshold: 1 });
  });

  it('leaves live samples of the current day alone', async () => {
    const { patient, device } = await t.ctx.newTeamWithPatient();
    const now = Date.now();
    await t.app.get(RuleEvaluationService).evaluate(
      [{ deviceId: device.deviceId, patientId: patient.id, kind: 'oximeter', samples: [{ at: now - 5000, values: { spo2: 95, pulseRate: 70 }, signalOk: true }], sessions: [] }],
      now,
    );
    const pending = (t.app.get(TrendRulesService) as unknown as { lateDays: Map<string, unknown> }).lateDays;
    expect(pending.has(patient.id)).toBe(false);
  });
});
