/**
 * DD-PPO in the app (browser mode): launch a tiny 2-worker run from the launch form (the schema-driven fields
 * include workers), open its page, and see the per-worker activity panel with both workers' SPS and idle time.
 */
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_ARGS, findChromium } from '../helpers/chromium.js';
import { runStatus, screenshot, startE2eServer, type E2eServer } from './helpers.js';

const LONG = { timeout: 120_000, interval: 250 };
const chromiumPath = findChromium();

describe.skipIf(!chromiumPath)(`DD-PPO run page${chromiumPath ? '' : ' (skipped: no Chromium; install it or set CHROMIUM_PATH)'}`, () => {
  let app: E2eServer;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    app = await startE2eServer();
    browser = await chromium.launch({ executablePath: chromiumPath, args: CHROMIUM_ARGS });
    page = await (await browser.newContext({ viewport: { width: 1400, height: 1000 } })).newPage();
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  it('launches a 2-worker run and shows each worker’s SPS and idle time', { timeout: 180_000 }, async () => {
    await page.goto(app.server.url);
    await page.getByRole('link', { name: 'Launch', exact: true }).click();
    await page.locator('select[name="algo"]').selectOption('ddppo');
    await page.locator('select[name="env"]').selectOption('CartPole-v1');
    await expect.poll(() => page.locator('#field-workers').isVisible(), LONG).toBe(true);
    await page.locator('#field-workers').fill('2');
    await page.locator('input[name="totalSteps"]').fill('4096');
    await page.getByTestId('launch').click();
    await expect.poll(() => runStatus(page), LONG).toBe('finished');
    const panel = page.getByRole('region', { name: 'DD-PPO workers' });
    await expect.poll(() => panel.locator('tbody tr').count(), LONG).toBe(2);
    const text = (await panel.textContent()) ?? '';
    expect(text).toMatch(/2 workers · rollout steps cut by preemption/);
    for (const rank of [0, 1]) {
      const cells = await panel.locator(`tr[data-rank="${rank}"] td.num`).allTextContents();
      expect(cells.length).toBe(4);
      expect(Number(cells[1].replace(/[^0-9.e+-]/g, ''))).toBeGreaterThan(0); // mean SPS
    }
    await screenshot(page, 'ddppo-workers');
  });
});
