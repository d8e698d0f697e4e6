import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { insertReadings, regular, repeat } from '../../support/readings-fixture.js';
import { api, startTestApp, type TestApp } from '../../support/test-app.js';

jest.setTimeout(60000);

interface Row {
  patientId: string;
  displayName: string;
  lastDataAt: string | null;
  openAlerts: number;
  openAlertsBySeverity: { critical: number; warning: number; info: number };
  adherence7d: number | null;
  usageHours7d: number | null;
  leak7d: number | null;
  ahi7d: number | null;
  spo2NightMean7d: number | null;
  compliance: { month: number; days: number; daysWithData: number; met: boolean } | null;
  lastReviewAt: string | null;
  reviewOverdue: boolean;
  alertsOn: boolean;
}

const DAY = 86_400_000;
const isoDate = (ms: number) => new Date(ms).toISOString().slice(0, 10);

describe('GET /api/patients/overview (the population view)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ roles: ['api'] });
  });
  afterAll(async () => {
    await t.close();
  });

  const alert = (patientId: string, rule: string, severity: string, status: string) =>
    t.pool.query(
      `INSERT INTO alerts (patient_id, rule, severity, status, started_at, last_triggered_at, message, resolved_at)
       VALUES ($1, $2, $3, $4, now() - interval '1 hour', now(), 'fixture', CASE WHEN $4 = 'resolved' THEN now() END)`,
      [patientId, rule, severity, status],
    );

  it("gives a nurse her team's patients only, the 7-night figures worked out by hand, nulls without data", async () => {
    const { team, nurse, physician, patient, device } = await t.ctx.newTeamWithPatient();
    await t.pool.query(`UPDATE patients SET timezone = 'UTC' WHERE id = $1`, [patient.id]);
    const ventilator = await t.ctx.newDevice(patient.id, 'ventilator');
    const quiet = await t.ctx.newPatient(team.id);
    const elsewhere = await t.ctx.newTeamWithPatient();
    await alert(elsewhere.patient.id, 'spo2.low', 'warning', 'open');

    // The 7 nights are the evenings of today−7 … today−1 (UTC here). Night today−2: a session of
    // 8 h (leak P95 20 L/min, AHI 4); night today−3: 3 h (30 L/min, AHI 6); no other session.
    const today = Math.floor(Date.now() / DAY) * DAY;
    const at = (dayMs: number, hhmmss: string) => `${isoDate(dayMs)}T${hhmmss}Z`;
    const session = (night: number, end: number, hours: number, leak: number, ahi: number) =>
      t.pool.query(
        `INSERT INTO night_sessions (device_id, start_at, end_at, patient_id, usage_hours, leak_p95, ahi)
         VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [ventilator.deviceId, at(night, '22:00:00'), at(end, '06:00:00'), patient.id, hours, leak, ahi],
      );
    await session(today - 2 * DAY, today - DAY, 8, 20, 4);
    await session(today - 3 * DAY, today - 2 * DAY, 3, 30, 6);
    // SpO2 at 1 Hz: 10 min at 95 in night today−2, 30 min at 91 in night today−5 (20:00–08:00
    // window, no session), and a poor-signal sample (left out).
    const base = { deviceId: device.deviceId, patientId: patient.id, metric: 'spo2' };
    await insertReadings(t.pool, [
      ...regular(base, at(today - 2 * DAY, '22:00:00'), 1000, repeat(95, 600)),
      ...regular(base, at(today - 5 * DAY, '23:00:00'), 1000, repeat(91, 1800)),
      { ...base, at: at(today - 5 * DAY, '23:40:00'), value: 50, signalOk: false },
    ]);
    await alert(patient.id, 'spo2.low', 'warning', 'open');
    await alert(patient.id, 'spo2.critical', 'critical', 'acknowledged');
    await alert(patient.id, 'pulse.high', 'warning', 'resolved');

    const res = await api<Row[]>(t.url, 'GET', '/api/patients/overview', nurse.token);
    expect(res.status).toBe(200);
    expect(Array.isArray(res.body)).toBe(true);
    const byId = new Map(res.body.map((r) => [r.patientId, r]));
    // Her team only: never another team's patient.
    expect([...byId.keys()].sort()).toEqual([patient.id, quiet.id].sort());

    const row = byId.get(patient.id)!;
    expect(row).toMatchObject({
      // The newest data: the end of the session of night today−2 (06:00 on today−1).
      lastDataAt: new Date(at(today - DAY, '06:00:00')).toISOString(),
      openAlerts: 2,
      openAlertsBySeverity: { critical: 1, warning: 1, info: 0 },
      // 1 night of 7 with ≥ 4 h → 14.3 %; (8 + 3) / 7 = 1.57 h; leak (20 + 30) / 2; AHI (4 + 6) / 2.
      adherence7d: 14.3,
      usageHours7d: 1.57,
      leak7d: 25,
      ahi7d: 5,
      // (10 min × 95 + 30 min × 91) / 40 min = 92.
      spo2NightMean7d: 92,
      alertsOn: true,
      lastReviewAt: null,
    });
    expect(row.compliance).toMatchObject({ month: expect.any(Number), days: expect.any(Number) });

    // The same nights as the /nights page shows.
    const nights = await api<{ sessions: number; leakP95: number | null }[]>(t.url, 'GET', `/api/patients/${patient.id}/nights?days=7`, physician.token);
    expect(nights.body.filter((n) => n.sessions > 0).map((n) => n.leakP95)).toEqual([30, 20]);

    // Without data: null, not 0.
    expect(byId.get(quiet.id)).toMatchObject({
      lastDataAt: null,
      openAlerts: 0,
      adherence7d: null,
      usageHours7d: null,
      leak7d: null,
      ahi7d: null,
      spo2NightMean7d: null,
      lastReviewAt: null,
    });

    // One audited list read naming the patients returned.
    const audit = await t.pool.query(`SELECT details FROM audit_log WHERE actor_id = $1 AND action = 'patient.overview.list'`, [nurse.id]);
    expect(audit.rows).toHaveLength(1);
    expect(audit.rows[0].details).toMatchObject({ count: 2, nights: 7 });

    // The other team's nurse sees her patient only; a physician of the team, the same rows.
    const other = await api<Row[]>(t.url, 'GET', '/api/patients/overview', elsewhere.nurse.token);
    expect(other.body.map((r) => r.patientId)).toEqual([elsewhere.patient.id]);
    expect(other.body[0]!.openAlerts).toBe(1);
    const byPhysician = await api<Row[]>(t.url, 'GET', '/api/patients/overview', physician.token);
    expect(byPhysician.body.find((r) => r.patientId === patient.id)).toMatchObject({ adherence7d: 14.3, spo2NightMean7d: 92 });
  });

  it('is not taken for a patient id by GET /api/patients/:id; admin 403, no token 401', async () => {
    const { team } = await t.ctx.newTeamWithPatient();
    const admin = await t.ctx.newUser('admin', [team.id]);
    expect((await api(t.url, 'GET', '/api/patients/overview', admin.token)).status).toBe(403);
    expect((await api(t.url, 'GET', '/api/patients/overview')).status).toBe(401);
    // The registry route still answers for a real id.
    const { nurse, patient } = await t.ctx.newTeamWithPatient();
    expect((await api<{ id: string }>(t.url, 'GET', `/api/patients/${patient.id}`, nurse.token)).body.id).toBe(patient.id);
  });
});
