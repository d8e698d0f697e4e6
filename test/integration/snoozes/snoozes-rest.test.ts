/**
 * REST of snoozes (CONTRACT.md §7): POST/GET /api/patients/:id/snoozes, DELETE /api/snoozes/:id,
 * with the stable codes of every refusal (nothing stored then), the access gate and the audit log.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { api, startTestApp, type TestApp } from '../../support/test-app.js';

jest.setTimeout(30_000);

type ErrorBody = { error: { code: string } };
interface Snooze {
  id: string;
  patientId: string;
  rule: string;
  until: string;
  reason: string;
  createdBy: string;
  endedBy: string | null;
  endedAt: string | null;
  active: boolean;
}

const HOUR = 3_600_000;
const inHours = (h: number) => new Date(Date.now() + h * HOUR).toISOString();

describe('snoozes REST', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ roles: ['api'] });
  });
  afterAll(async () => {
    await t.close();
  });

  const countRows = async (patientId: string) => Number((await t.pool.query(`SELECT count(*) AS n FROM rule_snoozes WHERE patient_id = $1`, [patientId])).rows[0].n);

  it('a nurse snoozes a rule: 201, listed, audited with the reason; a second snooze of the rule is 409 SNOOZE_ACTIVE', async () => {
    const { nurse, physician, patient } = await t.ctx.newTeamWithPatient();
    const until = inHours(48);
    const res = await api<Snooze>(t.url, 'POST', `/api/patients/${patient.id}/snoozes`, nurse.token, { rule: 'spo2.low', until, reason: '  known chronic desaturation  ' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ patientId: patient.id, rule: 'spo2.low', until, reason: 'known chronic desaturation', createdBy: nurse.id, endedAt: null, active: true });

    const audit = await t.pool.query(`SELECT actor_id, patient_id, target_id, details FROM audit_log WHERE action = 'snooze.create' AND target_id = $1`, [res.body.id]);
    expect(audit.rows).toEqual([{ actor_id: nurse.id, patient_id: patient.id, target_id: res.body.id, details: { rule: 'spo2.low', until, reason: 'known chronic desaturation' } }]);

    const again = await api<ErrorBody>(t.url, 'POST', `/api/patients/${patient.id}/snoozes`, physician.token, { rule: 'spo2.low', until: inHours(2), reason: 'again' });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('SNOOZE_ACTIVE');
    // Another rule of the same patient is its own snooze.
    const other = await api<Snooze>(t.url, 'POST', `/api/patients/${patient.id}/snoozes`, physician.token, { rule: 'niv.leak', until: inHours(2), reason: 'mask refit planned' });
    expect(other.status).toBe(201);

    const list = await api<Snooze[]>(t.url, 'GET', `/api/patients/${patient.id}/snoozes`, nurse.token);
    expect(list.status).toBe(200);
    expect(list.body.map((s) => [s.rule, s.active])).toEqual([
      ['niv.leak', true],
      ['spo2.low', true],
    ]);
    expect(await countRows(patient.id)).toBe(2);
  });

  it('bad input answers 400 with a stable code, the non-snoozable rules 422, and nothing is stored', async () => {
    const { nurse, patient } = await t.ctx.newTeamWithPatient();
    const post = (body: unknown) => api<ErrorBody>(t.url, 'POST', `/api/patients/${patient.id}/snoozes`, nurse.token, body);
    const cases: Array<[unknown, number, string]> = [
      [{ rule: 'spo2.nope', until: inHours(1), reason: 'x' }, 400, 'SNOOZE_RULE_UNKNOWN'],
      [{ rule: 'spo2.low', until: inHours(1) }, 400, 'SNOOZE_REASON_REQUIRED'],
      [{ rule: 'spo2.low', until: inHours(1), reason: '   ' }, 400, 'SNOOZE_REASON_REQUIRED'],
      [{ rule: 'spo2.low', until: inHours(7 * 24 + 1), reason: 'x' }, 400, 'SNOOZE_UNTIL_INVALID'],
      [{ rule: 'spo2.low', until: inHours(-1), reason: 'x' }, 400, 'SNOOZE_UNTIL_INVALID'],
      [{ rule: 'spo2.low', until: '2026-12-09T10:00:00', reason: 'x' }, 400, 'SNOOZE_UNTIL_INVALID'],
      [{ rule: 'spo2.low', until: 12345, reason: 'x' }, 400, 'SNOOZE_BODY_INVALID'],
      [{ rule: 'spo2.low', until: inHours(1), reason: 'x', extra: true }, 400, 'SNOOZE_BODY_INVALID'],
      [[{ rule: 'spo2.low' }], 400, 'SNOOZE_BODY_INVALID'],
      [{ rule: 'spo2.critical', until: inHours(1), reason: 'x' }, 422, 'RULE_NOT_SNOOZABLE'],
      [{ rule: 'device.silent', until: inHours(1), reason: 'x' }, 422, 'RULE_NOT_SNOOZABLE'],
    ];
    for (const [body, status, code] of cases) {
      const res = await post(body);
      expect([JSON.stringify(body), res.status, res.body.error?.code]).toEqual([JSON.stringify(body), status, code]);
    }
    const malformed = await post('{"rule": "spo2.low",');
    expect(malformed.status).toBe(400);
    expect(await countRows(patient.id)).toBe(0);
    expect((await t.pool.query(`SELECT 1 FROM audit_log WHERE action = 'snooze.create' AND patient_id = $1`, [patient.id])).rowCount).toBe(0);
  });

  it('another team answers 404 on every route (recorded as denied); an admin is 403', async () => {
    const { nurse, patient } = await t.ctx.newTeamWithPatient();
    const outsider = (await t.ctx.newTeamWithPatient()).nurse;
    const admin = await t.ctx.newUser('admin');
    const created = await api<Snooze>(t.url, 'POST', `/api/patients/${patient.id}/snoozes`, nurse.token, { rule: 'pulse.high', until: inHours(3), reason: 'beta blocker change' });
    expect(created.status).toBe(201);

    const post = await api<ErrorBody>(t.url, 'POST', `/api/patients/${patient.id}/snoozes`, outsider.token, { rule: 'spo2.low', until: inHours(1), reason: 'x' });
    expect([post.status, post.body.error.code]).toEqual([404, 'NOT_FOUND']);
    // A bad body from an outsider is still 404: the gate comes first.
    expect((await api(t.url, 'POST', `/api/patients/${patient.id}/snoozes`, outsider.token, { rule: 'spo2.critical' })).status).toBe(404);
    expect((await api(t.url, 'GET', `/api/patients/${patient.id}/snoozes`, outsider.token)).status).toBe(404);
    expect((await api(t.url, 'DELETE', `/api/snoozes/${created.body.id}`, outsider.token)).status).toBe(404);
    const denied = await t.pool.query(`SELECT action FROM audit_log WHERE actor_id = $1 AND outcome = 'denied' ORDER BY id`, [outsider.id]);
    expect(denied.rows.map((r) => r.action)).toEqual(['snooze.create', 'snooze.create', 'snooze.list', 'snooze.end']);

    expect((await api(t.url, 'POST', `/api/patients/${patient.id}/snoozes`, admin.token, { rule: 'spo2.low', until: inHours(1), reason: 'x' })).status).toBe(403);
    expect((await api(t.url, 'DELETE', `/api/snoozes/00000000-0000-4000-8000-000000000000`, nurse.token)).status).toBe(404);
    expect((await api(t.url, 'DELETE', `/api/snoozes/not-a-uuid`, nurse.token)).status).toBe(404);
    expect(await countRows(patient.id)).toBe(1);
  });

  it('documents the routes in OpenAPI, with the snoozable rules only', async () => {
    const res = await api<{ paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: { properties: { rule: { enum: string[] } } } }> } }>> }>(
      t.url,
      'GET',
      '/api/docs-json',
    );
    expect(Object.keys(res.body.paths)).toEqual(expect.arrayContaining(['/api/patients/{id}/snoozes', '/api/snoozes/{id}']));
    expect(Object.keys(res.body.paths['/api/patients/{id}/snoozes']!).sort()).toEqual(['get', 'post']);
    const rules = res.body.paths['/api/patients/{id}/snoozes']!.post!.requestBody!.content['application/json']!.schema.properties.rule.enum;
    expect(rules).toContain('spo2.low');
    expect(rules).not.toContain('spo2.critical');
    expect(rules).not.toContain('device.silent');
  });

  it('DELETE ends a snooze early: the row stays with who and when, audited; a second DELETE is 409 SNOOZE_ALREADY_ENDED', async () => {
    const { nurse, physician, patient } = await t.ctx.newTeamWithPatient();
    const created = await api<Snooze>(t.url, 'POST', `/api/patients/${patient.id}/snoozes`, nurse.token, { rule: 'spo2.low', until: inHours(24), reason: 'post-op' });
    const ended = await api<Snooze>(t.url, 'DELETE', `/api/snoozes/${created.body.id}`, physician.token);
    expect(ended.status).toBe(200);
    expect(ended.body).toMatchObject({ id: created.body.id, endedBy: physician.id, active: false, reason: 'post-op' });
    expect(ended.body.endedAt).not.toBeNull();
    const row = await t.pool.query(`SELECT ended_by, ended_at FROM rule_snoozes WHERE id = $1`, [created.body.id]);
    expect(row.rows[0].ended_by).toBe(physician.id);
    const audit = await t.pool.query(`SELECT actor_id, details FROM audit_log WHERE action = 'snooze.end' AND target_id = $1`, [created.body.id]);
    expect(audit.rows).toEqual([{ actor_id: physician.id, details: { rule: 'spo2.low', until: created.body.until, reason: 'post-op' } }]);

    const again = await api<ErrorBody>(t.url, 'DELETE', `/api/snoozes/${created.body.id}`, nurse.token);
    expect([again.status, again.body.error.code]).toEqual([409, 'SNOOZE_ALREADY_ENDED']);
    // Ended: listed as such, and the rule may be snoozed again.
    const list = await api<Snooze[]>(t.url, 'GET', `/api/patients/${patient.id}/snoozes`, nurse.token);
    expect(list.body.map((s) => [s.id, s.active])).toEqual([[created.body.id, false]]);
    expect((await api(t.url, 'POST', `/api/patients/${patient.id}/snoozes`, nurse.token, { rule: 'spo2.low', until: inHours(1), reason: 'again' })).status).toBe(201);
  });
});
