import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AUDIT_PATIENT_IDS_PER_ENTRY } from '../../../apps/server/src/audit/audit.service.js';
import { api, startTestApp, type TestApp } from '../../support/test-app.js';

/**
 * Issue 7 §3, "who saw patient X": reads whose answer covers several patients (GET /api/alerts
 * without patientId, GET /api/patients) record the ids of the patients returned, so such a read
 * is found by patient like a single-patient read (details.patientIds, at most 1000 per entry).
 */

interface ListEntry {
  patient_id: string | null;
  details: { patientIds: string[]; count: number; part?: number; parts?: number; status?: string | null };
}

describe('audit of reads covering several patients', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ roles: ['api'] });
  });
  afterAll(async () => {
    await t.close();
  });

  async function entries(actorId: string, action: string): Promise<ListEntry[]> {
    const { rows } = await t.pool.query<ListEntry>(`SELECT patient_id, details FROM audit_log WHERE actor_id = $1 AND action = $2 ORDER BY id`, [actorId, action]);
    return rows;
  }

  /** The question the audit must answer, as docs/security.md writes it. */
  async function whoSaw(patientId: string): Promise<{ actor_id: string; action: string }[]> {
    const { rows } = await t.pool.query(
      `SELECT DISTINCT actor_id, action FROM audit_log WHERE patient_id = $1 OR details->'patientIds' ? $1::text ORDER BY action`,
      [patientId],
    );
    return rows;
  }

  async function openAlert(patientId: string, rule: string): Promise<void> {
    await t.pool.query(
      `INSERT INTO alerts (patient_id, rule, severity, status, started_at, last_triggered_at, message)
       VALUES ($1, $2, 'warning', 'open', now(), now(), 'test')`,
      [patientId, rule],
    );
  }

  it('alert.list without patientId records the patients whose alerts were returned (each once)', async () => {
    const team = await t.ctx.newCareTeam();
    const nurse = await t.ctx.newUser('nurse', [team.id]);
    const [a, b, quiet] = [await t.ctx.newPatient(team.id), await t.ctx.newPatient(team.id), await t.ctx.newPatient(team.id)];
    const elsewhere = await t.ctx.newPatient((await t.ctx.newCareTeam()).id);
    await openAlert(a.id, 'spo2.low');
    await openAlert(a.id, 'pulse.high');
    await openAlert(b.id, 'spo2.low');
    await openAlert(elsewhere.id, 'spo2.low');

    const res = await api<{ patientId: string }[]>(t.url, 'GET', '/api/alerts?status=open', nurse.token);
    expect(res.status).toBe(200);
    expect(res.body).toHaveLength(3);
    const [entry] = await entries(nurse.id, 'alert.list');
    expect(entry!.patient_id).toBeNull();
    expect(entry!.details).toMatchObject({ status: 'open', count: 3 });
    expect([...entry!.details.patientIds].sort()).toEqual([a.id, b.id].sort());

    expect(await whoSaw(a.id)).toEqual([{ actor_id: nurse.id, action: 'alert.list' }]);
    expect(await whoSaw(quiet.id)).toEqual([]);
    // The admin's audit query by patient finds the list read too.
    const admin = await t.ctx.newUser('admin');
    const byPatient = await api<{ actorId: string; action: string }[]>(t.url, 'GET', `/api/admin/audit?patientId=${a.id}&action=alert.list`, admin.token);
    expect(byPatient.body.map((e) => [e.actorId, e.action])).toEqual([[nurse.id, 'alert.list']]);
    expect(await whoSaw(elsewhere.id)).toEqual([]);

    // With patientId: the column as before, and the same details.
    await api(t.url, 'GET', `/api/alerts?patientId=${b.id}`, nurse.token);
    const filtered = (await entries(nurse.id, 'alert.list'))[1]!;
    expect(filtered).toMatchObject({ patient_id: b.id, details: { patientIds: [b.id], count: 1 } });
  });

  it('patient.list records the patients returned, for a nurse and for an admin', async () => {
    const team = await t.ctx.newCareTeam();
    const nurse = await t.ctx.newUser('nurse', [team.id]);
    const admin = await t.ctx.newUser('admin');
    const mine = [await t.ctx.newPatient(team.id), await t.ctx.newPatient(team.id)];
    const elsewhere = await t.ctx.newPatient((await t.ctx.newCareTeam()).id);

    expect((await api(t.url, 'GET', '/api/patients', nurse.token)).status).toBe(200);
    const [entry] = await entries(nurse.id, 'patient.list');
    expect(entry!.details.count).toBe(2);
    expect([...entry!.details.patientIds].sort()).toEqual(mine.map((p) => p.id).sort());
    expect(await whoSaw(mine[0]!.id)).toEqual([{ actor_id: nurse.id, action: 'patient.list' }]);
    expect(await whoSaw(elsewhere.id)).toEqual([]);

    // An admin sees every patient's registry entry: all of them are recorded.
    const all = await api<{ id: string }[]>(t.url, 'GET', '/api/patients', admin.token);
    expect(all.status).toBe(200);
    const recorded = (await entries(admin.id, 'patient.list')).flatMap((e) => e.details.patientIds);
    expect(new Set(recorded)).toEqual(new Set(all.body.map((p) => p.id)));
    expect(recorded).toEqual(expect.arrayContaining([...mine.map((p) => p.id), elsewhere.id]));
  });

  it(`splits a list of more than ${AUDIT_PATIENT_IDS_PER_ENTRY} patients over several bounded entries, none lost`, async () => {
    const team = await t.ctx.newCareTeam();
    const nurse = await t.ctx.newUser('nurse', [team.id]);
    const total = AUDIT_PATIENT_IDS_PER_ENTRY + 1;
    const { rows } = await t.pool.query<{ id: string }>(
      `INSERT INTO patients (display_name, profile, care_team_id) SELECT 'P' || i, 'standard', $1 FROM generate_series(1, $2) AS i RETURNING id`,
      [team.id, total],
    );
    const res = await api<{ id: string }[]>(t.url, 'GET', '/api/patients', nurse.token);
    expect(res.body).toHaveLength(total);
    const list = await entries(nurse.id, 'patient.list');
    expect(list.map((e) => [e.details.part, e.details.parts, e.details.patientIds.length, e.details.count])).toEqual([
      [1, 2, AUDIT_PATIENT_IDS_PER_ENTRY, total],
      [2, 2, 1, total],
    ]);
    expect(new Set(list.flatMap((e) => e.details.patientIds))).toEqual(new Set(rows.map((r) => r.id)));
    expect(await whoSaw(rows.at(-1)!.id)).toEqual([{ actor_id: nurse.id, action: 'patient.list' }]);
  });
});
