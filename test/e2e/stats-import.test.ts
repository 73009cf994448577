/**
 * Statistics across seeds and importing another library's run, end to end in Debian's Chromium against browser
 * mode: a CleanRL event file (written by the independent test writer) uploaded through "Import runs", shown as
 * external in the runs table and read-only on its page, then compared with six synthetic PolicyLab runs grouped by
 * algorithm: the statistics panel shows IQM/mean/median/optimality gap with CIs per group, the performance profile
 * and P(improvement) both ways. Screenshots go to test-results/.
 */
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_ARGS, findChromium } from '../helpers/chromium.js';
import { cleanrlEvents, eventFile } from '../helpers/tfrecord-writer.js';
import { screenshot, startE2eServer, type E2eServer } from './helpers.js';
import { seedSyntheticRuns } from './synthetic-runs.js';

const LONG = { timeout: 120_000, interval: 250 };
const chromiumPath = findChromium();

describe.skipIf(!chromiumPath)(`statistics panel and run import in Chromium${chromiumPath ? '' : ' (skipped: no Chromium)'}`, () => {
  let app: E2eServer;
  let browser: Browser;
  let page: Page;
  let ids: string[] = [];
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    app = await startE2eServer(async (home) => {
      ids = await seedSyntheticRuns(home, { runs: 6, points: 200, name: 'ppo seed', config: (i) => ({ lr: i % 2 ? 0.001 : 0.0003 }) });
    });
    browser = await chromium.launch({ executablePath: chromiumPath, args: CHROMIUM_ARGS });
    page = await (await browser.newContext({ viewport: { width: 1400, height: 1000 } })).newPage();
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => consoleErrors.push(e.message));
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  it('imports a CleanRL event file from the runs page; it is listed as external and is read-only', async () => {
    await page.goto(app.server.url);
    await page.waitForSelector('h1#runs-title');
    await page.getByRole('button', { name: 'Import runs' }).click();
    await page.getByTestId('import-files').setInputFiles({ name: 'events.out.tfevents.1700000000.host.1.0', mimeType: 'application/octet-stream', buffer: Buffer.from(eventFile(cleanrlEvents(50))) });
    await page.getByPlaceholder('from the folder').fill('cleanrl ppo');
    await page.getByRole('button', { name: /^Import 1 file$/ }).click();
    await expect.poll(() => page.getByTestId('import-done').textContent(), LONG).toMatch(/Imported 1 run: cleanrl ppo \(CleanRL\)/);
    const row = page.getByRole('row', { name: /cleanrl ppo/ });
    await expect.poll(() => row.textContent(), LONG).toMatch(/external \(CleanRL\)/);
    await screenshot(page, 'import-runs-list');
    await row.getByRole('link', { name: 'cleanrl ppo' }).click();
    await expect.poll(() => page.getByTestId('run-external').textContent(), LONG).toMatch(/Imported from CleanRL .*Read-only/s);
    expect(await page.getByRole('button', { name: 'Resume' }).isDisabled()).toBe(true);
    expect(await page.getByRole('link', { name: 'Launch a copy' }).count()).toBe(0);
  });

  it('compares it with PolicyLab runs: per-group CIs, profiles and P(improvement) from the worker', async () => {
    const runs = (await app.backend.invoke('runs:list', undefined)) as { ok: true; value: { id: string; name: string }[] };
    const imported = runs.value.find((r) => r.name === 'cleanrl ppo')!.id;
    await page.evaluate(`location.hash = '#/compare/${[...ids, imported].join(',')}'`);
    const panel = page.getByTestId('stats-panel');
    await expect.poll(() => panel.isVisible(), LONG).toBe(true);
    // Ungrouped: one group of all seven runs.
    await expect.poll(() => page.getByTestId('stats-table').locator('tbody tr').count(), LONG).toBe(1);
    expect(await page.getByTestId('stats-table').locator('tbody tr').first().textContent()).toMatch(/all runs\s*7/);
    await page.getByRole('group', { name: 'Chart settings' }).locator('select').filter({ hasText: 'No grouping' }).selectOption('key:algo');
    await expect.poll(() => page.getByTestId('stats-table').locator('tbody tr').count(), LONG).toBe(2);
    const table = (await page.getByTestId('stats-table').textContent())!;
    expect(table).toMatch(/algo=ppo\s*6/);
    expect(table).toMatch(/algo=cleanrl:ppo\s*1/);
    // Intervals print as point [low, high]. The imported run logs 10·i at step 100·i (i = 1..50): its last 10% of
    // steps (≥ 5000 − 490 = 4510) are 4600..5000 → mean 480, and one run's interval is that point. γ is CartPole's 475.
    expect(table).toMatch(/Optimality gap \(γ = 475\.0\)/);
    expect(table).toMatch(/algo=cleanrl:ppo\s*1480\.0 \[480\.0, 480\.0\]/);
    expect(table).toMatch(/algo=ppo\s*6(\d+\.\d) \[(\d+\.\d), (\d+\.\d)\]/);
    const [, point, low, high] = /algo=ppo\s*6(\d+\.\d) \[(\d+\.\d), (\d+\.\d)\]/.exec(table)!.map(Number);
    expect(low).toBeLessThan(point!);
    expect(high).toBeGreaterThan(point!);
    await expect.poll(() => page.getByTestId('stats-improvement').locator('tbody tr').count(), LONG).toBe(2);
    expect(await page.getByTestId('stats-profile').getAttribute('data-groups')).toBe('2');
    expect(await page.getByLabel('Score metric').inputValue()).toBe('rollout/episodeReturn');
    // Another score metric recomputes in the worker: train/policyLoss exists only for the PolicyLab runs.
    await page.getByLabel('Score metric').selectOption('train/policyLoss');
    await expect.poll(() => page.getByTestId('stats-table').locator('tbody tr').count(), LONG).toBe(1);
    await expect.poll(() => panel.textContent(), LONG).toMatch(/Not scored \(no train\/policyLoss\): cleanrl ppo/);
    await page.getByLabel('Score metric').selectOption('rollout/episodeReturn');
    await expect.poll(() => page.getByTestId('stats-table').locator('tbody tr').count(), LONG).toBe(2);
    expect(await page.getByTestId('stats-envs').count()).toBe(0);
    await panel.scrollIntoViewIfNeeded();
    await screenshot(page, 'compare-statistics');
    expect(consoleErrors).toEqual([]);
  });

  it('warns when the compared runs span several envs (raw scores on different scales)', async () => {
    const csv = Buffer.from('#{"t_start": 1700000000, "env_id": "Acrobot-v1"}\nr,l,t\n-500,500,1\n-120,120,2\n').toString('base64');
    const up = await app.backend.invoke('import:upload', { uploadId: 'e2e-acrobot', path: 'sb3/0.monitor.csv', offset: 0, data: [csv] });
    expect(up.ok).toBe(true);
    const done = (await app.backend.invoke('import:commit', { uploadId: 'e2e-acrobot' })) as { ok: true; value: { runs: { id: string; env: string }[] } };
    expect(done.value.runs[0]!.env).toBe('Acrobot-v1');
    await page.evaluate(`location.hash = '#/compare/${[ids[0], done.value.runs[0]!.id].join(',')}'`);
    await expect.poll(() => page.getByTestId('stats-envs').textContent(), LONG).toMatch(/span 2 envs/);
    expect(consoleErrors).toEqual([]);
  });
});
