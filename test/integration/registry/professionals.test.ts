import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { connectConsole, raiseAlert, type ConsoleClient } from '../../support/console-support.js';
import { validRpps } from '../../support/identity-fixture.js';
import { api, eventually, startTestApp, type TestApp, type TestUser } from '../../support/test-app.js';

jest.setTimeout(30000);

type ErrorBody = { error: { code: string; message: string } };
interface UserBody {
  id: string;
  role: string;
  rpps: string | null;
  active: boolean;
  careTeamIds: string[];
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Issue 17 point 2 (CONTRACT §8): the RPPS of nurses and physicians, and PATCH /api/users/:id
 * (teams, role, RPPS, active) with its validations (nothing changed on a refusal). Deactivation's
 * effect on tokens and sockets: auth-sessions.test.ts, console-sessions.test.ts and below.
 */
describe('professionals: RPPS and PATCH /api/users/:id', () => {
  let t: TestApp;
  let admin: TestUser;
  const clients: ConsoleClient[] = [];

  beforeAll(async () => {
    t = await startTestApp({ roles: ['api'] });
    admin = await t.ctx.newUser('admin');
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await t.close();
  });

  const asAdmin = <T>(method: string, path: string, body?: unknown) => api<T>(t.url, method, path, admin.token, body);
  const newAccount = (body: Record<string, unknown>) =>
    asAdmin<UserBody & ErrorBody>('POST', '/api/users', { username: `u.${randomUUID().slice(0, 8)}`, password: `correct-horse-${randomUUID()}`, ...body });
  const row = async (id: string) => (await t.pool.query(`SELECT role, rpps, active, national_id FROM users WHERE id = $1`, [id])).rows[0];
  const teamsOf = async (id: string) => (await t.pool.query(`SELECT care_team_id FROM user_care_teams WHERE user_id = $1 ORDER BY 1`, [id])).rows.map((r) => r.care_team_id);

  it('creates nurses and physicians with their RPPS; refuses a bad key, a bad format, an admin with one, a duplicate', async () => {
    const rpps = validRpps();
    const nurse = await newAccount({ role: 'nurse', rpps });
    expect(nurse.status).toBe(201);
    expect(nurse.body.rpps).toBe(rpps);
    expect((await asAdmin<UserBody[]>('GET', '/api/users')).body.find((u) => u.id === nurse.body.id)?.rpps).toBe(rpps);
    const noRpps = await newAccount({ role: 'physician' });
    expect(noRpps.body.rpps).toBeNull();
    const wrongKey = rpps.slice(0, 10) + String((Number(rpps[10]) + 1) % 10);
    for (const [body, status] of [
      [{ role: 'physician', rpps: wrongKey }, 400],
      [{ role: 'physician', rpps: '1234567890' }, 400],
      [{ role: 'physician', rpps: 10003508818 }, 400],
      [{ role: 'physician', rpps: '1000350881A' }, 400],
      [{ role: 'admin', rpps: validRpps() }, 400],
      [{ role: 'physician', nationalId: '123456' }, 400],
      [{ role: 'physician', rpps }, 409],
    ] as const) {
      const res = await newAccount(body);
      expect({ body, status: res.status, code: res.body.error?.code }).toEqual({ body, status, code: status === 409 ? 'CONFLICT' : 'VALIDATION_FAILED' });
    }
  });

  it('changes the role, the RPPS and the teams; each applies to the next request, and is audited', async () => {
    const a = await t.ctx.newTeamWithPatient();
    const b = await t.ctx.newCareTeam();
    const rpps = validRpps();
    const res = await asAdmin<UserBody>('PATCH', `/api/users/${a.nurse.id}`, { role: 'physician', rpps, careTeamIds: [b.id] });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ role: 'physician', rpps, careTeamIds: [b.id], active: true });
    const me = await api<{ role: string; careTeamIds: string[] }>(t.url, 'GET', '/api/me', a.nurse.token);
    expect(me.body).toMatchObject({ role: 'physician', careTeamIds: [b.id] });
    // A physician may now change thresholds — of her new team's patients only.
    expect((await api(t.url, 'GET', `/api/patients/${a.patient.id}`, a.nurse.token)).status).toBe(404);
    const audit = await t.pool.query(`SELECT actor_id, details FROM audit_log WHERE action = 'registry.user.update' AND target_id = $1`, [a.nurse.id]);
    expect(audit.rows).toEqual([
      {
        actor_id: admin.id,
        details: { fields: ['careTeamIds', 'role', 'rpps'], careTeamIds: [b.id], careTeamIdsBefore: [a.team.id], role: 'physician', roleBefore: 'nurse', rppsChanged: true },
      },
    ]);
    expect(JSON.stringify(audit.rows)).not.toContain(rpps);
    const removed = await asAdmin<UserBody>('PATCH', `/api/users/${a.nurse.id}`, { rpps: null });
    expect(removed.body.rpps).toBeNull();
  });

