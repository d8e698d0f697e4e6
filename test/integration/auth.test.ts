import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { JwtService } from '@nestjs/jwt';
import { api, startTestApp, type TestApp } from '../support/test-app.js';
import { TEST_JWT_SECRET } from '../support/test-env.js';

describe('auth and the error format (REST)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ roles: ['api'] });
  });
  afterAll(async () => {
    await t.close();
  });

  it('logs in with the right password and returns a short-lived token', async () => {
    const team = await t.ctx.newCareTeam();
    const nurse = await t.ctx.newUser('nurse', [team.id]);
    const res = await api<{ accessToken: string; expiresIn: number }>(t.url, 'POST', '/api/auth/login', undefined, {
      username: nurse.username,
      password: nurse.password,
    });
    expect(res.status).toBe(200);
    expect(res.body.accessToken.split('.')).toHaveLength(3);
    expect(res.body.expiresIn).toBe(900);
  });

  it('refuses a wrong password with a stable code and audits the failure', async () => {
    const nurse = await t.ctx.newUser('nurse');
    const res = await api(t.url, 'POST', '/api/auth/login', undefined, { username: nurse.username, password: 'wrong' });
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ error: { code: 'INVALID_CREDENTIALS', message: 'invalid username or password' } });
    const audit = await t.pool.query(`SELECT outcome FROM audit_log WHERE actor_id = $1 AND action = 'auth.login'`, [nurse.id]);
    expect(audit.rows.map((r) => r.outcome)).toContain('failure');
  });

  it('locks the account after 5 failures, even for the right password', async () => {
    const nurse = await t.ctx.newUser('nurse');
    for (let i = 0; i < 5; i++) {
      await api(t.url, 'POST', '/api/auth/login', undefined, { username: nurse.username, password: `wrong-${i}` });
    }
    const res = await api<{ error: { code: string } }>(t.url, 'POST', '/api/auth/login', undefined, {
      username: nurse.username,
      password: nurse.password,
    });
    expect(res.status).toBe(423);
    expect(res.body.error.code).toBe('ACCOUNT_LOCKED');
  });

  it('unlocks after the lock expires; further failures lock again for longer, a success starts over (issue 21)', async () => {
    // The lock is per (account, source) and in memory now: a short first lock to see it expire.
    const fast = await startTestApp({ roles: ['api'], env: { LOGIN_LOCK_BASE_SECONDS: '1' } });
    try {
      const nurse = await fast.ctx.newUser('nurse');
      const login = (password: string) => api<{ error: { code: string } }>(fast.url, 'POST', '/api/auth/login', undefined, { username: nurse.username, password });
      for (let i = 0; i < 5; i++) expect((await login(`wrong-${i}`)).status).toBe(401);
      expect((await login(nurse.password)).status).toBe(423);
      await new Promise((r) => setTimeout(r, 1100)); // the first lock (1 s) passes
      const wrong = await login('wrong-again');
      expect(wrong.status).toBe(401);
      expect(wrong.body.error.code).toBe('INVALID_CREDENTIALS');
      expect((await login(nurse.password)).status).toBe(423); // locked again, for 2 s
      await new Promise((r) => setTimeout(r, 2100));
      expect((await login(nurse.password)).status).toBe(200);
      // A success starts over: it takes 5 new consecutive failures to lock it again.
      for (let i = 0; i < 4; i++) expect((await login(`wrong-${i}`)).status).toBe(401);
      expect((await login(nurse.password)).status).toBe(200);
      for (let i = 0; i < 5; i++) await login(`wrong-${i}`);
      expect((await login(nurse.password)).status).toBe(423);
    } finally {
      await fast.close();
    }
  });

  it('audits every failed login with who, when and from where, each rate-limited attempt included', async () => {
    // TRUST_PROXY: the test plays a proxy on loopback that names the clients (issue 21: believed only then).
    const rl = await startTestApp({ roles: ['api'], env: { LOGIN_RATE_LIMIT_PER_IP: '1000', LOGIN_RATE_LIMIT_PER_USERNAME: '3', TRUST_PROXY: 'loopback' } });
    try {
      const nurse = await rl.ctx.newUser('nurse'); // its first login succeeds: not counted (issue 21: failures only)
      const since = (await rl.pool.query(`SELECT now() AS at`)).rows[0].at as Date;
      const statuses: number[] = [];
      for (let i = 1; i <= 5; i++) {
        const res = await fetch(`${rl.url}/api/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-forwarded-for': `198.18.0.${i}` },
          body: JSON.stringify({ username: nurse.username, password: `wrong-${i}` }),
        });
        statuses.push(res.status);
      }
      expect(statuses).toEqual([401, 401, 401, 429, 429]);
      const { rows } = await rl.pool.query(
        `SELECT actor_id, actor_role, ip, outcome, details->>'reason' AS reason, (at IS NOT NULL) AS dated
           FROM audit_log WHERE action = 'auth.login' AND actor_id = $1 AND at >= $2 ORDER BY id`,
        [nurse.id, since],
      );
      expect(rows).toEqual(
        [1, 2, 3, 4, 5].map((i) => ({
          actor_id: nurse.id,
          actor_role: 'nurse',
          ip: `198.18.0.${i}`,
          outcome: i <= 3 ? 'failure' : 'denied',
          reason: i <= 3 ? 'bad-password' : 'rate-limited',
          dated: true,
        })),
      );
      // An unknown username is recorded as typed (there is no account to name).
      const ghost = `ghost-${nurse.id.slice(0, 8)}`;
      expect((await api(rl.url, 'POST', '/api/auth/login', undefined, { username: ghost, password: 'x' })).status).toBe(401);
      const unknown = await rl.pool.query(`SELECT actor_id, ip, outcome, details FROM audit_log WHERE action = 'auth.login' AND details->>'username' = $1`, [ghost]);
      expect(unknown.rows).toEqual([{ actor_id: null, ip: expect.any(String), outcome: 'failure', details: { reason: 'unknown-user', username: ghost } }]);
    } finally {
      await rl.close();
    }
  });

  it('answers 401 UNAUTHENTICATED without a token or with a bad one, and never a stack trace', async () => {
    const none = await api<{ error: { code: string } }>(t.url, 'GET', '/api/me');
    expect(none.status).toBe(401);
    expect(none.body).toEqual({ error: { code: 'UNAUTHENTICATED', message: 'missing bearer token' } });
    const garbage = await api<{ error: { code: string } }>(t.url, 'GET', '/api/me', 'x.y.z');
    expect(garbage.status).toBe(401);
    expect(garbage.body.error.code).toBe('UNAUTHENTICATED');
    const nurse = await t.ctx.newUser('nurse');
    const otherKey = await new JwtService({ secret: 'another-secret-0123456789abcdef0123456789' }).signAsync(
      { sub: nurse.id, role: 'admin' },
      { issuer: 'telemonitoring', expiresIn: 60 },
    );
    const forged = await api<{ error: { code: string } }>(t.url, 'GET', '/api/me', otherKey);
    expect(forged.status).toBe(401);
    expect(forged.body.error.code).toBe('UNAUTHENTICATED');
    const ok = await api<{ id: string; role: string }>(t.url, 'GET', '/api/me', nurse.token);
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ id: nurse.id, role: 'nurse' });
    const bad = await api<{ error: { code: string } }>(t.url, 'POST', '/api/auth/login', 'x.y.z', '{"username": ');
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).not.toMatch(/at .*\.(js|ts):\d+/);
  });

  it('answers 401 TOKEN_EXPIRED to an expired token signed with the right key', async () => {
    const nurse = await t.ctx.newUser('nurse');
    const past = Math.floor(Date.now() / 1000) - 3600;
    const expired = await new JwtService({ secret: TEST_JWT_SECRET }).signAsync(
      { sub: nurse.id, role: 'nurse', iat: past, exp: past + 900 },
      { issuer: 'telemonitoring' },
    );
    const res = await api<{ error: { code: string } }>(t.url, 'GET', '/api/me', expired);
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ error: { code: 'TOKEN_EXPIRED', message: 'access token expired' } });
  });

  it('refuses unknown and wrongly typed fields with VALIDATION_FAILED', async () => {
    const res = await api<{ error: { code: string } }>(t.url, 'POST', '/api/auth/login', undefined, {
      username: 42,
      password: 'x',
      admin: true,
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION_FAILED');
  });

  it('reports ready on /health when the database and broker are reachable', async () => {
    const res = await api<{ status: string }>(t.url, 'GET', '/health');
    // The broker probe connects asynchronously; give it a moment.
    let status = res.status;
    for (let i = 0; i < 20 && status !== 200; i++) {
      await new Promise((r) => setTimeout(r, 100));
      status = (await api(t.url, 'GET', '/health')).status;
    }
    expect(status).toBe(200);
  });
});
