import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { PROJECT_ROOT } from '../../apps/server/src/paths.js';
import { insertReadings, regular } from '../support/readings-fixture.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

/**
 * The physician's patient page and monthly report in headless Chromium (Debian's /usr/bin/chromium
 * driven by playwright-core). Screenshots and the printed PDF go to test-artifacts/ (not committed).
 */
jest.setTimeout(60000);

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(PROJECT_ROOT, 'test-artifacts');
const DAY = 86_400_000;

describe('physician pages (headless Chromium)', () => {
  let t: TestApp;
  let context: BrowserContext;
  let page: Page;
  let dir: string;
  let team: Awaited<ReturnType<TestApp['ctx']['newTeamWithPatient']>>;
  const lastNight = Math.floor(Date.now() / DAY) * DAY - DAY;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: apt-get install -y chromium`);
    await mkdir(ARTIFACTS, { recursive: true });
    t = await startTestApp({ roles: ['api'] });
    team = await t.ctx.newTeamWithPatient();
    await t.pool.query(`UPDATE patients SET timezone = 'UTC' WHERE id = $1`, [team.patient.id]);
    const base = { deviceId: team.device.deviceId, patientId: team.patient.id };
    // Six nights of SpO2 and pulse, one sample a minute from 22:00 to 06:00.
    for (let k = 0; k < 6; k++) {
      const start = lastNight - k * DAY + 22 * 3_600_000;
      await insertReadings(t.pool, [
        ...regular({ ...base, metric: 'spo2' }, start, 60_000, Array.from({ length: 480 }, (_, i) => (i % 50 < 3 ? 84 : 91 + (i % 3)))),
        ...regular({ ...base, metric: 'pulseRate' }, start, 60_000, Array.from({ length: 480 }, (_, i) => 65 + (i % 9))),
      ]);
    }
    dir = await mkdtemp(join(tmpdir(), 'tm-clinical-chromium-'));
    context = await chromium.launchPersistentContext(dir, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      viewport: { width: 1280, height: 900 },
    });
    page = context.pages()[0] ?? (await context.newPage());
  }, 60000);

  afterAll(async () => {
    await context?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
    await t?.close();
  });

  it('signs in, draws the trends with their target band and lists the nights', async () => {
    await page.goto(`${t.url}/patient.html?patient=${team.patient.id}`);
    await page.getByLabel('Username').fill(team.physician.username);
    await page.getByLabel('Password').fill(team.physician.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('body[data-ready="true"]').waitFor({ timeout: 20000 });
    const spo2 = page.locator('figure[data-metric="spo2"] svg.trend-chart');
    await expect(spo2.locator('path.mean-line').getAttribute('d')).resolves.toMatch(/^M/);
    await expect(page.locator('figure[data-metric="pulseRate"] svg rect.target-band').count()).resolves.toBe(1);
    // 7 nights by default (7-day view), newest first; the last six have oximetry.
    const rows = page.locator('#nights table tbody tr');
    await expect(rows.count()).resolves.toBe(7);
    await expect(rows.first().locator('td').first().textContent()).resolves.toBe(new Date(lastNight).toISOString().slice(0, 10));
    await page.getByRole('button', { name: '30 days' }).click();
    await page.waitForFunction("document.querySelectorAll('#nights table tbody tr').length === 30");
    await page.screenshot({ path: join(ARTIFACTS, 'clinical-patient-page.png'), fullPage: true });
    const audit = await t.pool.query(`SELECT count(*)::int AS n FROM audit_log WHERE actor_id = $1 AND action = 'patient.trends.read'`, [team.physician.id]);
    expect(audit.rows[0].n).toBeGreaterThanOrEqual(6);
  });

  it('prints the monthly report with charts, nights and the alerts section', async () => {
    const month = new Date(lastNight).toISOString().slice(0, 7);
    await page.goto(`${t.url}/report.html?patient=${team.patient.id}&month=${month}`);
    await page.locator('body[data-ready="true"]').waitFor({ timeout: 20000 });
    await expect(page.locator('#charts svg.trend-chart').count()).resolves.toBe(3);
    // The month of last night: its nights up to last night (the browser runs in the machine's timezone).
    const expectedNights = await page.evaluate(() => {
      const now = new Date();
      return new Date(now.getFullYear(), now.getMonth(), now.getDate() - 1).getDate();
    });
    await expect(page.locator('#nights table tbody tr').count()).resolves.toBe(expectedNights);
    await expect(page.locator('#summary').textContent()).resolves.toContain('Mean night SpO₂');
    await page.emulateMedia({ media: 'print' });
    await expect(page.locator('.toolbar').isVisible()).resolves.toBe(false);
    await page.screenshot({ path: join(ARTIFACTS, 'clinical-report-print.png'), fullPage: true });
    await page.pdf({ path: join(ARTIFACTS, 'clinical-report.pdf'), format: 'A4' });
  });
});
