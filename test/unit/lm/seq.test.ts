import { describe, expect, it } from 'vitest';
import { Rng } from '../../../core/common/rng.js';
import type { LmConfig } from '../../../core/lm/config.js';
import { LmEngine } from '../../../core/lm/engine.js';
import { sequenceLogProb } from '../../../core/lm/generate.js';
import { forwardLogProbs, logProbBackward, packSequences, ScalarHead, sumPerSequence, tokenEntropy } from '../../../core/lm/seq.js';

const shape: LmConfig = { nLayer: 2, nEmbd: 8, nHead: 2, ctx: 8, vocabSize: 11, dropout: 0 };
const prompts = [[1, 4], [2], [3, 5, 7]];
const responses = [[6, 2, 9], [8, 8, 1, 0], [10]];

/** A loss of both outputs: Σ c_i·log p_i over response tokens + Σ d_b·head(h[last_b]). */
function lossOf(engine: LmEngine, head: ScalarHead, c: Float32Array, d: number[]): number {
  const packed = packSequences(shape.ctx, prompts, responses, 0);
  const lp = forwardLogProbs(engine, packed);
  const r = head.forward(engine.hidden, packed.last);
  let L = 0;
  for (let i = 0; i < lp.length; i++) L += c[i] * lp[i];
  for (let b = 0; b < r.length; b++) L += d[b] * r[b];
  return L;
}

describe('packed sequences, custom backward and the scalar head', () => {
  it('log-probs equal sequenceLogProb, summed per sequence; rows point at the predicting position', () => {
    const engine = new LmEngine(shape, 3);
    const packed = packSequences(shape.ctx, prompts, responses, 0);
    expect(packed.T).toBe(5);
    expect(Array.from(packed.offsets)).toEqual([0, 3, 7, 8]);
    expect(packed.rows[0]).toBe(1); // the token after prompt [1, 4] is predicted at position 1
    expect(Array.from(packed.last)).toEqual([4, 5 + 4, 10 + 3]);
    const lp = forwardLogProbs(engine, packed);
    const ref = sequenceLogProb(engine, prompts, responses, 0);
    const sums = sumPerSequence(lp, packed);
    ref.sum.forEach((s, b) => expect(sums[b]).toBeCloseTo(s, 4));
    const ent = tokenEntropy(engine.logits, shape.vocabSize, packed);
    for (const e of ent) expect(e > 0 && e <= Math.log(shape.vocabSize) + 1e-5).toBe(true);
    expect(() => packSequences(shape.ctx, [[]], [[1]])).toThrow(/prompt 0 is empty/);
    expect(() => packSequences(4, [[1, 2]], [[1, 2, 3]])).toThrow(/more than the context length 4/);
  });

  it('backward(dlogits, dhidden) agrees with central finite differences for trunk and head', () => {
    const engine = new LmEngine(shape, 1);
    const rng = new Rng(5);
    for (let i = 0; i < engine.params.length; i++) engine.params[i] += (rng.uniform() - 0.5) * 0.5;
    const head = new ScalarHead(shape.nEmbd, 2, 0.5);
    const packed = packSequences(shape.ctx, prompts, responses, 0);
    const c = new Float32Array(packed.rows.length).map(() => rng.uniform() * 2 - 1);
    const d = [0.7, -1.3, 0.4];
    engine.zeroGrad();
    head.zeroGrad();
    forwardLogProbs(engine, packed);
    const dlogits = logProbBackward(engine.logits, shape.vocabSize, packed, c);
    const dhidden = new Float32Array(packed.B * packed.T * shape.nEmbd);
    head.backward(engine.hidden, packed.last, d, dhidden);
    engine.backward(dlogits, dhidden);
    const check = (params: Float32Array, grads: Float32Array, n: number): number => {
      let worst = 0;
      const eps = 1e-2;
      for (let k = 0; k < n; k++) {
        const i = rng.integer(params.length);
        const orig = params[i];
        params[i] = orig + eps;
        const up = lossOf(engine, head, c, d);
        params[i] = orig - eps;
        const down = lossOf(engine, head, c, d);
        params[i] = orig;
        const fd = (up - down) / (2 * eps);
        worst = Math.max(worst, Math.abs(fd - grads[i]) / Math.max(1e-2, Math.abs(fd) + Math.abs(grads[i])));
      }
      return worst;
    };
    expect(check(engine.params, engine.grads, 150)).toBeLessThan(2e-2);
    expect(check(head.params, head.grads, 9)).toBeLessThan(2e-2);
    // dhidden alone (no logits term) reaches the trunk too
    engine.zeroGrad();
    forwardLogProbs(engine, packed);
    dhidden.fill(0);
    head.zeroGrad();
    head.backward(engine.hidden, packed.last, d, dhidden);
    engine.backward(null, dhidden);
    let nonzero = 0;
    for (const g of engine.grads) if (g !== 0) nonzero++;
    expect(nonzero).toBeGreaterThan(engine.params.length / 2);
    expect(() => engine.backward(null, null)).toThrow(/needs dlogits or dhidden/);
  });
});
