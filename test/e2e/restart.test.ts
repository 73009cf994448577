/**
 * Explicit restarts in Chromium: a run with metrics but no checkpoint (killed before its first one) is not silently
 * started over. Resume asks — in the run view and in the runs table — and only on confirmation does it train from
 * step 0, with the earlier metrics kept aside as metrics.jsonl.before-restart-….
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_ARGS, findChromium } from '../helpers/chromium.js';
import { chartPoints, runStatus, screenshot, startE2eServer, type E2eServer } from './helpers.js';
import { seedSyntheticRuns } from './synthetic-runs.js';

const LONG = { timeout: 120_000, interval: 250 };
const RETURN_KEY = 'rollout/episodeReturn';
const POINTS = 20;
const chromiumPath = findChromium();
const text = (s: string | null) => (s ?? '').replace(/\s+/g, ' ');

describe.skipIf(!chromiumPath)(`restarting a run without a checkpoint${chromiumPath ? '' : ' (skipped: no Chromium)'}`, () => {
  let app: E2eServer;
  let browser: Browser;
  let page: Page;
  let ids: string[] = [];

  beforeAll(async () => {
    // Two stopped runs with 20 metric records each and no checkpoints folder; 2M steps, so a restart keeps training.
    app = await startE2eServer(async (home) => {
      ids = await seedSyntheticRuns(home, { runs: 2, points: POINTS, stride: 100_000, name: 'no checkpoint', status: 'stopped' });
    });
    browser = await chromium.launch({ executablePath: chromiumPath, args: CHROMIUM_ARGS });
    page = await (await browser.newContext({ viewport: { width: 1400, height: 900 } })).newPage();
    await page.goto(app.server.url);
  });

  afterAll(async () => {
    for (const id of ids) await app?.backend.invoke('runs:stop', { id });
    await browser?.close();
    await app?.close();
  });

  const asideFiles = (id: string) => readdirSync(join(app.home, 'runs', id)).filter((n) => n.startsWith('metrics.jsonl.before-restart-'));

  it('asks in the run view, then trains from step 0 with the earlier metrics kept aside', async () => {
    const id = ids[0]!;
    await page.getByRole('link', { name: 'no checkpoint 0' }).click();
    await expect.poll(() => chartPoints(page, RETURN_KEY), LONG).toBe(POINTS);
    expect(await page.getByText('None yet.').isVisible()).toBe(true); // no checkpoints

    await page.getByRole('button', { name: 'Resume', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'No intact checkpoint: restart from step 0?' });
    await expect.poll(() => dialog.isVisible(), LONG).toBe(true);
    expect(text(await dialog.textContent())).toMatch(/The earlier metrics are kept aside as metrics\.jsonl\.before-restart-… in its folder, not deleted/);
    await screenshot(page, 'restart-01-run-view-dialog');

    // Cancel leaves the run as it was; confirming restarts it.
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await expect.poll(() => dialog.isVisible()).toBe(false);
    expect(await runStatus(page)).toBe('stopped');
    expect(asideFiles(id)).toEqual([]);
    await page.getByRole('button', { name: 'Resume', exact: true }).click();
    await expect.poll(() => dialog.isVisible(), LONG).toBe(true);
    await dialog.getByRole('button', { name: 'Restart from step 0' }).click();

    await expect.poll(() => runStatus(page), LONG).toBe('running');
    await expect.poll(() => asideFiles(id).length, LONG).toBe(1);
    const aside = readFileSync(join(app.home, 'runs', id, asideFiles(id)[0]!), 'utf8');
    expect(aside.trim().split('\n')).toHaveLength(POINTS); // the synthetic history, intact
    await expect.poll(() => page.getByTestId('run-log').textContent(), LONG).toMatch(/restarting from step 0/);
    // The charts start again at step 0 and grow with the new training.
    await expect.poll(() => chartPoints(page, RETURN_KEY), LONG).toBeGreaterThan(0);
    const first = await chartPoints(page, RETURN_KEY);
    await expect.poll(() => chartPoints(page, RETURN_KEY), LONG).toBeGreaterThan(first + 2);
    await screenshot(page, 'restart-02-restarted');

    // Stopped now, it has a checkpoint: Resume continues without asking.
    await page.getByRole('button', { name: 'Stop', exact: true }).click();
    await expect.poll(() => runStatus(page), LONG).toBe('stopped');
    await expect.poll(() => page.getByTestId('checkpoints').textContent(), LONG).toMatch(/step/);
    await page.getByRole('button', { name: 'Resume', exact: true }).click();
    await expect.poll(() => runStatus(page), LONG).toBe('running');
    expect(await dialog.isVisible()).toBe(false);
    expect(asideFiles(id)).toHaveLength(1);
    await page.getByRole('button', { name: 'Stop', exact: true }).click();
    await expect.poll(() => runStatus(page), LONG).toBe('stopped');
  });

  it('asks in the runs table too', async () => {
    const id = ids[1]!;
    await page.getByRole('link', { name: 'Runs', exact: true }).click();
    // The first test's run (still selected from that test) settles first: while the table shows it running, the
    // toolbar's Resume is disabled for the selection.
    const badge = (name: string) => page.locator('tbody tr', { hasText: name }).locator('[data-testid="status-badge"]').getAttribute('data-status');
    await expect.poll(() => badge('no checkpoint 0'), LONG).toBe('stopped');
    await page.getByRole('checkbox', { name: 'Select no checkpoint 1' }).check();
    await page.getByRole('toolbar', { name: 'Selected runs' }).getByRole('button', { name: 'Resume' }).click();
    const dialog = page.getByRole('dialog', { name: 'No intact checkpoint: restart from step 0?' });
    await expect.poll(() => dialog.isVisible(), LONG).toBe(true);
    expect(text(await dialog.textContent())).toMatch(/no checkpoint 1 has no intact checkpoint/);
    await screenshot(page, 'restart-03-runs-table-dialog');
    await dialog.getByRole('button', { name: 'Restart from step 0' }).click();
    const row = page.locator('tbody tr', { hasText: 'no checkpoint 1' });
    await expect.poll(() => row.locator('[data-testid="status-badge"]').getAttribute('data-status'), LONG).toBe('running');
    expect(asideFiles(id)).toHaveLength(1);
  });
});
