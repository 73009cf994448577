/**
 * The desktop app end to end with Playwright's `_electron`: the same flows as the browser test, through the
 * preload bridge and the IPC gate, with training in utility processes. Runs where Electron's binary is installed
 * (`node node_modules/electron/install.js`); reported as skipped, with the reason, where it is not.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { _electron, type ElectronApplication, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appBuildReason } from '../../core/host/renderer-build.js';
import { launchWatchStopResume } from './helpers.js';

function electronBinary(): { path: string } | { reason: string } {
  try {
    const path = createRequire(import.meta.url)('electron') as unknown as string;
    return existsSync(path) ? { path } : { reason: `${path} is missing` };
  } catch (err) {
    return { reason: (err instanceof Error ? err.message : String(err)).split('\n')[0]! };
  }
}

const electron = electronBinary();
const title =
  'path' in electron ? 'Electron app' : `Electron app (skipped: Electron binary not available: ${electron.reason})`;

if (!('path' in electron)) console.log(`[e2e] ${title}`);

describe.skipIf(!('path' in electron))(title, () => {
  const root = resolve('.');
  let app: ElectronApplication;
  let page: Page;
  let home: string;

  beforeAll(async () => {
    if (!('path' in electron)) return;
    if (appBuildReason(root)) {
      const r = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
      expect(r.status, 'npm run build').toBe(0);
    }
    home = mkdtempSync(join(tmpdir(), 'policylab-electron-'));
    app = await _electron.launch({
      executablePath: electron.path,
      args: [root, '--no-sandbox'],
      env: { ...process.env, POLICYLAB_HOME: home },
    });
    page = await app.firstWindow();
  });

  afterAll(async () => {
    await app?.close();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it('runs sandboxed with context isolation: no Node in the page, only the named bridge', async () => {
    const probe = await page.evaluate(() => ({
      require: typeof (globalThis as { require?: unknown }).require,
      process: typeof (globalThis as { process?: unknown }).process,
      bridge: Object.keys((globalThis as { policylab?: object }).policylab ?? {}).sort(),
      origin: (globalThis as unknown as { location: { origin: string } }).location.origin,
    }));
    expect(probe).toEqual({ require: 'undefined', process: 'undefined', bridge: ['events', 'invoke', 'on', 'transport'], origin: 'app://policylab' });
  });

  it('blocks navigation away from the app and new windows', async () => {
    type PageGlobals = { open(url: string): unknown; location: { href: string; origin: string } };
    await page.evaluate(() => {
      const g = globalThis as unknown as PageGlobals;
      g.open('https://example.com');
      g.location.href = 'https://example.com';
    });
    // A navigation would destroy this context; a round trip through it shows the page stayed.
    expect(await page.evaluate(() => (globalThis as unknown as PageGlobals).location.origin)).toBe('app://policylab');
    expect(new URL(page.url()).origin).toBe('app://policylab');
    expect(app.windows()).toHaveLength(1);
  });

  it('launches a PPO CartPole run, streams its return chart, stops, resumes, and keeps history across reloads', async () => {
    await launchWatchStopResume(page, 'electron');
  });
});
