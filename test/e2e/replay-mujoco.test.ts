/**
 * MuJoCo replays end to end, in Debian's Chromium against browser mode: episodes of InvertedPendulum-v4,
 * HalfCheetah-v4 and Hopper-v4 written through core/store are replayed and the canvas is read back pixel by pixel.
 * Synthetic episodes (qpos scripted: the walkers run 6–8 m forward, the pendulum swings) pin the drawing: every
 * part's colour is there, the walkers stand on the floor at qpos0, the camera keeps the torso on screen as rootx
 * grows and the floor blocks slide past. Random-action episodes of the real core envs replay too.
 * Screenshots go to test-results/replay-mujoco-*.png.
 */
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../core/common/rng.js';
import { makeEnv, prepareEnv } from '../../core/envs/index.js';
import { saveEpisode } from '../../core/store/episodes.js';
import { RunStore } from '../../core/store/index.js';
import { CHROMIUM_ARGS, findChromium } from '../helpers/chromium.js';
import { join } from 'node:path';
import { collectConsoleErrors, openReplay as openReplayTab, RESULTS_DIR, screenshot, showFrame, startE2eServer, type E2eServer } from './helpers.js';

const LONG = { timeout: 90_000, interval: 250 };
const chromiumPath = findChromium();
const ENV_IDS = ['InvertedPendulum-v4', 'HalfCheetah-v4', 'Hopper-v4'] as const;
type MujocoId = (typeof ENV_IDS)[number];
const SHORT: Record<MujocoId, string> = { 'InvertedPendulum-v4': 'inverted-pendulum', 'HalfCheetah-v4': 'half-cheetah', 'Hopper-v4': 'hopper' };
const ACTION_SIZE: Record<MujocoId, number> = { 'InvertedPendulum-v4': 1, 'HalfCheetah-v4': 6, 'Hopper-v4': 3 };
/** The light palette's MuJoCo colours (renderer/src/replay/draw.ts), as RGB. */
const COLOURS = {
  torso: [156, 107, 60],
  head: [92, 59, 30],
  limb: [204, 153, 102],
  shin: [230, 153, 153],
  floor: [140, 149, 159],
  ink: [31, 35, 40],
  rail: [77, 77, 179],
  cart: [179, 179, 0],
  pole: [0, 163, 163],
  action: [47, 127, 219],
} as const;
type Colour = keyof typeof COLOURS;

interface Episode {
  envId: MujocoId;
  seed: number;
  states: number[][];
  actions: number[][];
  rewards: number[];
  return: number;
}

/** qpos at phase t ∈ [0, 1] (t = 0 is qpos0): the walkers move forward by `distance` metres while their joints swing. */
function scriptedQpos(envId: MujocoId, t: number): number[] {
  const s = (k: number) => Math.sin(2 * Math.PI * k * t);
  switch (envId) {
    case 'InvertedPendulum-v4':
      return [0.8 * s(1), 0.4 * s(2)];
    case 'HalfCheetah-v4':
      return [8 * t, 0.05 * s(5), 0.15 * s(3), 0.4 * s(4), 0.5 * s(4), 0.3 * s(4), -0.5 * s(4), -0.6 * s(4), 0.3 * s(4)];
    case 'Hopper-v4':
      return [6 * t, 1.25 + 0.15 * Math.abs(s(3)), -0.15 * s(3), -0.5 * (1 - Math.cos(6 * Math.PI * t)), -0.6 * (1 - Math.cos(6 * Math.PI * t)), 0.3 * s(3)];
  }
}

function syntheticEpisode(envId: MujocoId, frames = 100): Episode {
  const gen = new Rng(11);
  const random = (): number => gen.uniform();
  const dt = 1 / frames;
  const states = Array.from({ length: frames + 1 }, (_, i) => {
    const q = scriptedQpos(envId, i / frames);
    const ahead = scriptedQpos(envId, (i + 1) / frames);
    return [...q, ...q.map((v, j) => (ahead[j] - v) / dt)];
  });
  const actions = Array.from({ length: frames }, () => Array.from({ length: ACTION_SIZE[envId] }, () => +(random() * 2 - 1).toFixed(3)));
  const rewards = actions.map(() => 1);
  return { envId, seed: 0, states, actions, rewards, return: frames };
}

/** One episode of uniformly random actions on the real core env, recorded as evaluation records it. */
async function randomEpisode(envId: MujocoId, seed: number, maxSteps: number): Promise<Episode> {
  await prepareEnv(envId);
  const env = makeEnv(envId, { seed, maxEpisodeSteps: maxSteps });
  const gen = new Rng(seed);
  const random = (): number => gen.uniform();
  env.reset(seed);
  const states = [env.getState()];
  const actions: number[][] = [];
  const rewards: number[] = [];
  for (;;) {
    const action = Array.from({ length: ACTION_SIZE[envId] }, () => (random() * 2 - 1) * (envId === 'InvertedPendulum-v4' ? 3 : 1));
    const step = env.step(action);
    states.push(env.getState());
    actions.push(action);
    rewards.push(step.reward);
    if (step.terminated || step.truncated) break;
  }
  return { envId, seed, states, actions, rewards, return: rewards.reduce((a, b) => a + b, 0) };
}

