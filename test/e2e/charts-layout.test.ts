/**
 * Browsing many metrics (issue 11): the chart grid of the run page and of compare — metric-key search, pin,
 * hide + restore, full screen (Esc closes), the crosshair drawn on every chart of the view when one is hovered,
 * a zoom on one chart applied to the others, and the layout kept across a reload (per algorithm on the run page).
 */
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_ARGS, findChromium } from '../helpers/chromium.js';
import { screenshot, startE2eServer, type E2eServer } from './helpers.js';
import { seedSyntheticRuns } from './synthetic-runs.js';

const LONG = { timeout: 120_000, interval: 250 };
const chromiumPath = findChromium();
// Listed by the app sorted within each namespace.
const KEYS = ['rollout/episodeLength', 'rollout/episodeReturn', 'train/entropy', 'train/policyLoss', 'train/valueLoss'];
const POINTS = 200;
const STRIDE = 100;

describe.skipIf(!chromiumPath)(`chart grid: search, pin, hide, full screen, synced crosshair and zoom${chromiumPath ? '' : ' (skipped: no Chromium)'}`, () => {
  let app: E2eServer;
  let browser: Browser;
  let page: Page;
  let ids: string[];
  const errors: string[] = [];

  beforeAll(async () => {
    app = await startE2eServer(async (home) => {
      ids = await seedSyntheticRuns(home, { runs: 2, points: POINTS, stride: STRIDE, keys: KEYS, name: 'grid' });
    });
    browser = await chromium.launch({ executablePath: chromiumPath, args: CHROMIUM_ARGS });
    page = await (await browser.newContext({ viewport: { width: 1500, height: 1000 } })).newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  const shownKeys = () => page.locator('figure[data-key]').evaluateAll((els) => els.map((e) => e.getAttribute('data-key')));
  const figure = (key: string): Locator => page.locator(`figure[data-key="${key}"]`);
  const crosshairX = (key: string) => figure(key).locator('canvas').getAttribute('data-crosshair-x');
  const xRange = async (key: string) => [Number(await figure(key).getAttribute('data-x-min')), Number(await figure(key).getAttribute('data-x-max'))];

  it('run page: search filters the grid, pin moves a chart first, hide and restore', async () => {
    await page.goto(`${app.server.url}#/run/${ids[0]}`);
    await expect.poll(shownKeys, LONG).toHaveLength(5);
    await expect.poll(() => figure('train/entropy').getAttribute('data-points'), LONG).toBe(String(POINTS));
    expect(await page.getByTestId('chart-count').innerText()).toBe('5 of 5 charts');

    const search = page.getByLabel('Search charts');
    await search.fill('train/*');
    await expect.poll(shownKeys).toEqual(['train/entropy', 'train/policyLoss', 'train/valueLoss']);
    expect(await page.getByTestId('chart-count').innerText()).toBe('3 of 5 charts');
    await search.fill('LOSS');
    await expect.poll(shownKeys).toEqual(['train/policyLoss', 'train/valueLoss']);
    await search.fill('');
    await expect.poll(shownKeys).toHaveLength(5);

    await page.getByRole('button', { name: 'Pin train/entropy' }).click();
    await page.getByRole('button', { name: 'Pin rollout/episodeLength' }).click();
    await expect.poll(shownKeys).toEqual(['train/entropy', 'rollout/episodeLength', 'rollout/episodeReturn', 'train/policyLoss', 'train/valueLoss']);
    expect(await page.locator('h3.chart-section').first().innerText()).toMatch(/pinned/i);

    await page.getByRole('button', { name: 'Hide train/valueLoss' }).click();
    await expect.poll(shownKeys).not.toContain('train/valueLoss');
    expect(await page.getByTestId('chart-count').innerText()).toBe('4 of 5 charts');
    await page.getByText('Hidden (1)').click();
    await screenshot(page, 'charts-01-run-pinned-hidden-menu');
    await page.getByRole('button', { name: 'Show train/valueLoss' }).click();
    await expect.poll(shownKeys).toContain('train/valueLoss');
    await expect.poll(() => page.getByText(/^Hidden \(/).count()).toBe(0);
  });

  it('run page: full screen opens the same chart larger and Esc closes it', async () => {
    const before = (await figure('train/policyLoss').boundingBox())!;
    await page.getByRole('button', { name: 'Full screen train/policyLoss' }).click();
    const dialog = page.getByRole('dialog', { name: 'train/policyLoss, full screen' });
    await expect.poll(() => dialog.isVisible()).toBe(true);
    await expect.poll(async () => (await figure('train/policyLoss').locator('canvas').boundingBox())!.height).toBeGreaterThan(600);
    const big = (await figure('train/policyLoss').boundingBox())!;
    expect(big.width).toBeGreaterThan(before.width * 2);
    expect(await figure('train/policyLoss').getAttribute('data-points')).toBe(String(POINTS));
    await screenshot(page, 'charts-02-run-fullscreen');
    await page.keyboard.press('Escape');
    await expect.poll(() => dialog.count()).toBe(0);
    await expect.poll(async () => (await figure('train/policyLoss').boundingBox())!.width).toBeLessThan(before.width + 2);
  });

  it('run page: hovering one chart draws the crosshair on the others; a zoom on one zooms them all', async () => {
    const source = figure('rollout/episodeReturn').locator('canvas');
    await source.scrollIntoViewIfNeeded();
    const box = (await source.boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.35, box.y + box.height * 0.5);
    await expect.poll(() => crosshairX('train/policyLoss')).not.toBeNull();
    const left = Number(await crosshairX('train/policyLoss'));
    await page.mouse.move(box.x + box.width * 0.75, box.y + box.height * 0.5, { steps: 4 });
    await expect.poll(async () => Number(await crosshairX('train/policyLoss'))).toBeGreaterThan(left);
    const right = Number(await crosshairX('train/entropy'));
    expect(right).toBeGreaterThan(left);
    expect(left).toBeGreaterThan(STRIDE);
    expect(right).toBeLessThan(POINTS * STRIDE);
    // The other charts' labels carry their own values at that x; the hovered chart draws its own tooltip, no crosshair.
    expect(await figure('train/policyLoss').locator('canvas').getAttribute('data-crosshair-values')).toMatch(/^-?\d/);
    expect(await crosshairX('rollout/episodeReturn')).toBeNull();
    await screenshot(page, 'charts-03-run-crosshair');
    await page.mouse.move(box.x + box.width * 0.5, box.y - 40);
    await expect.poll(() => crosshairX('train/policyLoss')).toBeNull();

    const [min0, max0] = await xRange('train/policyLoss');
    expect([min0, max0]).toEqual([STRIDE, POINTS * STRIDE]);
    await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.5);
    await page.keyboard.down('Control');
    await page.mouse.wheel(0, -400);
    await page.keyboard.up('Control');
    await expect.poll(async () => (await xRange('train/policyLoss'))[0], LONG).toBeGreaterThan(min0);
    const [smin, smax] = await xRange('rollout/episodeReturn');
    expect(smax - smin).toBeLessThan(max0 - min0);
    for (const key of ['train/policyLoss', 'train/entropy', 'rollout/episodeLength']) {
      const [min, max] = await xRange(key);
      expect(min).toBeCloseTo(smin, 6);
      expect(max).toBeCloseTo(smax, 6);
    }
    await screenshot(page, 'charts-04-run-zoom-synced');
    await page.getByRole('button', { name: 'Reset all zoom' }).click();
    await expect.poll(() => xRange('train/policyLoss')).toEqual([min0, max0]);
    expect(await xRange('rollout/episodeReturn')).toEqual([min0, max0]);
  });

  it('run page: the layout survives a reload and is shared by runs of the same algorithm', async () => {
    await page.getByRole('button', { name: 'Hide train/valueLoss' }).click();
    await page.getByLabel('Sync x').uncheck();
    await page.reload();
    await expect.poll(shownKeys, LONG).toEqual(['train/entropy', 'rollout/episodeLength', 'rollout/episodeReturn', 'train/policyLoss']);
    expect(await page.getByText('Hidden (1)').count()).toBe(1);
    expect(await page.getByLabel('Sync x').isChecked()).toBe(false);
    // Sync off: hovering one chart draws no crosshair elsewhere.
    const box = (await figure('rollout/episodeReturn').locator('canvas').boundingBox())!;
    await expect.poll(() => figure('train/policyLoss').getAttribute('data-points'), LONG).toBe(String(POINTS));
    await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.5);
    await page.mouse.move(box.x + box.width * 0.6, box.y + box.height * 0.5, { steps: 3 });
    await page.waitForFunction(() => {
      const raf = (globalThis as unknown as { requestAnimationFrame: (f: () => void) => number }).requestAnimationFrame;
      return new Promise((r) => raf(() => raf(() => r(true))));
    });
    expect(await crosshairX('train/policyLoss')).toBeNull();
    await page.getByLabel('Sync x').check();

    await page.goto(`${app.server.url}#/run/${ids[1]}`);
    await expect.poll(shownKeys, LONG).toEqual(['train/entropy', 'rollout/episodeLength', 'rollout/episodeReturn', 'train/policyLoss']);
    await screenshot(page, 'charts-05-run-layout-reloaded');
  });

  it('compare: the same grid, with crosshair and zoom shared across the compare charts', async () => {
    await page.goto(`${app.server.url}#/compare/${ids.join(',')}`);
    await expect.poll(() => page.getByTestId('compare-count').textContent(), LONG).toMatch(/^2 runs/);
    await expect.poll(shownKeys, LONG).toHaveLength(5);
    await page.getByLabel('Search charts').fill('rollout/*');
    await expect.poll(shownKeys).toEqual(['rollout/episodeLength', 'rollout/episodeReturn']);
    await expect.poll(() => page.locator('figure[data-key="rollout/episodeLength"] canvas').count(), LONG).toBe(1);

    const source = figure('rollout/episodeReturn').locator('canvas');
    const box = (await source.boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.5);
    await page.mouse.move(box.x + box.width * 0.55, box.y + box.height * 0.5, { steps: 3 });
    await expect.poll(() => crosshairX('rollout/episodeLength')).not.toBeNull();
    // Both runs' values at that x, named.
    expect(await figure('rollout/episodeLength').locator('canvas').getAttribute('data-crosshair-values')).toMatch(/grid 0.*\|.*grid 1|grid 1.*\|.*grid 0/);
    await screenshot(page, 'charts-06-compare-crosshair');

    expect(await figure('rollout/episodeLength').getAttribute('data-x-min')).toBeNull();
    await page.mouse.move(box.x + box.width * 0.4, box.y + box.height * 0.5);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.6, box.y + box.height * 0.5, { steps: 5 });
    await page.mouse.up();
    await expect.poll(() => figure('rollout/episodeLength').getAttribute('data-x-min'), LONG).not.toBeNull();
    const [zmin, zmax] = await xRange('rollout/episodeLength');
    const [smin, smax] = await xRange('rollout/episodeReturn');
    expect(zmin).toBeCloseTo(smin, 6);
    expect(zmax).toBeCloseTo(smax, 6);
    expect(zmin).toBeGreaterThan(STRIDE);
    expect(zmax).toBeLessThan(POINTS * STRIDE);
    await screenshot(page, 'charts-07-compare-zoom-synced');
    await figure('rollout/episodeLength').getByRole('button', { name: 'Reset zoom' }).click();
    await expect.poll(() => figure('rollout/episodeReturn').getAttribute('data-x-min')).toBeNull();

    await page.reload();
    await expect.poll(shownKeys, LONG).toEqual(['rollout/episodeLength', 'rollout/episodeReturn']);
    expect(await page.getByLabel('Search charts').inputValue()).toBe('rollout/*');
    expect(errors).toEqual([]);
  });
});
