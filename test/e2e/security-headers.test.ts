import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { rm } from 'node:fs/promises';
import type { BrowserContext, Page } from 'playwright-core';
import { launch, signIn } from '../support/console-browser.js';
import { raiseAlert } from '../support/console-support.js';
import { insertReadings, regular } from '../support/readings-fixture.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

jest.setTimeout(90_000);

const DAY = 86_400_000;

/**
 * Issue 21 §4: the Content-Security-Policy every response carries (common/http-security.ts) holds
 * the product's own pages. Each page is loaded and used in headless Chromium; any policy
 * violation (a `securitypolicyviolation` event, or Chromium's "Refused to ..." console error) or
 * other console error fails the test.
 */
describe('the product pages under the Content-Security-Policy (headless Chromium)', () => {
  let t: TestApp;
  let context: BrowserContext;
  let page: Page;
  let dir: string;
  let team: Awaited<ReturnType<TestApp['ctx']['newTeamWithPatient']>>;
  const problems: string[] = [];
  const lastNight = Math.floor(Date.now() / DAY) * DAY - DAY;

  beforeAll(async () => {
    t = await startTestApp({ roles: ['api'] });
    team = await t.ctx.newTeamWithPatient();
    const base = { deviceId: team.device.deviceId, patientId: team.patient.id };
    await insertReadings(t.pool, [
      ...regular({ ...base, metric: 'spo2' }, lastNight + 22 * 3_600_000, 60_000, Array.from({ length: 240 }, (_, i) => 90 + (i % 4))),
      ...regular({ ...base, metric: 'pulseRate' }, lastNight + 22 * 3_600_000, 60_000, Array.from({ length: 240 }, (_, i) => 70 + (i % 5))),
    ]);
    await raiseAlert(t, team.patient.id, { rule: 'spo2.low', severity: 'warning', value: 86, threshold: 88, publish: false });
    ({ context, page, dir } = await launch());
    // The patient and report pages name no icon: the browser's own /favicon.ico request (a 404
    // console error) is no concern of this test.
    await context.route('**/favicon.ico', (route) => route.fulfill({ status: 204 }));
    // Injected by the browser driver, outside the page's policy.
    await context.addInitScript({
      content: `document.addEventListener('securitypolicyviolation', (e) => {
        console.error('CSP violation: ' + e.violatedDirective + ' blocked ' + (e.blockedURI || 'inline') + ' (' + e.sourceFile + ':' + e.lineNumber + ')');
      });`,
    });
    page.on('console', (msg) => {
      if (msg.type() === 'error') problems.push(`${page.url()}: ${msg.text()}`);
    });
    // Named, so that a failed load says which resource it was.
    page.on('response', (r) => {
      if (r.status() >= 400) problems.push(`${r.status()} ${new URL(r.url()).pathname}`);
    });
    page.on('pageerror', (err) => problems.push(`${page.url()}: ${err.message}`));
  });

  afterAll(async () => {
    await context?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
    await t?.close();
  });

  it('the nurse console: signs in, goes live over socket.io, lists the alert; no violation', async () => {
    const response = page.waitForResponse((r) => new URL(r.url()).pathname === '/console');
    await signIn(page, t.url, team.nurse.username, team.nurse.password);
    expect((await response).headers()['content-security-policy']).toContain("script-src 'self'");
    await page.locator('#alerts-table tbody tr').first().waitFor({ timeout: 15_000 });
    expect(problems).toEqual([]);
  });

  it('the patient page and the monthly report: sign in, charts drawn; no violation', async () => {
    const response = await page.goto(`${t.url}/patient.html?patient=${team.patient.id}`);
    expect(response?.headers()['content-security-policy']).toContain("default-src 'self'");
    expect(response?.headers()['content-security-policy']).not.toContain('unsafe-inline');
    await page.getByLabel('Username').fill(team.physician.username);
    await page.getByLabel('Password').fill(team.physician.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('body[data-ready="true"]').waitFor({ timeout: 20_000 });
    await page.locator('figure[data-metric="spo2"] svg.trend-chart').waitFor();
    const month = new Date(lastNight).toISOString().slice(0, 7);
    const report = await page.goto(`${t.url}/report.html?patient=${team.patient.id}&month=${month}`);
    expect(report?.headers()['content-security-policy']).toContain("default-src 'self'");
    await page.locator('body[data-ready="true"]').waitFor({ timeout: 20_000 });
    await page.locator('#charts svg.trend-chart').first().waitFor();
    expect(problems).toEqual([]);
  });

  it('a violation would be seen: an inline script injected into the page is refused and reported', async () => {
    await page.goto(`${t.url}/patient.html`);
    const before = problems.length;
    await page.evaluate(`{
      const s = document.createElement('script');
      s.textContent = 'window.__inlineRan = true';
      document.body.append(s);
    }`);
    await page.waitForTimeout(300);
    expect(await page.evaluate('window.__inlineRan')).toBeUndefined();
    expect(problems.slice(before).some((p) => /CSP violation: script-src/.test(p))).toBe(true);
    problems.length = before;
  });
});