  it('refuses with a stable code and changes nothing', async () => {
    const { team, nurse } = await t.ctx.newTeamWithPatient();
    const rpps = validRpps();
    expect((await asAdmin('PATCH', `/api/users/${nurse.id}`, { rpps })).status).toBe(200);
    const taken = validRpps();
    expect((await newAccount({ role: 'nurse', rpps: taken })).status).toBe(201);
    const before = { ...(await row(nurse.id)), teams: await teamsOf(nurse.id) };
    const cases: [string, string, unknown, number, string][] = [
      ['a nurse', nurse.token, { careTeamIds: [] }, 403, 'FORBIDDEN'],
      ['RPPS with a bad key', admin.token, { rpps: rpps.slice(0, 10) + String((Number(rpps[10]) + 1) % 10) }, 400, 'VALIDATION_FAILED'],
      ['RPPS of 12 digits', admin.token, { rpps: `${rpps}0` }, 400, 'VALIDATION_FAILED'],
      ['RPPS of another user', admin.token, { rpps: taken }, 409, 'CONFLICT'],
      ['unknown role', admin.token, { role: 'surgeon' }, 400, 'VALIDATION_FAILED'],
      ['null role', admin.token, { role: null }, 400, 'VALIDATION_FAILED'],
      ['null active', admin.token, { active: null }, 400, 'VALIDATION_FAILED'],
      ['unknown field', admin.token, { active: false, password: 'x' }, 400, 'VALIDATION_FAILED'],
      ['admin with teams', admin.token, { role: 'admin' }, 400, 'VALIDATION_FAILED'],
      ['admin with an RPPS', admin.token, { role: 'admin', careTeamIds: [] }, 400, 'VALIDATION_FAILED'],
      ['unknown team', admin.token, { careTeamIds: [randomUUID()], role: 'physician' }, 400, 'VALIDATION_FAILED'],
      ['nothing', admin.token, {}, 400, 'VALIDATION_FAILED'],
    ];
    for (const [name, token, body, status, code] of cases) {
      const res = await api<ErrorBody>(t.url, 'PATCH', `/api/users/${nurse.id}`, token, body);
      expect({ name, status: res.status, code: res.body.error?.code }).toEqual({ name, status, code });
    }
    expect({ ...(await row(nurse.id)), teams: await teamsOf(nurse.id) }).toEqual(before);
    expect(before.teams).toEqual([team.id]);
    expect((await asAdmin<ErrorBody>('PATCH', `/api/users/${admin.id}`, { role: 'nurse' })).body.error.code).toBe('CONFLICT');
    // A nurse becomes an admin: no team, no RPPS, then the registry is hers.
    const promoted = await asAdmin<UserBody>('PATCH', `/api/users/${nurse.id}`, { role: 'admin', careTeamIds: [], rpps: null });
    expect(promoted.body).toMatchObject({ role: 'admin', careTeamIds: [], rpps: null });
    expect((await api(t.url, 'GET', '/api/users', nurse.token)).status).toBe(200);
  });

  it('a removed nurse stops receiving her old team’s alerts at once (not at the 30 s re-check); a deactivated one is disconnected and refused', async () => {
    const a = await t.ctx.newTeamWithPatient();
    const c = await connectConsole(t.url, a.nurse.token);
    clients.push(c);
    await raiseAlert(t, a.patient.id, { rule: 'spo2.critical' });
    await eventually(async () => c.received.length === 1);
    const started = Date.now();
    expect((await asAdmin('PATCH', `/api/users/${a.nurse.id}`, { careTeamIds: [] })).status).toBe(200);
    await sleep(300);
    await raiseAlert(t, a.patient.id, { rule: 'pulse.high', severity: 'warning', value: 140, threshold: 120 });
    await sleep(1000);
    expect(c.received).toHaveLength(1);
    expect(Date.now() - started).toBeLessThan(10_000);

    const ended = new Promise<string>((resolve) => c.socket.once('auth.expired', (info: { reason: string }) => resolve(info.reason)));
    expect((await asAdmin('PATCH', `/api/users/${a.nurse.id}`, { active: false })).status).toBe(200);
    expect(await ended).toBe('deactivated');
    expect((await api<ErrorBody>(t.url, 'GET', '/api/me', a.nurse.token)).status).toBe(401);
    const login = await api<ErrorBody>(t.url, 'POST', '/api/auth/login', undefined, { username: a.nurse.username, password: a.nurse.password });
    expect(login.body.error.code).toBe('INVALID_CREDENTIALS');
  });
});
