import { describe, expect, it } from 'vitest';
import { startWorker } from '../../../core/collective/thread.js';
import { createLocalShared } from '../../../core/collective/local.js';
import { meanInRankOrder } from '../../../core/collective/collective.js';
import { ddppoConfigSchema } from '../../../core/algos/ddppo/config.js';
import { paramChecksum, rankSeed, shouldPreempt } from '../../../core/algos/ddppo/ddppo.js';
import { runLocal } from '../../../core/algos/ddppo/threads.js';

const small = (o: Record<string, unknown> = {}) =>
  ddppoConfigSchema.parse({ numEnvs: 2, numSteps: 32, numMinibatches: 2, updateEpochs: 2, workers: 2, evalInterval: 0, checkpointInterval: 0, ...o });

describe('DD-PPO preemption rule (habitat-lab)', () => {
  const c = { syncFraction: 0.6, minRolloutFraction: 0.25 };
  it('never cuts below the minimum rollout, cuts once syncFraction of the workers are done', () => {
    expect(shouldPreempt(7, 32, 4, 4, c)).toBe(false); // 7 < 0.25·32
    expect(shouldPreempt(8, 32, 4, 4, c)).toBe(true);
    expect(shouldPreempt(8, 32, 2, 4, c)).toBe(false); // 2 < 0.6·4
    expect(shouldPreempt(8, 32, 3, 4, c)).toBe(true);
  });
  it('seeds rank r with seed + r·numEnvs', () => expect(rankSeed(10, 3, 4)).toBe(22));
  it('validates the distributed fields', () => {
    expect(() => ddppoConfigSchema.parse({ syncFraction: 1.5 })).toThrow();
    expect(() => ddppoConfigSchema.parse({ minRolloutFraction: -0.1 })).toThrow();
    expect(ddppoConfigSchema.parse({})).toMatchObject({ workers: 2, syncFraction: 0.6, minRolloutFraction: 0.25, transport: 'local' });
  });
});

describe('local collective (worker threads, SharedArrayBuffer + Atomics)', () => {
  it('all-reduce equals the mean of every rank’s input, identically on every rank; the counter is shared', async () => {
    const N = 3;
    const vectors = [
      [1, 2, 3, 0.1],
      [4, -5, 6, 0.2],
      [7, 8, -9, 0.3],
    ];
    const shared = createLocalShared(N, 4);
    const url = new URL('./collective-thread.ts', import.meta.url);
    const outs = await Promise.all(
      vectors.map(
        (vector, rank) =>
          new Promise<{ out: number[][]; counter: number }>((resolve, reject) => {
            const w = startWorker(url, { shared, rank, worldSize: N, vector, rounds: 3 });
            w.once('message', resolve);
            w.once('error', reject);
          }),
      ),
    );
    for (let r = 0; r < 3; r++) {
      const expected = new Float32Array(4);
      meanInRankOrder(vectors.map((v) => Float32Array.from(v, (x) => x * (r + 1))), expected);
      for (const o of outs) expect(o.out[r]).toEqual([...expected]);
      expect(expected[0]).toBeCloseTo(4 * (r + 1), 5);
    }
    for (const o of outs) expect(o.counter).toBe(9);
  });
});

describe('DD-PPO over local threads', () => {
  it('cuts the straggler (never below the minimum), never the fast worker, and keeps the replicas bit-identical', async () => {
    const config = small({ syncFraction: 0.5, checksumInterval: 1 });
    const results = await runLocal({ env: 'CartPole-v1', config, seed: 3, totalSteps: 4 * 2 * 2 * 32, faults: { 1: { stepDelayMs: 5 } } });
    // The fast worker is never cut: the counter was reset by rank 0 after every update.
    expect(results[0].rolloutSteps.every((s) => s === 32)).toBe(true);
    expect(results[1].rolloutSteps.every((s) => s >= 8)).toBe(true);
    expect(results[1].rolloutSteps.some((s) => s < 32)).toBe(true);
    expect(results[0].params).toEqual(results[1].params);
    expect(paramChecksum(results[0].params)).toEqual(paramChecksum(results[1].params));
    // True step counts: the all-reduced sum of what each worker collected.
    const collected = results[0].rolloutSteps.reduce((a, b) => a + b, 0) * 2 + results[1].rolloutSteps.reduce((a, b) => a + b, 0) * 2;
    expect(results[0].globalStep).toBe(collected);
  });

  it('refuses a config whose shortest cut rollout has fewer samples than minibatches', async () => {
    await expect(runLocal({ env: 'CartPole-v1', config: small({ numEnvs: 1, numSteps: 8, numMinibatches: 4 }), seed: 1, totalSteps: 100 })).rejects.toThrow(
      /fewer samples than numMinibatches = 4/,
    );
  });

  it('a crashed worker fails the run with its own message', async () => {
    await expect(runLocal({ env: 'CartPole-v1', config: small(), seed: 1, totalSteps: 1000, faults: { 1: { throwAt: { iteration: 1, message: 'env exploded' } } } })).rejects.toThrow(
      'DD-PPO worker 1 failed: env exploded',
    );
  });

  it('a replica that drifts fails the run at the next checksum', async () => {
    await expect(runLocal({ env: 'CartPole-v1', config: small({ checksumInterval: 1 }), seed: 1, totalSteps: 1000, faults: { 1: { perturbAt: 0 } } })).rejects.toThrow(
      /parameters differ between workers after update 1/,
    );
  });
});
