/**
 * Replay media end to end, in Debian's Chromium against browser mode: a synthetic CartPole run with recorded
 * evaluation episodes (written through core/store, no training), its run page's filmstrip (one drawn thumbnail per
 * evaluation step, clicking one opens the Replay tab at that episode), and GIF export from the replay (a download
 * whose bytes are a GIF89a with one image per state of the episode, at the canvas size). WebM is exported too
 * when this Chromium's MediaRecorder has a WebM codec; otherwise the UI must say it cannot. Screenshots go to
 * test-results/.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { saveEpisode } from '../../core/store/episodes.js';
import { RunStore } from '../../core/store/index.js';
import { CHROMIUM_ARGS, findChromium } from '../helpers/chromium.js';
import { RESULTS_DIR, screenshot, startE2eServer, type E2eServer } from './helpers.js';
import { seedSyntheticRuns } from './synthetic-runs.js';

const LONG = { timeout: 60_000, interval: 200 };
const chromiumPath = findChromium();
/** Evaluation steps and the episode length at each (longer as the synthetic policy "learns"). */
const EVALS = [
  { step: 1000, length: 12 },
  { step: 2000, length: 20 },
  { step: 3000, length: 31 },
  { step: 4000, length: 40 },
];

/** A CartPole-shaped episode: the cart drifts and the pole swings, differently at each evaluation. */
function syntheticEpisode(k: number, length: number) {
  const states: number[][] = [];
  for (let t = 0; t <= length; t++) {
    const x = 0.04 * t * (k % 2 === 0 ? 1 : -1);
    const theta = 0.18 * Math.sin(t / (3 + k)) + 0.02 * k;
    states.push([x, 0.1, theta, 0.05]);
  }
  const actions = Array.from({ length }, (_, t) => (t + k) % 2);
  const rewards = Array.from({ length }, () => 1);
  return { envId: 'CartPole-v1', seed: 100 + k, states, actions, rewards, return: length };
}

/** Counts image descriptors by walking GIF blocks; returns the logical screen size too. */
function readGif(b: Buffer): { signature: string; width: number; height: number; frames: number } {
  let p = 13 + (b[10]! & 0x80 ? 3 * (1 << ((b[10]! & 7) + 1)) : 0);
  const skip = () => {
    while (b[p] !== 0) p += b[p]! + 1;
    p += 1;
  };
  let frames = 0;
  while (p < b.length && b[p] !== 0x3b) {
    if (b[p] === 0x21) {
      p += 2;
      skip();
    } else if (b[p] === 0x2c) {
      const packed = b[p + 9]!;
      p += 10 + (packed & 0x80 ? 3 * (1 << ((packed & 7) + 1)) : 0) + 1;
      skip();
      frames++;
    } else throw new Error(`bad GIF block 0x${b[p]!.toString(16)} at ${p}`);
  }
  if (b[p] !== 0x3b) throw new Error('GIF has no trailer');
  return { signature: b.subarray(0, 6).toString('latin1'), width: b.readUInt16LE(6), height: b.readUInt16LE(8), frames };
}

