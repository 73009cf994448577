/**
 * End-to-end helpers: a browser-mode server over a temp POLICYLAB_HOME (the real back end: RunManager,
 * store, training processes running trainRun), and the flows both the browser and the Electron tests drive.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { expect } from 'vitest';
import { ensureRendererBuilt } from '../../core/host/renderer-build.js';
import { startServer, type RunningServer } from '../../core/host/server.js';
import { openAppBackend, type AppBackend, type AppBackendOptions } from '../../core/runner/service.js';

export const RESULTS_DIR = resolve('test-results');

export interface E2eServer {
  server: RunningServer;
  /** The server's back end, for tests that set up state the way another client would. */
  backend: AppBackend;
  home: string;
  close(): Promise<void>;
}

/** A browser-mode server on a fresh temp data folder; `seed` may write runs into the folder before it opens. */
export async function startE2eServer(seed?: (home: string) => Promise<unknown>, options: Pick<AppBackendOptions, 'scanWaitMs'> = {}): Promise<E2eServer> {
  const home = mkdtempSync(join(tmpdir(), 'policylab-e2e-'));
  await seed?.(home);
  const staticDir = await ensureRendererBuilt();
  const backend = await openAppBackend({ home, transport: 'browser', maxConcurrent: 2, probeAtStart: true, ...options });
  const server = await startServer({ backend, staticDir });
  return {
    server,
    backend,
    home,
    async close() {
      await server.close();
      await backend.close();
      rmSync(home, { recursive: true, force: true });
    },
  };
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const path = join(RESULTS_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

export async function chartPoints(page: Page, key: string): Promise<number> {
  const attr = await page.locator(`figure[data-key="${key}"]`).getAttribute('data-points', { timeout: 1_000 }).catch(() => null);
  return attr === null ? 0 : Number(attr);
}

export async function runStatus(page: Page): Promise<string | null> {
  return page.locator('[data-testid="status-badge"]').first().getAttribute('data-status', { timeout: 1_000 }).catch(() => null);
}

const RETURN_KEY = 'rollout/episodeReturn';
const LONG = { timeout: 120_000, interval: 250 };

/**
 * The launch → watch → stop → resume → reload flow, with screenshots named `${prefix}-NN-…`.
 * Returns the screenshot paths.
 */
export async function launchWatchStopResume(page: Page, prefix: string): Promise<string[]> {
  const shots: string[] = [];
  await expect.poll(() => page.getByText('No runs yet.').isVisible(), LONG).toBe(true);
  await expect.poll(() => page.getByTestId('system-backend').textContent(), LONG).toMatch(/Backend: (wasm|cpu|TensorFlow)/);
  shots.push(await screenshot(page, `${prefix}-01-empty`));

  await page.getByRole('link', { name: 'Launch', exact: true }).click();
  await expect.poll(() => page.locator('#field-clipCoef').isVisible(), LONG).toBe(true);
  // PPO and CartPole are the defaults; the CartPole preset is picked for the env.
  expect(await page.locator('select[name="algo"]').inputValue()).toBe('ppo');
  expect(await page.locator('select[name="env"]').inputValue()).toBe('CartPole-v1');
  expect(await page.locator('select[name="preset"]').inputValue()).toBe('CartPole-v1');

  // An invalid field: inline error, launch disabled.
  await page.locator('#field-clipCoef').fill('1.5');
  await expect.poll(() => page.locator('#field-clipCoef-error').textContent()).toMatch(/must be < 1/);
  expect(await page.locator('#field-clipCoef').getAttribute('aria-invalid')).toBe('true');
  expect(await page.getByTestId('launch').isDisabled()).toBe(true);
  shots.push(await screenshot(page, `${prefix}-02-invalid-field`));
  await page.locator('#field-clipCoef').fill('0.2');
  await expect.poll(() => page.getByTestId('launch').isDisabled()).toBe(false);

  await page.locator('input[name="totalSteps"]').fill('1000000');
  await page.locator('input[name="seeds"]').fill('1');
  await page.locator('input[name="name"]').fill('e2e ppo');
  await page.getByTestId('launch').click();

  // The run page: the return chart gains points while it trains.
  await expect.poll(() => page.url(), LONG).toMatch(/#\/run\//);
  await expect.poll(() => chartPoints(page, RETURN_KEY), LONG).toBeGreaterThan(0);
  const first = await chartPoints(page, RETURN_KEY);
  await expect.poll(() => chartPoints(page, RETURN_KEY), LONG).toBeGreaterThan(first + 2);
  expect(await runStatus(page)).toBe('running');
  expect(await page.getByTestId('run-backend').textContent()).toMatch(/wasm|cpu|TensorFlow/);
  shots.push(await screenshot(page, `${prefix}-03-running`));

  await page.getByRole('button', { name: 'Stop', exact: true }).click();
  await expect.poll(() => runStatus(page), LONG).toBe('stopped');
  await expect.poll(() => page.getByTestId('checkpoints').textContent(), LONG).toMatch(/step/);
  const atStop = await chartPoints(page, RETURN_KEY);
  shots.push(await screenshot(page, `${prefix}-04-stopped`));

  await page.getByRole('button', { name: 'Resume', exact: true }).click();
  await expect.poll(() => runStatus(page), LONG).toBe('running');
  await expect.poll(() => chartPoints(page, RETURN_KEY), LONG).toBeGreaterThan(atStop + 2);
  shots.push(await screenshot(page, `${prefix}-05-resumed`));

  // History survives a reload: the run page refills its charts from the store, and the table lists the run.
  await page.reload();
  await expect.poll(() => chartPoints(page, RETURN_KEY), LONG).toBeGreaterThan(atStop);
  await page.getByRole('button', { name: 'Stop', exact: true }).click();
  await expect.poll(() => runStatus(page), LONG).toBe('stopped');
  await page.getByRole('link', { name: 'Runs', exact: true }).click();
  const row = page.locator('tbody tr', { hasText: 'e2e ppo' });
  await expect.poll(() => row.count(), LONG).toBe(1);
  expect(await row.locator('[data-testid="status-badge"]').getAttribute('data-status')).toBe('stopped');
  await page.reload();
  await expect.poll(() => page.locator('tbody tr', { hasText: 'e2e ppo' }).count(), LONG).toBe(1);
  shots.push(await screenshot(page, `${prefix}-06-runs-after-reload`));
  return shots;
}

/** Collects the page's console errors and uncaught exceptions into `errors` (tests assert it stays empty). */
export function collectConsoleErrors(page: Page, errors: string[]): void {
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
}

const REPLAY_WAIT = { timeout: 90_000, interval: 250 };

/** Opens a run's Replay tab and waits until its episode of `envId` is drawn; returns the replay section. */
export async function openReplay(page: Page, serverUrl: string, runId: string, envId: string): Promise<Locator> {
  await page.goto(`${serverUrl}#/run/${encodeURIComponent(runId)}/replay`);
  const replay = page.locator('section.episode-replay');
  await expect.poll(() => replay.getAttribute('aria-label'), REPLAY_WAIT).toMatch(new RegExp(`^${envId} episode`));
  await expect.poll(() => replay.locator('canvas').isVisible(), REPLAY_WAIT).toBe(true);
  return replay;
}

/** Moves the replay's frame slider to `frame` and waits for the step readout to follow. */
export async function showFrame(replay: Locator, frame: number): Promise<void> {
  await replay.getByRole('slider', { name: 'Frame' }).fill(String(frame));
  await expect.poll(() => replay.getByTestId('replay-step').textContent()).toMatch(new RegExp(`^${frame} /`));
}
