import { describe, expect, it } from 'vitest';
import { ddppoConfigSchema } from '../../../core/algos/ddppo/config.js';
import { runLocal } from '../../../core/algos/ddppo/threads.js';

// PPO's CartPole preset (core/algos/ppo/presets.ts) split over 2 workers of 4 envs: the same 256-sample batch.
const config = ddppoConfigSchema.parse({
  workers: 2,
  numEnvs: 4,
  numSteps: 32,
  numMinibatches: 4,
  updateEpochs: 4,
  gamma: 0.98,
  gaeLambda: 0.8,
  lr: 3e-3,
  annealLr: true,
  annealClipCoef: true,
  entCoef: 0,
  syncFraction: 1,
  evalInterval: 0,
  checkpointInterval: 0,
});

describe('DD-PPO learns CartPole-v1 with 2 local workers', () => {
  it('a worker’s 20-episode mean reaches 475 within 60k steps (seed 1), replicas identical', { timeout: 240_000 }, async () => {
    const results = await runLocal({ env: 'CartPole-v1', config, seed: 1, totalSteps: 60_000 });
    const solved = results.map((r) => r.solvedStep);
    console.log(`DD-PPO CartPole seed 1: solved at ${JSON.stringify(solved)}, final 20-episode means ${results.map((r) => (r.recentReturns.reduce((a, b) => a + b, 0) / r.recentReturns.length).toFixed(1)).join(', ')}`);
    expect(solved.some((s) => s !== null)).toBe(true);
    expect(results[0].params).toEqual(results[1].params);
  });
});
