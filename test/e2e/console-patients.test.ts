import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { DateTime } from 'luxon';
import { therapyDayOf } from '#domain';
import { ARTIFACTS, launch, signIn } from '../support/console-browser.js';
import { raiseAlert } from '../support/console-support.js';
import { insertReadings } from '../support/readings-fixture.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

/**
 * The console's patient list in headless Chromium: a nurse sees which patients have alerts off
 * (no active episode), which fall below the transmission check this month, the date of the last
 * review, and which are overdue a review (REVIEW_CADENCE_DAYS, here 7).
 */
jest.setTimeout(60000);

const ZONE = 'Europe/Paris';
const DAY = 86_400_000;
const today = () => therapyDayOf(Date.now(), ZONE);
const minusDays = (d: string, n: number) => DateTime.fromISO(d, { zone: 'UTC' }).minus({ days: n }).toISODate()!;

describe('console patient list (headless Chromium)', () => {
  let t: TestApp;
  let browser: Awaited<ReturnType<typeof launch>>;

  beforeAll(async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    t = await startTestApp({ roles: ['api'], env: { REVIEW_CADENCE_DAYS: '7' } });
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.context.close();
    if (browser?.dir) await rm(browser.dir, { recursive: true, force: true });
    await t?.close();
  });

  it('flags alerts off, below the transmission check and review overdue, and shows the last review date', async () => {
    const { team, nurse, physician } = await t.ctx.newTeamWithPatient({ episode: false });
    const patient = async (name: string) => {
      const p = await t.ctx.newPatient(team.id, 'hypercapnic', { episode: false });
      await t.pool.query(`UPDATE patients SET display_name = $2 WHERE id = $1`, [p.id, name]);
      return { ...p, device: await t.ctx.newDevice(p.id) };
    };
    const dataOn = (p: { id: string; device: { deviceId: string } }, days: string[]) =>
      insertReadings(
        t.pool,
        days.map((d) => ({ deviceId: p.device.deviceId, patientId: p.id, metric: 'spo2', value: 94, at: DateTime.fromISO(`${d}T20:00`, { zone: ZONE }).toMillis() })),
      );
    const review = (patientId: string, daysAgo: number) =>
      t.pool.query(`INSERT INTO reviews (patient_id, author_id, note, at) VALUES ($1, $2, 'seen', $3)`, [patientId, physician.id, new Date(Date.now() - daysAgo * DAY)]);

    const sparse = await patient('Bernard Sparse');
    await t.ctx.startEpisode(sparse.id, minusDays(today(), 40));
    await dataOn(sparse, [minusDays(today(), 2)]);
    await review(sparse.id, 10);
    const regular = await patient('Alice Regular');
    await t.ctx.startEpisode(regular.id, minusDays(today(), 5));
    await dataOn(regular, [5, 4, 3, 2, 1, 0].map((n) => minusDays(today(), n)));
    await review(regular.id, 2);
    const unprescribed = await patient('Claire Unprescribed');

    // An alert left open when a patient's episode ended (here: a patient without one), and one of a monitored patient.
    const leftOpen = (await raiseAlert(t, unprescribed.id, { publish: false })).alert.id;
    const live = (await raiseAlert(t, sparse.id, { publish: false })).alert.id;

    const { page } = browser;
    await signIn(page, t.url, nurse.username, nurse.password);
    await page.locator('body[data-patients-loaded]').waitFor({ timeout: 10000 });
    const row = (id: string) => page.locator(`#patients-body tr[data-patient-id="${id}"]`);
    const cells = async (id: string) => row(id).locator('th, td').allInnerTexts();

    const [name, monitoring, transmission, lastReview] = await cells(sparse.id);
    expect(name).toBe('Bernard Sparse');
    expect(monitoring).toMatch(/^Since \d{4}-\d{2}-\d{2} — alerts on$/);
    expect(transmission).toMatch(/^Month 2: data on 1 of \d+ days \(\d+ %\)\nBelow the transmission check$/);
    const tenDaysAgo = new Date(Date.now() - 10 * DAY).toLocaleDateString('en-US', { dateStyle: 'medium' });
    expect(lastReview).toBe(`Last review ${tenDaysAgo}\nReview overdue`);

    const regularCells = await cells(regular.id);
    expect(regularCells[2]).toMatch(/^Month 1: data on (\d+) of \1 days \(100 %\)$/);
    expect(regularCells[3]).toBe(`Last review ${new Date(Date.now() - 2 * DAY).toLocaleDateString('en-US', { dateStyle: 'medium' })}`);
    expect(await row(regular.id).locator('.flag').count()).toBe(0);

    expect(await cells(unprescribed.id)).toEqual(['Claire Unprescribed', 'No active episode — alerts off', '—', 'No review yet']);

    // Attention first: alerts off, then below the check and overdue, then the others.
    const order = await page.locator('#patients-body tr').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-patient-id')));
    expect(order.filter((id) => [unprescribed.id, sparse.id, regular.id].includes(id!))).toEqual([unprescribed.id, sparse.id, regular.id]);
    expect(order.indexOf(sparse.id)).toBe(2); // after the two patients with alerts off (the team's first one has no episode either)
    await expect(page.locator('#patients-summary').textContent()).resolves.toContain('1 below the transmission check');
    await expect(row(sparse.id).getByRole('link', { name: 'Bernard Sparse' }).getAttribute('href')).resolves.toBe(`/patient.html?patient=${sparse.id}`);
    await page.locator('section.patients').screenshot({ path: join(ARTIFACTS, 'console-patient-list.png') });
    // The alert board says which open alerts belong to a patient whose alerts are off.
    await expect(page.locator(`tr[data-alert-id="${leftOpen}"] th`).innerText()).resolves.toBe('Claire Unprescribed\nNo active episode — alerts off');
    await expect(page.locator(`tr[data-alert-id="${live}"] th`).innerText()).resolves.toBe('Bernard Sparse');
  });
});
