import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { insertReadings } from '../../support/readings-fixture.js';
import { api, startTestApp, type TestApp } from '../../support/test-app.js';

// jest.config's testTimeout is not applied per project: hooks would get 5 s on a loaded machine.
jest.setTimeout(60000);

interface Bucket {
  start: string;
  min: number;
  avg: number;
  max: number;
  count: number;
}

describe('GET /api/patients/:id/trends (plain PostgreSQL)', () => {
  let t: TestApp;
  let team: Awaited<ReturnType<TestApp['ctx']['newTeamWithPatient']>>;

  beforeAll(async () => {
    t = await startTestApp({ roles: ['api'] });
    team = await t.ctx.newTeamWithPatient();
    const p = team.patient.id;
    const d = team.device.deviceId;
    const other = await t.ctx.newPatient(team.team.id);
    const otherDevice = await t.ctx.newDevice(other.id);
    await insertReadings(t.pool, [
      { deviceId: d, patientId: p, metric: 'spo2', at: '2026-10-05T10:00:00Z', value: 90 },
      { deviceId: d, patientId: p, metric: 'spo2', at: '2026-10-05T10:00:30Z', value: 94 },
      // Poor signal: stored, never summarised.
      { deviceId: d, patientId: p, metric: 'spo2', at: '2026-10-05T10:00:45Z', value: 50, signalOk: false },
      { deviceId: d, patientId: p, metric: 'spo2', at: '2026-10-05T10:01:00Z', value: 96 },
      { deviceId: d, patientId: p, metric: 'spo2', at: '2026-10-05T10:20:00Z', value: 88 },
      { deviceId: d, patientId: p, metric: 'spo2', at: '2026-10-05T11:05:00Z', value: 92 },
      { deviceId: d, patientId: p, metric: 'pulseRate', at: '2026-10-05T10:00:00Z', value: 70 },
      // Another patient's data, and a reading of this device recorded for another patient (device re-assigned).
      { deviceId: otherDevice.deviceId, patientId: other.id, metric: 'spo2', at: '2026-10-05T10:00:10Z', value: 70 },
      { deviceId: d, patientId: other.id, metric: 'spo2', at: '2026-10-05T10:00:20Z', value: 71 },
    ]);
  });
  afterAll(async () => {
    await t.close();
  });

  const trends = (query: string, token = team.physician.token, patientId = team.patient.id) =>
    api<Bucket[] & { error?: { code: string } }>(t.url, 'GET', `/api/patients/${patientId}/trends?${query}`, token);

  it.each<[string, string, Bucket[]]>([
    [
      '1h buckets from the hourly rollup',
      'metric=spo2&bucket=1h&from=2026-10-05T10:00:00Z&to=2026-10-05T12:00:00Z',
      [
        { start: '2026-10-05T10:00:00.000Z', min: 88, avg: 92, max: 96, count: 4 },
        { start: '2026-10-05T11:00:00.000Z', min: 92, avg: 92, max: 92, count: 1 },
      ],
    ],
    ['1d bucket, range widened to whole days', 'metric=spo2&bucket=1d&from=2026-10-05T09:00:00%2B02:00&to=2026-10-05T12:00:00Z', [{ start: '2026-10-05T00:00:00.000Z', min: 88, avg: 92, max: 96, count: 5 }]],
    ['6h bucket', 'metric=spo2&bucket=6h&from=2026-10-05T00:00:00Z&to=2026-10-06T00:00:00Z', [{ start: '2026-10-05T06:00:00.000Z', min: 88, avg: 92, max: 96, count: 5 }]],
    [
      '1m buckets from raw samples',
      'metric=spo2&bucket=1m&from=2026-10-05T10:00:00Z&to=2026-10-05T10:02:00Z',
      [
        { start: '2026-10-05T10:00:00.000Z', min: 90, avg: 92, max: 94, count: 2 },
        { start: '2026-10-05T10:01:00.000Z', min: 96, avg: 96, max: 96, count: 1 },
      ],
    ],
    [
      '15m buckets, range widened to [10:00, 10:45)',
      'metric=spo2&bucket=15m&from=2026-10-05T10:10:00Z&to=2026-10-05T10:31:00Z',
      [
        { start: '2026-10-05T10:00:00.000Z', min: 90, avg: 280 / 3, max: 96, count: 3 },
        { start: '2026-10-05T10:15:00.000Z', min: 88, avg: 88, max: 88, count: 1 },
      ],
    ],
    ['another metric', 'metric=pulseRate&bucket=5m&from=2026-10-05T10:00:00Z&to=2026-10-05T11:00:00Z', [{ start: '2026-10-05T10:00:00.000Z', min: 70, avg: 70, max: 70, count: 1 }]],
    ['an empty range', 'metric=spo2&bucket=1h&from=2026-10-06T00:00:00Z&to=2026-10-07T00:00:00Z', []],
  ])('%s', async (_name, query, expected) => {
    const res = await trends(query);
    expect(res.status).toBe(200);
    expect(res.body).toHaveLength(expected.length);
    expected.forEach((b, i) => {
      expect(res.body[i]).toMatchObject({ start: b.start, min: b.min, max: b.max, count: b.count });
      expect(res.body[i]!.avg).toBeCloseTo(b.avg, 9);
    });
  });

  it('refuses a range too large for the bucket with RANGE_TOO_LARGE', async () => {
    const minutes = await trends('metric=spo2&bucket=1m&from=2026-09-01T00:00:00Z&to=2026-10-01T00:00:00Z');
    expect(minutes.status).toBe(400);
    expect(minutes.body.error?.code).toBe('RANGE_TOO_LARGE');
    const hours = await trends('metric=spo2&bucket=1h&from=2020-01-01T00:00:00Z&to=2026-01-01T00:00:00Z');
    expect(hours.body.error?.code).toBe('RANGE_TOO_LARGE');
  });

  it.each([
    ['an unknown metric', 'metric=weight&bucket=1h&from=2026-10-05T00:00:00Z&to=2026-10-06T00:00:00Z'],
    ['an unknown bucket', 'metric=spo2&bucket=2h&from=2026-10-05T00:00:00Z&to=2026-10-06T00:00:00Z'],
    ['a date that is not ISO-8601', 'metric=spo2&bucket=1h&from=yesterday&to=2026-10-06T00:00:00Z'],
    ['a missing bound', 'metric=spo2&bucket=1h&from=2026-10-05T00:00:00Z'],
    ['an unknown parameter', 'metric=spo2&bucket=1h&from=2026-10-05T00:00:00Z&to=2026-10-06T00:00:00Z&limit=5'],
  ])('refuses %s with VALIDATION_FAILED', async (_name, query) => {
    const res = await trends(query);
    expect(res.status).toBe(400);
    expect(res.body.error?.code).toBe('VALIDATION_FAILED');
  });

  it('lets the nurse of the team read trends, answers 404 to another team and 403 to an admin', async () => {
    const q = 'metric=spo2&bucket=1h&from=2026-10-05T00:00:00Z&to=2026-10-06T00:00:00Z';
    expect((await trends(q, team.nurse.token)).status).toBe(200);
    const stranger = await t.ctx.newUser('physician', [(await t.ctx.newCareTeam()).id]);
    const denied = await trends(q, stranger.token);
    expect(denied.status).toBe(404);
    expect(denied.body.error?.code).toBe('NOT_FOUND');
    expect(JSON.stringify(denied.body)).not.toContain('88');
    const admin = await t.ctx.newUser('admin');
    expect((await trends(q, admin.token)).status).toBe(403);
    expect((await trends(q, team.physician.token, '00000000-0000-4000-8000-000000000000')).status).toBe(404);
    const audit = await t.pool.query(`SELECT outcome FROM audit_log WHERE actor_id = $1 AND action = 'patient.trends.read'`, [stranger.id]);
    expect(audit.rows).toEqual([{ outcome: 'denied' }]);
  });

  it('audits every read with the caller, the patient and the parameters', async () => {
    const before = await t.pool.query(`SELECT count(*)::int AS n FROM audit_log WHERE actor_id = $1 AND action = 'patient.trends.read'`, [team.physician.id]);
    const res = await trends('metric=spo2&bucket=1d&from=2026-10-05T00:00:00Z&to=2026-10-06T00:00:00Z');
    expect(res.status).toBe(200);
    const { rows } = await t.pool.query(
      `SELECT patient_id, actor_role, outcome, details FROM audit_log WHERE actor_id = $1 AND action = 'patient.trends.read' ORDER BY id DESC LIMIT 1`,
      [team.physician.id],
    );
    expect(rows[0]).toMatchObject({ patient_id: team.patient.id, actor_role: 'physician', outcome: 'success', details: { metric: 'spo2', bucket: '1d' } });
    const after = await t.pool.query(`SELECT count(*)::int AS n FROM audit_log WHERE actor_id = $1 AND action = 'patient.trends.read'`, [team.physician.id]);
    expect(after.rows[0].n).toBe(before.rows[0].n + 1);
  });
});
