import { describe, expect, it } from 'vitest';
import { LmEngine } from '../../../core/lm/engine.js';
import { sample, sequenceLogProb } from '../../../core/lm/generate.js';
import { AdamW, getFlatParams, lrAt, setFlatParams } from '../../../core/lm/optim.js';
import type { LmConfig } from '../../../core/lm/config.js';
import { Rng } from '../../../core/common/rng.js';

const shape: LmConfig = { nLayer: 2, nEmbd: 16, nHead: 4, ctx: 24, vocabSize: 13, dropout: 0 };

function logSoftmaxAt(logits: Float32Array, o: number, V: number, t: number): number {
  let max = -Infinity;
  for (let v = 0; v < V; v++) max = Math.max(max, logits[o + v]);
  let s = 0;
  for (let v = 0; v < V; v++) s += Math.exp(logits[o + v] - max);
  return logits[o + t] - max - Math.log(s);
}

describe('sequenceLogProb', () => {
  it('equals the sum of per-token log-softmax values of each unpadded sequence, whatever the batch padding', () => {
    const engine = new LmEngine(shape, 11);
    const rng = new Rng(12);
    const V = shape.vocabSize;
    const prompts = [[1, 2, 3], [4], [5, 6, 7, 8, 9]];
    const responses = [[7, 8], [9, 10, 11, 12, 0, 1], [2]];
    const got = sequenceLogProb(engine, prompts, responses, 0);
    void rng;
    prompts.forEach((p, b) => {
      const seq = [...p, ...responses[b]];
      const logits = engine.forward(Int32Array.from(seq), 1, seq.length).slice();
      const want = responses[b].map((t, j) => logSoftmaxAt(logits, (p.length + j - 1) * V, V, t));
      expect(got.perToken[b].length).toBe(responses[b].length);
      got.perToken[b].forEach((x, j) => expect(x).toBeCloseTo(want[j], 4));
      expect(got.sum[b]).toBeCloseTo(want.reduce((a, x) => a + x, 0), 4);
    });
    expect(() => sequenceLogProb(engine, [[]], [[1]])).toThrow(/prompt 0 is empty/);
    expect(() => sequenceLogProb(engine, [[1]], [new Array(30).fill(1)])).toThrow(/more than the context length/);
  });
});

describe('sampling', () => {
  it('with the KV cache equals uncached sampling token for token (batched, varied settings)', () => {
    const engine = new LmEngine(shape, 21);
    for (let i = 0; i < engine.params.length; i++) engine.params[i] *= 20; // a peaky model, so settings matter
    const prompts = [[1], [2, 3, 4], [5, 6], [7, 8, 9, 10, 11]];
    const settings = [
      { temperature: 1 },
      { temperature: 0 },
      { temperature: 0.7, topK: 3 },
      { temperature: 1.3, topP: 0.8 },
      { temperature: 1, topK: 5, topP: 0.9, eosId: 12 },
    ];
    for (const [k, s] of settings.entries()) {
      const opts = { ...s, maxNewTokens: 12, seed: 100 + k };
      const cached = sample(engine, prompts, opts);
      const uncached = sample(engine, prompts, { ...opts, useCache: false });
      expect(cached).toEqual(uncached);
      cached.forEach((o, i) => expect(o.length).toBeLessThanOrEqual(Math.min(12, shape.ctx - prompts[i].length)));
      if (s.eosId !== undefined) cached.forEach((o) => expect(o.slice(0, -1)).not.toContain(12));
    }
  });

  it('is seeded and per-prompt reproducible; top-k 1 is greedy; validates options', () => {
    const engine = new LmEngine(shape, 22);
    const a = sample(engine, [[1, 2], [3]], { maxNewTokens: 8, seed: 5 });
    expect(sample(engine, [[1, 2], [3]], { maxNewTokens: 8, seed: 5 })).toEqual(a);
    expect(sample(engine, [[1, 2]], { maxNewTokens: 8, seed: 5 })[0]).toEqual(a[0]);
    expect(sample(engine, [[1, 2]], { maxNewTokens: 8, seed: 6, topK: 1 })).toEqual(sample(engine, [[1, 2]], { maxNewTokens: 8, seed: 7, temperature: 0 }));
    expect(() => sample(engine, [[1]], { maxNewTokens: 2, seed: 1, topP: 0 })).toThrow(/topP/);
    expect(() => sample(engine, [[99]], { maxNewTokens: 2, seed: 1 })).toThrow(/outside/);
  });
});

describe('AdamW and the schedule', () => {
  it('warm-up then cosine decay', () => {
    expect(lrAt(0, 1, 10, 110)).toBeCloseTo(0.1);
    expect(lrAt(9, 1, 10, 110)).toBeCloseTo(1);
    expect(lrAt(60, 1, 10, 110, 0.1)).toBeCloseTo(0.55);
    expect(lrAt(110, 1, 10, 110, 0.1)).toBe(0.1);
  });

  it('training lowers the loss on a repeated sequence; flat params round-trip', () => {
    const engine = new LmEngine(shape, 31);
    const opt = new AdamW(engine, { lr: 1e-2 });
    const T = 16;
    const B = 4;
    const tokens = new Int32Array(B * (T + 1)).map((_, i) => (i * 5) % shape.vocabSize);
    const batch = { tokens: new Int32Array(B * T), targets: new Int32Array(B * T), B, T };
    for (let b = 0; b < B; b++) {
      batch.tokens.set(tokens.subarray(b * (T + 1), b * (T + 1) + T), b * T);
      batch.targets.set(tokens.subarray(b * (T + 1) + 1, b * (T + 1) + T + 1), b * T);
    }
    const first = engine.evalLoss(batch);
    for (let s = 0; s < 80; s++) {
      engine.zeroGrad();
      engine.forwardBackward(batch);
      opt.step(engine, lrAt(s, 1e-2, 5, 80));
    }
    const last = engine.evalLoss(batch);
    expect(last).toBeLessThan(first * 0.3);
    const flat = getFlatParams(engine);
    const other = new LmEngine(shape, 99);
    setFlatParams(other, flat);
    expect(other.evalLoss(batch)).toBe(last);
    expect(() => setFlatParams(other, new Float32Array(3))).toThrow(/needs a Float32Array of/);
  });
});
