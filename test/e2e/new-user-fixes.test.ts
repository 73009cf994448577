/**
 * What a new user tripped over (issue 11): "Launch a copy" copies the seed and does not leak into the next
 * "New run"; hidden sizes accept the `[64, 64]` form their help text shows and an empty value is an error;
 * step counts print as 10B, not 10000.0M; the replay's action label and its arrow show the same step's action.
 */
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_ARGS, findChromium } from '../helpers/chromium.js';
import { screenshot, startE2eServer, type E2eServer } from './helpers.js';
import { seedSyntheticRuns } from './synthetic-runs.js';
import { RunStore } from '../../core/store/index.js';
import { saveEpisode } from '../../core/store/episodes.js';

const LONG = { timeout: 120_000, interval: 250 };
const chromiumPath = findChromium();

describe.skipIf(!chromiumPath)(`new-user fixes: launch copy, hidden sizes, step units${chromiumPath ? '' : ' (skipped: no Chromium; install it or set CHROMIUM_PATH)'}`, () => {
  let app: E2eServer;
  let browser: Browser;
  let page: Page;
  let ids: string[] = [];
  let cmp: string[] = [];
  let single = '';

  beforeAll(async () => {
    app = await startE2eServer(async (home) => {
      // Seeds 0 and 1; 10 points 1e9 steps apart: the runs end at step 10,000,000,000.
      ids = await seedSyntheticRuns(home, { runs: 2, points: 10, stride: 1e9, name: 'big', config: (i) => ({ hiddenSizes: [32 + i] }) });
      cmp = await seedSyntheticRuns(home, { runs: 6, points: 60, name: 'cmp', config: (i) => ({ lr: [1e-4, 3e-4][i % 2] }) });
      [single] = await seedSyntheticRuns(home, { runs: 1, points: 1, name: 'one' });
      // A recorded CartPole episode whose actions alternate, so "the action that led here" differs from the next one.
      const store = await RunStore.open(home);
      try {
        const states = [[0, 0, 0.01, 0], [0.01, 0.2, 0.01, -0.3], [0.02, 0, 0.005, 0], [0.03, 0.2, 0, -0.3], [0.04, 0, 0, 0]];
        await saveEpisode(store.runDir(ids[0]!), 1e9, { envId: 'CartPole-v1', seed: 7, states, actions: [1, 0, 1, 0], rewards: [1, 1, 1, 1], return: 4 });
      } finally {
        await store.close();
      }
    });
    browser = await chromium.launch({ executablePath: chromiumPath, args: CHROMIUM_ARGS });
    page = await (await browser.newContext({ viewport: { width: 1400, height: 900 } })).newPage();
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  it('prints ten billion steps as 10B in the runs table', async () => {
    await page.goto(app.server.url);
    const row = page.locator('tr', { hasText: 'big 1' });
    await expect.poll(() => row.count(), LONG).toBe(1);
    const text = (await row.textContent()) ?? '';
    expect(text).toContain('10B / 10B');
    expect(text).not.toMatch(/\d{4,}\.\dM/);
    await screenshot(page, 'new-user-steps-10B');
  });

  it('launch a copy copies the seed and the config, and a later New run starts from the defaults', async () => {
    await page.goto(`${app.server.url}#/launch/${ids[1]}`);
    await expect.poll(() => page.locator('#field-hiddenSizes').inputValue(), LONG).toBe('33');
    expect(await page.locator('input[name="seeds"]').inputValue()).toBe('1');
    await screenshot(page, 'new-user-launch-copy');
    await page.goto(`${app.server.url}#/launch/${ids[0]}`);
    await expect.poll(() => page.locator('#field-hiddenSizes').inputValue(), LONG).toBe('32');
    expect(await page.locator('input[name="seeds"]').inputValue()).toBe('0');
    await page.getByRole('link', { name: 'Launch', exact: true }).click();
    await expect.poll(() => page.locator('#field-hiddenSizes').inputValue(), LONG).toBe('64, 64');
    expect(await page.locator('input[name="seeds"]').inputValue()).toBe('1');
  });

  it('hidden sizes accept [64,64] and refuse an empty value', async () => {
    const field = page.locator('#field-hiddenSizes');
    const error = page.locator('#field-hiddenSizes-error');
    await field.fill('[64,64]');
    await expect.poll(() => error.count(), LONG).toBe(0);
    await expect.poll(() => page.getByTestId('launch').isEnabled(), LONG).toBe(true);
    await field.fill('');
    await expect.poll(() => error.textContent(), LONG).toMatch(/needs at least 1 value/);
    expect(await page.getByTestId('launch').isEnabled()).toBe(false);
    await screenshot(page, 'new-user-hidden-sizes-empty');
    await field.fill('[[64]]');
    await expect.poll(() => error.textContent(), LONG).toMatch(/flat list/);
    expect(app.backend.store.listRuns().length).toBe(9);
  });

  it('replay: the action label and the arrow on the canvas name the same step', async () => {
    await page.goto(`${app.server.url}#/run/${ids[0]}/replay`);
    const replay = page.locator('section.episode-replay');
    const canvas = replay.locator('canvas');
    await expect.poll(() => canvas.isVisible(), LONG).toBe(true);
    // Frame 0: no step taken yet, so neither shows an action.
    expect(await replay.getByTestId('replay-action').textContent()).toBe('—');
    expect(await canvas.getAttribute('data-action')).toBe('');
    const seen: string[] = [];
    for (let frame = 1; frame <= 4; frame++) {
      await replay.getByRole('button', { name: 'Next frame' }).click();
      await expect.poll(() => replay.getByTestId('replay-step').textContent(), LONG).toMatch(new RegExp(`^${frame} /`));
      const label = (await replay.getByTestId('replay-action').textContent()) ?? '';
      const drawn = await canvas.getAttribute('data-action');
      expect(label.startsWith(`${drawn} (`), `frame ${frame}: label "${label}", arrow ${drawn}`).toBe(true);
      seen.push(drawn ?? '');
    }
    expect(seen).toEqual(['1', '0', '1', '0']);
    await screenshot(page, 'new-user-replay-action');
  });

  it('run page: a one-point series is drawn as a point, with no legend', async () => {
    await page.goto(`${app.server.url}#/run/${single}`);
    const figure = page.locator('figure[data-key="rollout/episodeReturn"]');
    await expect.poll(() => figure.getAttribute('data-points'), LONG).toBe('1');
    // Some pixel of the plot has the line colour: the dot is drawn (an empty plot would be grid and axes only).
    // (A string: the page's DOM types are not in the Node test's tsconfig.)
    const coloured = Number(
      await page.evaluate(`(() => {
        const c = document.querySelector('figure[data-key="rollout/episodeReturn"] canvas');
        const { data } = c.getContext('2d').getImageData(0, 0, c.width, c.height);
        let n = 0;
        for (let i = 0; i < data.length; i += 4) if (data[i + 2] > 180 && data[i] < 120 && data[i + 3] > 200) n++;
        return n;
      })()`),
    );
    expect(coloured).toBeGreaterThan(10);
    await screenshot(page, 'new-user-run-one-point');
  });

  it('compare: folded legend named by hovering a line, a log axis that cannot apply says why', async () => {
    await page.goto(`${app.server.url}#/compare/${cmp.join(',')}`);
    const chart = page.locator('figure.compare-chart[data-key="train/policyLoss"]');
    await expect.poll(() => chart.count(), LONG).toBe(1);
    const bar = chart.getByTestId('legend-bar');
    await expect.poll(() => bar.textContent(), LONG).toMatch(/6 lines/);
    expect(await chart.getByRole('list', { name: 'Runs in this chart' }).count()).toBe(0);
    const plot = chart.locator('canvas');
    await plot.scrollIntoViewIfNeeded();
    const box = (await plot.boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.6, box.y + box.height * 0.5);
    await expect.poll(() => chart.getByTestId('legend-highlight').textContent(), LONG).toMatch(/cmp \d/);
    await bar.getByRole('button', { name: 'Show all' }).click();
    expect(await chart.getByRole('list', { name: 'Runs in this chart' }).getByRole('button').count()).toBe(6);
    await page.getByLabel('Log y').check();
    await expect.poll(() => chart.getByRole('note').textContent(), LONG).toMatch(/Log y not applied: some values are ≤ 0/);
    await screenshot(page, 'new-user-compare-legend-log');
    await page.getByLabel('Log y').uncheck();
  });

  it('compare opens on charts; run table and config diff fold away; sort arrows', async () => {
    await page.evaluate('window.scrollTo(0, 0)');
    const firstChart = page.locator('figure.compare-chart').first();
    const table = page.getByRole('region', { name: 'Compared runs' });
    // The charts come before the table in the page.
    const order = Number(
      await page.evaluate(`(() => {
        const chart = document.querySelector('figure.compare-chart');
        const tableEl = document.querySelector('section.compare-table');
        return chart && tableEl ? chart.compareDocumentPosition(tableEl) & Node.DOCUMENT_POSITION_FOLLOWING : 0;
      })()`),
    );
    expect(order).toBeGreaterThan(0);
    expect(await firstChart.isVisible()).toBe(true);
    // The settings are one bar: its height is one row of controls at this width.
    const bar = (await page.getByRole('group', { name: 'Chart settings' }).boundingBox())!;
    expect(bar.height).toBeLessThan(70);
    const head = table.getByRole('columnheader', { name: /rollout\/episodeReturn/ }).first();
    await expect.poll(() => head.textContent(), LONG).toContain('↕');
    await head.getByRole('button').first().click();
    await expect.poll(() => head.textContent(), LONG).toContain('▼');
    await head.getByRole('button').first().click();
    await expect.poll(() => head.textContent(), LONG).toContain('▲');
    await page.locator('summary', { hasText: 'Runs' }).click();
    await expect.poll(() => table.isVisible(), LONG).toBe(false);
    await page.locator('summary', { hasText: 'Config differences' }).click();
    await expect.poll(() => page.getByRole('region', { name: 'Config differences' }).isVisible(), LONG).toBe(false);
    await screenshot(page, 'new-user-compare-folded');
    await page.locator('summary', { hasText: 'Runs' }).click();
    await expect.poll(() => table.getByRole('rowheader').count(), LONG).toBe(6);
  });
});
