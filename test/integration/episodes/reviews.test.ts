import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { api, startTestApp, type TestApp } from '../../support/test-app.js';

jest.setTimeout(60000);

interface Review {
  id: string;
  patientId: string;
  authorId: string;
  at: string;
  note: string;
  outcome: string | null;
}

describe('reviews (the operator’s documented analysis)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ roles: ['api'] });
  });
  afterAll(async () => {
    await t.close();
  });

  const audits = async (patientId: string, action: string) =>
    (await t.pool.query(`SELECT actor_id, target_id, outcome, details FROM audit_log WHERE patient_id = $1 AND action = $2 ORDER BY id`, [patientId, action])).rows;

  it('a nurse and a physician record reviews (201, audited); GET lists them newest first (an audited read)', async () => {
    const { nurse, physician, patient } = await t.ctx.newTeamWithPatient();
    const first = await api<Review>(t.url, 'POST', `/api/patients/${patient.id}/reviews`, nurse.token, { note: 'Nights stable, leak normal.' });
    expect(first.status).toBe(201);
    expect(first.body).toEqual({ id: expect.any(String), patientId: patient.id, authorId: nurse.id, at: expect.any(String), note: 'Nights stable, leak normal.', outcome: null });
    expect(Math.abs(Date.parse(first.body.at) - Date.now())).toBeLessThan(60_000);
    const second = await api<Review>(t.url, 'POST', `/api/patients/${patient.id}/reviews`, physician.token, { note: 'Mask refit.', outcome: 'call the patient' });
    expect(second.status).toBe(201);
    expect(second.body.outcome).toBe('call the patient');

    const list = await api<Review[]>(t.url, 'GET', `/api/patients/${patient.id}/reviews`, nurse.token);
    expect(list.status).toBe(200);
    expect(list.body.map((r) => r.id)).toEqual([second.body.id, first.body.id]);

    expect((await audits(patient.id, 'review.create')).map((a) => [a.actor_id, a.target_id])).toEqual([
      [nurse.id, first.body.id],
      [physician.id, second.body.id],
    ]);
    // The note is clinical content: never in the audit log.
    expect(JSON.stringify(await audits(patient.id, 'review.create'))).not.toContain('Mask');
    expect(await audits(patient.id, 'review.list')).toEqual([expect.objectContaining({ actor_id: nurse.id, outcome: 'success', details: { count: 2 } })]);
  });

  it('an admin may not (403); a bad body is 400 and records nothing; another team gets 404', async () => {
    const { team, nurse, patient } = await t.ctx.newTeamWithPatient();
    const admin = await t.ctx.newUser('admin', [team.id]);
    expect((await api(t.url, 'POST', `/api/patients/${patient.id}/reviews`, admin.token, { note: 'x' })).status).toBe(403);
    expect((await api(t.url, 'GET', `/api/patients/${patient.id}/reviews`, admin.token)).status).toBe(403);
    for (const body of [{}, { note: '' }, { note: 'ok', extra: true }, { note: 'ok', outcome: 5 }, { note: 'x'.repeat(4001) }]) {
      expect((await api(t.url, 'POST', `/api/patients/${patient.id}/reviews`, nurse.token, body)).status).toBe(400);
    }
    const other = await t.ctx.newTeamWithPatient();
    expect((await api(t.url, 'POST', `/api/patients/${patient.id}/reviews`, other.nurse.token, { note: 'x' })).status).toBe(404);
    expect((await api(t.url, 'GET', `/api/patients/${patient.id}/reviews`, other.physician.token)).status).toBe(404);
    const { rows } = await t.pool.query(`SELECT count(*)::int AS n FROM reviews WHERE patient_id = $1`, [patient.id]);
    expect(rows[0].n).toBe(0);
    expect((await audits(patient.id, 'review.create')).map((a) => a.outcome)).toEqual(['denied']);
  });
});
