/**
 * Browser mode keeps its port and token across restarts (issue 11): a tab opened on the first server shows
 * "Reconnecting…" while the server is down and "Connected" again once the restarted server (new back end on the
 * same data folder, same saved port and token) is up, and its data calls work again, without a reload.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureRendererBuilt } from '../../core/host/renderer-build.js';
import { startServer, type RunningServer } from '../../core/host/server.js';
import { openAppBackend } from '../../core/runner/service.js';
import { CHROMIUM_ARGS, findChromium } from '../helpers/chromium.js';
import { screenshot } from './helpers.js';
import { seedSyntheticRuns } from './synthetic-runs.js';

const LONG = { timeout: 60_000, interval: 250 };
const chromiumPath = findChromium();

describe.skipIf(!chromiumPath)(`browser session across a restart${chromiumPath ? '' : ' (skipped: no Chromium)'}`, () => {
  let home: string;
  let staticDir: string;
  let browser: Browser;
  let page: Page;
  let server: RunningServer | null = null;

  async function boot(): Promise<RunningServer> {
    const backend = await openAppBackend({ home, transport: 'browser', maxConcurrent: 1, probeAtStart: false });
    const s = await startServer({ backend, staticDir, session: { home } });
    const close = s.close.bind(s);
    // A restart closes the back end too, as the process exiting would.
    return { ...s, close: async () => (await close(), await backend.close()) };
  }

  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), 'policylab-e2e-session-'));
    await seedSyntheticRuns(home, { runs: 1, points: 5, name: 'kept' });
    staticDir = await ensureRendererBuilt();
    browser = await chromium.launch({ executablePath: chromiumPath, args: CHROMIUM_ARGS });
    page = await (await browser.newContext({ viewport: { width: 1200, height: 700 } })).newPage();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    rmSync(home, { recursive: true, force: true });
  });

  it('an open tab reconnects to the restarted server on the same port with the same token', async () => {
    server = await boot();
    const first = { port: server.port, token: server.token };
    await page.goto(server.url);
    const conn = page.getByRole('status').filter({ hasText: /Connected|Reconnecting/ });
    await expect.poll(() => conn.textContent(), LONG).toBe('Connected');
    await expect.poll(() => page.getByRole('link', { name: 'kept 0' }).count(), LONG).toBe(1);

    await server.close();
    server = null;
    await expect.poll(() => conn.textContent(), LONG).toBe('Reconnecting…');
    await screenshot(page, 'browser-session-01-down');

    server = await boot();
    expect({ port: server.port, token: server.token }).toEqual(first);
    await expect.poll(() => conn.textContent(), LONG).toBe('Connected');
    // Calls made after the reconnect reach the new back end: open the run from the table.
    await page.getByRole('link', { name: 'kept 0' }).click();
    await expect.poll(() => page.url(), LONG).toMatch(/#\/run\//);
    await expect.poll(() => page.locator('h1, h2').filter({ hasText: 'kept 0' }).count(), LONG).toBeGreaterThan(0);
    await screenshot(page, 'browser-session-02-reconnected');
  });
});
