import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Namespace } from 'socket.io';
import { ConsoleGateway } from '../../apps/server/src/console/console.gateway.js';
import { ARTIFACTS, launch, signIn } from '../support/console-browser.js';
import { raiseAlert } from '../support/console-support.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

/**
 * Issue 21: the console renews its access token silently (refresh cookie → POST /api/auth/refresh
 * → `auth.renew` on the socket) and keeps its board and its live connection past the token's
 * expiry. Access tokens last 10 s here, so the page renews about every 7 s.
 */
jest.setTimeout(90000);

describe('console page: silent renewal (headless Chromium)', () => {
  let t: TestApp;
  let browser: Awaited<ReturnType<typeof launch>>;

  beforeAll(async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    t = await startTestApp({ roles: ['api'], env: { ACCESS_TOKEN_TTL_SECONDS: '10' } });
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.context.close();
    if (browser?.dir) await rm(browser.dir, { recursive: true, force: true });
    await t?.close();
  });

  it('keeps its board and its socket past the access token expiry, and still shows new alerts live', async () => {
    const { nurse, patient } = await t.ctx.newTeamWithPatient();
    const { page } = browser;
    const refreshes: number[] = [];
    page.on('response', (res) => {
      if (res.url().endsWith('/api/auth/refresh')) refreshes.push(res.status());
    });
    await signIn(page, t.url, nurse.username, nurse.password);
    const first = await raiseAlert(t, patient.id, { value: 81, threshold: 85 });
    await page.locator(`tr[data-alert-id="${first.alert.id}"]`).waitFor({ timeout: 10000 });
    // Every text the connection indicator shows from now on.
    await page.evaluate(() => {
      const g = globalThis as unknown as { connTexts: string[]; document: { getElementById(id: string): { textContent: string } } };
      g.connTexts = [];
      const el = g.document.getElementById('connection');
      new (globalThis as unknown as { MutationObserver: new (cb: () => void) => { observe(n: unknown, o: unknown): void } }).MutationObserver(() => g.connTexts.push(el.textContent)).observe(el, {
        childList: true,
        characterData: true,
        subtree: true,
      });
    });
    const nsp = (t.app.get(ConsoleGateway) as unknown as { nsp: Namespace }).nsp;
    const socketIds = () => [...nsp.sockets.values()].filter((s) => (s.data as { principal?: { userId: string } }).principal?.userId === nurse.id).map((s) => s.id);
    const before = socketIds();
    expect(before).toHaveLength(1);

    await new Promise((r) => setTimeout(r, 16000)); // past the first token's expiry, and the second's

    expect(refreshes.length).toBeGreaterThanOrEqual(2);
    expect(refreshes.every((s) => s === 200)).toBe(true);
    expect(socketIds()).toEqual(before); // the same connection, never dropped
    expect(await page.evaluate(() => (globalThis as unknown as { connTexts: string[] }).connTexts)).toEqual([]);
    expect(await page.locator('#login').isHidden()).toBe(true);
    await page.locator(`tr[data-alert-id="${first.alert.id}"]`).waitFor({ timeout: 1000 });
    const later = await raiseAlert(t, patient.id, { rule: 'pulse.high', severity: 'warning', value: 131, threshold: 130 });
    await page.locator(`tr[data-alert-id="${later.alert.id}"]`).waitFor({ timeout: 10000 });
    await page.screenshot({ path: join(ARTIFACTS, 'console-after-renewal.png'), fullPage: true });
  });
});
