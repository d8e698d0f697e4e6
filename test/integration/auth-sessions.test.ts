import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { JwtService } from '@nestjs/jwt';
import { api, startTestApp, type TestApp, type TestUser } from '../support/test-app.js';
import { TEST_JWT_SECRET } from '../support/test-env.js';

type Tokens = { accessToken: string; expiresIn: number; refreshToken?: string };
type ErrorBody = { error: { code: string; message: string } };

async function post<T>(url: string, path: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T, setCookie: res.headers.get('set-cookie'), retryAfter: res.headers.get('retry-after') };
}
const cookieOf = (setCookie: string | null) => /tm_refresh=([^;]*)/.exec(setCookie ?? '')?.[1];

describe('issue 21: login throttling, refresh tokens, logout, deactivation (REST)', () => {
  let t: TestApp;
  let admin: TestUser;
  beforeAll(async () => {
    // The production limits, and a proxy on loopback believed (TRUST_PROXY) so that tests can name sources.
    t = await startTestApp({ roles: ['api'], env: { LOGIN_RATE_LIMIT_PER_IP: '10', LOGIN_RATE_LIMIT_PER_USERNAME: '100', TRUST_PROXY: 'loopback' } });
    admin = await t.ctx.newUser('admin');
  });
  afterAll(async () => {
    await t.close();
  });
  const loginFrom = (ip: string, username: string, password: string, extra: Record<string, unknown> = {}) =>
    post<Tokens & ErrorBody>(t.url, '/api/auth/login', { username, password, ...extra }, { 'x-forwarded-for': ip });

  describe('throttling', () => {
    it('failures from one source lock that source only: the nurse logs in from her own workstation', async () => {
      const nurse = await t.ctx.newUser('nurse');
      for (let i = 0; i < 6; i++) await loginFrom('198.51.100.66', nurse.username, `wrong-${i}`);
      const attacker = await loginFrom('198.51.100.66', nurse.username, nurse.password);
      expect(attacker.status).toBe(423);
      expect(Number(attacker.retryAfter)).toBeGreaterThan(0);
      expect((await loginFrom('198.51.100.7', nurse.username, nurse.password)).status).toBe(200);
    });

    it('successful logins are not counted: a ward behind one address logs in all day', async () => {
      const nurses = await Promise.all([1, 2, 3].map(() => t.ctx.newUser('nurse')));
      const statuses: number[] = [];
      for (let i = 0; i < 15; i++) statuses.push((await loginFrom('198.51.100.20', nurses[i % 3]!.username, nurses[i % 3]!.password)).status);
      expect(statuses).toEqual(Array(15).fill(200));
    });

    it('believes X-Forwarded-For only from TRUST_PROXY: by default the audit and the limits see the peer', async () => {
      const plain = await startTestApp({ roles: ['api'], env: { LOGIN_RATE_LIMIT_PER_IP: '2' } });
      try {
        const ghost = `ghost-${Date.now()}`;
        const statuses: number[] = [];
        for (let i = 1; i <= 3; i++) {
          statuses.push((await post(plain.url, '/api/auth/login', { username: `${ghost}-${i}`, password: 'x' }, { 'x-forwarded-for': `203.0.113.${i}` })).status);
        }
        expect(statuses).toEqual([401, 401, 429]); // one source, whatever the header says
        const { rows } = await plain.pool.query(`SELECT DISTINCT ip FROM audit_log WHERE action = 'auth.login' AND details->>'username' LIKE $1`, [`${ghost}-%`]);
        expect(rows.map((r) => r.ip)).toEqual(['127.0.0.1']);
      } finally {
        await plain.close();
      }
    });
  });

  describe('usernames and timing', () => {
    it('answers unknown, deactivated and active accounts alike', async () => {
      const active = await t.ctx.newUser('nurse');
      const inactive = await t.ctx.newUser('nurse');
      await t.pool.query(`UPDATE users SET active = false WHERE id = $1`, [inactive.id]);
      const cases = { unknown: [`ghost-${active.id.slice(0, 8)}`, 'pw-whatever'], inactive: [inactive.username, inactive.password], active: [active.username, 'wrong'] };
      const answers: Record<string, unknown> = {};
      const times: Record<string, number> = {};
      for (const [name, [username, password]] of Object.entries(cases)) {
        const samples: number[] = [];
        for (let i = 0; i < 4; i++) {
          const start = performance.now();
          const res = await loginFrom(`198.51.100.${100 + i}`, username!, password!);
          samples.push(performance.now() - start);
          answers[name] = { status: res.status, body: res.body };
        }
        times[name] = samples.sort((a, b) => a - b)[1]!;
      }
      expect(answers.unknown).toEqual(answers.active);
      expect(answers.inactive).toEqual(answers.active);
      expect(answers.active).toEqual({ status: 401, body: { error: { code: 'INVALID_CREDENTIALS', message: 'invalid username or password' } } });
      // That each answer costs one argon2 verification (a dummy hash for an unknown name) is
      // asserted without a clock in apps/server/src/auth/auth.service.spec.ts; the times are only
      // printed here (a timed assertion fails on a loaded machine).
      console.log(`login answer times (ms, median of 4): ${JSON.stringify(times)}`);
    });

    it('usernames are case-insensitive: log in in any case, and no second account differing by case', async () => {
      const nurse = await t.ctx.newUser('nurse');
      expect((await loginFrom('198.51.100.30', nurse.username.toUpperCase(), nurse.password)).status).toBe(200);
      const clash = await api<ErrorBody>(t.url, 'POST', '/api/users', admin.token, { username: nurse.username.toUpperCase(), password: 'Violet-Harbour-Quartz-91', role: 'nurse' });
      expect(clash.status).toBe(409);
      expect(clash.body.error.code).toBe('CONFLICT');
    });

    it.each([['aaaaaaaaaaaa'], ['password123456'], ['motdepasse2026']])('refuses the weak password %s with 400 WEAK_PASSWORD', async (password) => {
      const res = await api<ErrorBody>(t.url, 'POST', '/api/users', admin.token, { username: `weak.${Date.now()}`, password, role: 'nurse' });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('WEAK_PASSWORD');
    });

    it('refuses a token without exp', async () => {
      const nurse = await t.ctx.newUser('nurse');
      const eternal = await new JwtService({ secret: TEST_JWT_SECRET }).signAsync({ sub: nurse.id, role: 'nurse' }, { issuer: 'telemonitoring' });
      const res = await api<ErrorBody>(t.url, 'GET', '/api/me', eternal);
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('UNAUTHENTICATED');
    });
  });

  describe('refresh tokens', () => {
    it('body delivery: refresh rotates, the old token reused revokes the whole login, its access tokens included', async () => {
      const nurse = await t.ctx.newUser('nurse');
      const login = await loginFrom('198.51.100.40', nurse.username, nurse.password, { refreshTokenInBody: true });
      expect(login.status).toBe(200);
      expect(login.setCookie).toBeNull();
      const first = login.body.refreshToken!;
      expect(first).toMatch(/^[A-Za-z0-9_-]{43}$/);
      const r1 = await post<Tokens>(t.url, '/api/auth/refresh', { refreshToken: first });
      expect(r1.status).toBe(200);
      expect(r1.body).toEqual({ accessToken: expect.any(String), expiresIn: 900, refreshToken: expect.any(String) });
      expect(r1.body.refreshToken).not.toBe(first);
      expect((await api(t.url, 'GET', '/api/me', r1.body.accessToken)).status).toBe(200);
      // Stored hashed only.
      const stored = await t.pool.query(`SELECT token_hash FROM refresh_tokens WHERE user_id = $1`, [nurse.id]);
      expect(stored.rows.map((r) => r.token_hash)).not.toContain(first);
      // The first token again: refused, and the login is over for everyone holding its tokens.
      const reuse = await post<ErrorBody>(t.url, '/api/auth/refresh', { refreshToken: first });
      expect(reuse.status).toBe(401);
      expect(reuse.body.error.code).toBe('UNAUTHENTICATED');
      expect((await post(t.url, '/api/auth/refresh', { refreshToken: r1.body.refreshToken })).status).toBe(401);
      expect((await api(t.url, 'GET', '/api/me', r1.body.accessToken)).status).toBe(401);
      const family = await t.pool.query(
        `SELECT count(*)::int AS n, count(revoked_at)::int AS revoked FROM refresh_tokens
          WHERE family_id = (SELECT family_id FROM refresh_tokens WHERE token_hash = $1)`,
        [createHash('sha256').update(first).digest('hex')],
      );
      expect(family.rows[0]).toEqual({ n: 2, revoked: 2 });
      // The nurse's other login (the test context's) goes on.
      expect((await api(t.url, 'GET', '/api/me', nurse.token)).status).toBe(200);
    });

    it('cookie delivery (default): httpOnly, SameSite=Strict, path /api/auth; refresh by cookie rotates it', async () => {
      const nurse = await t.ctx.newUser('nurse');
      const login = await loginFrom('198.51.100.41', nurse.username, nurse.password);
      expect(login.body.refreshToken).toBeUndefined();
      expect(login.setCookie).toMatch(/^tm_refresh=[A-Za-z0-9_-]{43}; Max-Age=43200; Path=\/api\/auth; Expires=.*; HttpOnly; SameSite=Strict$/);
      const first = cookieOf(login.setCookie)!;
      const r1 = await post<Tokens>(t.url, '/api/auth/refresh', {}, { cookie: `other=1; tm_refresh=${first}` });
      expect(r1.status).toBe(200);
      expect(r1.body.refreshToken).toBeUndefined();
      const second = cookieOf(r1.setCookie)!;
      expect(second).toBeDefined();
      expect(second).not.toBe(first);
      expect((await post(t.url, '/api/auth/refresh', {}, { cookie: `tm_refresh=${second}` })).status).toBe(200);
      // Secure behind TLS (a trusted proxy says https).
      const viaTls = await post(t.url, '/api/auth/login', { username: nurse.username, password: nurse.password }, { 'x-forwarded-proto': 'https' });
      expect(viaTls.setCookie).toMatch(/; Secure;/);
    });

    it('logout: 204, and neither the refresh token nor the access token works afterwards', async () => {
      const nurse = await t.ctx.newUser('nurse');
      const login = await loginFrom('198.51.100.42', nurse.username, nurse.password, { refreshTokenInBody: true });
      const out = await fetch(`${t.url}/api/auth/logout`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${login.body.accessToken}` },
        body: JSON.stringify({ refreshToken: login.body.refreshToken }),
      });
      expect(out.status).toBe(204);
      expect((await post(t.url, '/api/auth/refresh', { refreshToken: login.body.refreshToken })).status).toBe(401);
      expect((await api(t.url, 'GET', '/api/me', login.body.accessToken)).status).toBe(401);
      // Other logins of the same nurse go on.
      expect((await api(t.url, 'GET', '/api/me', nurse.token)).status).toBe(200);
      expect((await api(t.url, 'POST', '/api/auth/logout', undefined, {})).status).toBe(401);
    });

    it('a deactivated user: REST 401 at once, refresh refused, every session revoked', async () => {
      const nurse = await t.ctx.newUser('nurse');
      const login = await loginFrom('198.51.100.43', nurse.username, nurse.password, { refreshTokenInBody: true });
      const off = await api(t.url, 'PATCH', `/api/users/${nurse.id}`, admin.token, { active: false });
      expect(off.status).toBe(200);
      expect((await api(t.url, 'GET', '/api/me', login.body.accessToken)).status).toBe(401);
      expect((await post(t.url, '/api/auth/refresh', { refreshToken: login.body.refreshToken })).status).toBe(401);
      const live = await t.pool.query(`SELECT count(*)::int AS n FROM refresh_tokens WHERE user_id = $1 AND revoked_at IS NULL`, [nurse.id]);
      expect(live.rows[0].n).toBe(0);
    });
  });
});
