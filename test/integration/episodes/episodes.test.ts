import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { DateTime } from 'luxon';
import { insertReadings } from '../../support/readings-fixture.js';
import { api, startTestApp, type TestApp } from '../../support/test-app.js';

jest.setTimeout(60000);

interface Episode {
  id: string;
  patientId: string;
  indication: string;
  prescriberId: string | null;
  startDate: string;
  plannedEndDate: string | null;
  status: 'active' | 'ended';
  endDate: string | null;
  endReason: string | null;
}
interface ComplianceMonth {
  month: number;
  from: string;
  to: string;
  days: number;
  daysWithData: number;
  ratio: number;
  met: boolean;
}

const ZONE = 'Europe/Paris';
const todayLocal = () => DateTime.now().setZone(ZONE).toISODate()!;
const minusDays = (d: string, n: number) => DateTime.fromISO(d, { zone: 'UTC' }).minus({ days: n }).toISODate()!;

describe('telemonitoring episodes', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ roles: ['api'] });
  });
  afterAll(async () => {
    await t.close();
  });

  const episodeCount = async (patientId: string) => Number((await t.pool.query(`SELECT count(*) FROM episodes WHERE patient_id = $1`, [patientId])).rows[0].count);
  const audits = async (patientId: string, action: string) =>
    (await t.pool.query(`SELECT actor_id, target_id, outcome, details FROM audit_log WHERE patient_id = $1 AND action = $2 ORDER BY id`, [patientId, action])).rows;

  it('a physician starts one; a second while it is active is 409 EPISODE_ALREADY_ACTIVE; the creation is audited', async () => {
    const { physician, patient } = await t.ctx.newTeamWithPatient({ episode: false });
    const body = { indication: 'niv', prescriberId: physician.id, startDate: '2026-11-01', plannedEndDate: '2027-04-30' };
    const res = await api<Episode>(t.url, 'POST', `/api/patients/${patient.id}/episodes`, physician.token, body);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ patientId: patient.id, indication: 'niv', prescriberId: physician.id, startDate: '2026-11-01', plannedEndDate: '2027-04-30', status: 'active', endDate: null });
    const again = await api<{ error: { code: string } }>(t.url, 'POST', `/api/patients/${patient.id}/episodes`, physician.token, { ...body, indication: 'oxygen' });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('EPISODE_ALREADY_ACTIVE');
    expect(await episodeCount(patient.id)).toBe(1);
    const trail = await audits(patient.id, 'episode.create');
    expect(trail).toEqual([expect.objectContaining({ actor_id: physician.id, target_id: res.body.id, outcome: 'success' })]);

    const list = await api<Episode[]>(t.url, 'GET', `/api/patients/${patient.id}/episodes`, physician.token);
    expect(list.status).toBe(200);
    expect(list.body.map((e) => e.id)).toEqual([res.body.id]);
    expect(await audits(patient.id, 'episode.list')).toHaveLength(1);
  });

  it('a nurse can neither start nor end one (403), but may list them', async () => {
    const { nurse, physician, patient } = await t.ctx.newTeamWithPatient({ episode: false });
    const body = { indication: 'niv', prescriberId: physician.id, startDate: '2026-11-01' };
    expect((await api(t.url, 'POST', `/api/patients/${patient.id}/episodes`, nurse.token, body)).status).toBe(403);
    expect(await episodeCount(patient.id)).toBe(0);
    const created = await api<Episode>(t.url, 'POST', `/api/patients/${patient.id}/episodes`, physician.token, body);
    expect((await api(t.url, 'POST', `/api/episodes/${created.body.id}/end`, nurse.token, { reason: 'x' })).status).toBe(403);
    expect((await api<Episode[]>(t.url, 'GET', `/api/patients/${patient.id}/episodes`, nurse.token)).body[0]!.status).toBe('active');
  });

  it.each([
    ['unknown field', { extra: 1 }],
    ['bad indication', { indication: 'cpap' }],
    ['missing prescriber', { prescriberId: undefined }],
    ['prescriber not a uuid', { prescriberId: 'dr-house' }],
    ['impossible date', { startDate: '2026-02-30' }],
    ['date with a time', { startDate: '2026-11-01T00:00:00Z' }],
  ])('a bad body (%s) is 400 and creates nothing', async (_case, change) => {
    const { physician, patient } = await t.ctx.newTeamWithPatient({ episode: false });
    const body = { indication: 'niv', prescriberId: physician.id, startDate: '2026-11-01', ...change };
    const res = await api<{ error: { code: string } }>(t.url, 'POST', `/api/patients/${patient.id}/episodes`, physician.token, body);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION_FAILED');
    expect(await episodeCount(patient.id)).toBe(0);
  });

  it('a planned end before the start is 400 EPISODE_DATES_INVALID', async () => {
    const { physician, patient } = await t.ctx.newTeamWithPatient({ episode: false });
    const res = await api<{ error: { code: string } }>(t.url, 'POST', `/api/patients/${patient.id}/episodes`, physician.token, {
      indication: 'niv',
      prescriberId: physician.id,
      startDate: '2026-11-01',
      plannedEndDate: '2026-10-31',
    });
    expect([res.status, res.body.error.code]).toEqual([400, 'EPISODE_DATES_INVALID']);
    expect(await episodeCount(patient.id)).toBe(0);
  });

  it("the prescriber must be an active physician of the patient's care team (else 400 PRESCRIBER_INVALID)", async () => {
    const { team, nurse, physician, patient } = await t.ctx.newTeamWithPatient({ episode: false });
    const elsewhere = await t.ctx.newUser('physician', [(await t.ctx.newCareTeam()).id]);
    const retired = await t.ctx.newUser('physician', [team.id]);
    await t.pool.query(`UPDATE users SET active = false WHERE id = $1`, [retired.id]);
    for (const prescriberId of [nurse.id, elsewhere.id, retired.id, '00000000-0000-4000-8000-000000000000']) {
      const res = await api<{ error: { code: string } }>(t.url, 'POST', `/api/patients/${patient.id}/episodes`, physician.token, { indication: 'oxygen', prescriberId, startDate: '2026-11-01' });
      expect([res.status, res.body.error.code]).toEqual([400, 'PRESCRIBER_INVALID']);
    }
    expect(await episodeCount(patient.id)).toBe(0);
  });

  it('an admin of the care team may start one for a physician of the team', async () => {
    const { team, physician, patient } = await t.ctx.newTeamWithPatient({ episode: false });
    const admin = await t.ctx.newUser('admin', [team.id]);
    const res = await api<Episode>(t.url, 'POST', `/api/patients/${patient.id}/episodes`, admin.token, { indication: 'niv+oxygen', prescriberId: physician.id, startDate: '2026-11-01' });
    expect(res.status).toBe(201);
    expect(res.body.indication).toBe('niv+oxygen');
  });

  it('a patient the caller may not see is 404 on every route, and nothing changes', async () => {
    const { physician, patient } = await t.ctx.newTeamWithPatient({ episode: false });
    const other = await t.ctx.newTeamWithPatient({ episode: false });
    const created = await api<Episode>(t.url, 'POST', `/api/patients/${patient.id}/episodes`, physician.token, { indication: 'niv', prescriberId: physician.id, startDate: '2026-11-01' });
    const outsider = other.physician.token;
    expect((await api(t.url, 'POST', `/api/patients/${patient.id}/episodes`, outsider, { indication: 'niv', prescriberId: other.physician.id, startDate: '2026-11-01' })).status).toBe(404);
    expect((await api(t.url, 'GET', `/api/patients/${patient.id}/episodes`, outsider)).status).toBe(404);
    expect((await api(t.url, 'POST', `/api/episodes/${created.body.id}/end`, outsider, { reason: 'stop' })).status).toBe(404);
    expect((await api(t.url, 'GET', `/api/episodes/${created.body.id}/compliance`, outsider)).status).toBe(404);
    expect((await api(t.url, 'GET', `/api/episodes/00000000-0000-4000-8000-000000000000/compliance`, physician.token)).status).toBe(404);
    expect((await api(t.url, 'GET', `/api/episodes/not-an-id/compliance`, physician.token)).status).toBe(404);
    expect((await api<Episode[]>(t.url, 'GET', `/api/patients/${patient.id}/episodes`, physician.token)).body[0]!.status).toBe('active');
    expect((await audits(patient.id, 'episode.end')).map((a) => a.outcome)).toEqual(['denied']);
  });

  it('ends an episode (200, audited); ending it again is 409; then a new one may start', async () => {
    const { physician, patient } = await t.ctx.newTeamWithPatient({ episode: false });
    const start = minusDays(todayLocal(), 10);
    const created = await api<Episode>(t.url, 'POST', `/api/patients/${patient.id}/episodes`, physician.token, { indication: 'niv', prescriberId: physician.id, startDate: start });
    const future = await api<{ error: { code: string } }>(t.url, 'POST', `/api/episodes/${created.body.id}/end`, physician.token, { reason: 'x', endDate: '2099-01-01' });
    expect([future.status, future.body.error.code]).toEqual([400, 'EPISODE_DATES_INVALID']);
    expect((await api(t.url, 'POST', `/api/episodes/${created.body.id}/end`, physician.token, { endDate: start })).status).toBe(400);
    const ended = await api<Episode>(t.url, 'POST', `/api/episodes/${created.body.id}/end`, physician.token, { reason: 'end of prescription', endDate: minusDays(todayLocal(), 1) });
    expect(ended.status).toBe(200);
    expect(ended.body).toMatchObject({ id: created.body.id, status: 'ended', endDate: minusDays(todayLocal(), 1), endReason: 'end of prescription' });
    const again = await api<{ error: { code: string } }>(t.url, 'POST', `/api/episodes/${created.body.id}/end`, physician.token, { reason: 'again' });
    expect([again.status, again.body.error.code]).toEqual([409, 'EPISODE_ALREADY_ENDED']);
    expect(await audits(patient.id, 'episode.end')).toEqual([expect.objectContaining({ actor_id: physician.id, target_id: created.body.id, outcome: 'success' })]);
    const next = await api<Episode>(t.url, 'POST', `/api/patients/${patient.id}/episodes`, physician.token, { indication: 'oxygen', prescriberId: physician.id, startDate: todayLocal() });
    expect(next.status).toBe(201);
  });

  it('two concurrent starts: one 201, one 409 (the partial unique index decides)', async () => {
    const { physician, patient } = await t.ctx.newTeamWithPatient({ episode: false });
    const body = { indication: 'niv', prescriberId: physician.id, startDate: '2026-11-01' };
    const results = await Promise.all([1, 2, 3].map(() => api(t.url, 'POST', `/api/patients/${patient.id}/episodes`, physician.token, body)));
    expect(results.map((r) => r.status).sort()).toEqual([201, 409, 409]);
    expect(await episodeCount(patient.id)).toBe(1);
  });

  describe('transmission compliance', () => {
    /** One SpO2 sample at 20:00 local on each of these dates (each in that date's therapy day). */
    const dataOn = async (patientId: string, deviceId: string, days: string[]) =>
      insertReadings(
        t.pool,
        days.map((d) => ({ deviceId, patientId, metric: 'spo2', value: 94, at: DateTime.fromISO(`${d}T20:00`, { zone: ZONE }).toMillis() })),
      );

    it('lists the months from the start date, oldest first, month 2 from the same day a month later', async () => {
      const { physician, patient } = await t.ctx.newTeamWithPatient({ episode: false });
      const start = minusDays(todayLocal(), 45);
      const created = await api<Episode>(t.url, 'POST', `/api/patients/${patient.id}/episodes`, physician.token, { indication: 'niv', prescriberId: physician.id, startDate: start });
      const months = (await api<{ months: ComplianceMonth[] }>(t.url, 'GET', `/api/episodes/${created.body.id}/compliance`, physician.token)).body.months;
      expect(months.map((m) => m.month)).toEqual([1, 2]);
      const month2 = DateTime.fromISO(start).plus({ months: 1 }).toISODate()!;
      expect(months[0]).toMatchObject({ from: start, to: minusDays(month2, 1), daysWithData: 0, ratio: 0, met: false });
      expect(months[0]!.days).toBe(DateTime.fromISO(month2).diff(DateTime.fromISO(start), 'days').days);
      expect(months[1]!.from).toBe(month2);
    });

    it('exactly half: 15 of 30 days is not met, 16 is (a 30-day month 1)', async () => {
      const { physician, patient, device } = await t.ctx.newTeamWithPatient({ episode: false });
      // A start date whose month 1 has exactly 30 days, long enough ago to be complete.
      let start = minusDays(todayLocal(), 40);
      while (DateTime.fromISO(start).plus({ months: 1 }).diff(DateTime.fromISO(start), 'days').days !== 30) start = minusDays(start, 1);
      const created = await api<Episode>(t.url, 'POST', `/api/patients/${patient.id}/episodes`, physician.token, { indication: 'niv', prescriberId: physician.id, startDate: start });
      const days = Array.from({ length: 30 }, (_, i) => DateTime.fromISO(start).plus({ days: i }).toISODate()!);
      await dataOn(patient.id, device.deviceId, days.slice(0, 15));
      // Data the day before the start, and on the first day of month 2, count for no day of month 1.
      await dataOn(patient.id, device.deviceId, [minusDays(start, 1), DateTime.fromISO(start).plus({ months: 1 }).toISODate()!]);
      const get = async () => (await api<{ months: ComplianceMonth[] }>(t.url, 'GET', `/api/episodes/${created.body.id}/compliance`, physician.token)).body.months[0]!;
      expect(await get()).toMatchObject({ month: 1, from: start, to: days[29], days: 30, daysWithData: 15, ratio: 0.5, met: false });
      await dataOn(patient.id, device.deviceId, [days[20]!]);
      expect(await get()).toMatchObject({ days: 30, daysWithData: 16, met: true });
    });

    it('an ended episode counts no day after its end; a session alone makes a day with data, as in /days', async () => {
      const { physician, nurse, patient } = await t.ctx.newTeamWithPatient({ episode: false });
      const vent = await t.ctx.newDevice(patient.id, 'ventilator');
      const start = minusDays(todayLocal(), 12);
      const created = await api<Episode>(t.url, 'POST', `/api/patients/${patient.id}/episodes`, physician.token, { indication: 'niv', prescriberId: physician.id, startDate: start });
      const sessionDay = minusDays(todayLocal(), 5);
      const s = DateTime.fromISO(`${sessionDay}T22:00`, { zone: ZONE });
      await t.pool.query(`INSERT INTO night_sessions (device_id, start_at, end_at, patient_id, usage_hours) VALUES ($1, $2, $3, $4, 7)`, [
        vent.deviceId,
        s.toJSDate(),
        s.plus({ hours: 7 }).toJSDate(),
        patient.id,
      ]);
      const endDate = minusDays(todayLocal(), 3);
      await api(t.url, 'POST', `/api/episodes/${created.body.id}/end`, physician.token, { reason: 'stop', endDate });
      const months = (await api<{ months: ComplianceMonth[] }>(t.url, 'GET', `/api/episodes/${created.body.id}/compliance`, nurse.token)).body.months;
      expect(months).toEqual([{ month: 1, from: start, to: expect.any(String), days: 10, daysWithData: 1, ratio: 0.1, met: false }]);
      const days = (await api<{ day: string; dataReceived: boolean; ventilationHours: number | null }[]>(t.url, 'GET', `/api/patients/${patient.id}/days?days=14`, nurse.token)).body;
      expect(days.filter((d) => d.dataReceived).map((d) => d.day)).toEqual([sessionDay]);
      expect(days.find((d) => d.day === sessionDay)!.ventilationHours).toBe(7);
      expect((await audits(patient.id, 'episode.compliance.read')).length).toBe(1);
    });
  });
});
