import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { addDays, lastSettledNight, nightEnd, SETTLE_HOURS, zonedEpoch } from '#rules';
import { AlertJobsService } from '../../../apps/server/src/alerts/alert-jobs.service.js';
import type { StoredSession } from '../../../apps/server/src/events/stored-readings.js';
import { startTestApp, type TestApp } from '../../support/test-app.js';
import { alertsOf, eventsOf, HOUR, ingest, insertSessions, kinds, MINUTE, recordAlertEvents } from './alert-fixtures.js';

// Creating users (argon2) and apps is slow on a loaded machine: the jest default of 5 s is too short.
jest.setTimeout(30_000);

const TZ = 'Europe/Paris';

/**
 * The jobs run again and again (the scheduler: every 5 min for silence, every hour for the nightly
 * rules) and the arrival path re-evaluates what the nightly job evaluated: the same ongoing episode
 * must stay one alert, one occurrence, one `raised` event.
 */
describe('scheduled reruns of an ongoing episode', () => {
  let t: TestApp;
  let jobs: AlertJobsService;
  beforeAll(async () => {
    t = await startTestApp({ roles: ['api'] });
    jobs = t.app.get(AlertJobsService);
  });
  afterAll(async () => {
    await t.close();
  });

  /** A session `back` nights before `last`, of `usage` hours. */
  const session = (last: string, back: number, usage: number): StoredSession => {
    const start = zonedEpoch(addDays(last, -back), 22, TZ);
    return { start, end: start + usage * HOUR, values: { usageHours: usage, leakP95: 10, ahi: 3, respRateMedian: 16 } };
  };

  async function patientWith(deviceKinds: ('oximeter' | 'ventilator')[]) {
    const team = await t.ctx.newCareTeam();
    const patient = await t.ctx.newPatient(team.id);
    const devices = [];
    for (const kind of deviceKinds) devices.push({ ...(await t.ctx.newDevice(patient.id, kind)), kind });
    return { patient, devices };
  }

  describe('niv.adherence', () => {
    it('raised when sessions arrive, then nightly reruns every hour and the next day: one occurrence, no other event', async () => {
      const { patient, devices } = await patientWith(['ventilator']);
      const vent = devices[0]!;
      const rec = recordAlertEvents(t, patient.id);
      const last = lastSettledNight(Date.now(), TZ);
      // 3 good nights, 2 nights without a session (L-6, L-5), then short nights L-3, L-1 and L.
      const sessions = [session(last, 9, 8), session(last, 8, 8), session(last, 7, 8), session(last, 4, 8)]
        .concat([session(last, 3, 2), session(last, 2, 8), session(last, 1, 2), session(last, 0, 2)]);
      await ingest(t, vent, patient.id, [], sessions);
      // On arrival the missing nights are unknown: the episode starts at the first stored short night.
      let [alert] = await alertsOf(t.pool, patient.id, 'niv.adherence');
      expect(alert).toMatchObject({ status: 'open', occurrences: 1, value: 3 });
      expect(alert!.started_at.getTime()).toBe(zonedEpoch(addDays(last, -3), 20, TZ));
      // The nightly job counts them as 0 h: the same episode dated from L-6, every hour.
      const settled = nightEnd(last, TZ) + SETTLE_HOURS * HOUR;
      for (let h = 0; h < 4; h++) await jobs.runNightly(new Date(settled + h * HOUR), { patientIds: [patient.id] });
      [alert] = await alertsOf(t.pool, patient.id, 'niv.adherence');
      expect(alert).toMatchObject({ status: 'open', occurrences: 1, value: 5 });
      // The next day night L+1 has no session: the window slides (its first short night is L-5).
      for (let h = 24; h < 27; h++) await jobs.runNightly(new Date(settled + h * HOUR), { patientIds: [patient.id] });
      // And the arrival path again (the same message redelivered).
      await ingest(t, vent, patient.id, [], sessions);
      const alerts = await alertsOf(t.pool, patient.id, 'niv.adherence');
      expect(alerts).toHaveLength(1);
      expect(alerts[0]).toMatchObject({ status: 'open', occurrences: 1 });
      expect(await eventsOf(t.pool, alert!.id)).toEqual(['raised']);
      const audit = await t.pool.query(`SELECT action FROM audit_log WHERE target_type = 'alert' AND target_id = $1 ORDER BY id`, [alert!.id]);
      expect(audit.rows.map((r) => r.action)).toEqual(['alert.raise']);
      expect(kinds(rec.messages).filter((k) => k.endsWith('niv.adherence'))).toEqual(['raised niv.adherence']);
      rec.stop();
    });

    it('is not evaluated for a patient whose ventilator was deactivated (an oximeter left): no 0 h nights', async () => {
      const { patient, devices } = await patientWith(['oximeter', 'ventilator']);
      const vent = devices[1]!;
      const last = lastSettledNight(Date.now(), TZ);
      await insertSessions(t.pool, vent.deviceId, patient.id, [session(last, 6, 8), session(last, 5, 8)]);
      await t.pool.query(`UPDATE devices SET active = false WHERE device_id = $1`, [vent.deviceId]);
      await jobs.runNightly(new Date(), { patientIds: [patient.id] });
      expect((await alertsOf(t.pool, patient.id)).filter((a) => a.rule.startsWith('niv.'))).toEqual([]);
      // Active again: its nights count (5 nights of 0 h since its last session).
      await t.pool.query(`UPDATE devices SET active = true WHERE device_id = $1`, [vent.deviceId]);
      await jobs.runNightly(new Date(), { patientIds: [patient.id] });
      expect(await alertsOf(t.pool, patient.id, 'niv.adherence')).toMatchObject([{ status: 'open', value: 5 }]);
    });
  });

  describe('device.silent', () => {
    it('two silent devices of one patient, scheduler every 5 min: one alert, one occurrence, no repeated event', async () => {
      const { patient, devices } = await patientWith(['oximeter', 'ventilator']);
      const early = devices[0]!;
      const late = devices[1]!;
      const rec = recordAlertEvents(t, patient.id);
      const heard = Date.now() - 30 * HOUR;
      await t.pool.query(`UPDATE devices SET last_seen_at = $2 WHERE device_id = $1`, [early.deviceId, new Date(heard)]);
      await t.pool.query(`UPDATE devices SET last_seen_at = $2 WHERE device_id = $1`, [late.deviceId, new Date(heard + HOUR)]);
      const scope = { patientIds: [patient.id] };
      const runs = [] as { raised: number; cleared: number }[];
      for (let i = 0; i < 6; i++) runs.push(await jobs.checkSilentDevices(new Date(heard + 26 * HOUR + i * 5 * MINUTE), scope));
      expect(runs.map((r) => r.raised)).toEqual([1, 0, 0, 0, 0, 0]);
      const alerts = await alertsOf(t.pool, patient.id, 'device.silent');
      expect(alerts).toHaveLength(1);
      expect(alerts[0]).toMatchObject({ status: 'open', severity: 'info', occurrences: 1, device_id: early.deviceId });
      expect(await eventsOf(t.pool, alerts[0]!.id)).toEqual(['raised']);
      // The device silent the longest is heard again: its alert clears, the other one's silence is a new alert.
      await t.pool.query(`UPDATE devices SET last_seen_at = $2 WHERE device_id = $1`, [early.deviceId, new Date(heard + 27 * HOUR)]);
      expect(await jobs.checkSilentDevices(new Date(heard + 27 * HOUR + 5 * MINUTE), scope)).toEqual({ raised: 1, cleared: 1 });
      expect(await jobs.checkSilentDevices(new Date(heard + 27 * HOUR + 10 * MINUTE), scope)).toEqual({ raised: 0, cleared: 0 });
      const after = await alertsOf(t.pool, patient.id, 'device.silent');
      expect(after.map((a) => [a.status, a.device_id, a.occurrences])).toEqual([
        ['resolved', early.deviceId, 1],
        ['open', late.deviceId, 1],
      ]);
      expect(kinds(rec.messages)).toEqual(['raised device.silent', 'resolved device.silent', 'raised device.silent']);
      rec.stop();
    });
  });
});
