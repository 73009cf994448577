/**
 * Tensor discipline: with the tfjs engine, every algorithm's update creates and disposes its tensors —
 * tf.memory().numTensors is the same after each of several updates.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../../core/common/rng.js';
import { ALGOS, LOOP_ALGO_IDS } from '../../../core/algos/registry.js';
import type { AlgoConfig } from '../../../core/algos/registry.js';
import { initBackend } from '../../../core/tensor/backend.js';
import { randomBatch, randomModel } from './fixtures.js';

beforeAll(async () => {
  await initBackend();
});

const SMALL: Record<string, Record<string, unknown>> = {
  reinforce: { engine: 'tfjs', baseline: 'learnedValue', valueSteps: 2 },
  a2c: { engine: 'tfjs' },
  ppo: { engine: 'tfjs', numMinibatches: 2, updateEpochs: 2, targetKl: 0.5 },
  trpo: { engine: 'tfjs', cgIters: 3, criticEpochs: 2, criticMinibatchSize: 16 },
};

describe('no tensor leaks across updates (engine tfjs)', () => {
  // APG (its own loop, no AlgorithmImpl) has its own leak test: test/unit/algos/apg.test.ts.
  for (const id of LOOP_ALGO_IDS) {
    for (const discrete of [true, false]) {
      it(`${id}, ${discrete ? 'discrete' : 'continuous'}`, () => {
        const spec = ALGOS[id];
        const config = spec.configSchema.parse(SMALL[id]) as AlgoConfig;
        const model = randomModel(discrete, 7, [8, 8]);
        const optimizers = spec.impl.createOptimizers(model, config as never);
        const rng = new Rng(1);
        const counts: number[] = [];
        for (let k = 0; k < 4; k++) {
          const samples = randomBatch(model, 32, 10 + k);
          const metrics = spec.impl.update({ model, samples, config: config as never, rng, progress: k / 4, optimizers });
          expect(Object.keys(metrics).length).toBeGreaterThan(2);
          counts.push(tf.memory().numTensors);
        }
        expect(new Set(counts).size).toBe(1);
      });
    }
  }
});
