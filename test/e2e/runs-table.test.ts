/**
 * The runs table for many runs (issue 11): a config column and a metric-summary column chosen in the picker,
 * rows grouped by a config key with count and means, collapsing a group, sorting by a chosen column, sparklines
 * of the return, and the layout kept across a reload.
 */
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_ARGS, findChromium } from '../helpers/chromium.js';
import { screenshot, startE2eServer, type E2eServer } from './helpers.js';
import { seedSyntheticRuns } from './synthetic-runs.js';

const LONG = { timeout: 120_000, interval: 250 };
const chromiumPath = findChromium();

describe.skipIf(!chromiumPath)(`runs table: columns, grouping, sorting, saved layout${chromiumPath ? '' : ' (skipped: no Chromium)'}`, () => {
  let app: E2eServer;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    app = await startE2eServer(async (home) => {
      await seedSyntheticRuns(home, { runs: 6, points: 80, name: 'tbl', config: (i) => ({ lr: [1e-4, 3e-4, 1e-3][i % 3] }) });
    });
    browser = await chromium.launch({ executablePath: chromiumPath, args: CHROMIUM_ARGS });
    page = await (await browser.newContext({ viewport: { width: 1500, height: 900 } })).newPage();
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  const headers = () => page.locator('thead th').allInnerTexts();

  it('chooses columns, groups, sorts, and keeps the layout after a reload', async () => {
    await page.goto(app.server.url);
    await expect.poll(() => page.locator('tr[data-run-id]').count(), LONG).toBe(6);
    // Sparklines drawn from runs:table rows.
    await expect.poll(() => page.locator('svg.spark polyline').count(), LONG).toBe(6);

    await page.getByText(/^Columns \(/).click();
    await page.getByLabel('Find a column').fill('lr');
    await page.getByRole('checkbox', { name: 'lr', exact: true }).check();
    await page.getByLabel('Find a column').fill('policyLoss (min)');
    await page.getByRole('checkbox', { name: 'train/policyLoss (min)' }).check();
    await page.getByText(/^Columns \(/).click();
    expect(await headers()).toEqual(expect.arrayContaining([expect.stringContaining('lr'), expect.stringContaining('train/policyLoss (min)')]));

    // Sort by lr ascending: the rows' lr cells read in order.
    await page.getByRole('button', { name: /^lr/ }).click();
    const lrIndex = (await headers()).findIndex((h) => h.trim().startsWith('lr'));
    const lrCells = () => page.locator(`tr[data-run-id] td:nth-child(${lrIndex + 1})`).allInnerTexts();
    const sorted = (await lrCells()).map(Number);
    expect(sorted).toEqual([...sorted].sort((a, b) => a - b));
    expect(new Set(sorted).size).toBe(3);

    await page.getByLabel('Group runs by').selectOption('config:lr');
    await expect.poll(() => page.locator('tr.group-row').count(), LONG).toBe(3);
    const first = page.locator('tr.group-row').first();
    expect(await first.innerText()).toMatch(/lr = 0\.0001\s*\(2 runs\)/);
    // The group's mean of the chosen loss column is the mean of its two runs' cells.
    const lossIndex = (await headers()).findIndex((h) => h.includes('train/policyLoss (min)'));
    const groupCells = await page.locator(`tr[data-in-group="0.0001"] td:nth-child(${lossIndex + 1})`).allInnerTexts();
    const mean = Number(await first.locator(`td:nth-child(${lossIndex + 1})`).innerText());
    expect(groupCells).toHaveLength(2);
    expect(mean).toBeCloseTo((Number(groupCells[0]) + Number(groupCells[1])) / 2, 2);
    await screenshot(page, 'runs-table-grouped');

    await first.getByRole('button').click(); // collapse
    await expect.poll(() => page.locator('tr[data-run-id]').count(), LONG).toBe(4);

    await page.reload();
    await expect.poll(() => page.locator('tr.group-row').count(), LONG).toBe(3);
    expect(await page.locator('tr[data-run-id]').count()).toBe(4); // still collapsed
    expect(await headers()).toEqual(expect.arrayContaining([expect.stringContaining('train/policyLoss (min)')]));
    expect(await page.locator('th[aria-sort="ascending"]').innerText()).toMatch(/^lr/);
    await screenshot(page, 'runs-table-reloaded');
  });
});

describe.skipIf(!chromiumPath)(`runs table: only rows in view are rendered${chromiumPath ? '' : ' (skipped: no Chromium)'}`, () => {
  let app: E2eServer;
  let browser: Browser;

  beforeAll(async () => {
    app = await startE2eServer((home) => seedSyntheticRuns(home, { runs: 120, points: 5, name: 'many' }));
    browser = await chromium.launch({ executablePath: chromiumPath, args: CHROMIUM_ARGS });
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  it('renders a window of the 120 rows and the rest on scrolling', async () => {
    const page = await (await browser.newContext({ viewport: { width: 1400, height: 800 } })).newPage();
    await page.goto(app.server.url);
    await expect.poll(() => page.locator('table[data-rows="120"]').count(), LONG).toBe(1);
    const rendered = await page.locator('tr[data-run-id]').count();
    expect(rendered).toBeGreaterThan(5);
    expect(rendered).toBeLessThan(120);
    // Newest first: the oldest run is the last row, not in the DOM until scrolled to.
    expect(await page.locator('tr[data-run-id]', { hasText: /^\s*many 0\s*$/ }).count()).toBe(0);
    await page.locator('.wrap:has(table[data-rows])').evaluate((el) => (el.scrollTop = el.scrollHeight));
    await expect.poll(() => page.getByRole('link', { name: 'many 0', exact: true }).count(), LONG).toBe(1);
    expect(await page.getByRole('link', { name: 'many 119', exact: true }).count()).toBe(0);
    await screenshot(page, 'runs-table-scrolled');
  });
});
