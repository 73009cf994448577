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
import { ALGO_IDS, resolveConfig } from '../../../core/algos/registry.js';
import { VectorEnv } from '../../../core/envs/vector.js';

const dirs: string[] = [];
afterEach(() => {
  vi.restoreAllMocks();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('the step counter counts every simulated env step', () => {
  for (const algo of ALGO_IDS) {
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
