import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { JwtService } from '@nestjs/jwt';
import { connectConsole, type ConsoleClient } from '../../support/console-support.js';
import { api, startTestApp, type TestApp } from '../../support/test-app.js';
import { TEST_JWT_SECRET } from '../../support/test-env.js';

jest.setTimeout(30000);

/** An access token of the user that expires in `seconds` (the gateway goes by the token's own exp). */
const shortToken = (userId: string, role: string, seconds: number) =>
  new JwtService({ secret: TEST_JWT_SECRET }).signAsync({ sub: userId, role, exp: Math.floor(Date.now() / 1000) + seconds }, { issuer: 'telemonitoring' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('issue 21: a console socket lives as long as its token (auth.renew, auth.expired)', () => {
  let t: TestApp;
  const clients: ConsoleClient[] = [];
  const open = async (token: string) => {
    const c = await connectConsole(t.url, token);
    clients.push(c);
    return c;
  };
  const expiredEvent = (c: ConsoleClient) =>
    new Promise<{ reason: string; disconnect: string }>((resolve) => {
      c.socket.once('auth.expired', (info: { reason: string }) => c.socket.once('disconnect', (disconnect) => resolve({ reason: info.reason, disconnect })));
    });

  beforeAll(async () => {
    t = await startTestApp({ roles: ['api'] });
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await t.close();
  });

  it('a socket that is not renewed gets auth.expired at its token expiry and is disconnected; one that renews stays', async () => {
    const { nurse } = await t.ctx.newTeamWithPatient();
    const stale = await open(await shortToken(nurse.id, 'nurse', 3));
    const renewed = await open(await shortToken(nurse.id, 'nurse', 3));
    const ended = expiredEvent(stale);
    const renewal = await renewed.request<{ expiresAt: string }>('auth.renew', { token: nurse.token });
    expect(Date.parse(renewal.expiresAt)).toBeGreaterThan(Date.now() + 600_000);
    expect(await ended).toEqual({ reason: 'expired', disconnect: 'io server disconnect' });
    await sleep(1500); // well past the first token's expiry
    expect(renewed.socket.connected).toBe(true);
    const sync = await renewed.request<{ alerts: unknown[] }>('alerts.sync', {});
    expect(Array.isArray(sync.alerts)).toBe(true);
  });

  it('refuses a renewal with a bad token or another user’s, and the socket still ends at its own expiry', async () => {
    const { nurse } = await t.ctx.newTeamWithPatient();
    const other = await t.ctx.newUser('nurse');
    const c = await open(await shortToken(nurse.id, 'nurse', 3));
    const ended = expiredEvent(c);
    expect(await c.request('auth.renew', { token: other.token })).toEqual({ error: { code: 'FORBIDDEN', message: 'the token belongs to another user' } });
    expect(await c.request('auth.renew', { token: 'x.y.z' })).toMatchObject({ error: { code: 'UNAUTHENTICATED' } });
    expect(await c.request('auth.renew', {})).toMatchObject({ error: { code: 'VALIDATION_FAILED' } });
    expect(await ended).toEqual({ reason: 'expired', disconnect: 'io server disconnect' });
  });

  it('a deactivated user: her open consoles get auth.expired and close at once', async () => {
    const { nurse } = await t.ctx.newTeamWithPatient();
    const admin = await t.ctx.newUser('admin');
    const c = await open(nurse.token);
    const ended = expiredEvent(c);
    const started = Date.now();
    expect((await api(t.url, 'PATCH', `/api/users/${nurse.id}`, admin.token, { active: false })).status).toBe(200);
    expect(await ended).toEqual({ reason: 'deactivated', disconnect: 'io server disconnect' });
    expect(Date.now() - started).toBeLessThan(5000); // not the 30 s re-check
  });
});
