import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import Provider from 'oidc-provider';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { createApp } from '../../apps/server/src/bootstrap.js';
import { validRpps } from '../support/identity-fixture.js';
import { api, startTestApp, TestContext, testConfig, type TestApp } from '../support/test-app.js';
import pg from 'pg';
import type { INestApplication } from '@nestjs/common';
import { TEST_DATABASE_URL } from '../support/test-env.js';

/**
 * Pro Santé Connect login (CONTRACT §8) end to end against a real OpenID provider started here
 * (the maintained `oidc-provider`, its development login and consent pages), driven by headless
 * Chromium: redirect with PKCE, callback, our token; wrong state, replayed code, unknown
 * professional (refused and audited); unconfigured → 503 PSC_NOT_CONFIGURED.
 */
jest.setTimeout(90000);

const CHROMIUM = '/usr/bin/chromium';
const CLIENT_ID = 'telemonitoring-test';
const CLIENT_SECRET = `psc-${randomUUID()}`;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

type ErrorBody = { error: { code: string } };

describe('Pro Santé Connect (OpenID Connect, authorization code + PKCE)', () => {
  let app: INestApplication;
  let appUrl: string;
  let pool: pg.Pool;
  let ctx: TestContext;
  let providerServer: Server;
  let context: BrowserContext;
  let page: Page;
  let dir: string;
  const rpps = validRpps();
  const unknownRpps = validRpps();

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: apt-get install -y chromium`);
    const [providerPort, appPort] = [await freePort(), await freePort()];
    const issuer = `http://127.0.0.1:${providerPort}`;
    appUrl = `http://127.0.0.1:${appPort}`;
    const redirectUri = `${appUrl}/api/auth/psc/callback`;
    const provider = new Provider(issuer, {
      clients: [{ client_id: CLIENT_ID, client_secret: CLIENT_SECRET, redirect_uris: [redirectUri], grant_types: ['authorization_code'], response_types: ['code'] }],
      pkce: { required: () => true },
      scopes: ['openid', 'scope_all'],
      claims: { openid: ['sub'], scope_all: ['SubjectNameID'] },
      acrValues: ['eidas1'],
      // The development login page: the "login" typed is the account id; here it is the RPPS.
      findAccount: async (_ctx, id) => ({ accountId: id, claims: async () => ({ sub: id, SubjectNameID: `8${id}` }) }),
      cookies: { keys: [randomUUID()] },
      features: { devInteractions: { enabled: true } },
    });
    providerServer = createServer(provider.callback());
    await new Promise<void>((r) => providerServer.listen(providerPort, '127.0.0.1', () => r()));

    const config = testConfig({ ROLES: 'api', PSC_ISSUER: issuer, PSC_CLIENT_ID: CLIENT_ID, PSC_CLIENT_SECRET: CLIENT_SECRET, PSC_REDIRECT_URI: redirectUri });
    app = await createApp(config, { logger: false });
    await app.listen(appPort, '127.0.0.1');
    pool = new pg.Pool({ connectionString: TEST_DATABASE_URL, max: 2 });
    ctx = new TestContext(pool, appUrl);

    dir = await mkdtemp(join(tmpdir(), 'tm-psc-chromium-'));
    context = await chromium.launchPersistentContext(dir, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = context.pages()[0] ?? (await context.newPage());
  }, 90000);

  afterAll(async () => {
    await context?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
    await app?.close();
    await pool?.end();
    await new Promise((r) => providerServer?.close(r));
  });

  /** Logs in at the provider as `login` (the dev pages) and returns the callback's answer and URL. */
  async function pscLogin(login: string): Promise<{ status: number; body: Record<string, unknown>; callbackUrl: string; pendingCookie: string }> {
    await context.clearCookies();
    await page.goto(`${appUrl}/api/auth/psc/login`);
    // The pending-login cookie our login set (the callback clears it): kept to replay the callback.
    const pending = (await context.cookies(`${appUrl}/api/auth/psc/callback`)).find((c) => c.name === 'tm_psc');
    await page.locator('input[name="login"]').fill(login);
    await page.locator('input[name="password"]').fill('any');
    await page.locator('button[type="submit"]').click();
    const answer = page.waitForResponse((r) => r.url().startsWith(`${appUrl}/api/auth/psc/callback`));
    await page.locator('button[type="submit"]').click(); // consent: Continue
    const response = await answer;
    return { status: response.status(), body: (await response.json()) as Record<string, unknown>, callbackUrl: response.url(), pendingCookie: `tm_psc=${pending?.value}` };
  }

  it('redirects to the provider with PKCE (S256), state and nonce, and keeps them in an httpOnly cookie', async () => {
    const res = await fetch(`${appUrl}/api/auth/psc/login`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    const location = new URL(res.headers.get('location')!);
    expect(location.origin).toMatch(/^http:\/\/127\.0\.0\.1:/);
    expect(location.searchParams.get('client_id')).toBe(CLIENT_ID);
    expect(location.searchParams.get('response_type')).toBe('code');
    expect(location.searchParams.get('code_challenge_method')).toBe('S256');
    expect(location.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(location.searchParams.get('state')).toBeTruthy();
    expect(location.searchParams.get('nonce')).toBeTruthy();
    expect(res.headers.get('set-cookie')).toMatch(/^tm_psc=[^;]+; Max-Age=600; Path=\/api\/auth\/psc; Expires=[^;]+; HttpOnly; SameSite=Lax$/);
  });

  it('logs in the professional whose RPPS the provider gives: the same token as a password login', async () => {
    const team = await ctx.newCareTeam();
    const nurse = await ctx.newUser('nurse', [team.id]);
    await pool.query(`UPDATE users SET rpps = $2 WHERE id = $1`, [nurse.id, rpps]);
    const { status, body } = await pscLogin(rpps);
    expect(status).toBe(200);
    expect(body).toEqual({ accessToken: expect.any(String), expiresIn: expect.any(Number) });
    const me = await api<{ id: string; role: string; careTeamIds: string[] }>(appUrl, 'GET', '/api/me', body.accessToken as string);
    expect(me.body).toEqual({ id: nurse.id, username: nurse.username, role: 'nurse', careTeamIds: [team.id] });
    const audit = await pool.query(`SELECT outcome FROM audit_log WHERE action = 'auth.psc.login' AND actor_id = $1`, [nurse.id]);
    expect(audit.rows).toEqual([{ outcome: 'success' }]);
  });

  it('refuses a replayed code and a wrong state (401 PSC_LOGIN_FAILED)', async () => {
    const team = await ctx.newCareTeam();
    const physician = await ctx.newUser('physician', [team.id]);
    const other = validRpps();
    await pool.query(`UPDATE users SET rpps = $2 WHERE id = $1`, [physician.id, other]);
    const first = await pscLogin(other);
    expect(first.status).toBe(200);
    // The same callback again, with the same pending-login cookie (state, nonce and verifier all
    // right): only the code is used, and the provider refuses it.
    expect(first.pendingCookie).toMatch(/^tm_psc=.{20,}/);
    const before = (await pool.query(`SELECT count(*)::int AS n FROM audit_log WHERE action = 'auth.psc.login' AND details->>'reason' = 'provider'`)).rows[0].n;
    const replay = await fetch(first.callbackUrl, { headers: { cookie: first.pendingCookie } });
    expect({ status: replay.status, code: ((await replay.json()) as ErrorBody).error.code }).toEqual({ status: 401, code: 'PSC_LOGIN_FAILED' });
    const after = (await pool.query(`SELECT count(*)::int AS n FROM audit_log WHERE action = 'auth.psc.login' AND details->>'reason' = 'provider'`)).rows[0].n;
    expect(after).toBe(before + 1);
    // A fresh login, its cookie kept, then the callback with another state.
    const start = await fetch(`${appUrl}/api/auth/psc/login`, { redirect: 'manual' });
    const fresh = start.headers.get('set-cookie')!.split(';')[0]!;
    const wrongState = await fetch(`${appUrl}/api/auth/psc/callback?code=abc&state=not-the-one&iss=${encodeURIComponent(new URL(start.headers.get('location')!).origin)}`, { headers: { cookie: fresh } });
    expect(wrongState.status).toBe(401);
    expect(((await wrongState.json()) as ErrorBody).error.code).toBe('PSC_LOGIN_FAILED');
    const noCookie = await fetch(`${appUrl}/api/auth/psc/callback?code=abc&state=x`);
    expect(noCookie.status).toBe(401);
  });

  it('refuses an unknown professional (403 PSC_UNKNOWN_PROFESSIONAL) and audits it', async () => {
    const { status, body } = await pscLogin(unknownRpps);
    expect(status).toBe(403);
    expect((body as ErrorBody).error.code).toBe('PSC_UNKNOWN_PROFESSIONAL');
    const audit = await pool.query(`SELECT outcome, details FROM audit_log WHERE action = 'auth.psc.login' AND details->>'rpps' = $1`, [unknownRpps]);
    expect(audit.rows).toEqual([{ outcome: 'denied', details: { reason: 'unknown-professional', rpps: unknownRpps } }]);
  });

  it('without configuration: 503 PSC_NOT_CONFIGURED', async () => {
    const plain: TestApp = await startTestApp({ roles: ['api'] });
    try {
      for (const path of ['/api/auth/psc/login', '/api/auth/psc/callback?code=a&state=b']) {
        const res = await api<ErrorBody>(plain.url, 'GET', path);
        expect({ path, status: res.status, code: res.body.error.code }).toEqual({ path, status: 503, code: 'PSC_NOT_CONFIGURED' });
      }
    } finally {
      await plain.close();
    }
  });
});
