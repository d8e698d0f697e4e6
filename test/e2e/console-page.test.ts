import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Namespace } from 'socket.io';
import { ConsoleGateway } from '../../apps/server/src/console/console.gateway.js';
import { ARTIFACTS, launch, signIn } from '../support/console-browser.js';
import { raiseAlert } from '../support/console-support.js';
import { eventually, startTestApp, type TestApp } from '../support/test-app.js';

/**
 * The console page in headless Chromium (Debian's /usr/bin/chromium driven by playwright-core;
 * .ci/run installs it). A nurse signs in, sees an alert appear without reloading, acknowledges it;
 * the database is checked. Screenshots go to test-artifacts/ (not committed).
 */
jest.setTimeout(60000);

describe('nurse console page (headless Chromium)', () => {
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

  it('shows a new alert live, acknowledges it with a note, and the database records it', async () => {
    const { nurse, patient } = await t.ctx.newTeamWithPatient();
    const { page } = browser;
    await signIn(page, t.url, nurse.username, nurse.password);
    await page.getByText('No active alert for your care teams.').waitFor();
    await page.evaluate(() => ((globalThis as unknown as { noReload: boolean }).noReload = true));

    const alert = await raiseAlert(t, patient.id, { value: 81, threshold: 85 });
    const row = page.locator(`tr[data-alert-id="${alert.alert.id}"]`);
    await row.waitFor({ timeout: 10000 });
    const text = await row.innerText();
    expect(text).toContain('Critical');
    expect(text).toContain('SpO₂ critical');
    expect(text).toContain('81 % (limit 85)');
    expect(text).toContain('Open');
    await page.getByRole('alert').filter({ hasText: 'New critical alert' }).waitFor();
    expect(await page.evaluate(() => (globalThis as unknown as { noReload?: boolean }).noReload)).toBe(true);
    await page.screenshot({ path: join(ARTIFACTS, 'console-new-alert.png'), fullPage: true });

    // Keyboard only: the button opens the dialog with the note focused; Tab reaches Confirm.
    await row.getByRole('button', { name: /^Acknowledge / }).focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    await page.keyboard.type('Called the patient, probe repositioned');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => (globalThis as unknown as { document: { activeElement: { textContent: string } } }).document.activeElement.textContent)).toBe('Confirm');
    await page.keyboard.press('Enter');
    await eventually(async () => (await row.innerText()).includes('Acknowledged'), 10000);
    expect(await row.getByRole('button', { name: /^Acknowledge / }).count()).toBe(0);

    const db = await t.pool.query(`SELECT status, acknowledged_by FROM alerts WHERE id = $1`, [alert.alert.id]);
    expect(db.rows[0]).toEqual({ status: 'acknowledged', acknowledged_by: nurse.id });
    const event = await t.pool.query(`SELECT actor_id, note FROM alert_events WHERE alert_id = $1 AND kind = 'acknowledged'`, [alert.alert.id]);
    expect(event.rows).toEqual([{ actor_id: nurse.id, note: 'Called the patient, probe repositioned' }]);
    const audit = await t.pool.query(`SELECT count(*)::int AS n FROM audit_log WHERE action = 'alert.acknowledge' AND target_id = $1 AND actor_id = $2`, [
      alert.alert.id,
      nurse.id,
    ]);
    expect(audit.rows[0].n).toBe(1);
    await page.screenshot({ path: join(ARTIFACTS, 'console.png'), fullPage: true });
  });

  it('shows when the live connection is lost and restored, with the alerts raised meanwhile', async () => {
    const { nurse, patient, team } = await t.ctx.newTeamWithPatient();
    const page = await browser.context.newPage();
    await signIn(page, t.url, nurse.username, nurse.password);
    // The server drops the page's connection (as a restart would).
    const nsp = (t.app.get(ConsoleGateway) as unknown as { nsp: Namespace }).nsp;
    for (const socket of await nsp.in(`team:${team.id}`).fetchSockets()) socket.disconnect(true);
    await page.getByRole('status').filter({ hasText: 'Connection lost' }).waitFor({ timeout: 10000 });
    const missed = await raiseAlert(t, patient.id, { rule: 'pulse.high', severity: 'warning', value: 142, threshold: 130 });
    await page.getByRole('status').filter({ hasText: 'Live' }).waitFor({ timeout: 15000 });
    await page.locator(`tr[data-alert-id="${missed.alert.id}"]`).waitFor({ timeout: 10000 });
    await page.getByRole('alert').filter({ hasText: 'Live connection restored' }).waitFor({ timeout: 10000 });
    await page.close();
  });

  it('shows the next user of the workstation nothing of the previous one when a session ends by itself', async () => {
    const first = await t.ctx.newTeamWithPatient();
    const second = await t.ctx.newTeamWithPatient();
    const page = await browser.context.newPage();
    try {
      await signIn(page, t.url, first.nurse.username, first.nurse.password);
      const theirs = await raiseAlert(t, first.patient.id);
      await page.locator(`tr[data-alert-id="${theirs.alert.id}"]`).waitFor({ timeout: 10000 });
      // The first nurse's session ends without her signing out (account deactivated: the
      // reconnection is refused), and the board stays on screen, marked stale, under the form.
      await t.pool.query(`UPDATE users SET active = false WHERE id = $1`, [first.nurse.id]);
      const nsp = (t.app.get(ConsoleGateway) as unknown as { nsp: Namespace }).nsp;
      for (const socket of await nsp.in(`team:${first.team.id}`).fetchSockets()) socket.disconnect(true);
      await page.getByLabel('Username').waitFor({ state: 'visible', timeout: 15000 });
      expect(await page.locator(`tr[data-alert-id="${theirs.alert.id}"]`).count()).toBe(1);

      await page.getByLabel('Username').fill(second.nurse.username);
      await page.getByLabel('Password').fill(second.nurse.password);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('status').filter({ hasText: 'Live' }).waitFor({ timeout: 15000 });
      const hers = await raiseAlert(t, second.patient.id, { rule: 'pulse.high', severity: 'warning', value: 140, threshold: 120 });
      await page.locator(`tr[data-alert-id="${hers.alert.id}"]`).waitFor({ timeout: 10000 });
      expect(await page.locator(`tr[data-alert-id="${theirs.alert.id}"]`).count()).toBe(0);
    } finally {
      await page.close();
    }
  });

  it('shows patient names and SpO2 / pulse sparklines from the REST API, and ids when it is unavailable', async () => {
    const { nurse, patient } = await t.ctx.newTeamWithPatient();
    const page = await browser.context.newPage();
    try {
      // The REST routes belong to other modules; here the page's use of their contract is checked.
      await page.route('**/api/patients', (route) => route.fulfill({ json: [{ id: patient.id, displayName: 'Jeanne Test' }] }));
      const minute = 60_000;
      const buckets = (base: number) =>
        Array.from({ length: 30 }, (_, i) => ({ start: new Date(Date.now() - (30 - i) * minute).toISOString(), min: base - 1, avg: base + (i % 3), max: base + 3, count: 6 }));
      await page.route('**/api/patients/*/trends?*', (route) => {
        const metric = new URL(route.request().url()).searchParams.get('metric');
        return route.fulfill({ json: buckets(metric === 'spo2' ? 88 : 96) });
      });
      await signIn(page, t.url, nurse.username, nurse.password);
      const alert = await raiseAlert(t, patient.id);
      const row = page.locator(`tr[data-alert-id="${alert.alert.id}"]`);
      await row.getByRole('rowheader', { name: 'Jeanne Test' }).waitFor({ timeout: 10000 });
      // Each alert leads to its patient's page (issue 18 §4).
      const patientLink = row.getByRole('link', { name: 'Jeanne Test' });
      expect(await patientLink.getAttribute('href')).toBe(`/patient.html?patient=${encodeURIComponent(patient.id)}`);
      await row.getByRole('img', { name: /^SpO₂ last hour: latest \d+%/ }).waitFor({ timeout: 10000 });
      await row.getByRole('img', { name: /^Pulse last hour: latest \d+\/min/ }).waitFor();
      expect(await row.locator('svg polyline').count()).toBe(2);
      await page.screenshot({ path: join(ARTIFACTS, 'console-sparklines.png'), fullPage: true });

      await page.unroute('**/api/patients');
      await page.unroute('**/api/patients/*/trends?*');
      await page.route('**/api/patients**', (route) => route.fulfill({ status: 404, json: { error: { code: 'NOT_FOUND', message: 'not found' } } }));
      await page.reload();
      await page.getByRole('status').filter({ hasText: 'Live' }).waitFor({ timeout: 15000 });
      const again = page.locator(`tr[data-alert-id="${alert.alert.id}"]`);
      await again.getByRole('rowheader', { name: `Patient ${patient.id.slice(0, 8)}` }).waitFor({ timeout: 10000 });
      expect(await again.innerText()).toContain('SpO₂ —');
    } finally {
      await page.close();
    }
  });
});
