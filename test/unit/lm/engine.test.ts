import { describe, expect, it } from 'vitest';
import { LmEngine, type Batch } from '../../../core/lm/engine.js';
import { lmConfig, paramCount, paramLayout, type LmConfig } from '../../../core/lm/config.js';
import { Rng } from '../../../core/common/rng.js';

const shape: LmConfig = { nLayer: 2, nEmbd: 8, nHead: 2, ctx: 6, vocabSize: 11, dropout: 0 };

function randomBatch(rng: Rng, B: number, T: number, V: number, masked: boolean): Batch {
  const tokens = new Int32Array(B * T).map(() => rng.integer(V));
  const targets = new Int32Array(B * T).map(() => rng.integer(V));
  const mask = masked ? new Float32Array(B * T).map((_, i) => (i % T < 2 ? 0 : 1)) : undefined;
  return { tokens, targets, mask, B, T };
}

describe('LM engine', () => {
  it('counts parameters: tiny is the issue shape (0.83M), layout covers the vector', () => {
    expect(paramCount(lmConfig('tiny'))).toBe(834304);
    expect(paramLayout(lmConfig('tiny')).total).toBe(834304);
    expect(paramLayout(lmConfig('small')).total).toBe(paramCount(lmConfig('small')));
    expect(() => lmConfig('tiny', { nHead: 3 })).toThrow(/multiple of nHead/);
  });

  it('gradients agree with central finite differences (float64 re-evaluation of the float32 loss)', () => {
    const engine = new LmEngine(shape, 1);
    const rng = new Rng(2);
    // larger weights than init so the check is not dominated by near-zero gradients
    for (let i = 0; i < engine.params.length; i++) engine.params[i] += (rng.uniform() - 0.5) * 0.5;
    const batch = randomBatch(rng, 2, 5, shape.vocabSize, true);
    engine.zeroGrad();
    engine.forwardBackward(batch);
    const g = engine.grads.slice();
    const eps = 1e-2;
    let checked = 0;
    let worst = 0;
    for (let k = 0; k < 150; k++) {
      const i = rng.integer(engine.params.length);
      const orig = engine.params[i];
      engine.params[i] = orig + eps;
      const up = engine.evalLoss(batch);
      engine.params[i] = orig - eps;
      const down = engine.evalLoss(batch);
      engine.params[i] = orig;
      const fd = (up - down) / (2 * eps);
      const err = Math.abs(fd - g[i]) / Math.max(1e-2, Math.abs(fd) + Math.abs(g[i]));
      worst = Math.max(worst, err);
      checked++;
    }
    expect(checked).toBe(150);
    expect(worst).toBeLessThan(2e-2);
  });

  it('is causal: changing a future token leaves earlier logits unchanged', () => {
    const engine = new LmEngine(shape, 3);
    const rng = new Rng(4);
    const T = 6;
    const tokens = new Int32Array(T).map(() => rng.integer(shape.vocabSize));
    const before = engine.forward(tokens, 1, T).slice();
    tokens[4] = (tokens[4] + 1) % shape.vocabSize;
    const after = engine.forward(tokens, 1, T);
    const V = shape.vocabSize;
    for (let i = 0; i < 4 * V; i++) expect(after[i]).toBe(before[i]);
    let changed = 0;
    for (let i = 4 * V; i < 5 * V; i++) changed += Math.abs(after[i] - before[i]);
    expect(changed).toBeGreaterThan(0);
  });

  it('masked positions contribute nothing; dropout is seeded', () => {
    const engine = new LmEngine(shape, 5);
    const rng = new Rng(6);
    const batch = randomBatch(rng, 2, 5, shape.vocabSize, true);
    const loss = engine.evalLoss(batch);
    const other = { ...batch, targets: batch.targets.slice() };
    other.targets[0] = (other.targets[0] + 1) % shape.vocabSize; // a masked position
    expect(engine.evalLoss(other)).toBe(loss);
    expect(() => engine.evalLoss({ ...batch, mask: new Float32Array(10) })).toThrow(/selects no tokens/);
    const d1 = new LmEngine({ ...shape, dropout: 0.2 }, 5);
    const d2 = new LmEngine({ ...shape, dropout: 0.2 }, 5);
    d1.seedDropout(9);
    d2.seedDropout(9);
    expect(d1.forwardBackward(batch)).toBe(d2.forwardBackward(batch));
    expect(d1.forwardBackward(batch)).not.toBe(d1.evalLoss(batch));
  });
});
