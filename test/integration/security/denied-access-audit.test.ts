import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { api, startTestApp, type TestApp } from '../../support/test-app.js';

/**
 * Issue 21 §4 ("denied cross-team reads of patients, thresholds and alerts leave no audit
 * record") and issue 20 §2 (audit in one place): the access gate records every attempt on a
 * patient outside the caller's care teams as `denied`, under the action attempted, and still
 * answers 404 exactly like for a patient that does not exist.
 */
describe('denied cross-team access is audited by the access gate', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ roles: ['api'] });
  });
  afterAll(async () => {
    await t.close();
  });

  async function deniedOf(actorId: string): Promise<{ action: string; patient_id: string | null; outcome: string }[]> {
    const { rows } = await t.pool.query(`SELECT action, patient_id, outcome FROM audit_log WHERE actor_id = $1 AND outcome = 'denied' ORDER BY id`, [actorId]);
    return rows;
  }

  it('a patient, an alert and an alert list of another team: 404 each, and one denied entry each', async () => {
    const theirs = await t.ctx.newTeamWithPatient();
    const stranger = await t.ctx.newUser('nurse', [(await t.ctx.newCareTeam()).id]);
    const { rows } = await t.pool.query<{ id: string }>(
      `INSERT INTO alerts (patient_id, rule, severity, status, started_at, last_triggered_at, message)
       VALUES ($1, 'spo2.low', 'warning', 'open', now(), now(), 'test') RETURNING id::text AS id`,
      [theirs.patient.id],
    );
    const alertId = rows[0]!.id;

    const patient = await api<{ error: { code: string } }>(t.url, 'GET', `/api/patients/${theirs.patient.id}`, stranger.token);
    const alert = await api<{ error: { code: string } }>(t.url, 'GET', `/api/alerts/${alertId}`, stranger.token);
    const list = await api<{ error: { code: string } }>(t.url, 'GET', `/api/alerts?patientId=${theirs.patient.id}`, stranger.token);
    expect([patient.status, alert.status, list.status]).toEqual([404, 404, 404]);
    expect([patient.body.error.code, alert.body.error.code, list.body.error.code]).toEqual(['NOT_FOUND', 'NOT_FOUND', 'NOT_FOUND']);

    expect(await deniedOf(stranger.id)).toEqual([
      { action: 'patient.read', patient_id: theirs.patient.id, outcome: 'denied' },
      { action: 'alert.read', patient_id: theirs.patient.id, outcome: 'denied' },
      { action: 'alert.list', patient_id: theirs.patient.id, outcome: 'denied' },
    ]);
    // The same reads by the patient's own nurse are served and audited as reads, not denials.
    expect((await api(t.url, 'GET', `/api/alerts/${alertId}`, theirs.nurse.token)).status).toBe(200);
    expect(await deniedOf(theirs.nurse.id)).toEqual([]);
  });

  it('an id that names no patient at all is a 404 like the others, with nothing to attribute', async () => {
    const nurse = await t.ctx.newUser('nurse', [(await t.ctx.newCareTeam()).id]);
    expect((await api(t.url, 'GET', '/api/patients/not-a-uuid', nurse.token)).status).toBe(404);
    expect(await deniedOf(nurse.id)).toEqual([]);
  });
});
