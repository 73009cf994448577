/**
 * Short seeded learning tests on Gymnasium's MuJoCo tasks (MuJoCo's WebAssembly build) with the RL-Zoo PPO presets:
 * InvertedPendulum-v4 must reach its reward threshold (a 20-episode mean of 950) and Hopper-v4 must hop: its
 * 20-episode mean must rise from a random policy's (about 20) to above a threshold within a short budget. The
 * 1M-step results on held-out seeds are the bench's (`npm run bench -- mujoco`).
 */
import { afterAll, expect, it } from 'vitest';
import { trainRun } from '../../../core/algos/loop.js';
import { resolveConfig } from '../../../core/algos/registry.js';
import { METRIC } from '../../../core/common/metrics.js';
import type { EnvId } from '../../../core/envs/index.js';
import { tempRunDir } from './helpers.js';

const cleanups: (() => void)[] = [];
afterAll(() => cleanups.forEach((c) => c()));

async function train(env: EnvId, seed: number, totalSteps: number): Promise<{ returns: number[]; solvedAt: number | null }> {
  const t = tempRunDir();
  cleanups.push(t.cleanup);
  const { config } = resolveConfig('ppo', env, { overrides: { evalInterval: 0, checkpointInterval: 0 } });
  const returns: number[] = [];
  const result = await trainRun({
    runDir: t.dir,
    runId: env,
    algo: 'ppo',
    env,
    config,
    seed,
    totalSteps,
    signal: new AbortController().signal,
    events: {
      metrics: (_step, values) => {
        const r = values[METRIC.episodicReturn];
        if (r !== undefined) returns.push(r);
      },
    },
  });
  return { returns, solvedAt: result.solved?.step ?? null };
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

it('PPO preset on InvertedPendulum-v4 reaches the threshold (20-episode mean 950) within 80k steps (seed 7; measured at 31k)', async () => {
  const { returns, solvedAt } = await train('InvertedPendulum-v4', 7, 80_000);
  console.info(`InvertedPendulum-v4 seed 7: first 20 ${mean(returns.slice(0, 20)).toFixed(1)}, solved at ${solvedAt}`);
  expect(mean(returns.slice(0, 20))).toBeLessThan(100);
  expect(solvedAt, `last 20 ${mean(returns.slice(-20)).toFixed(1)}`).not.toBeNull();
}, 120_000);

it('PPO preset on Hopper-v4: the 20-episode mean rises from about 20 to above 400 within 40k steps (seed 7; measured 913)', async () => {
  const { returns } = await train('Hopper-v4', 7, 40_000);
  const first = mean(returns.slice(0, 20));
  const last = mean(returns.slice(-20));
  console.info(`Hopper-v4 seed 7: first 20 ${first.toFixed(1)}, last 20 ${last.toFixed(1)}`);
  expect(first).toBeLessThan(100);
  expect(last, `first 20 ${first.toFixed(1)}, last 20 ${last.toFixed(1)}`).toBeGreaterThan(400);
}, 180_000);
