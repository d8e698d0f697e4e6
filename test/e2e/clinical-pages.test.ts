import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { PROJECT_ROOT } from '../../apps/server/src/paths.js';
import { raiseAlert } from '../support/console-support.js';
import { insertReadings, regular } from '../support/readings-fixture.js';
import { api, startTestApp, type TestApp } from '../support/test-app.js';

/**
 * The physician's patient page and monthly report in headless Chromium (Debian's /usr/bin/chromium
 * driven by playwright-core). Screenshots and the printed PDF go to test-artifacts/ (not committed).
 */
jest.setTimeout(60000);

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(PROJECT_ROOT, 'test-artifacts');
const DAY = 86_400_000;
const PHYSICIAN_NAME = 'Dr Anne Leroy';
const ACK_NOTE = 'Called the patient: probe had slipped, refitted';
const RESOLVE_NOTE = 'SpO2 back at 90 % after refitting';
const PULSE_NOTE = 'Fever since yesterday, GP informed';
const REVIEW_NOTES = ['Nights stable, leak normal.', 'Leak rising over 3 nights: mask to refit.'];

/**
 * The value the SpO2 chart's target band spans, read back from the SVG: the y-axis labels give
 * the scale (value ↔ y), the band rectangle its top and bottom.
 */
async function bandValues(chart: Locator): Promise<{ low: number; high: number; dataLow: string | null; dataHigh: string | null }> {
  return chart.evaluate((svg) => {
    const ticks = [...svg.querySelectorAll('text.tick[text-anchor="end"]')].map((t) => ({ v: Number(t.textContent), y: Number(t.getAttribute('y')) - 4 }));
    const [a, b] = [ticks[0]!, ticks[ticks.length - 1]!];
    const valueAt = (y: number) => a.v + ((y - a.y) * (b.v - a.v)) / (b.y - a.y);
    const rect = svg.querySelector('rect.target-band')!;
    const top = Number(rect.getAttribute('y'));
    const bottom = top + Number(rect.getAttribute('height'));
    const round = (v: number) => Math.round(v * 100) / 100;
    return { low: round(valueAt(bottom)), high: round(valueAt(top)), dataLow: rect.getAttribute('data-low'), dataHigh: rect.getAttribute('data-high') };
  });
}

