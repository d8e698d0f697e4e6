import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { RuleEvaluationService } from '../../../apps/server/src/alerts/rule-evaluation.service.js';
import { startTestApp, type TestApp } from '../../support/test-app.js';
import { alertsOf, eventsOf, HOUR, ingest, insertReadings, kinds, MINUTE, recordAlertEvents, samples, SECOND } from './alert-fixtures.js';

// Creating users (argon2) and apps is slow on a loaded machine: the jest default of 5 s is too short.
jest.setTimeout(30_000);

// From committed samples (StoredReadingsHub, as ingestion publishes them) to the alerts table and
// the console's events, against the real PostgreSQL.
describe('point rules: stored samples → alerts', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ roles: ['api'] });
  });
  afterAll(async () => {
    await t.close();
  });

  const base = () => Math.floor((Date.now() - 6 * HOUR) / 1000) * 1000;

  it('raises a sustained desaturation once, with its clinical start, NEWS2 score, event and audit, published after commit', async () => {
    const { patient, device } = await t.ctx.newTeamWithPatient(); // hypercapnic: critical ≤ 83 % for 60 s
    const rec = recordAlertEvents(t, patient.id);
    const T = base();
    await ingest(t, device, patient.id, samples(T, 30, { spo2: 82, pulseRate: 100 }));
    expect(await alertsOf(t.pool, patient.id)).toEqual([]);
    await ingest(t, device, patient.id, samples(T + 30 * SECOND, 31, { spo2: 81, pulseRate: 100 }));
    const [alert] = await alertsOf(t.pool, patient.id, 'spo2.critical');
    expect(alert).toMatchObject({ status: 'open', severity: 'critical', occurrences: 1, value: 81, threshold: 83, news2_spo2_score: 3, device_id: device.deviceId });
    expect(alert!.started_at.getTime()).toBe(T);
    expect(await eventsOf(t.pool, alert!.id)).toEqual(['raised']);
    const audit = await t.pool.query(`SELECT action, actor_role FROM audit_log WHERE target_type = 'alert' AND target_id = $1`, [alert!.id]);
    expect(audit.rows).toEqual([{ action: 'alert.raise', actor_role: 'system' }]);
    expect(kinds(rec.messages)).toEqual(['raised spo2.critical']);
    expect(rec.messages[0]).toMatchObject({ event: 'alert.raised', physicianIds: [], alert: { id: alert!.id, rule: 'spo2.critical', status: 'open', news2Spo2Score: 3 } });
    expect(rec.committed).toEqual([true]);
    // More of the same episode: no new alert, no new event.
    await ingest(t, device, patient.id, samples(T + 61 * SECOND, 30, { spo2: 81 }));
    expect(await alertsOf(t.pool, patient.id, 'spo2.critical')).toHaveLength(1);
    expect(rec.messages).toHaveLength(1);
    rec.stop();
  });

  it('clears itself after 2 minutes back above the threshold by 1 %', async () => {
    const { patient, device } = await t.ctx.newTeamWithPatient();
    const rec = recordAlertEvents(t, patient.id);
    const T = base();
    await ingest(t, device, patient.id, samples(T, 61, { spo2: 82 }));
    await ingest(t, device, patient.id, samples(T + 61 * SECOND, 119, { spo2: 84 }));
    expect((await alertsOf(t.pool, patient.id, 'spo2.critical'))[0]!.status).toBe('open');
    await ingest(t, device, patient.id, samples(T + 180 * SECOND, 2, { spo2: 84 }));
    const [alert] = await alertsOf(t.pool, patient.id, 'spo2.critical');
    expect(alert).toMatchObject({ status: 'resolved', resolution: 'cleared' });
    expect(await eventsOf(t.pool, alert!.id)).toEqual(['raised', 'resolved']);
    expect(kinds(rec.messages)).toEqual(['raised spo2.critical', 'resolved spo2.critical']);
    expect(rec.messages[1]!.alert).toMatchObject({ status: 'resolved', resolution: 'cleared', resolvedBy: null });
    rec.stop();
  });

  it('ignores samples with signalOk false', async () => {
    const { patient, device } = await t.ctx.newTeamWithPatient();
    await ingest(t, device, patient.id, samples(base(), 120, { spo2: 70 }, false));
    expect(await alertsOf(t.pool, patient.id)).toEqual([]);
  });

  it('rebuilds a device window from the database after a restart: no window is lost', async () => {
    const { patient, device } = await t.ctx.newTeamWithPatient();
    const T = base();
    await ingest(t, device, patient.id, samples(T, 40, { spo2: 82 }));
    t.app.get(RuleEvaluationService).forgetAll(); // as a restart would
    await ingest(t, device, patient.id, samples(T + 40 * SECOND, 21, { spo2: 82 }));
    const [alert] = await alertsOf(t.pool, patient.id, 'spo2.critical');
    expect(alert?.status).toBe('open');
    expect(alert!.started_at.getTime()).toBe(T);
  });

  it('a restart in the middle of an open episode does not raise it twice', async () => {
    const { patient, device } = await t.ctx.newTeamWithPatient();
    const T = base();
    await ingest(t, device, patient.id, samples(T, 90, { spo2: 82 }));
    t.app.get(RuleEvaluationService).forgetAll();
    await ingest(t, device, patient.id, samples(T + 90 * SECOND, 30, { spo2: 82 }));
    const alerts = await alertsOf(t.pool, patient.id, 'spo2.critical');
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.occurrences).toBe(1);
    expect(await eventsOf(t.pool, alerts[0]!.id)).toEqual(['raised']);
  });

  it('raises the episode of a backlog uploaded hours late, on its own timestamps', async () => {
    const { patient, device } = await t.ctx.newTeamWithPatient();
    const T = base();
    await ingest(t, device, patient.id, samples(T + 4 * HOUR, 300, { spo2: 93 })); // live, normal
    await ingest(t, device, patient.id, samples(T, 6 * 60, { spo2: 86 })); // 3-4 h earlier: 6 min < 88 %
    const [alert] = await alertsOf(t.pool, patient.id, 'spo2.low');
    expect(alert).toMatchObject({ status: 'open', severity: 'warning', threshold: 88, value: 86 });
    expect(alert!.started_at.getTime()).toBe(T);
  });

  it('messages of one device committed out of order (two ingest connections) raise and clear as if in order', async () => {
    const { patient, device } = await t.ctx.newTeamWithPatient();
    const T = base();
    await ingest(t, device, patient.id, samples(T, 90, { spo2: 80 }));
    await ingest(t, device, patient.id, samples(T + 190 * SECOND, 30, { spo2: 92 }));
    await ingest(t, device, patient.id, samples(T + 90 * SECOND, 100, { spo2: 92 }));
    const [alert] = await alertsOf(t.pool, patient.id, 'spo2.critical');
    expect(alert).toMatchObject({ status: 'resolved', resolution: 'cleared', occurrences: 1 });
    expect(await eventsOf(t.pool, alert!.id)).toEqual(['raised', 'resolved']);
  });

  it('counts a second run after a gap as a new occurrence of the open alert', async () => {
    const { patient, device } = await t.ctx.newTeamWithPatient();
    const rec = recordAlertEvents(t, patient.id);
    const T = base();
    await ingest(t, device, patient.id, samples(T, 61, { spo2: 82 }));
    await ingest(t, device, patient.id, samples(T + 10 * MINUTE, 61, { spo2: 80 }));
    const [alert] = await alertsOf(t.pool, patient.id, 'spo2.critical');
    expect(alert).toMatchObject({ status: 'open', occurrences: 2, value: 80 });
    expect(alert!.started_at.getTime()).toBe(T);
    expect(kinds(rec.messages)).toEqual(['raised spo2.critical', 'occurrence spo2.critical']);
    rec.stop();
  });

  it('after a nurse resolves an alert, a worse value of the same episode raises a new one', async () => {
    const { patient, device, nurse } = await t.ctx.newTeamWithPatient();
    const T = base();
    await ingest(t, device, patient.id, samples(T, 61, { spo2: 83 }));
    const [first] = await alertsOf(t.pool, patient.id, 'spo2.critical');
    const res = await fetch(`${t.url}/api/alerts/${first!.id}/resolve`, {
      method: 'POST',
      headers: { authorization: `Bearer ${nurse.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ note: 'probe displaced' }),
    });
    expect(res.status).toBe(200);
    await ingest(t, device, patient.id, samples(T + 61 * SECOND, 10, { spo2: 83 })); // same value: nothing new
    expect(await alertsOf(t.pool, patient.id, 'spo2.critical')).toHaveLength(1);
    await ingest(t, device, patient.id, samples(T + 71 * SECOND, 5, { spo2: 78 }));
    const alerts = await alertsOf(t.pool, patient.id, 'spo2.critical');
    expect(alerts.map((a) => [a.status, a.resolution, a.value])).toEqual([
      ['resolved', 'manual', 83],
      ['open', null, 78],
    ]);
  });

  it('evaluates several devices of one patient in one batch, and keeps rules per device', async () => {
    const { patient, device } = await t.ctx.newTeamWithPatient();
    const second = await t.ctx.newDevice(patient.id);
    const T = base();
    await insertReadings(t.pool, second.deviceId, patient.id, samples(T, 301, { pulseRate: 130 }));
    await ingest(t, device, patient.id, samples(T, 301, { pulseRate: 100 }));
    expect(await alertsOf(t.pool, patient.id)).toEqual([]);
    await ingest(t, second, patient.id, samples(T, 301, { pulseRate: 130 }));
    const [alert] = await alertsOf(t.pool, patient.id, 'pulse.high');
    expect(alert).toMatchObject({ status: 'open', device_id: second.deviceId, value: 130, threshold: 120 });
  });
});
