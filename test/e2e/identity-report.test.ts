import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { identityTraits, NIR_OID, validIns } from '../support/identity-fixture.js';
import { api, startTestApp, type TestApp, type TestUser } from '../support/test-app.js';

/**
 * Issue 17: the printed monthly report carries the INS of a qualified identity only (the server
 * gives it through shareableIns); a provisional patient's report shows the identity traits and
 * says that the INS is not printed. Headless Chromium, as in clinical-pages.test.ts.
 */
jest.setTimeout(60000);

const CHROMIUM = '/usr/bin/chromium';

describe('monthly report: INS only for a qualified identity (headless Chromium)', () => {
  let t: TestApp;
  let context: BrowserContext;
  let page: Page;
  let dir: string;
  let physician: TestUser;
  const qualifiedIns = validIns();
  const provisionalIns = validIns();
  const patients: Record<'qualified' | 'provisional', string> = { qualified: '', provisional: '' };

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: apt-get install -y chromium`);
    t = await startTestApp({ roles: ['api'] });
    const admin = await t.ctx.newUser('admin');
    const team = await t.ctx.newCareTeam();
    physician = await t.ctx.newUser('physician', [team.id]);
    for (const [status, ins] of [
      ['qualified', qualifiedIns],
      ['provisional', provisionalIns],
    ] as const) {
      const res = await api<{ id: string }>(t.url, 'POST', '/api/patients', admin.token, {
        displayName: `Patient ${status}`,
        careTeamId: team.id,
        profile: 'hypercapnic',
        identity: { ...identityTraits(), ins: { value: ins, oid: NIR_OID }, status },
      });
      expect(res.status).toBe(201);
      patients[status] = res.body.id;
    }
    dir = await mkdtemp(join(tmpdir(), 'tm-identity-chromium-'));
    context = await chromium.launchPersistentContext(dir, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = context.pages()[0] ?? (await context.newPage());
  }, 60000);

  afterAll(async () => {
    await context?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
    await t?.close();
  });

  const open = async (patientId: string) => {
    await page.goto(`${t.url}/report.html?patient=${patientId}`);
    const signIn = page.getByLabel('Username');
    if (await signIn.isVisible()) {
      await signIn.fill(physician.username);
      await page.getByLabel('Password').fill(physician.password);
      await page.getByRole('button', { name: 'Sign in' }).click();
    }
    await page.locator('body[data-ready="true"]').waitFor({ timeout: 20000 });
  };

  it('prints the INS of a qualified identity, with its authority and the identity traits', async () => {
    await open(patients.qualified);
    await expect(page.locator('#r-ins').textContent()).resolves.toBe(`${qualifiedIns} (NIR)`);
    await expect(page.locator('#r-identity').textContent()).resolves.toBe('DUPONT Marie Jeanne, used name MARTIN, born 14/08/1955, sex F — identity qualified');
  });

  it('does not print the INS of a provisional identity', async () => {
    await open(patients.provisional);
    await expect(page.locator('#r-ins').textContent()).resolves.toBe('not printed: identity not qualified');
    await expect(page.locator('#r-identity').textContent()).resolves.toContain('identity provisional');
    expect(await page.content()).not.toContain(provisionalIns);
  });
});