interface CanvasProfile {
  width: number;
  height: number;
  counts: Record<Colour, number>;
  /** Mean x of the torso's pixels, as a fraction of the width (NaN when none). */
  torsoX: number;
  /** The row with the most floor-line (ink) pixels: the floor. */
  floorRow: number;
  /** Lowest row holding a shin/foot (walkers) pixel. */
  lowestShinRow: number;
  /** Columns of the floor blocks' strip (just under the floor line), as a 0/1 string. */
  floorColumns: string;
}

/** Reads the canvas back: pixels of each palette colour (exact to ±2: the fills are solid, only edges blend) and where. */
function profile(canvas: Locator): Promise<CanvasProfile> {
  return canvas.evaluate((c, colours) => {
    const el = c as unknown as { width: number; height: number; getContext(k: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } };
    const { width, height } = el;
    const data = el.getContext('2d').getImageData(0, 0, width, height).data;
    const names = Object.keys(colours);
    const counts = Object.fromEntries(names.map((k) => [k, 0])) as Record<string, number>;
    const inkPerRow = new Array<number>(height).fill(0);
    const floorAt = new Uint8Array(width * height);
    let torsoSum = 0;
    let lowestShinRow = -1;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const i = 4 * (y * width + x);
        for (const name of names) {
          const [r, g, b] = colours[name]!;
          if (Math.abs(data[i]! - r!) > 2 || Math.abs(data[i + 1]! - g!) > 2 || Math.abs(data[i + 2]! - b!) > 2) continue;
          counts[name]!++;
          if (name === 'torso') torsoSum += x;
          if (name === 'ink') inkPerRow[y]!++;
          if (name === 'shin') lowestShinRow = y;
          if (name === 'floor') floorAt[y * width + x] = 1;
        }
      }
    }
    const floorRow = inkPerRow.indexOf(Math.max(...inkPerRow));
    const strip = Math.min(height - 1, floorRow + 3);
    const floorColumns = Array.from({ length: width }, (_, x) => floorAt[strip * width + x]).join('');
    return { width, height, counts, torsoX: torsoSum / counts.torso! / width, floorRow, lowestShinRow, floorColumns };
  }, COLOURS as unknown as Record<string, number[]>) as Promise<CanvasProfile>;
}

