/**
 * Compare and replay end to end, in Debian's Chromium against browser mode with real training processes:
 * two short PPO CartPole runs launched from the UI, compared (both series drawn, the smoothing slider redraws the
 * lines, grouping by config draws a band, settings and selection survive a reload, CSV/PNG export), then one
 * run's recorded episode replayed (canvas changes while playing, not while paused), a live rollout from a
 * checkpoint streamed, and two checkpoints replayed side by side. A synthetic run with more points than a chart
 * fetches checks that zooming refetches the visible range. Screenshots go to test-results/.
 */
import { readFileSync } from 'node:fs';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_ARGS, findChromium } from '../helpers/chromium.js';
import { screenshot, startE2eServer, type E2eServer } from './helpers.js';
import { seedSyntheticRuns } from './synthetic-runs.js';

const LONG = { timeout: 120_000, interval: 250 };
const RETURN_KEY = 'rollout/episodeReturn';
const chromiumPath = findChromium();

/** The canvas bitmap as a data URL (what is drawn, pixel for pixel). */
function pixels(canvas: Locator): Promise<string> {
  return canvas.evaluate((c) => (c as unknown as { toDataURL(): string }).toDataURL());
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!chromiumPath)(`compare and replay in Chromium${chromiumPath ? '' : ' (skipped: no Chromium)'}`, () => {
  let app: E2eServer;
  let browser: Browser;
  let page: Page;
  const consoleErrors: string[] = [];
  /** Every request the page sent over its WebSocket. */
  const sent: { channel: string; payload?: Record<string, unknown> }[] = [];

  beforeAll(async () => {
    app = await startE2eServer((home) => seedSyntheticRuns(home, { runs: 1, points: 20_000, name: 'dense' }));
    browser = await chromium.launch({ executablePath: chromiumPath, args: CHROMIUM_ARGS });
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, acceptDownloads: true });
    page = await context.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => consoleErrors.push(e.message));
    page.on('websocket', (ws) =>
      ws.on('framesent', ({ payload }) => {
        if (typeof payload === 'string') sent.push(JSON.parse(payload) as (typeof sent)[number]);
      }),
    );
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  it('trains two short runs launched from the UI', async () => {
    await page.goto(app.server.url);
    await page.getByRole('link', { name: 'Launch', exact: true }).click();
    await expect.poll(() => page.locator('#field-evalInterval').isVisible(), LONG).toBe(true);
    await page.locator('input[name="totalSteps"]').fill('10240');
    await page.locator('#field-evalInterval').fill('2560');
    await page.locator('#field-checkpointInterval').fill('2560');
    await page.locator('input[name="seeds"]').fill('1, 2');
    await page.locator('input[name="name"]').fill('cmp');
    await page.getByTestId('launch').click();
    await expect.poll(() => page.url(), LONG).toMatch(/#\/runs$/);
    for (const seed of [1, 2]) {
      const row = page.locator('tbody tr', { hasText: `cmp s${seed}` });
      await expect.poll(() => row.locator('[data-testid="status-badge"]').getAttribute('data-status'), LONG).toBe('finished');
    }
  });

  it('compares both runs: both series drawn, smoothing redraws, grouping draws a band, reload keeps it all', async () => {
    await page.getByLabel('Select cmp s1').check();
    await page.getByLabel('Select cmp s2').check();
    await page.getByRole('button', { name: 'Compare (2)' }).click();
    await expect.poll(() => page.url()).toMatch(/#\/compare\/[^,]+,[^,]+$/);
    const chart = page.locator(`figure[data-key="${RETURN_KEY}"]`);
    await expect.poll(() => chart.isVisible(), LONG).toBe(true);
    // Both runs are in the chart: one legend entry each, one smoothed line each (raw lines drawn faintly behind).
    const legend = chart.getByRole('list', { name: 'Runs in this chart' });
    expect((await legend.getByRole('button').allTextContents()).sort()).toEqual(['cmp s1', 'cmp s2']);
    await expect.poll(() => chart.getAttribute('data-roles')).toBe('raw raw smooth smooth');
    expect(await page.getByRole('region', { name: 'Compared runs' }).getByRole('rowheader').allTextContents()).toEqual(
      expect.arrayContaining(['cmp s1', 'cmp s2']),
    );
    await screenshot(page, 'compare-01-two-runs');

    const canvas = chart.locator('canvas');
    const before = await pixels(canvas);
    await page.getByLabel('EMA weight', { exact: true }).fill('0.95');
    await expect.poll(() => page.getByLabel('EMA weight value').inputValue()).toBe('0.95');
    await expect.poll(() => pixels(canvas)).not.toBe(before);
    const smoothed = await pixels(canvas);
    await page.getByLabel('Smoothing method').selectOption('none');
    await expect.poll(() => chart.getAttribute('data-roles')).toBe('smooth smooth');
    await expect.poll(() => pixels(canvas)).not.toBe(smoothed);
    await page.getByLabel('Smoothing method').selectOption('ema');
    await screenshot(page, 'compare-02-smoothed');

    // Same config, different seeds: one group, drawn as a mean line with a ±1 std band.
    await page.getByLabel('Group').selectOption('all-but-seed');
    await expect.poll(() => chart.getAttribute('data-roles')).toBe('band-lower band-upper mean');
    expect(await legend.getByRole('button').allTextContents()).toEqual([expect.stringMatching(/\(n=2\)$/)]);
    await page.getByRole('combobox', { name: /^Band/ }).selectOption('minmax');
    await page.getByLabel('Show runs').check();
    await expect.poll(() => chart.getAttribute('data-roles')).toBe('band-lower band-upper member member mean');
    await screenshot(page, 'compare-03-grouped-band');

    await page.reload();
    await expect.poll(() => chart.getAttribute('data-roles'), LONG).toBe('band-lower band-upper member member mean');
    expect(await page.getByRole('combobox', { name: /^Band/ }).inputValue()).toBe('minmax');
    expect(await page.getByLabel('EMA weight value').inputValue()).toBe('0.95');
    await page.getByLabel('Group').selectOption('none');
    await expect.poll(() => chart.getAttribute('data-roles')).toBe('raw raw smooth smooth');

    // Wall-clock and relative time axes draw the same lines against time.
    const onSteps = await pixels(canvas);
    for (const mode of ['wall', 'relative'] as const) {
      await page.getByLabel('X axis').selectOption(mode);
      await expect.poll(() => pixels(canvas)).not.toBe(onSteps);
      expect(await chart.getAttribute('data-roles')).toBe('raw raw smooth smooth');
    }
    await screenshot(page, 'compare-03b-relative-time');
    await page.getByLabel('X axis').selectOption('step');
  });

  it('refetches the visible range at higher resolution after a zoom', async () => {
    await page.getByRole('link', { name: '← All runs' }).click();
    await page.getByLabel('Select all shown runs').uncheck();
    await page.getByLabel('Select dense 0').check();
    await page.getByRole('button', { name: 'Compare (1)' }).click();
    const chart = page.locator(`figure[data-key="${RETURN_KEY}"]`);
    await expect.poll(() => chart.getAttribute('data-roles'), LONG).toBe('raw smooth');
    const overview = sent.filter((m) => m.channel === 'metrics:query' && (m.payload?.keys as string[] | undefined)?.[0] === RETURN_KEY);
    expect(overview.at(-1)!.payload).toMatchObject({ maxPoints: expect.any(Number) });
    expect(overview.at(-1)!.payload!.from).toBeUndefined();
    const box = (await chart.locator('canvas').boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.4, box.y + box.height * 0.5);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.5, { steps: 5 });
    await page.mouse.up();
    await expect.poll(() => chart.getByRole('button', { name: 'Reset zoom' }).isVisible()).toBe(true);
    await expect
      .poll(() => sent.some((m) => m.channel === 'metrics:query' && typeof m.payload?.from === 'number' && typeof m.payload?.to === 'number'))
      .toBe(true);
    const zoomed = sent.filter((m) => m.channel === 'metrics:query' && typeof m.payload?.from === 'number').at(-1)!.payload!;
    expect(zoomed.from as number).toBeGreaterThan(0);
    expect(zoomed.to as number).toBeLessThan(2_000_000);
    await screenshot(page, 'compare-05-zoomed');
    await chart.getByRole('button', { name: 'Reset zoom' }).click();
    await expect.poll(() => chart.getByRole('button', { name: 'Reset zoom' }).count()).toBe(0);
    // Back to the two trained runs (history: their compare view, the runs table, this one).
    await page.goBack();
    await page.goBack();
    await expect.poll(() => page.getByTestId('compare-count').textContent(), LONG).toMatch(/^2 runs/);
    await expect.poll(() => page.locator(`figure[data-key="${RETURN_KEY}"]`).getAttribute('data-roles'), LONG).toBe('raw raw smooth smooth');
  });

  it('exports the compared series as CSV and a chart as PNG', async () => {
    const [csv] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).click()]);
    const text = readFileSync((await csv.path())!, 'utf8');
    const lines = text.trim().split('\r\n');
    // The one long format every exporter writes (core/api/metrics-csv.ts).
    expect(lines[0]).toBe('run_id,run,key,step,wall_time,value');
    for (const name of ['cmp s1', 'cmp s2']) expect(lines.some((l) => l.includes(`,${name},${RETURN_KEY},`))).toBe(true);
    const chart = page.locator(`figure[data-key="${RETURN_KEY}"]`);
    const [png] = await Promise.all([page.waitForEvent('download'), chart.getByRole('button', { name: 'PNG' }).click()]);
    expect(png.suggestedFilename()).toBe('rollout-episodeReturn.png');
    expect(readFileSync((await png.path())!).subarray(1, 4).toString()).toBe('PNG');
  });

  it('follows the dark colour scheme', async () => {
    await page.emulateMedia({ colorScheme: 'dark' });
    await expect.poll(() => page.evaluate('getComputedStyle(document.documentElement).backgroundColor')).toBe('rgb(21, 24, 29)');
    await page.locator(`figure[data-key="${RETURN_KEY}"]`).scrollIntoViewIfNeeded();
    await screenshot(page, 'compare-04-dark');
    await page.emulateMedia({ colorScheme: 'light' });
  });

  it('replays a recorded episode: frames change while playing and stop when paused', async () => {
    await page.getByRole('link', { name: '← All runs' }).click();
    await page.getByRole('link', { name: 'cmp s1' }).click();
    await page.getByRole('link', { name: 'Replay', exact: true }).click();
    await expect.poll(() => page.url()).toMatch(/\/replay$/);
    const list = page.getByRole('listbox', { name: 'Episodes by checkpoint step' });
    await expect.poll(() => list.getByRole('option').count(), LONG).toBe(4);
    const replay = page.locator('section.episode-replay');
    const canvas = replay.locator('canvas');
    await expect.poll(() => canvas.isVisible(), LONG).toBe(true);
    expect(await replay.getByTestId('replay-step').textContent()).toMatch(/^0 \//);

    await replay.getByRole('button', { name: 'Next frame' }).click();
    expect(await replay.getByTestId('replay-step').textContent()).toMatch(/^1 \//);
    const still = await pixels(canvas);
    await replay.getByRole('button', { name: 'Play' }).click();
    await expect.poll(() => pixels(canvas)).not.toBe(still);
    const a = await pixels(canvas);
    await expect.poll(() => pixels(canvas)).not.toBe(a);
    await screenshot(page, 'replay-01-playing');
    await replay.getByRole('button', { name: 'Pause' }).click();
    const paused = await pixels(canvas);
    const frame = await replay.getByTestId('replay-step').textContent();
    await pause(400);
    expect(await pixels(canvas)).toBe(paused);
    expect(await replay.getByTestId('replay-step').textContent()).toBe(frame);
  });

  it('runs a checkpoint live, streaming frames into the canvas, then replays it frame by frame', async () => {
    const live = page.getByRole('region', { name: 'Run a checkpoint live' });
    await live.getByRole('button', { name: 'Run live' }).click();
    const canvas = live.locator('canvas');
    await expect.poll(async () => Number(await live.getByTestId('live-step').textContent()), LONG).toBeGreaterThan(5);
    const early = await pixels(canvas);
    await expect.poll(() => pixels(canvas)).not.toBe(early);
    await screenshot(page, 'replay-02-live');
    await expect.poll(() => live.getByTestId('live-status').getAttribute('data-status'), LONG).toBe('ended');
    await live.getByRole('button', { name: 'Replay frame by frame' }).click();
    await expect.poll(() => live.locator('section.episode-replay').isVisible()).toBe(true);
    await live.getByRole('button', { name: 'Back to the live view' }).click();

    // Stochastic, stopped early.
    await live.getByLabel('Stochastic').check();
    await live.getByRole('button', { name: 'Run live' }).click();
    await expect.poll(async () => Number(await live.getByTestId('live-step').textContent()), LONG).toBeGreaterThan(2);
    await live.getByRole('button', { name: 'Stop' }).click();
    await expect.poll(() => live.getByTestId('live-status').getAttribute('data-status'), LONG).toBe('ended');
  });

  it('replays two checkpoints side by side on the same seed', async () => {
    const sbs = page.getByRole('region', { name: 'Side by side' });
    await sbs.getByRole('button', { name: 'Compare side by side' }).click();
    const panes = page.getByRole('region', { name: 'Side-by-side replay' });
    await expect.poll(() => panes.locator('canvas').count(), LONG).toBe(2);
    await panes.getByRole('button', { name: 'Play' }).click();
    await pause(500);
    await screenshot(page, 'replay-03-side-by-side');
    await panes.getByRole('button', { name: 'Pause' }).click().catch(() => undefined); // may have ended already
  });

  it('had no console errors (CSP violations included)', () => {
    expect(consoleErrors).toEqual([]);
  });
});
