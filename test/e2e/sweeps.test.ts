/**
 * Sweeps in the browser: launch a small grid sweep (2 learning rates × 2 seeds of tiny CartPole PPO runs) from the
 * Sweeps view, watch it finish, and see the results table per configuration, the parallel-coordinates plot and the
 * metric-vs-parameter scatter, and the statistics across seeds per configuration (IQM etc. with bootstrap CIs and
 * P(improvement), checked against core/stats on the same runs); a bad value is refused with the key named, before
 * anything runs.
 */
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { groupStatistics } from '../../core/stats/compare.js';
import { formatInterval } from '../../renderer/src/compare/stats-format.js';
import { CHROMIUM_ARGS, findChromium } from '../helpers/chromium.js';
import { screenshot, startE2eServer, type E2eServer } from './helpers.js';

const LONG = { timeout: 180_000, interval: 250 };
const chromiumPath = findChromium();

describe.skipIf(!chromiumPath)(`sweeps view${chromiumPath ? '' : ' (skipped: no Chromium; install it or set CHROMIUM_PATH)'}`, () => {
  let app: E2eServer;
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];

  beforeAll(async () => {
    app = await startE2eServer();
    browser = await chromium.launch({ executablePath: chromiumPath, args: CHROMIUM_ARGS });
    page = await (await browser.newContext({ viewport: { width: 1300, height: 1000 } })).newPage();
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    page.on('pageerror', (e) => errors.push(String(e)));
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  async function fillForm(lrValues: string): Promise<void> {
    await page.getByTestId('sweep-total-steps').fill('512');
    await page.getByTestId('sweep-seeds').fill('1, 2');
    await page.getByTestId('sweep-param-values').first().fill(lrValues);
    await page.getByTestId('sweep-config').fill('{"numEnvs": 2, "numSteps": 64}');
  }

  it('refuses a bad value, naming the swept key, and starts nothing', async () => {
    await page.goto(app.server.url);
    await page.getByRole('link', { name: 'Sweeps', exact: true }).click();
    await expect.poll(() => page.getByTestId('sweeps-empty').isVisible(), LONG).toBe(true);
    await page.getByTestId('sweep-new').click();
    await expect.poll(() => page.getByTestId('sweep-param-key').first().inputValue(), LONG).toBe('lr');
    await fillForm('0.001, -1');
    await page.getByTestId('sweep-start').click();
    await expect.poll(() => page.getByTestId('sweep-form-error').textContent(), LONG).toMatch(/spec\.parameters\.lr: must be > 0, got -1 \(configuration 1: lr=-1\)/);
    await screenshot(page, 'sweeps-01-bad-value');
    expect(app.backend.store.listSweeps()).toEqual([]);
    expect(app.backend.store.listRuns()).toEqual([]);
  });

  it('launches a 2 × 2 sweep, shows the results table, parallel coordinates and scatter when it finishes', async () => {
    await fillForm('0.001, 0.0003');
    await page.getByTestId('sweep-start').click();
    await expect.poll(() => page.url(), LONG).toMatch(/#\/sweeps\/[a-z0-9-]+$/);
    await expect.poll(() => page.getByTestId('sweep-detail').isVisible(), LONG).toBe(true);
    await expect.poll(() => page.locator('[data-testid="sweeps-list"] [data-testid="sweep-status"]').first().textContent(), LONG).toBe('finished');
    await expect.poll(() => page.locator('[data-testid="sweep-results"] tbody tr').count(), LONG).toBe(2);
    // Every seed has its value once the sweep is done.
    await expect.poll(() => page.locator('[data-testid="sweep-results"] tbody').textContent(), LONG).toMatch(/2\/2[\s\S]*2\/2/);
    const rows = await page.locator('[data-testid="sweep-results"] tbody tr').allTextContents();
    expect(rows[0]).toContain('0.001');
    expect(rows[1]).toContain('3e-4');

    // The numbers in the table are the sweep's aggregates over its runs' last values.
    const [sweep] = app.backend.store.listSweeps();
    expect(sweep).toMatchObject({ status: 'finished', plannedRuns: 4 });
    const values = sweep!.runs.filter((r) => r.point === 0).map((r) => app.backend.store.getRun(r.runId).summary['rollout/episodeReturn']!.last);
    const mean = (values[0]! + values[1]!) / 2;
    expect(rows[0]).toContain(Number(mean.toPrecision(3)).toString());

    expect(await page.locator('[data-testid="sweep-parallel"] polyline').count()).toBe(2);
    expect(await page.locator('[data-testid="sweep-parallel"] .axis-name').allTextContents()).toEqual(['lr', 'mean rollout/episodeReturn']);
    expect(await page.locator('[data-testid="sweep-scatter"] circle.dot').count()).toBe(4);
    expect(await page.locator('[data-testid="sweep-scatter"] circle.mean').count()).toBe(2);
    // Hovering a table row highlights its line.
    await page.locator('[data-testid="sweep-results"] tbody tr').first().hover();
    await expect.poll(() => page.locator('[data-testid="sweep-parallel"] polyline[stroke-width="4"]').count(), LONG).toBe(1);
    await screenshot(page, 'sweeps-02-results');

    // Another metric: the table re-aggregates.
    await page.getByTestId('sweep-metric').selectOption('train/entropy');
    await expect.poll(() => page.locator('[data-testid="sweep-parallel"] .axis-name').last().textContent(), LONG).toBe('mean train/entropy');
    expect(errors).toEqual([]);
  });

  it('shows statistics across seeds per configuration: the IQM and P(improvement) core/stats computes on its runs', async () => {
    await page.getByTestId('sweep-metric').selectOption('rollout/episodeReturn');
    const table = page.getByTestId('stats-table');
    await expect.poll(() => table.locator('tbody tr').count(), LONG).toBe(2);
    // The worker answered (it times itself), for the sweep's env threshold as γ.
    await expect.poll(() => page.getByTestId('stats-panel').textContent(), LONG).toMatch(/score = each run's last logged rollout\/episodeReturn[\s\S]*\d+ ms in a worker/);
    expect(await table.locator('thead').textContent()).toContain('Optimality gap (γ = 475.0)');

    // The same scores (each run's last value, as the results table uses), grouped by configuration, in Node.
    const [sweep] = app.backend.store.listSweeps();
    const labels = ['#0 lr=0.001', '#1 lr=3e-4'];
    const groups = labels.map((label, point) => ({
      label,
      runs: sweep!.runs
        .filter((r) => r.point === point)
        .map((r) => ({ runId: r.runId, stratum: 'CartPole-v1', score: app.backend.store.getRun(r.runId).summary['rollout/episodeReturn']!.last })),
    }));
    const expected = groupStatistics(groups, { gamma: 475, resamples: 2000, seed: 0 });
    for (const [i, g] of expected.groups.entries()) {
      const row = table.locator('tbody tr').nth(i);
      expect(await row.locator('th').textContent()).toBe(g.label);
      const cells = await row.locator('td').allTextContents();
      expect(cells[0]).toBe('2');
      expect(cells[1]).toBe(formatInterval(g.summary.iqm));
      expect(cells[2]).toBe(formatInterval(g.summary.mean));
      expect(cells[3]).toBe(formatInterval(g.summary.median));
      expect(cells[4]).toBe(formatInterval(g.summary.optimalityGap));
      expect(g.summary.iqm.low).toBeLessThanOrEqual(g.summary.iqm.point);
      expect(g.summary.iqm.high).toBeGreaterThanOrEqual(g.summary.iqm.point);
    }
    const improvement = page.getByTestId('stats-improvement');
    expect(await improvement.locator('tbody tr').count()).toBe(2);
    for (const [i, imp] of expected.improvements.entries()) {
      const cells = await improvement.locator('tbody tr').nth(i).locator('td').allTextContents();
      expect(cells).toEqual([imp.x, imp.y, formatInterval(imp.ci!)]);
      expect(imp.ci!.point).toBeGreaterThanOrEqual(0);
      expect(imp.ci!.point).toBeLessThanOrEqual(1);
    }
    // P(X > Y) + P(Y > X) = 1 for two groups (ties count half).
    expect(expected.improvements[0]!.ci!.point + expected.improvements[1]!.ci!.point).toBeCloseTo(1, 10);
    expect(await page.getByTestId('stats-profile').getAttribute('data-groups')).toBe('2');
    await page.getByTestId('stats-panel').scrollIntoViewIfNeeded();
    await screenshot(page, 'sweeps-05-statistics');
    expect(errors).toEqual([]);
  });

  it('Stop stops the sweep as a whole: queued runs never start', async () => {
    await page.getByTestId('sweep-new').click();
    await fillForm('0.001, 0.0003');
    await page.getByTestId('sweep-total-steps').fill('50000000');
    await page.getByTestId('sweep-name').fill('long sweep');
    await page.getByTestId('sweep-start').click();
    const row = page.locator('[data-testid="sweeps-list"] tr', { hasText: 'long sweep' });
    // Runs at once is 2: two train, two wait.
    await expect.poll(() => row.textContent(), LONG).toMatch(/2 running, 2 queued|2 queued, 2 running/);
    await screenshot(page, 'sweeps-03-running');
    await row.getByTestId('sweep-stop').click();
    await expect.poll(() => row.getByTestId('sweep-status').textContent(), LONG).toBe('stopped');
    await expect.poll(() => row.textContent(), LONG).toContain('4 stopped');
    const sweep = app.backend.store.listSweeps().find((s) => s.name === 'long sweep')!;
    const runs = sweep.runs.map((r) => app.backend.store.getRun(r.runId));
    expect(runs.filter((r) => r.startedAt === null)).toHaveLength(2);
    // Stopped before any episode ended: no values, so no empty plots either.
    if (runs.every((r) => !r.summary['rollout/episodeReturn'])) expect(await page.getByTestId('sweep-no-values').isVisible()).toBe(true);
    await screenshot(page, 'sweeps-04-stopped');
    expect(errors).toEqual([]);
  });
});
