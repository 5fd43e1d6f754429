/**
 * The browser the dashboard tests drive: Debian's chromium (scripts/provision-browser.sh, run by the global
 * setup, sets CHROMIUM_PATH) through playwright-core, headless, in a throwaway profile. One place for the
 * launch flags so every browser test starts it the same way.
 */
import { chromium } from 'playwright-core';
import type { BrowserContext, Page } from 'playwright-core';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ApiEnv, Who } from './api-env';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export interface TestBrowser {
  context: BrowserContext;
  page: Page;
  close(): Promise<void>;
}

/** A headless Chromium with one page; the viewer's zone is America/Chicago unless told otherwise. */
export async function launchBrowser(timezoneId = 'America/Chicago'): Promise<TestBrowser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run scripts/provision-browser.sh, or set CHROMIUM_PATH`);
  const profile = mkdtempSync(path.join(os.tmpdir(), 'frontier-review-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM, headless: true, args: ARGS, viewport: { width: 1280, height: 900 }, timezoneId, locale: 'en-US',
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(30_000);
  return {
    context, page,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Signs `who` in through the login form (the cookies of whoever was signed in before are dropped). */
export async function signIn(page: Page, server: ApiEnv, who: Who): Promise<void> {
  await page.context().clearCookies();
  await page.goto(`${server.url}/login`);
  await page.getByLabel('Access token').fill(server.tokens[who]);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${server.url}/`);
}
