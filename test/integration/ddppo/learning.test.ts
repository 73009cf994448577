import { describe, expect, it } from 'vitest';
import { ddppoConfigSchema } from '../../../core/algos/ddppo/config.js';
import { DDPPO_PRESETS } from '../../../core/algos/ddppo/presets.js';
import { runLocal } from '../../../core/algos/ddppo/threads.js';

// The DD-PPO CartPole preset (PPO's split over 2 workers of 4 envs: the same 256-sample batch), without evaluations
// or checkpoints.
const config = ddppoConfigSchema.parse({ ...DDPPO_PRESETS['CartPole-v1'], evalInterval: 0, checkpointInterval: 0 });

describe('DD-PPO learns CartPole-v1 with 2 local workers', () => {
  it('a worker’s 20-episode mean reaches 475 within 60k steps (seed 1), replicas identical', { timeout: 240_000 }, async () => {
    const results = await runLocal({ env: 'CartPole-v1', config, seed: 1, totalSteps: 60_000 });
    const solved = results.map((r) => r.solvedStep);
    console.log(`DD-PPO CartPole seed 1: solved at ${JSON.stringify(solved)}, final 20-episode means ${results.map((r) => (r.recentReturns.reduce((a, b) => a + b, 0) / r.recentReturns.length).toFixed(1)).join(', ')}`);
    expect(solved.some((s) => s !== null)).toBe(true);
    expect(results[0].params).toEqual(results[1].params);
  });
});
