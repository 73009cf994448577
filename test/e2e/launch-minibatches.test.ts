/**
 * The launch form and the CLI share PPO's config schema, cross-field rules included: more minibatches than samples
 * per rollout (numEnvs · numSteps) is refused on launch with the message beside the field, and no run is made.
 */
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_ARGS, findChromium } from '../helpers/chromium.js';
import { screenshot, startE2eServer, type E2eServer } from './helpers.js';

const LONG = { timeout: 120_000, interval: 250 };
const chromiumPath = findChromium();

describe.skipIf(!chromiumPath)(`launch form: numMinibatches ≤ numEnvs · numSteps${chromiumPath ? '' : ' (skipped: no Chromium; install it or set CHROMIUM_PATH)'}`, () => {
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

  it('shows the schema rule at the field and starts nothing', async () => {
    await page.goto(app.server.url);
    await page.getByRole('link', { name: 'Launch', exact: true }).click();
    await expect.poll(() => page.locator('#field-numMinibatches').isVisible(), LONG).toBe(true);
    await page.locator('select[name="preset"]').selectOption('');
    await page.locator('#field-numEnvs').fill('2');
    await page.locator('#field-numSteps').fill('3');
    await page.locator('#field-numMinibatches').fill('7');
    // Each field is valid on its own, so the form lets it go; the back end's schema check answers.
    await page.getByTestId('launch').click();
    await expect.poll(() => page.locator('#field-numMinibatches-error').textContent(), LONG).toMatch(/must be ≤ numEnvs · numSteps = 2 · 3 = 6/);
    await screenshot(page, 'launch-minibatches-refused');
    expect(app.backend.store.listRuns()).toEqual([]);
  });
});
