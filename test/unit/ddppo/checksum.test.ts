/**
 * The replica checksum through a float32 mean all-reduce: identical replicas pass for every worker count the config
 * allows (the 11-bit folds it had before failed at N = 5, where Σh² passed float32's 2^24), and one differing replica
 * is caught at any N.
 */
import { describe, expect, it } from 'vitest';
import { compareChecksums, paramChecksum } from '../../../core/algos/ddppo/ddppo.js';
import { meanInRankOrder, type Collective } from '../../../core/collective/collective.js';

/** Rank 0's view of an all-reduce over `worldSize` ranks whose own vectors come from `vectorOf(rank, mine)`. */
function fakeCollective(worldSize: number, vectorOf: (rank: number, mine: Float32Array) => Float32Array): Collective {
  return {
    rank: 0,
    worldSize,
    counterAdd: async () => 0,
    counterGet: async () => 0,
    counterSet: async () => {},
    counterPeek: () => 0,
    allReduceMean: async (x) => meanInRankOrder(Array.from({ length: worldSize }, (_, r) => vectorOf(r, Float32Array.from(x))), x),
    barrier: async () => {},
  };
}

/** Parameters whose hash folds are all 255 or near it (the largest squares), found by a seeded search. */
function paramsWithLargeFolds(): Float32Array {
  const p = new Float32Array(4);
  let best = p.slice();
  let bestMin = -1;
  for (let i = 0; i < 200_000; i++) {
    p[0] = i;
    const folds = paramChecksum(p);
    const m = Math.min(...folds);
    if (m > bestMin) {
      bestMin = m;
      best = p.slice();
    }
    if (m >= 240) break;
  }
  return best;
}

describe('DD-PPO replica checksum', () => {
  it('folds the hash into four 8-bit values', () => {
    const folds = paramChecksum(new Float32Array([1, 2, 3]));
    expect(folds).toHaveLength(4);
    for (const f of folds) {
      expect(f).toBeGreaterThanOrEqual(0);
      expect(f).toBeLessThanOrEqual(255);
    }
  });

  it('identical replicas pass for N = 1 … 64, including large folds', async () => {
    const params = paramsWithLargeFolds();
    expect(Math.min(...paramChecksum(params))).toBeGreaterThanOrEqual(200);
    for (const N of [1, 2, 4, 5, 8, 16, 33, 64]) {
      await expect(compareChecksums(fakeCollective(N, (_r, mine) => mine), params, 10)).resolves.toBeUndefined();
    }
  });

  it('one replica that differs fails the run at any N', async () => {
    const params = paramsWithLargeFolds();
    const other = params.slice();
    other[1] += 1e-3;
    for (const N of [2, 5, 64]) {
      const coll = fakeCollective(N, (r, mine) => {
        if (r !== N - 1) return mine;
        const h = paramChecksum(other);
        return new Float32Array([...h, ...h.map((x) => x * x)]);
      });
      await expect(compareChecksums(coll, params, 10)).rejects.toThrow(/parameters differ between workers after update 10/);
    }
  });
});
