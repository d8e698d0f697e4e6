import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { PROJECT_ROOT } from '../../apps/server/src/paths.js';

/** Debian's Chromium, driven by playwright-core (Playwright may not download a browser; .ci/run installs it). */
export const CHROMIUM = '/usr/bin/chromium';
/** Screenshots (gitignored). */
export const ARTIFACTS = join(PROJECT_ROOT, 'test-artifacts');

export async function launch(): Promise<{ context: BrowserContext; page: Page; dir: string }> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: apt-get install -y chromium (see .ci/run)`);
  const dir = await mkdtemp(join(tmpdir(), 'tm-console-chromium-'));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1280, height: 800 },
  });
  const page = context.pages()[0] ?? (await context.newPage());
  return { context, page, dir };
}

/** Signs in on the console page and waits until the live connection is up. */
export async function signIn(page: Page, url: string, username: string, password: string): Promise<void> {
  await page.goto(`${url}/console`);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('status').filter({ hasText: 'Live' }).waitFor({ timeout: 15000 });
}