describe('physician pages (headless Chromium)', () => {
  let t: TestApp;
  let context: BrowserContext;
  let page: Page;
  let dir: string;
  let team: Awaited<ReturnType<TestApp['ctx']['newTeamWithPatient']>>;
  const lastNight = Math.floor(Date.now() / DAY) * DAY - DAY;
  const alerts: Record<'resolved' | 'acknowledged' | 'open' | 'twoMonthsAgo' | 'fourMonthsAgo', string> = {
    resolved: '',
    acknowledged: '',
    open: '',
    twoMonthsAgo: '',
    fourMonthsAgo: '',
  };

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: apt-get install -y chromium`);
    await mkdir(ARTIFACTS, { recursive: true });
    t = await startTestApp({ roles: ['api'] });
    team = await t.ctx.newTeamWithPatient();
    await t.pool.query(`UPDATE patients SET timezone = 'UTC' WHERE id = $1`, [team.patient.id]);
    await t.pool.query(`UPDATE users SET display_name = $2 WHERE id = $1`, [team.physician.id, PHYSICIAN_NAME]);
    const base = { deviceId: team.device.deviceId, patientId: team.patient.id };
    // Six nights of SpO2 and pulse, one sample a minute from 22:00 to 06:00.
    for (let k = 0; k < 6; k++) {
      const start = lastNight - k * DAY + 22 * 3_600_000;
      await insertReadings(t.pool, [
        ...regular({ ...base, metric: 'spo2' }, start, 60_000, Array.from({ length: 480 }, (_, i) => (i % 50 < 3 ? 84 : 91 + (i % 3)))),
        ...regular({ ...base, metric: 'pulseRate' }, start, 60_000, Array.from({ length: 480 }, (_, i) => 65 + (i % 9))),
      ]);
    }
    // Alerts of yesterday noon (UTC: the month of the report), raised as the rules engine does,
    // then handled through the REST API with notes.
    const raise = async (rule: 'spo2.critical' | 'pulse.high' | 'niv.leak', severity: 'critical' | 'warning', value: number, threshold: number) => {
      const { alert } = await raiseAlert(t, team.patient.id, { rule, severity, value, threshold, publish: false });
      const at = new Date(lastNight + 12 * 3_600_000);
      await t.pool.query(`UPDATE alerts SET started_at = $2, opened_at = $2, last_triggered_at = $2 WHERE id = $1`, [alert.id, at]);
      return alert.id;
    };
    alerts.resolved = await raise('spo2.critical', 'critical', 81, 83);
    alerts.acknowledged = await raise('pulse.high', 'warning', 128, 120);
    alerts.open = await raise('niv.leak', 'warning', 31, 24);
    const rest = async (path: string, token: string, note: string) => expect((await api(t.url, 'POST', path, token, { note })).status).toBe(200);
    await rest(`/api/alerts/${alerts.resolved}/ack`, team.nurse.token, ACK_NOTE);
    await rest(`/api/alerts/${alerts.resolved}/resolve`, team.physician.token, RESOLVE_NOTE);
    await rest(`/api/alerts/${alerts.acknowledged}/ack`, team.physician.token, PULSE_NOTE);
    // Two past episodes: 60 days ago (in the 90-day view only) and 120 days ago (in no view).
    const past = async (daysAgo: number) => {
      const { rows } = await t.pool.query<{ id: string }>(
        `INSERT INTO alerts (patient_id, rule, severity, status, started_at, opened_at, last_triggered_at, value, threshold, message, resolved_at, resolution)
         VALUES ($1, 'spo2.low', 'warning', 'resolved', $2, $2, $2, 86, 88, 'SpO2 86 % below 88 %', $3, 'cleared') RETURNING id::text AS id`,
        [team.patient.id, new Date(Date.now() - daysAgo * DAY), new Date(Date.now() - (daysAgo - 1) * DAY)],
      );
      return rows[0]!.id;
    };
    alerts.twoMonthsAgo = await past(60);
    alerts.fourMonthsAgo = await past(120);

    // Two reviews of the data, by the nurse then the physician (newest first on the page).
    for (const [i, token] of [team.nurse.token, team.physician.token].entries()) {
      const body = i === 0 ? { note: REVIEW_NOTES[0] } : { note: REVIEW_NOTES[1], outcome: 'call the patient' };
      expect((await api(t.url, 'POST', `/api/patients/${team.patient.id}/reviews`, token, body)).status).toBe(201);
      await t.pool.query(`UPDATE reviews SET at = now() - make_interval(days => $2) WHERE patient_id = $1 AND note = $3`, [team.patient.id, 3 - i, body.note]);
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

  const spo2Chart = () => page.locator('figure[data-metric="spo2"] svg.trend-chart');
  // A function, not a string: Playwright evaluates a string predicate with eval(), which the
  // pages' Content-Security-Policy (no 'unsafe-eval') refuses.
  const nightRows = (n: number) =>
    page.waitForFunction(
      (count) => (globalThis as unknown as { document: { querySelectorAll: (s: string) => { length: number } } }).document.querySelectorAll('#nights table tbody tr').length === count,
      n,
    );
  const alertRow = (id: string) => page.locator(`#alerts table tbody tr[data-alert-id="${id}"]`);

  it('signs in, draws the trends with the band at the patient thresholds, lists the nights and the alert history', async () => {
    await page.goto(`${t.url}/patient.html?patient=${team.patient.id}`);
    await page.getByLabel('Username').fill(team.physician.username);
    await page.getByLabel('Password').fill(team.physician.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('body[data-ready="true"]').waitFor({ timeout: 20000 });
    await expect(spo2Chart().locator('path.mean-line').getAttribute('d')).resolves.toMatch(/^M/);
    // Hypercapnic defaults: spo2.low 88 % up to spo2.high_on_o2 97 %; pulse 45–120 /min.
    await expect(bandValues(spo2Chart())).resolves.toEqual({ low: 88, high: 97, dataLow: '88', dataHigh: '97' });
    await expect(page.locator('figure[data-metric="spo2"] figcaption').textContent()).resolves.toContain('alert limits 88–97 %');
    const pulseBand = page.locator('figure[data-metric="pulseRate"] svg rect.target-band');
    await expect(pulseBand.count()).resolves.toBe(1);
    await expect(Promise.all([pulseBand.getAttribute('data-low'), pulseBand.getAttribute('data-high')])).resolves.toEqual(['45', '120']);
    // 7 nights by default (7-day view), newest first; the last six have oximetry.
    const rows = page.locator('#nights table tbody tr');
    await expect(rows.count()).resolves.toBe(7);
    await expect(rows.first().locator('td').first().textContent()).resolves.toBe(new Date(lastNight).toISOString().slice(0, 10));
    // Alert history of the 7 days: the three alerts of yesterday, newest first, with their handling.
    const alertIds = await page.locator('#alerts table tbody tr').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-alert-id')));
    expect(alertIds).toEqual([alerts.open, alerts.acknowledged, alerts.resolved]);
    const resolved = alertRow(alerts.resolved);
    await expect(resolved.textContent()).resolves.toContain(`by ${team.nurse.username} (nurse)`);
    await expect(resolved.textContent()).resolves.toContain(`by ${PHYSICIAN_NAME} (physician) (manual)`);
    await expect(resolved.locator('ul.notes li').allTextContents()).resolves.toEqual([
      expect.stringContaining(ACK_NOTE),
      expect.stringContaining(RESOLVE_NOTE),
    ]);
    await expect(alertRow(alerts.open).locator('td.handling').textContent()).resolves.toBe('not acknowledged');
    await expect(page.locator('#alerts p.truncated').count()).resolves.toBe(0);
  });

  it('saves the thresholds form: stored, served by GET thresholds, and the band moves', async () => {
    const before = await bandValues(spo2Chart());
    const field = (rule: string) => page.locator(`#thresholds-form fieldset[data-rule="${rule}"]`).getByLabel('threshold');
    await field('spo2.low').fill('86');
    await field('pulse.high').fill('130');
    await page.getByRole('button', { name: 'Save thresholds' }).click();
    await page.locator('body[data-thresholds-saved="1"]').waitFor({ timeout: 10000 });
    await expect(page.locator('#thresholds-status').textContent()).resolves.toMatch(/^Saved/);
    const stored = await t.pool.query(`SELECT settings, updated_by FROM patient_thresholds WHERE patient_id = $1`, [team.patient.id]);
    expect(stored.rows).toEqual([{ settings: { 'spo2.low': { threshold: 86 }, 'pulse.high': { threshold: 130 } }, updated_by: team.physician.id }]);
    const served = await api<{ effective: Record<string, { threshold: number }> }>(t.url, 'GET', `/api/patients/${team.patient.id}/thresholds`, team.nurse.token);
    expect([served.body.effective['spo2.low']!.threshold, served.body.effective['pulse.high']!.threshold]).toEqual([86, 130]);
    // Redrawn without a reload: the band's lower edge is now at 86 %, lower on the chart.
    const after = await bandValues(spo2Chart());
    expect(after).toEqual({ low: 86, high: 97, dataLow: '86', dataHigh: '97' });
    expect(after.low).toBeLessThan(before.low);
    await expect(page.locator('figure[data-metric="pulseRate"] svg rect.target-band').getAttribute('data-high')).resolves.toBe('130');
    // The overridden parameter is marked in the form.
    await expect(page.locator('#thresholds-form fieldset[data-rule="spo2.low"]').textContent()).resolves.toContain('threshold *');
  });

  it('shows the telemonitoring status, the reviews, and the silent-device alert locked with its reason', async () => {
    await expect(page.locator('#episode-status').textContent()).resolves.toBe('Under telemonitoring since 2026-01-01 (home non-invasive ventilation) — alerts on.');
    await expect(page.locator('#episode-status').getAttribute('data-alerts')).resolves.toBe('on');
    const reviews = page.locator('#reviews table tbody tr');
    await expect(reviews.count()).resolves.toBe(2);
    await expect(reviews.nth(0).locator('td').allTextContents()).resolves.toEqual([expect.any(String), REVIEW_NOTES[1], 'call the patient']);
    await expect(reviews.nth(1).locator('td').nth(1).textContent()).resolves.toBe(REVIEW_NOTES[0]);
    const silent = page.locator('#thresholds-form fieldset[data-rule="device.silent"]');
    await expect(silent.locator('legend').textContent()).resolves.toBe('Device silent');
    const onOff = silent.getByLabel('Alert on (locked)');
    await expect(onOff.isChecked()).resolves.toBe(true);
    await expect(onOff.isDisabled()).resolves.toBe(true);
    await expect(silent.locator('.locked-reason').textContent()).resolves.toContain('cannot be switched off');
    await expect(silent.getByLabel('Information after (hours without data)').inputValue()).resolves.toBe('24');
    await expect(silent.textContent()).resolves.not.toMatch(/enabled|AfterHours|device\.silent/);
    await silent.screenshot({ path: join(ARTIFACTS, 'clinical-thresholds-locked.png') });
    // Saving the form leaves the silent-device alert on (the locked box is not sent as a change).
    await page.getByRole('button', { name: 'Save thresholds' }).click();
    await page.locator('body[data-thresholds-saved="2"]').waitFor({ timeout: 10000 });
    const stored = await t.pool.query(`SELECT settings FROM patient_thresholds WHERE patient_id = $1`, [team.patient.id]);
    expect(stored.rows[0].settings['device.silent']).toBeUndefined();
  });

  it('a patient registered without an episode: "no active episode — alerts off", nothing locked; a review recorded from the page', async () => {
    const other = await t.ctx.newPatient(team.team.id, 'standard', { episode: false });
    await page.goto(`${t.url}/patient.html?patient=${other.id}`);
    await page.locator('body[data-ready="true"]').waitFor({ timeout: 20000 });
    await expect(page.locator('#episode-status').getAttribute('data-alerts')).resolves.toBe('off');
    await expect(page.locator('#episode-status').textContent()).resolves.toMatch(/^No active episode — alerts off\./);
    await expect(page.locator('#reviews').textContent()).resolves.toBe('No review recorded yet.');
    await expect(page.locator('#thresholds-form [data-locked]').count()).resolves.toBe(0);
    // Recording a review from the page: stored with its author, listed at once.
    await page.getByLabel('Your analysis of the data').fill('First look: no data yet, device to be checked.');
    await page.getByLabel('Outcome (optional)').fill('call the patient');
    await page.getByRole('button', { name: 'Record review' }).click();
    await page.locator('body[data-reviews-saved="1"]').waitFor({ timeout: 10000 });
    await expect(page.locator('#reviews table tbody tr td').allTextContents()).resolves.toEqual([
      expect.any(String),
      'First look: no data yet, device to be checked.',
      'call the patient',
    ]);
    const stored = await t.pool.query(`SELECT author_id, note, outcome FROM reviews WHERE patient_id = $1`, [other.id]);
    expect(stored.rows).toEqual([{ author_id: team.physician.id, note: 'First look: no data yet, device to be checked.', outcome: 'call the patient' }]);
    await expect(page.getByLabel('Your analysis of the data').inputValue()).resolves.toBe('');
    await page.screenshot({ path: join(ARTIFACTS, 'clinical-patient-no-episode.png'), fullPage: true });
    await page.goto(`${t.url}/patient.html?patient=${team.patient.id}`);
    await page.locator('body[data-ready="true"]').waitFor({ timeout: 20000 });
  });

  it('switches to 30 and 90 days: nights, daily buckets, the older alerts of the period, the band kept', async () => {
    await page.getByRole('button', { name: '30 days' }).click();
    await nightRows(30);
    await page.locator('body[data-ready="true"]').waitFor({ timeout: 20000 });
    await page.screenshot({ path: join(ARTIFACTS, 'clinical-patient-page.png'), fullPage: true });
    await page.getByRole('button', { name: '90 days' }).click();
    await nightRows(90);
    await page.locator('body[data-ready="true"]').waitFor({ timeout: 20000 });
    await expect(page.locator('#period-label').textContent()).resolves.toBe('(90 days, 1d buckets)');
    await expect(page.getByRole('button', { name: '90 days' }).getAttribute('aria-pressed')).resolves.toBe('true');
    // Daily buckets: one per night with data (each night's samples span two UTC days).
    await expect(spo2Chart().locator('path.mean-line').getAttribute('d')).resolves.toMatch(/^M/);
    await expect(bandValues(spo2Chart())).resolves.toMatchObject({ low: 86, high: 97 });
    const alertIds = await page.locator('#alerts table tbody tr').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-alert-id')));
    expect(alertIds).toEqual([alerts.twoMonthsAgo, alerts.open, alerts.acknowledged, alerts.resolved].sort((a, b) => Number(b) - Number(a)));
    expect(alertIds).not.toContain(alerts.fourMonthsAgo);
    await expect(alertRow(alerts.twoMonthsAgo).locator('td').nth(7).textContent()).resolves.toContain('(cleared by the data)');
    await page.screenshot({ path: join(ARTIFACTS, 'clinical-patient-page-90d.png'), fullPage: true });
    await page.locator('#charts').screenshot({ path: join(ARTIFACTS, 'clinical-patient-charts-90d.png') });
    await page.locator('#alerts').screenshot({ path: join(ARTIFACTS, 'clinical-patient-alerts-90d.png') });
    const audit = await t.pool.query(`SELECT count(*)::int AS n FROM audit_log WHERE actor_id = $1 AND action = 'patient.trends.read'`, [team.physician.id]);
    expect(audit.rows[0].n).toBeGreaterThanOrEqual(9);
  });

  it('prints the monthly report with charts, nights and the alerts with who handled them and the notes', async () => {
    const month = new Date(lastNight).toISOString().slice(0, 7);
    await page.goto(`${t.url}/report.html?patient=${team.patient.id}&month=${month}`);
    await page.locator('body[data-ready="true"]').waitFor({ timeout: 20000 });
    await expect(page.locator('#status').textContent()).resolves.toBe('Ready to print.');
    await expect(page.locator('#charts svg.trend-chart').count()).resolves.toBe(3);
    await expect(bandValues(spo2Chart())).resolves.toMatchObject({ low: 86, high: 97 });
    // The month of last night: its nights up to last night (the browser runs in the machine's timezone).
    const expectedNights = await page.evaluate(() => {
      const now = new Date();
      return new Date(now.getFullYear(), now.getMonth(), now.getDate() - 1).getDate();
    });
    await expect(page.locator('#nights table tbody tr').count()).resolves.toBe(expectedNights);
    await expect(page.locator('#summary').textContent()).resolves.toContain('Mean night SpO₂');
    // Exactly the month's alerts (the 60- and 120-day-old episodes are in earlier months), oldest first.
    const alertIds = await page.locator('#alerts table tbody tr').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-alert-id')));
    expect(alertIds).toEqual([alerts.resolved, alerts.acknowledged, alerts.open]);
    const cells = (id: string) => alertRow(id).locator('td').allTextContents();
    const [resolved, acknowledged, open] = await Promise.all([cells(alerts.resolved), cells(alerts.acknowledged), cells(alerts.open)]);
    expect(resolved.slice(1, 5)).toEqual(['spo2.critical', 'critical', '81 / 83', 'resolved']);
    expect(resolved[6]).toMatch(new RegExp(`by ${team.nurse.username} \\(nurse\\)$`));
    expect(resolved[7]).toMatch(new RegExp(`by ${PHYSICIAN_NAME} \\(physician\\) \\(manual\\)$`));
    expect(resolved[8]).toMatch(/^acknowledged after \d+ min/);
    expect(resolved[8]).toContain(ACK_NOTE);
    expect(resolved[8]).toContain(RESOLVE_NOTE);
    expect(acknowledged[6]).toContain(`by ${PHYSICIAN_NAME} (physician)`);
    expect(acknowledged[7]).toBe('—');
    expect(acknowledged[8]).toContain(PULSE_NOTE);
    expect(open.slice(6)).toEqual(['—', '—', 'not acknowledged']);
    await expect(page.locator('#alerts p.truncated').count()).resolves.toBe(0);
    await page.emulateMedia({ media: 'print' });
    await expect(page.locator('.toolbar').isVisible()).resolves.toBe(false);
    await page.screenshot({ path: join(ARTIFACTS, 'clinical-report-print.png'), fullPage: true });
    await page.locator('#alerts').screenshot({ path: join(ARTIFACTS, 'clinical-report-alerts-print.png') });
    await page.locator('#charts figure[data-metric="spo2"]').screenshot({ path: join(ARTIFACTS, 'clinical-report-spo2-print.png') });
    await page.pdf({ path: join(ARTIFACTS, 'clinical-report.pdf'), format: 'A4' });
    await page.emulateMedia({ media: 'screen' });
  });
});
