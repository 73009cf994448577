/**
 * The app as the tracker for its whole data folder, in Chromium: a rebuilt db.json is reported in a dismissible
 * banner; a run started by the CLI in the same folder appears without a reload, streams, and stops from the UI;
 * the queue shows positions and why runs wait, and "Runs at once" widens it.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_ARGS, findChromium } from '../helpers/chromium.js';
import { REPO } from '../integration/folder/cli.js';
import { chartPoints, screenshot, startE2eServer, type E2eServer } from './helpers.js';

const LONG = { timeout: 120_000, interval: 200 };
const chromiumPath = findChromium();

describe.skipIf(!chromiumPath)(`the data folder in the app${chromiumPath ? '' : ' (skipped: no Chromium)'}`, () => {
  let app: E2eServer;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    // A garbled index: the store moves it aside, rebuilds it from the (here: no) run folders, and says so.
    // scanWaitMs 0: system:info never waits for the damaged-runs scan (as with a large data folder), so the
    // damaged-run banner below comes from the app's second request, the one that waits.
    app = await startE2eServer(
      async (home) => {
        mkdirSync(join(home, 'runs'), { recursive: true });
        writeFileSync(join(home, 'db.json'), '{"schemaVersion": 2, "runs": [');
      },
      { scanWaitMs: 0 },
    );
    browser = await chromium.launch({ executablePath: chromiumPath, args: CHROMIUM_ARGS });
    page = await (await browser.newContext({ viewport: { width: 1400, height: 900 } })).newPage();
    await page.goto(app.server.url);
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  it('reports the rebuilt index in a banner that can be dismissed', async () => {
    const banner = page.locator('[data-testid="store-notice"]');
    await expect.poll(() => banner.count(), LONG).toBe(1);
    expect(await banner.textContent()).toMatch(/db\.json.*was not valid JSON.*moved aside to db\.json\.corrupt-/);
    await screenshot(page, 'folder-01-banner');
    await banner.getByRole('button', { name: 'Dismiss' }).click();
    await expect.poll(() => banner.count(), LONG).toBe(0);
    // Dismissed for the session: a reload of the tab does not bring it back.
    await page.reload();
    await expect.poll(() => page.getByTestId('system-backend').isVisible(), LONG).toBe(true);
    expect(await banner.count()).toBe(0);
  });

  it('shows a CLI training live and stops it from the UI', async () => {
    const cli = spawn(process.execPath, [join(REPO, 'bin/policylab.mjs'), 'train', '--algo', 'ppo', '--env', 'CartPole-v1', '--no-progress',
      '--num-envs', '2', '--num-steps', '64', '--total-steps', '50000000', '--name', 'from-the-cli'], {
      cwd: REPO,
      env: { ...process.env, POLICYLAB_HOME: app.home },
      stdio: 'ignore',
    });
    const exited = new Promise<number | null>((r) => cli.on('exit', (code) => r(code)));
    const row = page.locator('tr', { hasText: 'from-the-cli' });
    await expect.poll(() => row.count(), LONG).toBe(1); // no reload: the server polls the folder
    await expect.poll(() => row.locator('[data-testid="run-owner"]').textContent(), LONG).toMatch(/CLI pid \d+/);
    await row.getByRole('link', { name: 'from-the-cli' }).click();
    await expect.poll(() => page.locator('[data-testid="status-badge"]').first().getAttribute('data-status'), LONG).toBe('running');
    // Its charts follow the CLI's metrics.jsonl (tailed by the server), no reload.
    await expect.poll(() => chartPoints(page, 'rollout/episodeReturn'), LONG).toBeGreaterThan(0);
    const first = await chartPoints(page, 'rollout/episodeReturn');
    await expect.poll(() => chartPoints(page, 'rollout/episodeReturn'), LONG).toBeGreaterThan(first + 2);
    await screenshot(page, 'folder-02-cli-run');
    await page.getByRole('button', { name: 'Stop' }).click();
    expect(await exited).toBe(130);
    await expect.poll(() => page.locator('[data-testid="status-badge"]').first().getAttribute('data-status'), LONG).toBe('stopped');
  });

  it('names a run with damaged files in a banner linking to it', async () => {
    const runsDir = join(app.home, 'runs');
    const id = readdirSync(runsDir).find((n) => !n.startsWith('.') && readFileSync(join(runsDir, n, 'run.json'), 'utf8').includes('from-the-cli'))!;
    const jsonl = join(runsDir, id, 'metrics.jsonl');
    const lines = readFileSync(jsonl, 'utf8').split('\n');
    writeFileSync(jsonl, [lines[0], '#'.repeat(lines[1]!.length), ...lines.slice(2)].join('\n'));
    await page.reload();
    const banner = page.locator('[data-testid="damaged-run"]');
    await expect.poll(() => banner.count(), LONG).toBe(1);
    expect(await banner.textContent()).toMatch(/Run from-the-cli has damaged files: 1 unreadable metrics\.jsonl line \(line 2\)/);
    await screenshot(page, 'folder-02b-damaged-run');
    await banner.getByRole('link', { name: 'from-the-cli' }).click();
    await expect.poll(() => page.url(), LONG).toContain(id);
    await banner.getByRole('button', { name: 'Dismiss' }).click();
    await expect.poll(() => banner.count(), LONG).toBe(0);
    writeFileSync(jsonl, lines.join('\n'));
    await page.goto(app.server.url);
  });

  it('shows queue positions and their reason; Runs at once starts them', async () => {
    await page.locator('[data-testid="max-concurrent"]').fill('1');
    await page.locator('[data-testid="max-concurrent"]').dispatchEvent('change');
    // Three long runs, started through the back end as three seeds from the launch form would be.
    const started = await app.backend.invoke('runs:start', { algo: 'ppo', env: 'CartPole-v1', seeds: [1, 2, 3], totalSteps: 50_000_000 });
    expect(started.ok).toBe(true);
    await page.goto(app.server.url);
    const reasons = page.locator('[data-testid="queue-reason"]');
    await expect.poll(() => reasons.count(), LONG).toBe(2);
    expect((await reasons.allTextContents()).sort()).toEqual([
      'waiting for a free slot: 1 of 1 run at once in use',
      'waiting for a free slot: 1 of 1 run at once in use, 1 queued ahead',
    ]);
    await screenshot(page, 'folder-03-queue');
    // The run view of a queued run says the same.
    await page.getByRole('link', { name: 'ppo-CartPole-v1-s3' }).click();
    await expect.poll(() => page.locator('[data-testid="status-badge"]').first().textContent(), LONG).toMatch(/queued\s*#2/);
    expect(await page.locator('[data-testid="queue-reason"]').textContent()).toBe('waiting for a free slot: 1 of 1 run at once in use, 1 queued ahead');
    await screenshot(page, 'folder-04-queued-run');
    await page.getByRole('link', { name: 'Runs', exact: true }).click();
    await page.locator('[data-testid="max-concurrent"]').fill('3');
    await page.locator('[data-testid="max-concurrent"]').dispatchEvent('change');
    await expect.poll(() => reasons.count(), LONG).toBe(0);
    for (const r of started.ok ? (started.value as { id: string }[]) : []) await app.backend.invoke('runs:stop', { id: r.id });
  });
});
