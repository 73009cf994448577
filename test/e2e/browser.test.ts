/**
 * Browser mode end to end: Debian's Chromium (playwright-core) against the real server, back end and
 * training processes, with a temp POLICYLAB_HOME. Screenshots go to test-results/.
 */
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_ARGS, findChromium } from '../helpers/chromium.js';
import { chartPoints, launchWatchStopResume, screenshot, startE2eServer, type E2eServer } from './helpers.js';

const LONG = { timeout: 120_000, interval: 250 };

const chromiumPath = findChromium();

describe.skipIf(!chromiumPath)(`browser mode in Chromium${chromiumPath ? '' : ' (skipped: no Chromium; install it or set CHROMIUM_PATH)'}`, () => {
  let app: E2eServer;
  let browser: Browser;
  let page: Page;
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    app = await startE2eServer();
    browser = await chromium.launch({ executablePath: chromiumPath, args: CHROMIUM_ARGS });
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    page = await context.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => consoleErrors.push(e.message));
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  it('refuses the app without the token', async () => {
    const res = await page.goto(app.server.url.replace(/\?token=.*/, ''));
    expect(res?.status()).toBe(401);
  });

  it('launches a PPO CartPole run, streams its return chart, stops, resumes, and keeps history across reloads', async () => {
    await page.goto(app.server.url);
    await launchWatchStopResume(page, 'browser');
  });

  it('prefills the launch form from an existing run and validates edits inline', async () => {
    await page.getByRole('link', { name: 'e2e ppo' }).click();
    await page.getByRole('link', { name: 'Launch a copy' }).click();
    await expect.poll(() => page.locator('input[name="totalSteps"]').inputValue(), { timeout: 30_000 }).toBe('1000000');
    await page.locator('#field-lr').fill('abc');
    await expect.poll(() => page.locator('#field-lr-error').textContent()).toMatch(/must be a number/);
    expect(await page.getByTestId('launch').isDisabled()).toBe(true);
    await screenshot(page, 'browser-07-launch-copy-invalid');
  });

  it('launches several seeds at once, then renames, tags, filters, sorts and deletes runs with confirmation', async () => {
    await page.getByRole('link', { name: 'Launch', exact: true }).click();
    // A "New run" after "Launch a copy" starts from the defaults: the copy's (invalid) lr does not leak into it.
    await expect.poll(() => page.locator('#field-lr').inputValue(), LONG).not.toBe('abc');
    expect(await page.locator('#field-lr-error').count()).toBe(0);
    await page.locator('select[name="preset"]').selectOption('CartPole-v1');
    expect(await page.locator('#field-lr').inputValue()).not.toBe('abc');
    await page.locator('input[name="totalSteps"]').fill('512');
    await page.locator('input[name="seeds"]').fill('11, 12');
    await page.locator('input[name="name"]').fill('pair');
    await page.locator('input[name="tags"]').fill('batch');
    expect(await page.getByTestId('launch').textContent()).toMatch(/Launch 2 run\(s\)/);
    await page.getByTestId('launch').click();
    await expect.poll(() => page.url(), LONG).toMatch(/#\/runs$/);
    const rows = page.locator('tbody tr');
    await expect.poll(() => page.locator('tbody tr', { hasText: 'pair s1' }).count(), LONG).toBe(2);
    for (const seed of [11, 12]) {
      const row = page.locator('tbody tr', { hasText: `pair s${seed}` });
      await expect.poll(() => row.locator('[data-testid="status-badge"]').getAttribute('data-status'), LONG).toBe('finished');
    }

    // Rename + tag through the edit dialog.
    await page.getByRole('button', { name: 'Edit pair s11' }).click();
    const dialog = page.getByRole('dialog', { name: 'Edit run' });
    await dialog.getByLabel('Name').fill('renamed pair');
    await dialog.getByLabel(/Tags/).fill('batch, keep');
    await dialog.getByLabel('Notes').fill('from the e2e test');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => page.locator('tbody tr', { hasText: 'renamed pair' }).count(), LONG).toBe(1);
    expect(await page.locator('tbody tr', { hasText: 'renamed pair' }).textContent()).toMatch(/keep/);

    // Filter by tag and by text; sort by name.
    await page.getByLabel('Filter by tag').selectOption('keep');
    await expect.poll(() => rows.count()).toBe(1);
    await page.getByLabel('Filter by tag').selectOption('');
    await page.getByLabel('Search runs').fill('pair');
    await expect.poll(() => rows.count()).toBe(2);
    await page.getByRole('button', { name: /^Name/ }).click();
    await expect.poll(() => rows.first().textContent()).toMatch(/pair s12/);
    await page.getByRole('button', { name: /^Name/ }).click();
    await expect.poll(() => rows.first().textContent()).toMatch(/renamed pair/);
    await screenshot(page, 'browser-08-runs-filtered');

    // Delete both, after confirming.
    await page.getByLabel('Select all shown runs').check();
    await page.getByRole('button', { name: 'Delete…' }).click();
    const confirm = page.getByRole('dialog', { name: /Delete 2 runs\?/ });
    await expect.poll(() => confirm.isVisible()).toBe(true);
    await screenshot(page, 'browser-09-confirm-delete');
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    expect(await rows.count()).toBe(2);
    await page.getByRole('button', { name: 'Delete…' }).click();
    await confirm.getByRole('button', { name: 'Delete' }).click();
    await page.getByLabel('Search runs').fill('');
    await expect.poll(() => page.locator('tbody tr', { hasText: 'pair' }).count(), LONG).toBe(0);
    await expect.poll(() => rows.count(), LONG).toBe(1);
  });

  it('follows the system colour scheme (dark)', async () => {
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.getByRole('link', { name: 'e2e ppo' }).click();
    await expect.poll(() => chartPoints(page, 'rollout/episodeReturn'), LONG).toBeGreaterThan(0);
    const bg = await page.evaluate('getComputedStyle(document.documentElement).backgroundColor');
    expect(bg).toBe('rgb(21, 24, 29)');
    await screenshot(page, 'browser-10-dark');
    await page.emulateMedia({ colorScheme: 'light' });
  });

  it('had no console errors (CSP violations included)', () => {
    expect(consoleErrors.filter((e) => !/status of 401/.test(e))).toEqual([]);
  });
});
