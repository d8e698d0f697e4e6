import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { DateTime } from 'luxon';
import { therapyDayOf } from '#domain';
import { insertReadings } from '../../support/readings-fixture.js';
import { api, startTestApp, type TestApp } from '../../support/test-app.js';

jest.setTimeout(60000);

interface Row {
  patientId: string;
  displayName: string;
  episode: { id: string; status: string } | null;
  alertsOn: boolean;
  compliance: { month: number; days: number; daysWithData: number; met: boolean } | null;
  belowTransmissionCheck: boolean;
  lastReviewAt: string | null;
  reviewDueAt: string | null;
  reviewOverdue: boolean;
}

const ZONE = 'Europe/Paris';
const DAY = 86_400_000;
const today = () => therapyDayOf(Date.now(), ZONE);
const minusDays = (d: string, n: number) => DateTime.fromISO(d, { zone: 'UTC' }).minus({ days: n }).toISODate()!;

describe('GET /api/telemonitoring/patients (the console patient list)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ roles: ['api'], env: { REVIEW_CADENCE_DAYS: '7' } });
  });
  afterAll(async () => {
    await t.close();
  });

  /** One SpO2 sample at 20:00 local on each of these therapy days. */
  const dataOn = (patientId: string, deviceId: string, days: string[]) =>
    insertReadings(
      t.pool,
      days.map((d) => ({ deviceId, patientId, metric: 'spo2', value: 94, at: DateTime.fromISO(`${d}T20:00`, { zone: ZONE }).toMillis() })),
    );
  const review = async (patientId: string, authorId: string, at: number) =>
    t.pool.query(`INSERT INTO reviews (patient_id, author_id, note, at) VALUES ($1, $2, 'seen', $3)`, [patientId, authorId, new Date(at)]);

  it('flags the current month below the transmission check, alerts off without an episode, the last review and review overdue; only the caller’s teams', async () => {
    const { team, nurse, physician } = await t.ctx.newTeamWithPatient({ episode: false });
    const newPatient = async () => {
      const p = await t.ctx.newPatient(team.id, 'hypercapnic', { episode: false });
      return { ...p, device: await t.ctx.newDevice(p.id) };
    };
    // Sparse: an episode begun 40 days ago (now in its month 2), data on one day of month 2, reviewed 10 days ago.
    const sparse = await newPatient();
    await t.ctx.startEpisode(sparse.id, minusDays(today(), 40));
    await dataOn(sparse.id, sparse.device.deviceId, [minusDays(today(), 2)]);
    await review(sparse.id, nurse.id, Date.now() - 10 * DAY);
    // Regular: begun 5 days ago, data every day, reviewed 2 days ago.
    const regular = await newPatient();
    await t.ctx.startEpisode(regular.id, minusDays(today(), 5));
    await dataOn(regular.id, regular.device.deviceId, [5, 4, 3, 2, 1, 0].map((n) => minusDays(today(), n)));
    await review(regular.id, physician.id, Date.now() - 2 * DAY);
    // Registered, never prescribed: alerts off, nothing due.
    const unprescribed = await newPatient();
    // Prescribed 9 days ago, never reviewed: overdue (counted from the start).
    const unreviewed = await newPatient();
    await t.ctx.startEpisode(unreviewed.id, minusDays(today(), 9));
    const elsewhere = await t.ctx.newTeamWithPatient();

    const res = await api<Row[]>(t.url, 'GET', '/api/telemonitoring/patients', nurse.token);
    expect(res.status).toBe(200);
    const byId = new Map(res.body.map((r) => [r.patientId, r]));
    expect(byId.has(elsewhere.patient.id)).toBe(false);
    expect(byId.get(sparse.id)).toMatchObject({
      alertsOn: true,
      episode: { status: 'active' },
      compliance: { month: 2, daysWithData: 1, met: false },
      belowTransmissionCheck: true,
      reviewOverdue: true,
    });
    expect(Date.parse(byId.get(sparse.id)!.lastReviewAt!)).toBeCloseTo(Date.now() - 10 * DAY, -4);
    expect(byId.get(regular.id)).toMatchObject({ alertsOn: true, compliance: { month: 1, met: true }, belowTransmissionCheck: false, reviewOverdue: false });
    expect(byId.get(regular.id)!.compliance!.daysWithData).toBe(byId.get(regular.id)!.compliance!.days);
    expect(Date.parse(byId.get(regular.id)!.reviewDueAt!)).toBeCloseTo(Date.now() + 5 * DAY, -4);
    expect(byId.get(unprescribed.id)).toMatchObject({ alertsOn: false, episode: null, compliance: null, belowTransmissionCheck: false, lastReviewAt: null, reviewOverdue: false });
    expect(byId.get(unreviewed.id)).toMatchObject({ alertsOn: true, lastReviewAt: null, reviewOverdue: true });

    // One audited list read naming the patients returned.
    const audit = await t.pool.query(`SELECT details FROM audit_log WHERE actor_id = $1 AND action = 'patient.telemonitoring.list'`, [nurse.id]);
    expect(audit.rows).toHaveLength(1);
    expect(audit.rows[0].details).toMatchObject({ count: res.body.length, reviewCadenceDays: 7 });

    // An admin has no console list (403); no token, 401.
    const admin = await t.ctx.newUser('admin', [team.id]);
    expect((await api(t.url, 'GET', '/api/telemonitoring/patients', admin.token)).status).toBe(403);
    expect((await api(t.url, 'GET', '/api/telemonitoring/patients')).status).toBe(401);
  });
});
