import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { addDays, lastCompleteNight, zonedEpoch } from '#rules';
import type { StoredSession } from '../../../apps/server/src/events/stored-readings.js';
import { startTestApp, type TestApp } from '../../support/test-app.js';
import { alertsOf, eventsOf, HOUR, ingest, kinds, recordAlertEvents } from './alert-fixtures.js';

// Creating users (argon2) and apps is slow on a loaded machine: the jest default of 5 s is too short.
jest.setTimeout(30_000);

const TZ = 'Europe/Paris';

/** A ventilation session on the night `back` nights before the last complete one. */
function session(back: number, values: StoredSession['values']): StoredSession {
  const start = zonedEpoch(addDays(lastCompleteNight(Date.now(), TZ), -back), 22, TZ);
  return { start, end: start + 8 * HOUR, values: { usageHours: 8, leakP95: 10, ahi: 3, respRateMedian: 16, ...values } };
}

describe('night rules when ventilator sessions arrive', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ roles: ['api'] });
  });
  afterAll(async () => {
    await t.close();
  });

  async function ventilatedPatient() {
    const team = await t.ctx.newCareTeam();
    const patient = await t.ctx.newPatient(team.id);
    const vent = { ...(await t.ctx.newDevice(patient.id, 'ventilator')), kind: 'ventilator' as const };
    return { patient, vent };
  }

  it('raises niv.leak on the third consecutive night above 24 L/min, and clears it after a good night', async () => {
    const { patient, vent } = await ventilatedPatient();
    const rec = recordAlertEvents(t, patient.id);
    await ingest(t, vent, patient.id, [], [session(4, { leakP95: 30 }), session(3, { leakP95: 28 })]);
    expect(await alertsOf(t.pool, patient.id, 'niv.leak')).toEqual([]);
    await ingest(t, vent, patient.id, [], [session(2, { leakP95: 35 })]);
    let [alert] = await alertsOf(t.pool, patient.id, 'niv.leak');
    expect(alert).toMatchObject({ status: 'open', severity: 'warning', value: 35, threshold: 24, device_id: null });
    expect(alert!.started_at.getTime()).toBe(zonedEpoch(addDays(lastCompleteNight(Date.now(), TZ), -4), 20, TZ));
    // A fourth night above: the same episode (no new occurrence), the value follows.
    await ingest(t, vent, patient.id, [], [session(1, { leakP95: 40 })]);
    [alert] = await alertsOf(t.pool, patient.id, 'niv.leak');
    expect(alert).toMatchObject({ status: 'open', occurrences: 1, value: 40 });
    // A good night: cleared.
    await ingest(t, vent, patient.id, [], [session(0, { leakP95: 12 })]);
    [alert] = await alertsOf(t.pool, patient.id, 'niv.leak');
    expect(alert).toMatchObject({ status: 'resolved', resolution: 'cleared' });
    expect(await eventsOf(t.pool, alert!.id)).toEqual(['raised', 'resolved']);
    expect(kinds(rec.messages)).toEqual(['raised niv.leak', 'resolved niv.leak']);
    rec.stop();
  });

  it('a backlog of old sessions raises (and clears) the streak it contains; redelivered, it does not resurrect it', async () => {
    const { patient, vent } = await ventilatedPatient();
    // Uploaded in one message, late: an AHI streak 6-4 nights ago, normal nights since.
    const sessions = [6, 5, 4].map((b) => session(b, { ahi: 15 })).concat([3, 2, 1, 0].map((b) => session(b, { ahi: 4 })));
    await ingest(t, vent, patient.id, [], sessions);
    const alerts = await alertsOf(t.pool, patient.id, 'niv.ahi');
    expect(alerts.map((a) => [a.status, a.resolution, a.value])).toEqual([['resolved', 'cleared', 15]]);
    // The same backlog delivered again does not resurrect it.
    await ingest(t, vent, patient.id, [], sessions);
    expect(await alertsOf(t.pool, patient.id, 'niv.ahi')).toHaveLength(1);
  });

  it('raises resp_rate.trend and niv.usage_variability from the nights it has', async () => {
    const { patient, vent } = await ventilatedPatient();
    const usage = [8, 5, 8, 5, 8, 5, 8, 5, 8, 5]; // SD ≈ 1.58 h
    const rr = [15, 16, 17, 18, 15, 16, 17, 18, 21, 22];
    const sessions = usage.map((u, i) => session(9 - i, { usageHours: u, respRateMedian: rr[i] }));
    await ingest(t, vent, patient.id, [], sessions);
    const byRule = Object.fromEntries((await alertsOf(t.pool, patient.id)).map((a) => [a.rule, a]));
    expect(byRule['niv.usage_variability']).toMatchObject({ status: 'open', threshold: 1.08 });
    expect(byRule['niv.usage_variability']!.value).toBeCloseTo(1.58, 2);
    // Night 21 vs 15..18 (Q3 17.25), night 22 vs its own 16, 17, 18, 21 (Q3 18.75): both above.
    expect(byRule['resp_rate.trend']).toMatchObject({ status: 'open', value: 22, threshold: 18.75 });
    expect(byRule['niv.adherence']).toBeUndefined();
  });
});