describe.skipIf(!chromiumPath)(`replay media in Chromium${chromiumPath ? '' : ' (skipped: no Chromium)'}`, () => {
  let app: E2eServer;
  let browser: Browser;
  let page: Page;
  let runId = '';
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    app = await startE2eServer(async (home) => {
      [runId] = (await seedSyntheticRuns(home, { runs: 1, points: 40, name: 'media' })) as [string];
      const store = await RunStore.open(home);
      try {
        for (const [k, e] of EVALS.entries()) await saveEpisode(store.runDir(runId), e.step, syntheticEpisode(k, e.length));
      } finally {
        await store.close();
      }
    });
    browser = await chromium.launch({ executablePath: chromiumPath, args: CHROMIUM_ARGS });
    const context = await browser.newContext({ viewport: { width: 1300, height: 900 }, acceptDownloads: true });
    page = await context.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => consoleErrors.push(e.message));
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  it('shows a filmstrip of drawn thumbnails, one per evaluation step', async () => {
    await page.goto(`${app.server.url}#/run/${encodeURIComponent(runId)}`);
    const strip = page.getByTestId('filmstrip');
    await expect.poll(() => strip.locator('img').count(), LONG).toBe(EVALS.length);
    const steps = await strip.locator('button[data-step]').evaluateAll((bs) => bs.map((b) => Number(b.getAttribute('data-step'))));
    expect(steps).toEqual(EVALS.map((e) => e.step));
    // Each thumbnail is a drawing of its own episode's middle frame: decoded, non-empty and all different.
    const images = await strip.locator('img').evaluateAll((imgs) => imgs.map((i) => ({ src: i.getAttribute('src') ?? '', w: (i as unknown as { naturalWidth: number }).naturalWidth })));
    for (const img of images) {
      expect(img.src).toMatch(/^data:image\/png;base64,/);
      expect(img.w).toBeGreaterThan(0);
    }
    expect(new Set(images.map((i) => i.src)).size).toBe(EVALS.length);
    await screenshot(page, 'replay-media-01-filmstrip');
  });

  it('opens the Replay tab at the clicked episode', async () => {
    await page.getByTestId('filmstrip').locator('button[data-step="2000"]').click();
    await expect.poll(() => page.url()).toMatch(/\/replay$/);
    const list = page.getByRole('listbox', { name: 'Episodes by checkpoint step' });
    await expect.poll(() => list.locator('[aria-selected="true"]').getAttribute('data-step'), LONG).toBe('2000');
    // The player holds that episode (20 steps, seed 101), not the newest one the tab selects by default.
    const replay = page.locator('section.episode-replay');
    await expect.poll(() => replay.getAttribute('aria-label'), LONG).toBe('CartPole-v1 episode, seed 101');
    await expect.poll(() => replay.getByTestId('replay-step').textContent()).toMatch(/^0 \/ 20/);
    await screenshot(page, 'replay-media-02-replay-opened');
  });

  it('exports the replayed episode as a GIF89a with one frame per state at the canvas size', async () => {
    const replay = page.locator('section.episode-replay');
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: 60_000 }), replay.getByTestId('export-gif').click()]);
    expect(download.suggestedFilename()).toBe(`${runId.replace(/[^A-Za-z0-9._-]+/g, '_')}-step2000-seed101.gif`);
    const path = await download.path();
    const bytes = readFileSync(path);
    expect(bytes.length).toBeGreaterThan(0);
    const gif = readGif(bytes);
    expect(gif).toEqual({ signature: 'GIF89a', width: 480, height: 320, frames: 21 });
    await expect.poll(() => replay.getByTestId('export-saved').textContent()).toMatch(/step2000-seed101\.gif/);
    await download.saveAs(join(RESULTS_DIR, 'replay-media-export.gif'));
    await screenshot(page, 'replay-media-03-gif-exported');
  });

  it('exports WebM where MediaRecorder can, and says so where it cannot', async () => {
    const replay = page.locator('section.episode-replay');
    const canRecord = await page.evaluate(() => {
      const recorder = (globalThis as { MediaRecorder?: { isTypeSupported(type: string): boolean } }).MediaRecorder;
      return !!recorder && ['video/webm;codecs=vp9', 'video/webm;codecs=vp8', 'video/webm'].some((t) => recorder.isTypeSupported(t));
    });
    const button = replay.getByTestId('export-webm');
    if (!canRecord) {
      expect(await button.isDisabled()).toBe(true);
      expect(await replay.getByTestId('webm-unsupported').textContent()).toMatch(/WebM/);
      return;
    }
    // Pick a short episode: WebM records in real time.
    await page.getByRole('listbox', { name: 'Episodes by checkpoint step' }).locator('[data-step="1000"]').click();
    await expect.poll(() => replay.getAttribute('aria-label'), LONG).toBe('CartPole-v1 episode, seed 100');
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: 60_000 }), button.click()]);
    expect(download.suggestedFilename()).toMatch(/-step1000-seed100\.webm$/);
    const bytes = readFileSync(await download.path());
    // WebM is Matroska: an EBML header (1A 45 DF A3) naming the "webm" doctype.
    expect(bytes.subarray(0, 4).toString('hex')).toBe('1a45dfa3');
    expect(bytes.subarray(0, 64).toString('latin1')).toContain('webm');
    await screenshot(page, 'replay-media-04-webm-exported');
  });

  it('logged no errors in the page', () => {
    expect(consoleErrors).toEqual([]);
  });
});
