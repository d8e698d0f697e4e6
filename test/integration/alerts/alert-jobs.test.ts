import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { addDays, lastCompleteNight, lastSettledNight, nightEnd, zonedEpoch, type RuleDecision } from '#rules';
import { AlertDecisionService } from '../../../apps/server/src/alerts/alert-decision.service.js';
import { AlertJobsService } from '../../../apps/server/src/alerts/alert-jobs.service.js';
import { TrendRulesService } from '../../../apps/server/src/alerts/trend-rules.service.js';
import { SchedulerService } from '../../../apps/server/src/scheduler/scheduler.service.js';
import { startTestApp, type TestApp } from '../../support/test-app.js';
import { alertsOf, eventsOf, HOUR, ingest, kinds, MINUTE, recordAlertEvents, samples } from './alert-fixtures.js';

// Creating users (argon2) and apps is slow on a loaded machine: the jest default of 5 s is too short.
jest.setTimeout(30_000);

const TZ = 'Europe/Paris';

describe('scheduled jobs: escalation, silent devices, nightly rules', () => {
  let t: TestApp;
  let jobs: AlertJobsService;
  beforeAll(async () => {
    // The scheduler role starts the timers too; the periods are long so that only our direct calls run.
    t = await startTestApp({ roles: ['api', 'scheduler'], env: { SCHEDULER_ESCALATION_SECONDS: '3600', SCHEDULER_SILENCE_SECONDS: '86400', SCHEDULER_NIGHTLY_SECONDS: '86400' } });
    jobs = t.app.get(AlertJobsService);
  });
  afterAll(async () => {
    await t.close();
  });

  async function raise(patientId: string, rule: RuleDecision['rule'], severity: RuleDecision['severity']): Promise<string> {
    const now = Date.now();
    await t.app.get(AlertDecisionService).apply(
      { patientId, deviceId: null, profile: 'hypercapnic' },
      { kind: 'raise', rule, severity, startedAt: now - MINUTE, at: now, value: 1, threshold: 1, message: 'test', news2Spo2Score: null },
    );
    return (await alertsOf(t.pool, patientId, rule))[0]!.id;
  }

  describe('escalation of unacknowledged alerts', () => {
    it('escalates a critical alert after 15 min and pushes it to the patient physicians', async () => {
      const { patient, physician } = await t.ctx.newTeamWithPatient();
      const rec = recordAlertEvents(t, patient.id);
      const id = await raise(patient.id, 'spo2.critical', 'critical');
      const scope = { patientIds: [patient.id] };
      expect(await jobs.escalateDue(new Date(Date.now() + 14 * MINUTE), scope)).toEqual([]);
      expect(await jobs.escalateDue(new Date(Date.now() + 16 * MINUTE), scope)).toEqual([id]);
      expect(await jobs.escalateDue(new Date(Date.now() + 30 * MINUTE), scope)).toEqual([]); // once
      expect((await alertsOf(t.pool, patient.id))[0]!.escalated).toBe(true);
      expect(await eventsOf(t.pool, id)).toEqual(['raised', 'escalated']);
      const escalation = rec.messages.find((m) => m.kind === 'escalated')!;
      expect(escalation).toMatchObject({ event: 'alert.updated', physicianIds: [physician.id], alert: { id, escalated: true } });
      const audit = await t.pool.query(`SELECT 1 FROM audit_log WHERE action = 'alert.escalate' AND target_id = $1`, [id]);
      expect(audit.rowCount).toBe(1);
      rec.stop();
    });

    it('escalates a warning after 4 h, never an info, never an acknowledged alert', async () => {
      const { patient, nurse } = await t.ctx.newTeamWithPatient();
      const warning = await raise(patient.id, 'niv.leak', 'warning');
      const info = await raise(patient.id, 'device.silent', 'info');
      const acked = await raise(patient.id, 'spo2.critical', 'critical');
      const res = await fetch(`${t.url}/api/alerts/${acked}/ack`, { method: 'POST', headers: { authorization: `Bearer ${nurse.token}` } });
      expect(res.status).toBe(200);
      const scope = { patientIds: [patient.id] };
      expect(await jobs.escalateDue(new Date(Date.now() + 3 * HOUR), scope)).toEqual([]);
      expect(await jobs.escalateDue(new Date(Date.now() + 5 * HOUR), scope)).toEqual([warning]);
      expect(await jobs.escalateDue(new Date(Date.now() + 100 * HOUR), scope)).toEqual([]);
      expect((await alertsOf(t.pool, patient.id)).filter((a) => a.escalated).map((a) => a.id)).toEqual([warning]);
      expect(info).toBeDefined();
    });
  });

  describe('device.silent', () => {
    it('info after 24 h, warning after 72 h (one alert), cleared when the device speaks again', async () => {
      const { patient, device } = await t.ctx.newTeamWithPatient();
      const rec = recordAlertEvents(t, patient.id);
      const heard = Date.now() - 2 * HOUR;
      await t.pool.query(`UPDATE devices SET last_seen_at = $2 WHERE device_id = $1`, [device.deviceId, new Date(heard)]);
      const scope = { patientIds: [patient.id] };
      expect(await jobs.checkSilentDevices(new Date(heard + 23 * HOUR), scope)).toEqual({ raised: 0, cleared: 0 });
      expect(await jobs.checkSilentDevices(new Date(heard + 25 * HOUR), scope)).toEqual({ raised: 1, cleared: 0 });
      expect(await jobs.checkSilentDevices(new Date(heard + 26 * HOUR), scope)).toEqual({ raised: 0, cleared: 0 });
      let [alert] = await alertsOf(t.pool, patient.id, 'device.silent');
      expect(alert).toMatchObject({ severity: 'info', status: 'open', device_id: device.deviceId, threshold: 24 });
      expect(await jobs.checkSilentDevices(new Date(heard + 73 * HOUR), scope)).toEqual({ raised: 1, cleared: 0 });
      const alerts = await alertsOf(t.pool, patient.id, 'device.silent');
      expect(alerts).toHaveLength(1);
      expect(alerts[0]).toMatchObject({ severity: 'warning', occurrences: 1, threshold: 72 });
      // The device is heard again: the next run clears it.
      await t.pool.query(`UPDATE devices SET last_seen_at = $2 WHERE device_id = $1`, [device.deviceId, new Date(heard + 74 * HOUR)]);
      expect(await jobs.checkSilentDevices(new Date(heard + 75 * HOUR), scope)).toEqual({ raised: 0, cleared: 1 });
      [alert] = await alertsOf(t.pool, patient.id, 'device.silent');
      expect(alert).toMatchObject({ status: 'resolved', resolution: 'cleared' });
      expect(kinds(rec.messages)).toEqual(['raised device.silent', 'severity device.silent', 'resolved device.silent']);
      rec.stop();
    });

    it('is cleared by the evaluation path as soon as the device sends readings', async () => {
      const { patient, device } = await t.ctx.newTeamWithPatient();
      await t.pool.query(`UPDATE devices SET last_seen_at = now() - interval '30 hours' WHERE device_id = $1`, [device.deviceId]);
      expect((await jobs.checkSilentDevices(new Date(), { patientIds: [patient.id] })).raised).toBe(1);
      await ingest(t, device, patient.id, samples(Date.now() - MINUTE, 5, { spo2: 95 }));
      expect((await alertsOf(t.pool, patient.id, 'device.silent'))[0]).toMatchObject({ status: 'resolved', resolution: 'cleared' });
    });

    it('leaves inactive devices alone', async () => {
      const { patient, device } = await t.ctx.newTeamWithPatient();
      await t.pool.query(`UPDATE devices SET active = false, last_seen_at = now() - interval '30 hours' WHERE device_id = $1`, [device.deviceId]);
      expect(await jobs.checkSilentDevices(new Date(), { patientIds: [patient.id] })).toEqual({ raised: 0, cleared: 0 });
    });
  });

  describe('nightly run', () => {
    it('counts a settled night without a session as 0 h for adherence, once the ventilator has sent a first session', async () => {
      const team = await t.ctx.newCareTeam();
      const patient = await t.ctx.newPatient(team.id);
      const vent = await t.ctx.newDevice(patient.id, 'ventilator');
      const now = Date.now();
      const last = lastSettledNight(now, TZ);
      // Sessions 6 and 5 nights ago (8 h); then nothing: 5 nights of 0 h within the last 7.
      const starts = [6, 5].map((back) => zonedEpoch(addDays(last, -back), 22, TZ));
      for (const start of starts) {
        await t.pool.query(
          `INSERT INTO night_sessions (device_id, start_at, end_at, patient_id, usage_hours) VALUES ($1, $2, $3, $4, 8)`,
          [vent.deviceId, new Date(start), new Date(start + 8 * HOUR), patient.id],
        );
      }
      // On arrival the missing nights are unknown (they may be in flight): no alert.
      await t.app.get(TrendRulesService).onSessions(patient.id, starts);
      expect(await alertsOf(t.pool, patient.id, 'niv.adherence')).toEqual([]);
      // An hour after the last night ended it is not settled: the night before it is evaluated (4 of 0 h).
      expect(await jobs.runNightly(new Date(nightEnd(last, TZ) + HOUR), { patientIds: [patient.id] })).toBeGreaterThanOrEqual(1);
      expect(await alertsOf(t.pool, patient.id, 'niv.adherence')).toMatchObject([{ status: 'open', value: 4 }]);
      await jobs.runNightly(new Date(now), { patientIds: [patient.id] });
      const [alert] = await alertsOf(t.pool, patient.id, 'niv.adherence');
      expect(alert).toMatchObject({ status: 'open', severity: 'warning', value: 5, threshold: 3 });
      // A rerun is the same episode: no new alert, no new event.
      await jobs.runNightly(new Date(now), { patientIds: [patient.id] });
      expect(await alertsOf(t.pool, patient.id, 'niv.adherence')).toHaveLength(1);
      expect(await eventsOf(t.pool, alert!.id)).toEqual(['raised']);
    });

    it('raises oximetry.baseline when the composite of SpO2 fall and pulse rise reaches 1 SD', async () => {
      const { patient } = await t.ctx.newTeamWithPatient();
      const now = Date.now();
      const day = lastCompleteNight(now, TZ);
      // 14 baseline days alternating 92/94 % and 78/82 /min, then a day at 90 % and 84 /min.
      for (let i = 0; i <= 14; i++) {
        const d = addDays(day, -i);
        const bucket = new Date(zonedEpoch(d, 23, TZ));
        const spo2 = i === 0 ? 90 : i % 2 ? 92 : 94;
        const pulse = i === 0 ? 84 : i % 2 ? 78 : 82;
        await t.pool.query(
          `INSERT INTO readings_hourly (patient_id, metric, bucket, min_value, max_value, sum_value, n)
           VALUES ($1, 'spo2', $2, $3::float8, $3::float8, $3::float8 * 3600, 3600), ($1, 'pulseRate', $2, $4::float8, $4::float8, $4::float8 * 3600, 3600)`,
          [patient.id, bucket, spo2, pulse],
        );
      }
      await jobs.runNightly(new Date(now), { patientIds: [patient.id] });
      const [alert] = await alertsOf(t.pool, patient.id, 'oximetry.baseline');
      expect(alert).toMatchObject({ status: 'open', severity: 'warning', threshold: 1 });
      expect(alert!.value).toBeCloseTo((3 / 1.0377 + 4 / 2.0755) / 2, 1);
    });
  });

  it('runs the jobs on timers and stops them on shutdown', () => {
    expect(t.app.get(SchedulerService).schedule.map((j) => j.name)).toEqual(['escalation', 'device-silence', 'nightly-rules', 'snoozes-ended']);
  });
});
