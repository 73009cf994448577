import { describe, expect, it } from 'vitest';
import { gae } from '../../../core/common/returns.js';
import { Rng } from '../../../core/common/rng.js';
import { gatherRows, minibatchIndices, RolloutBuffer } from '../../../core/common/rollout.js';

describe('minibatchIndices', () => {
  it('covers every index exactly once per epoch', () => {
    const rng = new Rng(7);
    for (const [batch, mb] of [[64, 16], [100, 32], [5, 5], [7, 1]]) {
      const batches = minibatchIndices(batch, mb, rng);
      expect(batches.length).toBe(Math.ceil(batch / mb));
      expect(batches.slice(0, -1).every((b) => b.length === mb)).toBe(true);
      const all = batches.flatMap((b) => Array.from(b)).sort((a, b) => a - b);
      expect(all).toEqual(Array.from({ length: batch }, (_, i) => i));
    }
  });

  it('is reproducible from the seed and shuffles', () => {
    const a = minibatchIndices(256, 64, new Rng(3)).map((b) => Array.from(b));
    const b = minibatchIndices(256, 64, new Rng(3)).map((x) => Array.from(x));
    const c = minibatchIndices(256, 64, new Rng(4)).map((x) => Array.from(x));
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect(a.flat()).not.toEqual(Array.from({ length: 256 }, (_, i) => i));
  });

  it('rejects bad sizes', () => {
    expect(() => minibatchIndices(10, 0, new Rng(0))).toThrow(/minibatchSize must be an integer in \[1, 10\], got 0/);
    expect(() => minibatchIndices(10, 11, new Rng(0))).toThrow(/got 11/);
    expect(() => minibatchIndices(0, 1, new Rng(0))).toThrow(/batchSize must be a positive integer/);
  });
});

describe('RolloutBuffer', () => {
  it('allocates time-major buffers and gathers minibatches', () => {
    const buf = new RolloutBuffer(3, 2, 4, 1);
    expect(buf.size).toBe(6);
    expect(buf.obs.length).toBe(24);
    expect(buf.actions.length).toBe(6);
    expect(buf.lastValues.length).toBe(2);
    for (let t = 0; t < 3; t++) {
      for (let e = 0; e < 2; e++) {
        const i = buf.offset(t) + e;
        buf.obs.set([i, i + 0.1, i + 0.2, i + 0.3], i * 4);
        buf.actions[i] = i % 2;
        buf.values[i] = i * 10;
        buf.logProbs[i] = -i;
      }
      buf.advance();
    }
    expect(buf.full).toBe(true);
    expect(() => buf.advance()).toThrow(/already holds 3 steps/);
    const mb = buf.minibatch(Int32Array.from([5, 0, 3]));
    expect(mb.size).toBe(3);
    expect(Array.from(mb.obs)).toEqual(Array.from(Float32Array.from([5, 5.1, 5.2, 5.3, 0, 0.1, 0.2, 0.3, 3, 3.1, 3.2, 3.3])));
    expect(Array.from(mb.values)).toEqual([50, 0, 30]);
    expect(Array.from(mb.logProbs)).toEqual([-5, -0, -3]);
    expect(() => buf.minibatch(Int32Array.from([6]))).toThrow(/index 6 outside \[0, 6\)/);
    buf.reset();
    expect(buf.step).toBe(0);
  });

  it('feeds the return estimators through returnInputs', () => {
    const buf = new RolloutBuffer(2, 1, 1, 1);
    buf.rewards.set([1, 1]);
    buf.values.set([0, 0]);
    buf.lastValues[0] = 2;
    const { returns } = gae(buf.returnInputs(0.5), 1, { advantages: buf.advantages, returns: buf.returns });
    // G1 = 1 + .5·2 = 2; G0 = 1 + .5·2 = 2
    expect(Array.from(returns)).toEqual([2, 2]);
    expect(returns).toBe(buf.returns);
  });

  it('gatherRows copies rows in index order', () => {
    const src = Float32Array.from([0, 1, 10, 11, 20, 21]);
    expect(Array.from(gatherRows(src, 2, Int32Array.from([2, 0])))).toEqual([20, 21, 0, 1]);
    expect(() => new RolloutBuffer(0, 1, 1, 1)).toThrow(/numSteps must be a positive integer, got 0/);
  });
});
