/**
 * LunarLander replay end to end, in Debian's Chromium against browser mode: episodes flown by Gymnasium's heuristic
 * on the real core env (LunarLander-v2 and LunarLanderContinuous-v2, written through core/store) are replayed and
 * the canvas is read back pixel by pixel: sky, ground, flags, hull and legs, and an engine flame exactly on frames
 * whose action fires one. A tiny PPO run trained through the back end checks that what evaluation records replays
 * too. Screenshots go to test-results/replay-lunar-*.png.
 */
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lunarLanderHeuristic } from '../../core/envs/box2d/lunar-lander.js';
import { makeEnv, type EnvId } from '../../core/envs/index.js';
import { saveEpisode } from '../../core/store/episodes.js';
import { RunStore } from '../../core/store/index.js';
import { CHROMIUM_ARGS, findChromium } from '../helpers/chromium.js';
import { join } from 'node:path';
import { collectConsoleErrors, openReplay as openReplayTab, RESULTS_DIR, screenshot, showFrame, startE2eServer, type E2eServer } from './helpers.js';

const LONG = { timeout: 90_000, interval: 250 };
const chromiumPath = findChromium();
/** The light palette's LunarLander colours (renderer/src/replay/draw.ts), as RGB. */
const COLOURS = { sky: [0, 0, 0], moon: [255, 255, 255], hull: [128, 102, 230], flame: [255, 108, 108], flag: [201, 180, 0] } as const;
type Colour = keyof typeof COLOURS;

/** An episode flown by Gymnasium's heuristic, recorded as evaluation records it (state after reset and each step). */
function heuristicEpisode(envId: EnvId, seed: number) {
  const continuous = envId === 'LunarLanderContinuous-v2';
  const env = makeEnv(envId, { seed });
  let obs = Array.from(env.reset(seed).obs);
  const states = [env.getState()];
  const actions: (number | number[])[] = [];
  const rewards: number[] = [];
  for (;;) {
    const action = lunarLanderHeuristic(obs, continuous);
    const step = env.step(action);
    states.push(env.getState());
    actions.push(action);
    rewards.push(step.reward);
    obs = Array.from(step.obs);
    if (step.terminated || step.truncated) break;
  }
  return { envId, seed, states, actions, rewards, return: rewards.reduce((a, b) => a + b, 0) };
}

/** Whether `action` fires an engine (main or side), as Gymnasium's step decides. */
function fires(action: number | number[], which: 'main' | 'side'): boolean {
  if (typeof action === 'number') return which === 'main' ? action === 2 : action === 1 || action === 3;
  return which === 'main' ? action[0] > 0 : Math.abs(action[1]) > 0.5;
}

/** Pixels of each palette colour on the canvas (exact matches: the fills are solid, only edges blend). */
function countColours(canvas: Locator): Promise<Record<Colour, number>> {
  return canvas.evaluate((c, colours) => {
    const el = c as unknown as { width: number; height: number; getContext(k: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } };
    const data = el.getContext('2d').getImageData(0, 0, el.width, el.height).data;
    const counts = Object.fromEntries(Object.keys(colours).map((k) => [k, 0])) as Record<string, number>;
    for (let i = 0; i < data.length; i += 4) {
      for (const [name, [r, g, b]] of Object.entries(colours)) {
        if (Math.abs(data[i]! - r!) <= 2 && Math.abs(data[i + 1]! - g!) <= 2 && Math.abs(data[i + 2]! - b!) <= 2) counts[name]!++;
      }
    }
    return counts;
  }, COLOURS as unknown as Record<string, number[]>) as Promise<Record<Colour, number>>;
}