describe.skipIf(!chromiumPath)(`MuJoCo replay in Chromium${chromiumPath ? '' : ' (skipped: no Chromium)'}`, () => {
  let app: E2eServer;
  let browser: Browser;
  let page: Page;
  const synthetic: Partial<Record<MujocoId, { id: string; episode: Episode }>> = {};
  const recorded: Partial<Record<MujocoId, { id: string; episode: Episode }>> = {};
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    app = await startE2eServer(async (home) => {
      const store = await RunStore.open(home);
      try {
        const save = async (episode: Episode, name: string) => {
          const run = await store.createRun({ algo: 'ppo', env: episode.envId, config: {}, seed: 7, name, totalSteps: 1000 });
          await saveEpisode(store.runDir(run.id), 1000, { ...episode });
          await store.updateRun(run.id, { status: 'finished', step: 1000 });
          return run.id;
        };
        for (const envId of ENV_IDS) {
          const episode = syntheticEpisode(envId);
          synthetic[envId] = { id: await save(episode, `scripted ${envId}`), episode };
          const real = await randomEpisode(envId, 5, 300);
          recorded[envId] = { id: await save(real, `random ${envId}`), episode: real };
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

  async function shoot(canvas: Locator, name: string): Promise<void> {
    await canvas.screenshot({ path: join(RESULTS_DIR, `replay-mujoco-${name}.png`) });
  }

  it('draws InvertedPendulum-v4: the rail, the cart sliding on it, the pole swinging, the push arrow', async () => {
    const { id, episode } = synthetic['InvertedPendulum-v4']!;
    const replay = await openReplay(id, 'InvertedPendulum-v4');
    const canvas = replay.locator('canvas');
    for (const frame of [0, 25, 75]) {
      await showFrame(replay, frame);
      const p = await profile(canvas);
      expect(p.counts.rail, `frame ${frame}`).toBeGreaterThan(300);
      expect(p.counts.cart, `frame ${frame}`).toBeGreaterThan(1_000);
      expect(p.counts.pole, `frame ${frame}`).toBeGreaterThan(1_000);
      expect(p.counts.floor, 'no floor').toBe(0);
      // Frame f shows the force that led to it (actions[f − 1]); frame 0 has none.
      if (frame === 0) expect(p.counts.action).toBe(0);
      else expect(p.counts.action, `push arrow for ${episode.actions[frame - 1]}`).toBeGreaterThan(10);
      await shoot(canvas, `inverted-pendulum-${frame}`);
    }
    // The state labels carry the joint names.
    expect(await replay.locator('.replay-stats .state span').first().textContent()).toMatch(/^slider=/);
    expect(await replay.getByTestId('replay-action').textContent()).toMatch(/^force /);
    expect(episode.states[25]![0]).toBeCloseTo(0.8, 9);
    await screenshot(page, 'replay-mujoco-inverted-pendulum-page');
  });

  for (const envId of ['HalfCheetah-v4', 'Hopper-v4'] as const) {
    it(`draws ${envId} on the floor and follows its torso as it moves forward`, async () => {
      const { id, episode } = synthetic[envId]!;
      const replay = await openReplay(id, envId);
      const canvas = replay.locator('canvas');
      const last = episode.states.length - 1;

      await showFrame(replay, 0);
      const rest = await profile(canvas);
      for (const part of ['torso', 'limb', 'shin', 'floor', 'ink'] as const) expect(rest.counts[part], `${part} at rest`).toBeGreaterThan(200);
      if (envId === 'HalfCheetah-v4') expect(rest.counts.head, 'head').toBeGreaterThan(200);
      expect(rest.torsoX).toBeGreaterThan(0.35);
      expect(rest.torsoX).toBeLessThan(0.65);
      // At qpos0 the feet stand just above the floor line (hopper: 0.04 m, cheetah: < 0.08 m; ~145–185 px/m).
      expect(rest.floorRow - rest.lowestShinRow, 'feet above the floor').toBeGreaterThanOrEqual(0);
      expect(rest.floorRow - rest.lowestShinRow, 'feet above the floor').toBeLessThan(18);
      await shoot(canvas, `${SHORT[envId]}-rest`);

      // Frame 15: 1.2 m (cheetah) / 0.9 m (hopper) on, not a whole period (1 m: two blocks) of the floor pattern.
      await showFrame(replay, 15);
      const moving = await profile(canvas);
      expect(moving.counts.torso).toBeGreaterThan(200);
      expect(moving.floorColumns, 'the floor blocks move under the walker').not.toBe(rest.floorColumns);
      await shoot(canvas, `${SHORT[envId]}-stride`);

      await showFrame(replay, last);
      const far = await profile(canvas);
      expect(episode.states[last]![0]).toBeGreaterThan(5);
      expect(far.counts.torso).toBeGreaterThan(200);
      expect(far.torsoX).toBeGreaterThan(0.35);
      expect(far.torsoX).toBeLessThan(0.65);
      expect(far.floorRow).toBe(rest.floorRow);
      await shoot(canvas, `${SHORT[envId]}-far`);
      expect(await replay.locator('.replay-stats .state span').first().textContent()).toMatch(/^rootx=/);
      await screenshot(page, `replay-mujoco-${SHORT[envId]}-page`);
    });
  }

  for (const envId of ENV_IDS) {
    it(`replays a random-action episode of the real ${envId}`, async () => {
      const { id, episode } = recorded[envId]!;
      const replay = await openReplay(id, envId);
      const canvas = replay.locator('canvas');
      const frames = [Math.floor((episode.states.length - 1) / 2), episode.states.length - 1];
      for (const frame of frames) {
        await showFrame(replay, frame);
        const p = await profile(canvas);
        if (envId === 'InvertedPendulum-v4') {
          expect(p.counts.pole, `frame ${frame}`).toBeGreaterThan(500);
        } else {
          expect(p.counts.torso, `frame ${frame}`).toBeGreaterThan(150);
          expect(p.torsoX, `frame ${frame}`).toBeGreaterThan(0.3);
          expect(p.torsoX, `frame ${frame}`).toBeLessThan(0.7);
        }
      }
      await shoot(canvas, `${SHORT[envId]}-random-last`);
    });
  }

  it('draws the walkers in the dark palette too', async () => {
    await openReplay(synthetic['HalfCheetah-v4']!.id, 'HalfCheetah-v4');
    await page.emulateMedia({ colorScheme: 'dark' });
    const canvas = page.locator('section.episode-replay canvas');
    // Limbs and shins keep Gymnasium's colours; the light torso and floor colours are gone.
    await expect.poll(async () => (await profile(canvas)).counts.torso, LONG).toBe(0);
    expect((await profile(canvas)).counts.limb).toBeGreaterThan(200);
    await shoot(canvas, 'half-cheetah-dark');
    await page.emulateMedia({ colorScheme: 'light' });
  });

  it('logged no errors in the page', () => {
    expect(consoleErrors).toEqual([]);
  });
});
