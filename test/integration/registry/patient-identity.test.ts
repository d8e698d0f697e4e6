import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { fhirProblems, loadFhirValidators } from '../../support/fhir-r4-check.js';
import { identityTraits, NIR_OID, validIns } from '../../support/identity-fixture.js';
import { api, startTestApp, type TestApp, type TestUser } from '../../support/test-app.js';

type ErrorBody = { error: { code: string; message: string; details?: Record<string, unknown> } };
interface PatientBody {
  id: string;
  displayName: string;
  careTeamId: string;
  profile: string;
  timezone: string;
  ins?: string;
  identity: { status: string; insRecorded: boolean; ins?: { value: string; oid: string }; birthName?: string; firstNames: string[] };
}

/**
 * Issue 17 point 1 (CONTRACT §8): identity on create and read, PATCH /api/patients/:id with its
 * permissions and validations (nothing changed on a refusal), the status history, and the one
 * rule that only a qualified identity's INS leaves the product (views, FHIR).
 */
describe('patient identity (RNIV) and PATCH /api/patients/:id', () => {
  let t: TestApp;
  let admin: TestUser;

  beforeAll(async () => {
    loadFhirValidators();
    t = await startTestApp({ roles: ['api'] });
    admin = await t.ctx.newUser('admin');
  });
  afterAll(async () => {
    await t.close();
  });

  const asAdmin = <T>(method: string, path: string, body?: unknown) => api<T>(t.url, method, path, admin.token, body);
  const row = async (id: string) =>
    (await t.pool.query(`SELECT display_name, care_team_id, profile, timezone, ins, identity_status, birth_name, first_names FROM patients WHERE id = $1`, [id])).rows[0];

  async function newPatient(careTeamId: string, identity?: Record<string, unknown>): Promise<PatientBody> {
    const res = await asAdmin<PatientBody>('POST', '/api/patients', { displayName: 'M. D.', careTeamId, profile: 'hypercapnic', ...(identity ? { identity } : {}) });
    expect(res.status).toBe(201);
    return res.body;
  }

  it('a qualified identity: the view and the FHIR Patient carry the INS; provisional, recovered, validated: neither does', async () => {
    const team = await t.ctx.newCareTeam();
    const nurse = await t.ctx.newUser('nurse', [team.id]);
    const cases = [
      ['qualified', true],
      ['validated', false],
      ['recovered', false],
      ['provisional', false],
    ] as const;
    for (const [status, shared] of cases) {
      const ins = validIns();
      const created = await newPatient(team.id, { ...identityTraits(), ins: { value: ins, oid: NIR_OID }, status });
      expect(created.identity).toMatchObject({ status, insRecorded: true, birthName: 'DUPONT', firstNames: ['Marie', 'Jeanne'] });
      const view = await api<PatientBody>(t.url, 'GET', `/api/patients/${created.id}`, nurse.token);
      const list = await api<PatientBody[]>(t.url, 'GET', '/api/patients', nurse.token);
      const fhir = await api<{ identifier?: unknown[] }>(t.url, 'GET', `/fhir/Patient/${created.id}`, nurse.token);
      expect(fhir.status).toBe(200);
      expect(fhirProblems(fhir.body)).toEqual([]);
      if (shared) {
        expect(view.body.identity.ins).toEqual({ value: ins, oid: NIR_OID });
        expect(view.body.ins).toBe(ins);
        // FR Core Patient INS: the INS-NIR first, then the local id (fhir.test.ts checks the whole profile).
        expect(fhir.body.identifier).toEqual([
          expect.objectContaining({ use: 'official', system: `urn:oid:${NIR_OID}`, value: ins }),
          expect.objectContaining({ use: 'usual', system: 'urn:telemonitoring:patient-id', value: created.id }),
        ]);
      } else {
        for (const body of [created, view.body, list.body, fhir.body]) expect(JSON.stringify(body)).not.toContain(ins);
        // FR Core Patient: the local id only.
        expect(fhir.body.identifier).toEqual([expect.objectContaining({ use: 'usual', system: 'urn:telemonitoring:patient-id', value: created.id })]);
      }
    }
  });

  it('a nurse of the team qualifies the identity; the status history says who, when, from what to what', async () => {
    const team = await t.ctx.newCareTeam();
    const nurse = await t.ctx.newUser('nurse', [team.id]);
    const physician = await t.ctx.newUser('physician', [team.id]);
    const ins = validIns();
    const patient = await newPatient(team.id);
    expect(patient.identity).toEqual({ firstNames: [], insRecorded: false, status: 'provisional' });

    const recovered = await api<PatientBody>(t.url, 'PATCH', `/api/patients/${patient.id}`, nurse.token, {
      identity: { ...identityTraits(), ins: { value: ins, oid: NIR_OID }, status: 'recovered' },
    });
    expect(recovered.status).toBe(200);
    expect(recovered.body.identity).toMatchObject({ status: 'recovered', insRecorded: true });
    expect(JSON.stringify(recovered.body)).not.toContain(ins);
    // The INS is not shown, so it is not sent back: absent keeps the recorded one.
    const qualified = await api<PatientBody>(t.url, 'PATCH', `/api/patients/${patient.id}`, physician.token, { identity: { ...identityTraits(), status: 'qualified' } });
    expect(qualified.status).toBe(200);
    expect(qualified.body.identity.ins).toEqual({ value: ins, oid: NIR_OID });
    expect((await api<{ identifier?: { value: string }[] }>(t.url, 'GET', `/fhir/Patient/${patient.id}`, nurse.token)).body.identifier?.map((i) => i.value)).toContain(ins);
    // Downgrades are allowed: a doubt on the identity, and the INS stops leaving the product.
    const doubt = await api<PatientBody>(t.url, 'PATCH', `/api/patients/${patient.id}`, nurse.token, { identity: { ...identityTraits(), status: 'provisional' } });
    expect(doubt.status).toBe(200);
    expect(JSON.stringify((await api(t.url, 'GET', `/fhir/Patient/${patient.id}`, nurse.token)).body)).not.toContain(ins);
    // Unchanged status: no history entry.
    expect((await api(t.url, 'PATCH', `/api/patients/${patient.id}`, nurse.token, { identity: { ...identityTraits(), usedName: 'DURAND', status: 'provisional' } })).status).toBe(200);

    const history = await api<{ at: string; from: string; to: string; byUserId: string; byRole: string }[]>(t.url, 'GET', `/api/patients/${patient.id}/identity/history`, nurse.token);
    expect(history.status).toBe(200);
    expect(history.body.map(({ from, to, byUserId, byRole }) => ({ from, to, byUserId, byRole }))).toEqual([
      { from: 'provisional', to: 'recovered', byUserId: nurse.id, byRole: 'nurse' },
      { from: 'recovered', to: 'qualified', byUserId: physician.id, byRole: 'physician' },
      { from: 'qualified', to: 'provisional', byUserId: nurse.id, byRole: 'nurse' },
    ]);
    expect(new Date(history.body[0]!.at).getTime()).toBeLessThanOrEqual(new Date(history.body[2]!.at).getTime());
    expect((await asAdmin('GET', `/api/patients/${patient.id}/identity/history`)).status).toBe(200);
    // The audit trail never holds the identity's values.
    const audit = await t.pool.query(`SELECT action, details FROM audit_log WHERE patient_id = $1 AND action LIKE 'patient.%' ORDER BY id`, [patient.id]);
    expect(JSON.stringify(audit.rows)).not.toMatch(new RegExp(`${ins}|DUPONT|MARTIN|1955`));
    expect(audit.rows.map((r) => r.action)).toContain('patient.identity.history.read');
    // Another team's nurse: 404, like a patient that does not exist.
    const stranger = await t.ctx.newUser('nurse', [(await t.ctx.newCareTeam()).id]);
    expect((await api(t.url, 'GET', `/api/patients/${patient.id}/identity/history`, stranger.token)).status).toBe(404);
  });

  it('refuses with a stable code and changes nothing: other fields for a nurse, an incomplete status, a bad INS, unknown fields and values', async () => {
    const team = await t.ctx.newCareTeam();
    const nurse = await t.ctx.newUser('nurse', [team.id]);
    const patient = await newPatient(team.id, { ...identityTraits(), status: 'validated' });
    const before = await row(patient.id);
    const other = (await t.ctx.newCareTeam()).id;
    const cases: [string, string, unknown, number, string][] = [
      ['nurse: displayName', nurse.token, { displayName: 'X' }, 403, 'FIELD_NOT_ALLOWED'],
      ['nurse: identity and careTeamId', nurse.token, { identity: { ...identityTraits(), status: 'provisional' }, careTeamId: other }, 403, 'FIELD_NOT_ALLOWED'],
      ['nurse: profile', nurse.token, { profile: 'standard' }, 403, 'FIELD_NOT_ALLOWED'],
      ['qualified without an INS', nurse.token, { identity: { ...identityTraits(), status: 'qualified' } }, 400, 'IDENTITY_INCOMPLETE'],
      ['validated without a birthplace', admin.token, { identity: { ...identityTraits(), birthplaceCode: undefined, status: 'validated' } }, 400, 'IDENTITY_INCOMPLETE'],
      ['recovered without an INS', admin.token, { identity: { ...identityTraits(), status: 'recovered' } }, 400, 'IDENTITY_INCOMPLETE'],
      ['INS with a bad key', nurse.token, { identity: { ...identityTraits(), ins: { value: '255081416802539', oid: NIR_OID }, status: 'recovered' } }, 400, 'VALIDATION_FAILED'],
      ['INS of 14 characters', nurse.token, { identity: { ...identityTraits(), ins: { value: '25508141680253', oid: NIR_OID }, status: 'recovered' } }, 400, 'VALIDATION_FAILED'],
      ['INS of an unknown authority', nurse.token, { identity: { ...identityTraits(), ins: { value: '255081416802538', oid: '1.2.3' }, status: 'recovered' } }, 400, 'VALIDATION_FAILED'],
      ['unknown status', nurse.token, { identity: { ...identityTraits(), status: 'certain' } }, 400, 'VALIDATION_FAILED'],
      ['unknown sex', nurse.token, { identity: { ...identityTraits(), sex: 'X', status: 'provisional' } }, 400, 'VALIDATION_FAILED'],
      ['birth date in the future', nurse.token, { identity: { ...identityTraits(), birthDate: '2999-01-01', status: 'provisional' } }, 400, 'VALIDATION_FAILED'],
      ['impossible birth date', nurse.token, { identity: { ...identityTraits(), birthDate: '1955-02-30', status: 'provisional' } }, 400, 'VALIDATION_FAILED'],
      ['identity without first names', nurse.token, { identity: { ...identityTraits(), firstNames: [], status: 'provisional' } }, 400, 'VALIDATION_FAILED'],
      ['unknown identity field', nurse.token, { identity: { ...identityTraits(), status: 'provisional', nickname: 'Mimi' } }, 400, 'VALIDATION_FAILED'],
      ['unknown field', admin.token, { displayName: 'Y', ward: 'B' }, 400, 'VALIDATION_FAILED'],
      ['null profile', admin.token, { profile: null }, 400, 'VALIDATION_FAILED'],
      ['identity as a string', admin.token, { identity: 'qualified' }, 400, 'VALIDATION_FAILED'],
      ['unknown profile', admin.token, { profile: 'copd' }, 400, 'VALIDATION_FAILED'],
      ['bad time zone', admin.token, { timezone: 'Mars/Olympus' }, 400, 'VALIDATION_FAILED'],
      ['unknown care team', admin.token, { careTeamId: randomUUID(), displayName: 'Z' }, 400, 'VALIDATION_FAILED'],
      ['nothing', admin.token, {}, 400, 'VALIDATION_FAILED'],
    ];
    for (const [name, token, body, status, code] of cases) {
      const res = await api<ErrorBody>(t.url, 'PATCH', `/api/patients/${patient.id}`, token, body);
      expect({ name, status: res.status, code: res.body.error?.code }).toEqual({ name, status, code });
    }
    expect(await row(patient.id)).toEqual(before);
    const denied = await t.pool.query(`SELECT count(*)::int AS n FROM audit_log WHERE patient_id = $1 AND action = 'patient.update' AND outcome = 'denied'`, [patient.id]);
    expect(denied.rows[0].n).toBe(3);
    // Outside the team, and an unknown patient: 404.
    const stranger = await t.ctx.newUser('physician', [other]);
    expect((await api<ErrorBody>(t.url, 'PATCH', `/api/patients/${patient.id}`, stranger.token, { identity: { ...identityTraits(), status: 'provisional' } })).status).toBe(404);
    expect((await asAdmin<ErrorBody>('PATCH', `/api/patients/${randomUUID()}`, { displayName: 'A' })).status).toBe(404);
    expect((await asAdmin<ErrorBody>('PATCH', '/api/patients/nope', { displayName: 'A' })).status).toBe(404);
    expect(await row(patient.id)).toEqual(before);
  });

  it('an INS already recorded for another patient → 409, nothing changed; null removes the INS (and a qualified status with it is refused)', async () => {
    const team = await t.ctx.newCareTeam();
    const ins = validIns();
    const first = await newPatient(team.id, { ...identityTraits(), ins: { value: ins, oid: NIR_OID }, status: 'qualified' });
    const second = await newPatient(team.id);
    const dup = await asAdmin<ErrorBody>('PATCH', `/api/patients/${second.id}`, { identity: { ...identityTraits(), ins: { value: ins, oid: NIR_OID }, status: 'recovered' } });
    expect(dup.status).toBe(409);
    expect((await row(second.id)).ins).toBeNull();
    const refused = await asAdmin<ErrorBody>('PATCH', `/api/patients/${first.id}`, { identity: { ...identityTraits(), ins: null, status: 'qualified' } });
    expect(refused.body.error.code).toBe('IDENTITY_INCOMPLETE');
    const removed = await asAdmin<PatientBody>('PATCH', `/api/patients/${first.id}`, { identity: { ...identityTraits(), ins: null, status: 'validated' } });
    expect(removed.body.identity).toMatchObject({ status: 'validated', insRecorded: false });
    expect((await row(first.id)).ins).toBeNull();
  });

  it('the admin moves a patient to another team (the old team loses it at once), renames it, changes its profile and time zone', async () => {
    const a = await t.ctx.newTeamWithPatient();
    const b = await t.ctx.newTeamWithPatient();
    const moved = await asAdmin<PatientBody>('PATCH', `/api/patients/${a.patient.id}`, {
      careTeamId: b.team.id,
      displayName: 'Mme R.',
      profile: 'standard',
      timezone: 'America/Cayenne',
    });
    expect(moved.status).toBe(200);
    expect(moved.body).toMatchObject({ careTeamId: b.team.id, displayName: 'Mme R.', profile: 'standard', timezone: 'America/Cayenne' });
    expect((await api(t.url, 'GET', `/api/patients/${a.patient.id}`, a.nurse.token)).status).toBe(404);
    expect((await api(t.url, 'GET', `/api/patients/${a.patient.id}`, b.nurse.token)).status).toBe(200);
    const audit = await t.pool.query(`SELECT actor_id, details FROM audit_log WHERE patient_id = $1 AND action = 'patient.update' AND outcome = 'success'`, [a.patient.id]);
    expect(audit.rows).toEqual([
      {
        actor_id: admin.id,
        details: {
          fields: ['careTeamId', 'displayName', 'profile', 'timezone'],
          careTeamFrom: a.team.id,
          careTeamTo: b.team.id,
          profileFrom: 'hypercapnic',
          profileTo: 'standard',
        },
      },
    ]);
  });
});
