/**
 * Honest step counting: the run's step counter is the number of environment steps actually simulated, for every
 * algorithm — including REINFORCE, whose copies that finished their episode keep stepping (discarded) until the
 * last copy's episode ends.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { trainRun, updateEngine } from '../../../core/algos/loop.js';
import { LOOP_ALGO_IDS, resolveConfig } from '../../../core/algos/registry.js';
import { stepsToThreshold, storedEpisodes } from '../../../core/algos/threshold.js';
import { VectorEnv } from '../../../core/envs/vector.js';
import { MetricReader } from '../../../core/store/index.js';

const dirs: string[] = [];
afterEach(() => {
  vi.restoreAllMocks();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('the step counter counts every simulated env step', () => {
  // APG steps its differentiable envs (not VectorEnv); its step count: test/integration/algos/apg.test.ts.
  for (const algo of LOOP_ALGO_IDS) {
    it(algo, async () => {
      const d = mkdtempSync(join(tmpdir(), `policylab-steps-${algo}-`));
      dirs.push(d);
      const perVenv = new Map<VectorEnv, number>();
      const step = VectorEnv.prototype.step;
      vi.spyOn(VectorEnv.prototype, 'step').mockImplementation(function (this: VectorEnv, ...args: Parameters<VectorEnv['step']>) {
        perVenv.set(this, (perVenv.get(this) ?? 0) + this.numEnvs);
        return step.apply(this, args);
      });
      const { config } = resolveConfig(algo, 'CartPole-v1', { preset: 'none', overrides: { evalInterval: 0 } });
      const result = await trainRun({ runDir: d, runId: 't', algo, env: 'CartPole-v1', config, seed: 4, totalSteps: 3000, signal: new AbortController().signal });
      const [training] = perVenv.values(); // the first vector env made is the training one
      expect(result.step).toBe(training);
      expect(result.step).toBeGreaterThanOrEqual(3000);
      // The update engine is recorded beside the tfjs backend (default engine: the project's own kernels).
      expect(result.backend.engine).toMatch(/^(wasm-simd|js) kernels$/);
    });
  }
});

describe('updateEngine', () => {
  it('names the hand-derived kernels or tfjs with its backend', () => {
    expect(updateEngine('tfjs', 'wasm')).toBe('tfjs:wasm');
    expect(updateEngine('js', 'wasm')).toMatch(/^(wasm-simd|js) kernels$/);
  });
});

describe('the threshold figure is recomputable from the stored stream', () => {
  it('stepsToThreshold over stored charts/episodicReturn records equals the loop\'s own "solved" step (PPO, CartPole, seed 2)', async () => {
    const d = mkdtempSync(join(tmpdir(), 'policylab-solved-'));
    dirs.push(d);
    const { config, totalSteps } = resolveConfig('ppo', 'CartPole-v1', {});
    const result = await trainRun({ runDir: d, runId: 't', algo: 'ppo', env: 'CartPole-v1', config, seed: 2, totalSteps: Math.min(totalSteps, 150_000), signal: new AbortController().signal });
    expect(result.solved).not.toBeNull();
    const { records } = await new MetricReader(d).readFrom(0);
    const episodes = storedEpisodes(records);
    expect(episodes.length).toBe(result.episodes);
    expect(stepsToThreshold(episodes, 475, 20)).toBe(result.solved!.step);
  });
});
