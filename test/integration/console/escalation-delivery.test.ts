import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { AlertDecisionService } from '../../../apps/server/src/alerts/alert-decision.service.js';
import { AlertJobsService } from '../../../apps/server/src/alerts/alert-jobs.service.js';
import type { ConsoleAlert, SyncResult } from '../../../apps/server/src/console/console-events.js';
import { connectConsole, type ConsoleClient } from '../../support/console-support.js';
import { eventually, startTestApp, type TestApp } from '../../support/test-app.js';

jest.setTimeout(30_000);

const MINUTE = 60_000;

/**
 * The whole escalation path (CONTRACT.md §2: "a physician also receives escalations of his
 * patients"): a critical alert raised by the rules' decision service, left unacknowledged, is
 * escalated by the scheduler job, and the patient's physician's console receives the
 * alert.updated with escalated: true, live and through alerts.sync; a physician of another team
 * receives nothing.
 */
describe('escalation reaches the physicians consoles', () => {
  let t: TestApp;
  const clients: ConsoleClient[] = [];
  beforeAll(async () => {
    // The scheduler's own timers are slow: only the direct calls below run the job.
    t = await startTestApp({ roles: ['api', 'scheduler'], env: { SCHEDULER_ESCALATION_SECONDS: '3600', SCHEDULER_SILENCE_SECONDS: '86400', SCHEDULER_NIGHTLY_SECONDS: '86400' } });
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await t.close();
  });

  it('an unacknowledged critical alert escalated after 15 min is pushed to the physician, live and in sync', async () => {
    const { patient, physician, nurse } = await t.ctx.newTeamWithPatient();
    const outsider = await t.ctx.newTeamWithPatient();
    const open = async (token: string) => {
      const c = await connectConsole(t.url, token);
      clients.push(c);
      return c;
    };
    const doctor = await open(physician.token);
    const otherDoctor = await open(outsider.physician.token);
    const now = Date.now();
    await t.app.get(AlertDecisionService).apply(
      { patientId: patient.id, deviceId: null, profile: 'hypercapnic' },
      { kind: 'raise', rule: 'spo2.critical', severity: 'critical', startedAt: now - MINUTE, at: now, value: 80, threshold: 83, message: 'SpO2 ≤ 83 % for 60 s', news2Spo2Score: 3 },
    );
    const raised = await eventually(async () => doctor.received.find((e) => e.event === 'alert.raised' && e.alert.patientId === patient.id), 10_000, 20);
    const alertId = raised.alert.id;

    const escalated = await t.app.get(AlertJobsService).escalateDue(new Date(now + 16 * MINUTE), { patientIds: [patient.id] });
    expect(escalated).toEqual([alertId]);
    const pushed = await eventually(async () => doctor.received.find((e) => e.event === 'alert.updated' && e.alert.id === alertId), 10_000, 20);
    expect(pushed.alert).toMatchObject({ id: alertId, escalated: true, status: 'open', eventKind: 'escalated' } satisfies Partial<ConsoleAlert>);

    // A console that was away gets the escalation through sync too.
    const nurseLater = await open(nurse.token);
    const sync = await nurseLater.request<SyncResult>('alerts.sync', { afterId: raised.alert.eventId });
    expect(sync.alerts.find((a) => a.id === alertId)).toMatchObject({ escalated: true, eventKind: 'escalated' });

    // Nothing of it reached the physician of another team.
    await otherDoctor.request('alerts.sync');
    expect(otherDoctor.received.filter((e) => e.alert.patientId === patient.id)).toEqual([]);
  });
});
