/**
 * Reproducibility of the shared loop: the same seed gives the identical metric stream (every algorithm, short
 * runs), a different seed does not; and a run stopped at step k and resumed from its checkpoint logs exactly what
 * an uninterrupted run logs after k (discrete and continuous, with observation normalisation and reward scaling).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { trainRun, type TrainRunOptions } from '../../../core/algos/loop.js';
import { LOOP_ALGO_IDS, resolveConfig, type AlgoId, type LoopAlgoId } from '../../../core/algos/registry.js';
import type { EnvId } from '../../../core/envs/index.js';
import { listCheckpoints, listEpisodes, loadCheckpoint } from '../../../core/store/index.js';
import { readMetrics, tempRunDir } from './helpers.js';

const cleanups: (() => void)[] = [];
afterAll(() => cleanups.forEach((c) => c()));

function dir(): string {
  const t = tempRunDir();
  cleanups.push(t.cleanup);
  return t.dir;
}

const SHORT: Record<LoopAlgoId, Record<string, unknown>> = {
  reinforce: { episodesPerUpdate: 4, baseline: 'learnedValue', return: 'rewardToGo', evalInterval: 1500, evalEpisodes: 2 },
  a2c: { numEnvs: 4, evalInterval: 1500, evalEpisodes: 2 },
  ppo: { numEnvs: 4, numSteps: 64, numMinibatches: 2, updateEpochs: 2, evalInterval: 1500, evalEpisodes: 2 },
  trpo: { numEnvs: 2, numSteps: 128, criticEpochs: 2, cgIters: 5, evalInterval: 1500, evalEpisodes: 2 },
};

function options(algo: AlgoId, env: EnvId, runDir: string, seed: number, totalSteps: number, overrides: Record<string, unknown>): TrainRunOptions {
  const { config } = resolveConfig(algo, env, { preset: 'none', overrides });
  return { runDir, runId: 'test', algo, env, config, seed, totalSteps, signal: new AbortController().signal };
}

describe('determinism', () => {
  // APG trains on differentiable envs only; its determinism and resume: test/integration/algos/apg.test.ts.
  for (const algo of LOOP_ALGO_IDS) {
    it(`${algo}: same seed → identical metric stream; another seed → a different one`, async () => {
      const runs = await Promise.all(
        [1, 1, 2].map(async (seed) => {
          const d = dir();
          await trainRun(options(algo, 'CartPole-v1', d, seed, 3000, SHORT[algo]));
          return readMetrics(d);
        }),
      );
      expect(runs[0].length).toBeGreaterThan(3);
      expect(runs[1]).toEqual(runs[0]);
      expect(runs[2]).not.toEqual(runs[0]);
      const keys = new Set(runs[0].flatMap((r) => Object.keys(r.values)));
      for (const k of ['train/policyLoss', 'train/entropy', 'train/learningRate', 'rollout/episodeReturn', 'eval/return']) expect(keys).toContain(k);
    });
  }
});

describe('stop and resume', () => {
  const cases: { name: string; algo: AlgoId; env: EnvId; overrides: Record<string, unknown>; total: number; stopAfter: number }[] = [
    {
      name: 'PPO, CartPole (discrete), LR annealing',
      algo: 'ppo',
      env: 'CartPole-v1',
      overrides: { numEnvs: 4, numSteps: 64, numMinibatches: 4, updateEpochs: 3, evalInterval: 1024, evalEpisodes: 1, checkpointInterval: 768 },
      total: 4096,
      stopAfter: 1800,
    },
    {
      name: 'PPO, Pendulum (Gaussian), obs normalisation + reward scaling',
      algo: 'ppo',
      env: 'Pendulum-v1',
      overrides: { numEnvs: 2, numSteps: 128, numMinibatches: 4, updateEpochs: 2, normalizeObs: true, normalizeReward: true, evalInterval: 1024, evalEpisodes: 1 },
      total: 3072,
      stopAfter: 1300,
    },
    {
      // Box2D keeps contact and joint warm starts outside the state: the checkpoint replays each copy's episode
      name: 'PPO, LunarLanderContinuous (Box2D world replayed from the checkpoint)',
      algo: 'ppo',
      env: 'LunarLanderContinuous-v2',
      overrides: { numEnvs: 2, numSteps: 256, numMinibatches: 4, updateEpochs: 2, evalInterval: 0 },
      total: 3072,
      stopAfter: 1300,
    },
    {
      // A MuJoCo env in the checkpoint (its snapshot carries qacc_warmstart; the unit tests pin that bit for bit)
      name: 'PPO, Hopper (MuJoCo, warm start in the snapshot), gSDE',
      algo: 'ppo',
      env: 'Hopper-v4',
      overrides: { numEnvs: 2, numSteps: 256, numMinibatches: 4, updateEpochs: 2, hiddenSizes: [32, 32], useSde: true, sdeSampleFreq: 8, evalInterval: 0 },
      total: 3072,
      stopAfter: 1300,
    },
    {
      name: 'REINFORCE, whole episodes per update',
      algo: 'reinforce',
      env: 'CartPole-v1',
      overrides: { episodesPerUpdate: 3, baseline: 'learnedValue', evalInterval: 0 },
      total: 2500,
      stopAfter: 900,
    },
    {
      name: 'A2C (RMSprop), Acrobot, observation normalisation',
      algo: 'a2c',
      env: 'Acrobot-v1',
      overrides: { numEnvs: 4, normalizeObs: true, evalInterval: 0 },
      total: 2000,
      stopAfter: 700,
    },
    {
      name: 'TRPO',
      algo: 'trpo',
      env: 'CartPole-v1',
      overrides: { numEnvs: 2, numSteps: 128, criticEpochs: 2, cgIters: 5, evalInterval: 0 },
      total: 2048,
      stopAfter: 700,
    },
  ];
  for (const c of cases) {
    it(`${c.name}: metrics after the stop equal an uninterrupted run's`, async () => {
      const full = dir();
      await trainRun(options(c.algo, c.env, full, 5, c.total, c.overrides));

      const split = dir();
      const controller = new AbortController();
      const first = await trainRun({
        ...options(c.algo, c.env, split, 5, c.total, c.overrides),
        signal: controller.signal,
        events: { metrics: (step) => step >= c.stopAfter && controller.abort() },
      });
      expect(first.status).toBe('stopped');
      expect(first.step).toBeLessThan(c.total);
      const checkpoints = await listCheckpoints(split);
      expect(checkpoints.at(-1)?.step).toBe(first.step);
      const second = await trainRun({ ...options(c.algo, c.env, split, 5, c.total, c.overrides), resume: true });
      expect(second.status).toBe('finished');

      const expected = await readMetrics(full);
      const actual = await readMetrics(split);
      expect(actual.map((r) => r.step)).toEqual(expected.map((r) => r.step));
      expect(actual).toEqual(expected);
      const a = await loadCheckpoint(full, 'latest');
      const b = await loadCheckpoint(split, 'latest');
      expect(Array.from(b.arrays.params as Float32Array)).toEqual(Array.from(a.arrays.params as Float32Array));
      if (c.overrides.evalInterval) expect((await listEpisodes(split)).map((e) => e.step)).toEqual((await listEpisodes(full)).map((e) => e.step));
    });
  }
});
