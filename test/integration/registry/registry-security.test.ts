import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { api, startTestApp, type TestApp, type TestUser } from '../../support/test-app.js';

type ErrorBody = { error: { code: string; message: string } };
interface AuditRow {
  id: string;
  at: string;
  actorId: string | null;
  action: string;
  patientId: string | null;
  targetId: string | null;
  outcome: string;
  details: Record<string, unknown> | null;
}
const uniq = () => randomUUID().slice(0, 8);

/** Login from a chosen client address (the app below trusts X-Forwarded-For from loopback, TRUST_PROXY, as behind a local proxy). */
async function loginFrom(url: string, ip: string, username: string, password: string) {
  const res = await fetch(`${url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': ip },
    body: JSON.stringify({ username, password }),
  });
  return { status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as ErrorBody };
}

describe('registry security: rate limits, audit and rejections queries, append-only audit, hostile input', () => {
  let t: TestApp;
  let admin: TestUser;
  beforeAll(async () => {
    t = await startTestApp({ roles: ['api'] });
    admin = await t.ctx.newUser('admin');
  });
  afterAll(async () => {
    await t.close();
  });

  describe('login rate limiting', () => {
    // An app of its own with the production-like limits: the other tests log in freely from 127.0.0.1.
    let rl: TestApp;
    beforeAll(async () => {
      rl = await startTestApp({ roles: ['api'], env: { LOGIN_RATE_LIMIT_PER_IP: '10', LOGIN_RATE_LIMIT_PER_USERNAME: '4', TRUST_PROXY: 'loopback' } });
    });
    afterAll(async () => {
      await rl.close();
    });

    it('refuses the 11th attempt in a minute from one address with 429, other addresses unaffected', async () => {
      const ip = `198.51.100.${Math.floor(Math.random() * 250) + 1}`;
      const statuses: number[] = [];
      for (let i = 0; i < 10; i++) statuses.push((await loginFrom(rl.url, ip, `ghost-${uniq()}`, 'wrong-password')).status);
      expect(statuses).toEqual(Array(10).fill(401));
      const ghost = `ghost-${uniq()}`;
      const refused = await loginFrom(rl.url, ip, ghost, 'wrong-password');
      expect(refused.status).toBe(429);
      expect(refused.body.error.code).toBe('TOO_MANY_REQUESTS');
      expect(Number(refused.retryAfter)).toBeGreaterThan(0);
      // Even the right password of a real user is refused from that address for now...
      const nurse = await rl.ctx.newUser('nurse');
      expect((await loginFrom(rl.url, ip, nurse.username, nurse.password)).status).toBe(429);
      // ...but not from another one.
      expect((await loginFrom(rl.url, '203.0.113.7', nurse.username, nurse.password)).status).toBe(200);
      // Every refused attempt is audited, with the username tried and the account it names.
      const audit = await rl.pool.query(`SELECT actor_id, details FROM audit_log WHERE action = 'auth.login' AND outcome = 'denied' AND ip = $1 ORDER BY id`, [ip]);
      expect(audit.rows).toEqual([
        { actor_id: null, details: { reason: 'rate-limited', scope: 'ip', username: ghost } },
        { actor_id: nurse.id, details: { reason: 'rate-limited', scope: 'ip', username: nurse.username } },
      ]);
    });

    it('limits attempts on one username across addresses, before the lock-out', async () => {
      const username = `ghost-${uniq()}`;
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) statuses.push((await loginFrom(rl.url, `192.0.2.${i + 1}`, username, 'wrong-password')).status);
      expect(statuses).toEqual([401, 401, 401, 401, 429]);
    });
  });

  describe('GET /api/admin/audit', () => {
    it('returns login and registry events, newest first, filtered by actor, action and patient', async () => {
      const me = await t.ctx.newUser('admin');
      const team = await api<{ id: string }>(t.url, 'POST', '/api/care-teams', me.token, { name: `audit-${uniq()}` });
      const patient = await api<{ id: string }>(t.url, 'POST', '/api/patients', me.token, { displayName: 'P', careTeamId: team.body.id, profile: 'standard' });
      const deviceId = `OX-${uniq()}`;
      await api(t.url, 'POST', '/api/devices', me.token, { deviceId, kind: 'oximeter', patientId: patient.body.id });

      const res = await api<AuditRow[]>(t.url, 'GET', `/api/admin/audit?actorId=${me.id}`, admin.token);
      expect(res.status).toBe(200);
      expect(res.body.map((r) => r.action)).toEqual(['registry.device.register', 'registry.patient.create', 'registry.care_team.create', 'auth.login']);
      const ids = res.body.map((r) => BigInt(r.id));
      expect([...ids].sort((a, b) => (a > b ? -1 : 1))).toEqual(ids);
      expect(res.body[0]).toMatchObject({ targetId: deviceId, patientId: patient.body.id, outcome: 'success', details: { kind: 'oximeter' } });

      const registryOnly = await api<AuditRow[]>(t.url, 'GET', `/api/admin/audit?actorId=${me.id}&action=registry.*&limit=2`, admin.token);
      expect(registryOnly.body.map((r) => r.action)).toEqual(['registry.device.register', 'registry.patient.create']);
      const exact = await api<AuditRow[]>(t.url, 'GET', `/api/admin/audit?actorId=${me.id}&action=auth.login`, admin.token);
      expect(exact.body.map((r) => r.action)).toEqual(['auth.login']);
      const byPatient = await api<AuditRow[]>(t.url, 'GET', `/api/admin/audit?patientId=${patient.body.id}`, admin.token);
      expect(byPatient.body.map((r) => r.action)).toEqual(['registry.device.register', 'registry.patient.create']);
      const next = await api<AuditRow[]>(t.url, 'GET', `/api/admin/audit?actorId=${me.id}&beforeId=${res.body[1]!.id}`, admin.token);
      expect(next.body.map((r) => r.action)).toEqual(['registry.care_team.create', 'auth.login']);
      const future = await api<AuditRow[]>(t.url, 'GET', `/api/admin/audit?actorId=${me.id}&since=2999-01-01T00:00:00Z`, admin.token);
      expect(future.body).toEqual([]);
      // Reading the audit log is itself audited.
      const reads = await t.pool.query(`SELECT 1 FROM audit_log WHERE action = 'audit.read' AND actor_id = $1`, [admin.id]);
      expect(reads.rowCount).toBeGreaterThanOrEqual(6);
    });

    it.each([
      ['limit=0'],
      ['limit=5000'],
      ['limit=abc'],
      ['limit=1&limit=2'],
      ['since=yesterday'],
      ['since=2026-13-45T00:00:00Z'],
      ['patientId=%27%20OR%201%3D1--'],
      ['actorId=not-a-uuid'],
      ['action=%25'],
      ['action=auth.login%27%3B%20DROP%20TABLE%20audit_log%3B--'],
      ['beforeId=-1'],
      ['unknown=1'],
    ])('answers 400, never 500, to ?%s', async (query) => {
      const res = await api<ErrorBody>(t.url, 'GET', `/api/admin/audit?${query}`, admin.token);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toMatch(/^(VALIDATION_FAILED|BAD_REQUEST)$/);
    });
  });

  describe('GET /api/admin/rejections', () => {
    it('lists recorded rejections newest first, filtered by device and time', async () => {
      const deviceId = `OX-${uniq()}`;
      const otherId = `OX-${uniq()}`;
      const rows: [string, string, string, string][] = [
        [deviceId, 'not-json', '2026-11-20T10:00:00Z', '{"v":1,'],
        [deviceId, 'out-of-range', '2026-11-22T10:00:00Z', '{"spo2":140}'],
        [otherId, 'wrong-version', '2026-11-21T10:00:00Z', '{"v":2}'],
        [deviceId, 'bad-timestamp', '2026-11-21T10:00:00Z', '{"at":"x"}'],
      ];
      for (const [d, reason, at, excerpt] of rows) {
        await t.pool.query(`INSERT INTO rejections (device_id, topic, reason, received_at, excerpt) VALUES ($1, $2, $3, $4, $5)`, [
          d,
          `tm/v1/devices/${d}/readings`,
          reason,
          at,
          excerpt,
        ]);
      }
      const res = await api<{ id: string; deviceId: string; topic: string; reason: string; receivedAt: string; excerpt: string }[]>(
        t.url,
        'GET',
        `/api/admin/rejections?deviceId=${deviceId}`,
        admin.token,
      );
      expect(res.status).toBe(200);
      expect(res.body.map((r) => r.reason)).toEqual(['out-of-range', 'bad-timestamp', 'not-json']);
      expect(res.body[0]).toMatchObject({
        deviceId,
        topic: `tm/v1/devices/${deviceId}/readings`,
        reason: 'out-of-range',
        receivedAt: '2026-11-22T10:00:00.000Z',
        excerpt: '{"spo2":140}',
      });
      expect(typeof res.body[0]!.id).toBe('string');
      const since = await api<{ reason: string }[]>(t.url, 'GET', `/api/admin/rejections?deviceId=${deviceId}&since=2026-11-21T00:00:00Z&limit=1`, admin.token);
      expect(since.body.map((r) => r.reason)).toEqual(['out-of-range']);
      const other = await api<{ reason: string }[]>(t.url, 'GET', `/api/admin/rejections?deviceId=${otherId}`, admin.token);
      expect(other.body.map((r) => r.reason)).toEqual(['wrong-version']);
    });
  });

  it('refuses UPDATE, DELETE and TRUNCATE on audit_log (append-only by trigger)', async () => {
    const { rows } = await t.pool.query<{ id: string }>(
      `INSERT INTO audit_log (action, outcome) VALUES ('test.append-only', 'success') RETURNING id`,
    );
    const id = rows[0]!.id;
    await expect(t.pool.query(`UPDATE audit_log SET action = 'tampered' WHERE id = $1`, [id])).rejects.toThrow(/append-only/);
    await expect(t.pool.query(`DELETE FROM audit_log WHERE id = $1`, [id])).rejects.toThrow(/append-only/);
    await expect(t.pool.query(`TRUNCATE audit_log`)).rejects.toThrow(/append-only/);
    const still = await t.pool.query(`SELECT action FROM audit_log WHERE id = $1`, [id]);
    expect(still.rows).toEqual([{ action: 'test.append-only' }]);
  });

  describe('hostile REST input (issue 7 §5)', () => {
    it('answers an oversized body (> 1 MiB) with 413 and a JSON error', async () => {
      const res = await api<ErrorBody>(t.url, 'POST', '/api/care-teams', admin.token, JSON.stringify({ name: 'x'.repeat(1024 * 1024 + 10) }));
      expect(res.status).toBe(413);
      expect(res.body.error.code).toBe('PAYLOAD_TOO_LARGE');
    });

    it.each([
      ['POST', '/api/care-teams'],
      ['POST', '/api/auth/login'],
      ['PATCH', '/api/users/00000000-0000-4000-8000-000000000000'],
    ])('answers a body nested 5,000 levels deep on %s %s with 400, never 500', async (method, path) => {
      const res = await api<ErrorBody>(t.url, method, path, admin.token, `${'{"name":'.repeat(5000)}"x"${'}'.repeat(5000)}`);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('BAD_REQUEST');
    });

    it.each([
      ['POST', '/api/care-teams', { name: 42 }],
      ['POST', '/api/care-teams', { name: '' }],
      ['POST', '/api/care-teams', { name: '   ' }],
      ['POST', '/api/care-teams', { name: 'x', admin: true }],
      ['POST', '/api/care-teams', [{ name: 'x' }]],
      ['POST', '/api/care-teams', 'null'],
      ['POST', '/api/care-teams', '{"name": "x"'],
      ['POST', '/api/users', { username: "x'; DROP TABLE users; --", password: 'a-long-enough-password', role: 'nurse' }],
      ['POST', '/api/users', { username: 'valid.name', password: 'a-long-enough-password', role: 'superuser' }],
      ['POST', '/api/users', { username: 'valid.name', password: 'a-long-enough-password', role: 'nurse', careTeamIds: ['../../etc'] }],
      ['POST', '/api/users', { username: 'valid.name', password: 'a-long-enough-password', role: 'nurse', careTeamIds: 'abc' }],
      ['POST', '/api/users', { username: 'valid.name', password: ['a-long-enough-password'], role: 'nurse' }],
      ['POST', '/api/patients', { displayName: 'x', careTeamId: "' OR 1=1 --", profile: 'standard' }],
      ['POST', '/api/patients', { displayName: { $ne: null }, careTeamId: randomUUID(), profile: 'standard' }],
      ['POST', '/api/patients', { displayName: 'x', careTeamId: randomUUID(), profile: 'standard', ins: 255081416802538 }],
      ['POST', '/api/devices', { deviceId: '../../etc/passwd', kind: 'oximeter', patientId: randomUUID() }],
      ['POST', '/api/devices', { deviceId: 'OX-#', kind: 'oximeter', patientId: randomUUID() }],
      ['POST', '/api/devices', { deviceId: 'OX-1+', kind: 'toaster', patientId: randomUUID() }],
      ['PATCH', '/api/devices/OX-123', { active: 'false' }],
      ['PATCH', '/api/users/00000000-0000-4000-8000-000000000000', { active: 1 }],
    ])('answers %s %s with %j by 400, never 500', async (method, path, body) => {
      const res = await api<ErrorBody>(t.url, method, path, admin.token, body);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toMatch(/^(VALIDATION_FAILED|BAD_REQUEST)$/);
      expect(JSON.stringify(res.body)).not.toMatch(/at .*\.(js|ts):\d+|QueryFailedError|syntax error/);
    });

    it.each([
      ['__proto__', `{"username":"proto.${uniq()}","password":"a-long-enough-password","role":"nurse","__proto__":{"role":"admin"}}`],
      ['constructor', `{"username":"ctor.${uniq()}","password":"a-long-enough-password","role":"nurse","constructor":{"prototype":{"role":"admin"}}}`],
    ])('ignores a %s key: no pollution, no elevated role', async (_key, raw) => {
      const res = await api<{ role: string } & ErrorBody>(t.url, 'POST', '/api/users', admin.token, raw);
      expect([201, 400]).toContain(res.status);
      if (res.status === 201) expect(res.body.role).toBe('nurse');
      expect(({} as Record<string, unknown>).role).toBeUndefined(); // the app runs in this process
    });

    it('stores SQL-looking text literally (parameterised queries)', async () => {
      const name = `Robert'); DROP TABLE care_teams; -- ${uniq()}`;
      const res = await api<{ id: string; name: string }>(t.url, 'POST', '/api/care-teams', admin.token, { name });
      expect(res.status).toBe(201);
      expect(res.body.name).toBe(name);
      const stored = await t.pool.query(`SELECT name FROM care_teams WHERE id = $1`, [res.body.id]);
      expect(stored.rows[0].name).toBe(name);
    });

    it.each([
      ['GET', '/api/patients/..%2F..%2Fetc'],
      ['GET', '/api/patients/..%2F..%2Fetc%2Fpasswd'],
      ['GET', "/api/patients/'%20OR%20'1'%3D'1"],
      ['GET', '/api/patients/%00'],
      ['GET', '/api/patients/00000000-0000-4000-8000-00000000000g'],
      ['PATCH', '/api/devices/..%2F..%2Fetc'],
      ['PATCH', '/api/devices/%2Fdevices%2F%23'],
      ['PATCH', '/api/users/..%2F..%2Fetc'],
      ['PATCH', '/api/users/1%20OR%201%3D1'],
    ])('answers %s %s with a 4xx JSON error, never 500', async (method, path) => {
      const body = method === 'PATCH' ? { active: false } : undefined;
      for (const token of [admin.token, (await t.ctx.newTeamWithPatient()).nurse.token]) {
        const res = await api<ErrorBody>(t.url, method, path, token, body);
        expect(res.status).toBeGreaterThanOrEqual(400);
        expect(res.status).toBeLessThan(500);
        expect(res.body.error.code).toMatch(/^[A-Z_]+$/);
      }
    });

    it('answers a path-traversal patient id with the same 404 as an unknown patient', async () => {
      const { nurse } = await t.ctx.newTeamWithPatient();
      const traversal = await api<ErrorBody>(t.url, 'GET', '/api/patients/..%2F..%2Fetc', nurse.token);
      const unknown = await api<ErrorBody>(t.url, 'GET', `/api/patients/${randomUUID()}`, nurse.token);
      expect(traversal.status).toBe(404);
      expect(traversal.body).toEqual(unknown.body);
    });
  });
});
