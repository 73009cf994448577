/** Browser mode: launch a tiny LM pretrain run from the form, watch its loss chart, and read its Samples tab. */
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_ARGS, findChromium } from '../helpers/chromium.js';
import { chartPoints, runStatus, screenshot, startE2eServer, type E2eServer } from './helpers.js';

const LONG = { timeout: 150_000, interval: 250 };
const chromiumPath = findChromium();

describe.skipIf(!chromiumPath)(`LM pretrain run in the app${chromiumPath ? '' : ' (skipped: no Chromium; install it or set CHROMIUM_PATH)'}`, () => {
  let app: E2eServer;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    app = await startE2eServer();
    browser = await chromium.launch({ executablePath: chromiumPath, args: CHROMIUM_ARGS });
    page = await (await browser.newContext({ viewport: { width: 1400, height: 900 } })).newPage();
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  it('launches, charts train/loss and shows samples by step', { timeout: 200_000 }, async () => {
    await page.goto(app.server.url);
    await page.getByRole('link', { name: 'Launch', exact: true }).click();
    await expect.poll(() => page.locator('select[name="algo"]').isVisible(), LONG).toBe(true);
    await page.locator('select[name="algo"]').selectOption('pretrain');
    await page.locator('select[name="env"]').selectOption('text');
    await expect.poll(() => page.locator('#field-batchSize').isVisible(), LONG).toBe(true);
    await page.locator('#field-batchSize').fill('2');
    await page.locator('#field-sampleInterval').fill('5');
    await page.locator('#field-numSamples').fill('2');
    await page.locator('#field-sampleMaxTokens').fill('8');
    await page.locator('#field-evalInterval').fill('5');
    await page.locator('input[name="totalSteps"]').fill('10');
    await page.getByTestId('launch').click();
    await expect.poll(() => page.url(), LONG).toMatch(/#\/run\//);
    await expect.poll(() => runStatus(page), LONG).toBe('finished');
    await expect.poll(() => chartPoints(page, 'train/loss'), LONG).toBeGreaterThan(0);
    await screenshot(page, 'lm-run-overview');
    await page.getByRole('link', { name: 'Samples', exact: true }).click();
    await expect.poll(() => page.locator('section[aria-label="Samples"] tbody tr').count(), LONG).toBe(2);
    await page.locator('select[name="compare-step"]').selectOption('0');
    await expect.poll(() => page.locator('section[aria-label="Samples"] thead').textContent(), LONG).toMatch(/Completion at step 10.*at step 0/);
    await screenshot(page, 'lm-run-samples');
    const [run] = app.backend.store.listRuns();
    expect(run).toMatchObject({ algo: 'pretrain', env: 'text', status: 'finished', step: 10 });
  });
});
