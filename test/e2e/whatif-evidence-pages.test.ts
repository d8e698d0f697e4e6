import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ARTIFACTS, launch, signIn } from '../support/console-browser.js';
import { api, startTestApp, type TestApp } from '../support/test-app.js';
import { alertsOf, HOUR, ingest, SECOND } from '../integration/alerts/alert-fixtures.js';
import type { StoredSample } from '../../apps/server/src/events/stored-readings.js';

/**
 * The clinician tools of CONTRACT.md §7 in headless Chromium: the what-if line of the thresholds
 * form (patient page), the evidence chart (console and patient page), and the console's NEWS2
 * column (a pulse alert reads as a partial NEWS2, never as a bare 0). Data goes through the live
 * rules (StoredReadingsHub, as ingestion publishes it).
 */
jest.setTimeout(90_000);

/** [spo2, pulse, seconds] segments at 1 Hz. */
function segments(start: number, parts: [number, number, number][]): StoredSample[] {
  const out: StoredSample[] = [];
  let t = start;
  for (const [spo2, pulseRate, seconds] of parts) for (let i = 0; i < seconds; i++, t += SECOND) out.push({ at: t, values: { spo2, pulseRate }, signalOk: true });
  return out;
}

describe('what-if, evidence and NEWS2 on the pages (headless Chromium)', () => {
  let t: TestApp;
  let browser: Awaited<ReturnType<typeof launch>>;
  let team: Awaited<ReturnType<TestApp['ctx']['newTeamWithPatient']>>;
  let pulseAlertId = '';
  let lowAlertId = '';

  beforeAll(async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    t = await startTestApp({ roles: ['api'] });
    browser = await launch();
    team = await t.ctx.newTeamWithPatient(); // hypercapnic: spo2.low < 88 % for 5 min
    const T = Math.floor((Date.now() - 3 * HOUR) / 1000) * 1000;
    // Two desaturations (86 % then 85 %), the second still going on; between them a tachycardia
    // (135 /min for 6 min) with a normal SpO2 (NEWS2 SpO2 sub-score 0), then a pulse of 120 /min
    // (inside the hysteresis band: the tachycardia alert stays open).
    await ingest(
      t,
      team.device,
      team.patient.id,
      segments(T, [
        [95, 80, 60],
        [86, 80, 400],
        [95, 80, 200],
        [95, 135, 360],
        [95, 120, 200],
        [85, 120, 400],
      ]),
    );
    const low = await alertsOf(t.pool, team.patient.id, 'spo2.low');
    expect(low.map((a) => a.status).sort()).toEqual(['open', 'resolved']);
    lowAlertId = low.find((a) => a.status === 'open')!.id;
    const [pulse] = await alertsOf(t.pool, team.patient.id, 'pulse.high');
    pulseAlertId = pulse!.id;
  }, 90_000);

  afterAll(async () => {
    await browser?.context.close();
    if (browser?.dir) await rm(browser.dir, { recursive: true, force: true });
    await t?.close();
  });

  it('console: the NEWS2 column is labelled, a pulse alert shows a partial NEWS2 (not 0), and the evidence chart opens', async () => {
    const { page } = browser;
    await signIn(page, t.url, team.nurse.username, team.nurse.password);
    const pulseRow = page.locator(`tr[data-alert-id="${pulseAlertId}"]`);
    await pulseRow.waitFor({ timeout: 15000 });
    await expect(page.locator('#alerts-table thead').innerText()).resolves.toContain('NEWS2 (partial)');
    const pulseNews2 = pulseRow.locator('td.news2');
    await expect(pulseNews2.innerText()).resolves.toBe('partial NEWS2 3 (SpO₂ + pulse)');
    const lowRow = page.locator(`tr[data-alert-id="${lowAlertId}"]`);
    await expect(lowRow.locator('td.news2').innerText()).resolves.toMatch(/^SpO₂ sub-score \d$/);

    await lowRow.getByRole('button', { name: /^Evidence of / }).click();
    const dialog = page.locator('#evidence-dialog');
    await dialog.locator('svg.evidence-chart circle').first().waitFor({ timeout: 10000 });
    const chart = await dialog.locator('svg.evidence-chart').evaluate((svg) => ({
      dots: svg.querySelectorAll('circle').length,
      limit: svg.querySelectorAll('line.evidence-limit').length,
      label: svg.getAttribute('aria-label'),
    }));
    expect(chart.dots).toBeGreaterThan(300);
    expect(chart.limit).toBe(1);
    expect(chart.label).toContain('limit < 88 %');
    const text = await dialog.innerText();
    expect(text).toContain('Sustained low SpO2: lowest SpO2 of the episode 85 %');
    expect(text).toContain('Settings at the time: limit 88 %, lasting at least 5 min');
    expect(text).toContain("Clinical source: BTS oxygen guideline (O'Driscoll et al., Thorax 2017)");
    expect(text).not.toMatch(/durationSeconds|threshold|spo2\.low/);
    await page.screenshot({ path: join(ARTIFACTS, 'console-evidence.png'), fullPage: true });
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
  });

  it("patient page: the what-if line follows the edited thresholds, and an alert's evidence is drawn", async () => {
    const { page } = browser;
    await page.goto(`${t.url}/patient.html?patient=${team.patient.id}`);
    await page.getByLabel('Username').fill(team.physician.username);
    await page.getByLabel('Password').fill(team.physician.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('body[data-ready="true"]').waitFor({ timeout: 20000 });
    const line = page.locator('#whatif-line');
    await line.waitFor({ timeout: 15000 });
    const live = await alertsOf(t.pool, team.patient.id);
    const total = live.reduce((n, a) => n + a.occurrences, 0);
    expect(total).toBe(3);
    await expect(line.innerText()).resolves.toBe(`These settings: 3 alerts in 30 days, today's: 3.`);

    // Lower the SpO2 limit to 86 %: only the 85 % desaturation meets it.
    const previews = Number(await page.locator('body').getAttribute('data-previews'));
    const field = page.locator('#thresholds-form fieldset[data-rule="spo2.low"]').getByLabel('threshold');
    await field.fill('86');
    await page.waitForFunction(
      (n) => Number((globalThis as unknown as { document: { body: { dataset: { previews?: string } } } }).document.body.dataset.previews ?? 0) > n,
      previews,
      { timeout: 15000 },
    );
    await expect(line.innerText()).resolves.toBe(`These settings: 2 alerts in 30 days, today's: 3.`);
    const whatif = await page.locator('#whatif').innerText();
    expect(whatif).toContain('Sustained low SpO2: 1 instead of 2');
    const ticks = await page.locator('svg.whatif-timeline').evaluate((svg) => ({
      current: svg.querySelectorAll('rect.whatif-current').length,
      proposed: svg.querySelectorAll('rect.whatif-proposed').length,
    }));
    expect(ticks).toEqual({ current: 3, proposed: 2 });
    // Nothing saved.
    const stored = await api<{ overrides: object }>(t.url, 'GET', `/api/patients/${team.patient.id}/thresholds`, team.physician.token);
    expect(stored.body.overrides).toEqual({});

    await page.locator(`tr[data-alert-id="${pulseAlertId}"] button[data-evidence-id]`).click();
    const evidence = page.locator('#evidence');
    await evidence.locator('svg.evidence-chart circle').first().waitFor({ timeout: 10000 });
    expect(await evidence.innerText()).toContain('Tachycardia: highest pulse rate of the episode 135 /min (limit > 120 /min)');
    await page.screenshot({ path: join(ARTIFACTS, 'patient-whatif-evidence.png'), fullPage: true });
  });
});
