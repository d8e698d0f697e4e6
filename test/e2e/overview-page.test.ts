import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { mkdir, rm } from 'node:fs/promises';
import { ARTIFACTS, launch } from '../support/console-browser.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

/** The population view in headless Chromium: a nurse signs in, sorts by open alerts, clicks through to a patient. */
jest.setTimeout(60000);

describe('population view page (headless Chromium)', () => {
  let t: TestApp;
  let browser: Awaited<ReturnType<typeof launch>>;

  beforeAll(async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    t = await startTestApp({ roles: ['api'] });
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.context.close();
    if (browser?.dir) await rm(browser.dir, { recursive: true, force: true });
    await t?.close();
  });

  it('lists her patients, sorts by open alerts with aria-sort, fits 1280 px and 390 px, and links to the patient page', async () => {
    const { team, nurse, patient } = await t.ctx.newTeamWithPatient();
    const alerted = await t.ctx.newPatient(team.id);
    await t.pool.query(`UPDATE patients SET display_name = 'Aline Calme' WHERE id = $1`, [patient.id]);
    await t.pool.query(`UPDATE patients SET display_name = 'Zoé Alerte' WHERE id = $1`, [alerted.id]);
    await t.pool.query(
      `INSERT INTO alerts (patient_id, rule, severity, status, started_at, last_triggered_at, message)
       VALUES ($1, 'spo2.low', 'warning', 'open', now(), now(), 'fixture'), ($1, 'pulse.high', 'warning', 'acknowledged', now(), now(), 'fixture')`,
      [alerted.id],
    );
    const elsewhere = await t.ctx.newTeamWithPatient();

    const { page } = browser;
    await page.goto(`${t.url}/overview.html`);
    await page.getByLabel('Username').fill(nurse.username);
    await page.getByLabel('Password').fill(nurse.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('body[data-ready="true"]').waitFor({ timeout: 20000 });

    const ids = () => page.locator('#overview-body tr').evaluateAll((rows) => rows.map((r) => (r as unknown as { dataset: { patientId: string } }).dataset.patientId));
    // By name first; the other team's patient is not there.
    await expect(ids()).resolves.toEqual([patient.id, alerted.id]);
    await expect(page.locator(`#overview-body tr[data-patient-id="${elsewhere.patient.id}"]`).count()).resolves.toBe(0);
    const cell = (id: string, column: string) => page.locator(`#overview-body tr[data-patient-id="${id}"] td[data-column="${column}"]`);
    await expect(cell(alerted.id, 'openAlerts').textContent()).resolves.toBe('2');
    // No data: a dash, not 0.
    await expect(cell(patient.id, 'adherence').textContent()).resolves.toBe('—');
    await expect(cell(patient.id, 'lastData').textContent()).resolves.toBe('never');

    // Sort by open alerts: ascending, then descending (keyboard: the header is a button).
    const header = page.getByRole('button', { name: 'Open alerts' });
    await header.click();
    await expect(page.locator('th[data-column="openAlerts"]').getAttribute('aria-sort')).resolves.toBe('ascending');
    await expect(ids()).resolves.toEqual([patient.id, alerted.id]);
    await page.getByRole('button', { name: 'Open alerts' }).focus();
    await page.keyboard.press('Enter');
    await expect(page.locator('th[data-column="openAlerts"]').getAttribute('aria-sort')).resolves.toBe('descending');
    await expect(page.locator('th[data-column="patient"]').getAttribute('aria-sort')).resolves.toBe('none');
    await expect(ids()).resolves.toEqual([alerted.id, patient.id]);

    // Filters: open alerts only, then a name (accents and case ignored), then back to all.
    await page.getByLabel('With open alerts only').check();
    await expect(ids()).resolves.toEqual([alerted.id]);
    await expect(page.locator('#status').textContent()).resolves.toBe('1 of 2 patients');
    await page.getByLabel('With open alerts only').uncheck();
    await page.getByRole('searchbox', { name: 'Patient name' }).fill('zoe');
    await expect(ids()).resolves.toEqual([alerted.id]);
    await page.getByRole('searchbox', { name: 'Patient name' }).fill('');
    // Neither has sent data: both are "no data for 24 h".
    await page.getByLabel('No data for 24 h').check();
    await expect(ids()).resolves.toEqual([alerted.id, patient.id]);
    await page.getByLabel('No data for 24 h').uncheck();

    // No raw message keys, no sideways scroll at 1280 px nor on a phone.
    await expect(page.locator('body').textContent()).resolves.not.toMatch(/overview\.\w/);
    const overflows = () => page.evaluate(() => {
      const d = (globalThis as unknown as { document: { documentElement: { scrollWidth: number; clientWidth: number } } }).document.documentElement;
      return d.scrollWidth > d.clientWidth;
    });
    await expect(overflows()).resolves.toBe(false);
    await page.setViewportSize({ width: 390, height: 800 });
    await expect(overflows()).resolves.toBe(false);
    await page.screenshot({ path: `${ARTIFACTS}/overview-390.png`, fullPage: true });
    await page.setViewportSize({ width: 1280, height: 800 });

    // French.
    await page.locator('#language-switch').selectOption('fr');
    await expect(page.getByRole('button', { name: 'Alertes en cours' }).count()).resolves.toBe(1);
    await page.locator('#language-switch').selectOption('en');

    // Click through to the patient page.
    await page.getByRole('link', { name: 'Zoé Alerte' }).click();
    await page.waitForURL((url) => url.pathname === '/patient.html' && url.searchParams.get('patient') === alerted.id);
    await page.locator('#patient-title').filter({ hasText: 'Zoé Alerte' }).waitFor({ timeout: 20000 });

    // And back: the patient page's top bar leads to the population view.
    await page.getByRole('link', { name: 'Population view' }).click();
    await page.waitForURL((url) => url.pathname === '/overview.html');
    await page.getByRole('link', { name: 'Zoé Alerte' }).waitFor({ timeout: 20000 });
  });
});
