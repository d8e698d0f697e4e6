import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DateTime } from 'luxon';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { extractText, getDocumentProxy } from 'unpdf';
import { api, startTestApp, type TestApp } from '../support/test-app.js';

/** The patient page's "Download PDF" buttons in headless Chromium: what the browser saves is the server's PDF. */
jest.setTimeout(90000);

const CHROMIUM = '/usr/bin/chromium';
const ZONE = 'Europe/Paris';

describe('patient page: report downloads (headless Chromium)', () => {
  let t: TestApp;
  let context: BrowserContext;
  let page: Page;
  let dir: string;
  let team: Awaited<ReturnType<TestApp['ctx']['newTeamWithPatient']>>;
  const month = DateTime.now().setZone(ZONE).toFormat('yyyy-MM');

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: apt-get install -y chromium`);
    t = await startTestApp({ roles: ['api'] });
    team = await t.ctx.newTeamWithPatient({ episode: false }); // the ended episode is the test's
    await t.pool.query(`UPDATE patients SET display_name = 'Gérard Noël' WHERE id = $1`, [team.patient.id]);
    const startDate = DateTime.now().setZone(ZONE).minus({ months: 2 }).toISODate()!;
    const episode = await api<{ id: string }>(t.url, 'POST', `/api/patients/${team.patient.id}/episodes`, team.physician.token, { indication: 'oxygen', prescriberId: team.physician.id, startDate });
    expect((await api(t.url, 'POST', `/api/episodes/${episode.body.id}/end`, team.physician.token, { reason: 'Sevrage en oxygène réussi' })).status).toBe(200);
    dir = await mkdtemp(join(tmpdir(), 'tm-reports-chromium-'));
    context = await chromium.launchPersistentContext(dir, {
      executablePath: CHROMIUM,
      headless: true,
      acceptDownloads: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = context.pages()[0] ?? (await context.newPage());
    await page.goto(`${t.url}/patient.html?patient=${team.patient.id}`);
    await page.getByLabel('Username').fill(team.nurse.username);
    await page.getByLabel('Password').fill(team.nurse.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('body[data-ready="true"]').waitFor({ timeout: 20000 });
  }, 60000);

  afterAll(async () => {
    await context?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
    await t?.close();
  });

  async function saved(button: string): Promise<{ name: string; text: string }> {
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: button }).click()]);
    const bytes = await readFile((await download.path())!);
    expect(bytes.subarray(0, 5).toString()).toBe('%PDF-');
    const { text } = await extractText(await getDocumentProxy(new Uint8Array(bytes)), { mergePages: true });
    return { name: download.suggestedFilename(), text: text.replace(/\s+/g, ' ') };
  }

  it('"Download PDF" saves the monthly report of the chosen month', async () => {
    await page.locator('#report-month').fill(month);
    const { name, text } = await saved('Download PDF');
    expect(name).toMatch(new RegExp(`^monthly-report-${month}-[0-9a-f]{8}\\.pdf$`));
    expect(text).toContain('Gérard Noël');
    expect(text).toContain('not an emergency service');
    await expect(page.locator('#download-status').textContent()).resolves.toBe(`Downloaded ${name}.`);
  });

  it('"Closing report (PDF)" is offered for the ended episode and saves it', async () => {
    const { name, text } = await saved('Closing report (PDF)');
    expect(name).toMatch(/^closing-report-\d{4}-\d{2}-\d{2}-\d{4}-\d{2}-\d{2}-[0-9a-f]{8}\.pdf$/);
    expect(text).toContain('Sevrage en oxygène réussi');
  });

  it('a month before the episode is said next to the buttons, nothing saved', async () => {
    await page.locator('#report-month').fill(DateTime.now().setZone(ZONE).minus({ months: 5 }).toFormat('yyyy-MM'));
    await page.getByRole('button', { name: 'Download PDF' }).click();
    await page.waitForFunction(
      () => (globalThis as unknown as { document: { getElementById: (id: string) => { textContent: string } | null } }).document.getElementById('download-status')?.textContent?.startsWith('The monthly report could not be made') ?? false,
    );
  });
});