describe.skipIf(!chromiumPath)(`LunarLander replay in Chromium${chromiumPath ? '' : ' (skipped: no Chromium)'}`, () => {
  let app: E2eServer;
  let browser: Browser;
  let page: Page;
  const runs: Partial<Record<EnvId, { id: string; episode: ReturnType<typeof heuristicEpisode> }>> = {};
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    app = await startE2eServer(async (home) => {
      const store = await RunStore.open(home);
      try {
        for (const envId of ['LunarLander-v2', 'LunarLanderContinuous-v2'] as const) {
          const episode = heuristicEpisode(envId, 7);
          const run = await store.createRun({ algo: 'ppo', env: envId, config: {}, seed: 7, name: `heuristic ${envId}`, totalSteps: 1000 });
          await saveEpisode(store.runDir(run.id), 1000, episode);
          await store.updateRun(run.id, { status: 'finished', step: 1000 });
          runs[envId] = { id: run.id, episode };
        }
      } finally {
        await store.close();
      }
    });
    browser = await chromium.launch({ executablePath: chromiumPath, args: CHROMIUM_ARGS });
    const context = await browser.newContext({ viewport: { width: 1300, height: 1000 }, colorScheme: 'light' });
    page = await context.newPage();
    collectConsoleErrors(page, consoleErrors);
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  const openReplay = (runId: string, envId: string): Promise<Locator> => openReplayTab(page, app.server.url, runId, envId);

  for (const envId of ['LunarLander-v2', 'LunarLanderContinuous-v2'] as const) {
    it(`draws ${envId}: sky, ground, flags, lander, and a flame only on frames that fire an engine`, async () => {
      const { id, episode } = runs[envId]!;
      const replay = await openReplay(id, envId);
      const canvas = replay.locator('canvas');
      // Frame f shows the state after actions[f - 1]: pick one in mid-air with the main engine on, and one with none on.
      const high = (f: number) => episode.states[f]![12]! > 5 && episode.states[f]![12]! < 11;
      const burning = episode.actions.findIndex((a, t) => fires(a, 'main') && (envId === 'LunarLander-v2' || fires(a, 'side')) && high(t + 1)) + 1;
      const coasting = episode.actions.findIndex((a, t) => !fires(a, 'main') && !fires(a, 'side') && high(t + 1)) + 1;
      expect(burning, 'a frame with the engines on').toBeGreaterThan(0);

      await showFrame(replay, burning);
      const lit = await countColours(canvas);
      expect(lit.sky).toBeGreaterThan(10_000);
      expect(lit.moon).toBeGreaterThan(2_000);
      expect(lit.hull).toBeGreaterThan(200);
      expect(lit.flag).toBeGreaterThan(40);
      expect(lit.flame).toBeGreaterThan(20);
      const name = `replay-lunar-${envId === 'LunarLander-v2' ? 'discrete' : 'continuous'}`;
      await screenshot(page, `${name}-engines`);
      await canvas.screenshot({ path: join(RESULTS_DIR, `${name}-engines-canvas.png`) });

      if (coasting > 0) {
        await showFrame(replay, coasting);
        await canvas.screenshot({ path: join(RESULTS_DIR, `${name}-coasting-canvas.png`) });
        const dark = await countColours(canvas);
        expect(dark.hull).toBeGreaterThan(200);
        expect(dark.flame).toBe(0);
      }
      await showFrame(replay, episode.states.length - 1);
      expect((await countColours(canvas)).hull).toBeGreaterThan(200);
      await canvas.screenshot({ path: join(RESULTS_DIR, `${name}-last-canvas.png`) });
    });
  }

  it('replays what a tiny PPO run records on LunarLander-v2', async () => {
    const started = await app.backend.invoke('runs:start', {
      algo: 'ppo',
      env: 'LunarLander-v2',
      seeds: [1],
      totalSteps: 2048,
      name: 'tiny lander',
      config: { evalInterval: 1024, evalEpisodes: 1, checkpointInterval: 0 },
    });
    if (!started.ok) throw new Error(`runs:start: ${started.error.message}`);
    const runId = (started.value as { id: string }[])[0]!.id;
    const status = async () => {
      const r = await app.backend.invoke('runs:get', { id: runId });
      return r.ok ? (r.value as { status: string }).status : `error ${r.error.message}`;
    };
    await expect.poll(status, LONG).toBe('finished');
    const replay = await openReplay(runId, 'LunarLander-v2');
    const canvas = replay.locator('canvas');
    const last = Number((await replay.getByTestId('replay-step').textContent())!.split('/')[1]);
    await showFrame(replay, Math.floor(last / 2));
    await expect.poll(async () => (await countColours(canvas)).hull, LONG).toBeGreaterThan(200);
    await screenshot(page, 'replay-lunar-trained');
    // The dark palette: the same scene on a grey ground.
    await page.emulateMedia({ colorScheme: 'dark' });
    await expect.poll(async () => (await countColours(canvas)).moon, LONG).toBe(0);
    expect((await countColours(canvas)).hull).toBeGreaterThan(200);
    await canvas.screenshot({ path: join(RESULTS_DIR, 'replay-lunar-trained-dark-canvas.png') });
    await page.emulateMedia({ colorScheme: 'light' });
  }, 120_000);

  it('logged no errors in the page', () => {
    expect(consoleErrors).toEqual([]);
  });
});
