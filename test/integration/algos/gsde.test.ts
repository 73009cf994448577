/**
 * gSDE in the shared loop: the collector's noise resampling period (within and across rollouts), exact resume with
 * gSDE (PPO, A2C, TRPO: the same numbers after a stop and resume as uninterrupted, seeded, the noise matrices in the
 * checkpoint), deterministic evaluation, and the refusal on a discrete env.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Collector, type PhaseClock } from '../../../core/algos/collect.js';
import { trainRun, type TrainRunOptions } from '../../../core/algos/loop.js';
import { ActorCritic, gsdeOptionOf } from '../../../core/algos/model.js';
import { ppoConfigSchema } from '../../../core/algos/ppo/config.js';
import { resolveConfig, type AlgoId } from '../../../core/algos/registry.js';
import { Rng } from '../../../core/common/rng.js';
import { envSpec, VectorEnv, type EnvId } from '../../../core/envs/index.js';
import { listCheckpoints, loadCheckpoint } from '../../../core/store/index.js';
import { readMetrics, tempRunDir } from './helpers.js';

const cleanups: (() => void)[] = [];
afterAll(() => cleanups.forEach((c) => c()));
function dir(): string {
  const t = tempRunDir();
  cleanups.push(t.cleanup);
  return t.dir;
}

function options(algo: AlgoId, env: EnvId, runDir: string, seed: number, totalSteps: number, overrides: Record<string, unknown>): TrainRunOptions {
  const { config } = resolveConfig(algo, env, { preset: 'none', overrides });
  return { runDir, runId: 'test', algo, env, config, seed, totalSteps, signal: new AbortController().signal };
}

describe('gSDE noise in the collector', () => {
  for (const freq of [4, -1]) {
    it(`matrices change at every rollout start${freq > 0 ? ` and every ${freq} steps` : ' only'} (sdeSampleFreq ${freq})`, () => {
      const config = ppoConfigSchema.parse({ numEnvs: 2, numSteps: 10, numMinibatches: 1, useSde: true, sdeSampleFreq: freq });
      const env = envSpec('Pendulum-v1');
      const model = ActorCritic.create(
        { obsDim: env.obsDim, actionSpace: env.actionSpace, hiddenSizes: [16, 8], activation: 'tanh', logStdInit: -1, gsde: gsdeOptionOf(config) },
        new Rng(1),
      );
      const collector = new Collector(new VectorEnv('Pendulum-v1', 2, 3), model, config, { numEnvs: 2, numSteps: 10 });
      collector.reset(3);
      const noise = collector.gsdeNoise!;
      expect(noise.matrices.length).toBe(2 * 8 * 1);
      const seen: Float32Array[] = [];
      const step = noise.beforeStep.bind(noise);
      noise.beforeStep = (logStd, rng) => {
        step(logStd, rng);
        seen.push(noise.matrices.slice());
      };
      const clock: PhaseClock = { env: 0, inference: 0, update: 0, logging: 0 };
      const rng = new Rng(2);
      collector.collect(rng, 0, () => {}, clock, true);
      collector.collect(rng, 20, () => {}, clock, true);
      expect(seen.length).toBe(20);
      const changedAt: number[] = [];
      for (let t = 1; t < 20; t++) if (seen[t].some((x, i) => x !== seen[t - 1][i])) changedAt.push(t);
      expect(changedAt).toEqual(freq > 0 ? [4, 8, 10, 14, 18] : [10]);
      expect(noise.resamples).toBe(freq > 0 ? 6 : 2);
      // Each env copy has its own matrix.
      expect(seen[0].subarray(0, 8)).not.toEqual(seen[0].subarray(8, 16));
      // Within a period the exploration is a deterministic function of the state: the stored actions minus the means
      // equal φ(s)ᵀE for the matrices of that step.
      const b = collector.buffer;
      const out = new Float32Array(2);
      // (the buffer holds the second rollout: its row r is step 10 + r)
      for (const r of [1, 2, 3]) {
        const obs = b.obs.subarray(r * 2 * env.obsDim, (r + 1) * 2 * env.obsDim);
        const mean = model.actor.forward(obs, 2).slice();
        noise.matrices.set(seen[10 + r]);
        noise.noise(model.latent(2), 2, out);
        for (let e = 0; e < 2; e++) expect(b.actions[r * 2 + e]).toBeCloseTo(mean[e] + out[e], 5);
      }
    });
  }
});

describe('gSDE: stop and resume', () => {
  const cases: { algo: AlgoId; overrides: Record<string, unknown>; total: number; stopAfter: number }[] = [
    {
      algo: 'ppo',
      overrides: { numEnvs: 2, numSteps: 128, numMinibatches: 4, updateEpochs: 2, useSde: true, sdeSampleFreq: 3, normalizeObs: true, evalInterval: 1024, evalEpisodes: 1 },
      total: 3072,
      stopAfter: 1300,
    },
    { algo: 'a2c', overrides: { numEnvs: 4, numSteps: 8, useSde: true, sdeSampleFreq: 5, fullStd: false, evalInterval: 0 }, total: 1600, stopAfter: 700 },
    { algo: 'trpo', overrides: { numEnvs: 2, numSteps: 128, criticEpochs: 2, cgIters: 5, useSde: true, useExpln: true, evalInterval: 0 }, total: 2048, stopAfter: 700 },
  ];
  for (const c of cases) {
    it(`${c.algo} on Pendulum with gSDE: metrics after the stop equal an uninterrupted run's`, async () => {
      const full = dir();
      await trainRun(options(c.algo, 'Pendulum-v1', full, 5, c.total, c.overrides));
      const split = dir();
      const controller = new AbortController();
      const first = await trainRun({
        ...options(c.algo, 'Pendulum-v1', split, 5, c.total, c.overrides),
        signal: controller.signal,
        events: { metrics: (step) => step >= c.stopAfter && controller.abort() },
      });
      expect(first.status).toBe('stopped');
      const checkpoints = await listCheckpoints(split);
      expect(checkpoints.at(-1)?.step).toBe(first.step);
      const saved = await loadCheckpoint<{ gsdeNoise?: { matrices: number[]; numEnvs: number } }>(split, 'latest');
      expect(saved.state?.gsdeNoise?.numEnvs).toBe(c.overrides.numEnvs);
      expect(saved.state?.gsdeNoise?.matrices.length).toBe((c.overrides.numEnvs as number) * 64);
      const second = await trainRun({ ...options(c.algo, 'Pendulum-v1', split, 5, c.total, c.overrides), resume: true });
      expect(second.status).toBe('finished');
      const expected = await readMetrics(full);
      expect(expected.length).toBeGreaterThan(3);
      expect(await readMetrics(split)).toEqual(expected);
      const a = await loadCheckpoint(full, 'latest');
      const b = await loadCheckpoint(split, 'latest');
      expect(Array.from(b.arrays.params as Float32Array)).toEqual(Array.from(a.arrays.params as Float32Array));
      expect(b.state).toMatchObject({ gsdeNoise: (a.state as { gsdeNoise: unknown }).gsdeNoise });
    });
  }

  it('a discrete env refuses useSde with a clear error', async () => {
    await expect(trainRun(options('ppo', 'CartPole-v1', dir(), 1, 1000, { useSde: true }))).rejects.toThrow(/useSde needs a continuous \(Box\) action space/);
  });
});
