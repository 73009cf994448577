/**
 * The hand-written LM engine against its tfjs twin (core/lm/tfjs-model.ts) on identical weights: logits, the masked
 * mean cross-entropy and every parameter tensor's gradient agree to float32 tolerance, on the backend this process
 * selects (wasm here: embeddings through one-hot·matMul) and on tfjs's cpu backend (tf.gather). And the twin leaks
 * no tensors.
 *
 * Tolerances, from what was measured (2 configs × wasm and cpu, tfjs 4.22): the per-tensor relative error
 * ‖g_engine − g_tfjs‖ / ‖g_tfjs‖ was ≤ 6.7e-7 and the largest elementwise difference ≤ 9e-8 (gradients up to 0.32);
 * loss and logits differed by ≤ 4.5e-7. The limits (1e-5 relative per tensor, 1e-6 absolute elementwise) leave a 10–20×
 * margin for other summation orders and are still small enough that a real mistake breaks them: the test below shows
 * that dropping the loss mask, or one LayerNorm weight vector off by 0.1%, moves the gradients far more.
 * (A GPU backend with TF32 matrix products would need looser limits; none was available to measure.)
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../../core/common/rng.js';
import type { LmConfig } from '../../../core/lm/config.js';
import { LmEngine, type Batch } from '../../../core/lm/engine.js';
import { packSequences } from '../../../core/lm/seq.js';
import { LmTfjs, lmTfjs } from '../../../core/lm/tfjs-model.js';
import type { BackendInfo } from '../../../core/tensor/backend.js';

const REL_PER_TENSOR = 1e-5;
const ABS_ELEMENT = 1e-6;

/** Two heads, 2 layers, T = 7 < ctx; 4 heads of width 6 (not a multiple of the gemm's block of 4), 3 layers. */
const CONFIG_A: LmConfig = { nLayer: 2, nEmbd: 16, nHead: 2, ctx: 8, vocabSize: 13, dropout: 0 };
const CONFIG_B: LmConfig = { nLayer: 3, nEmbd: 24, nHead: 4, ctx: 12, vocabSize: 37, dropout: 0 };

let selected: BackendInfo;
beforeAll(async () => {
  const { model, backend } = await lmTfjs(CONFIG_A);
  model.dispose();
  selected = backend;
});
afterAll(async () => {
  await tf.setBackend(selected.name === 'tensorflow-gpu' ? 'tensorflow' : selected.name);
});

/** An engine at init plus uniform noise, so LayerNorm weights ≠ 1 and biases ≠ 0 (a swapped w/b would show). */
function perturbedEngine(config: LmConfig, seed: number): LmEngine {
  const engine = new LmEngine(config, seed);
  const rng = new Rng(seed + 100);
  for (let i = 0; i < engine.params.length; i++) engine.params[i] += (rng.uniform() - 0.5) * 0.2;
  return engine;
}

/** Random tokens; the first two positions of every row masked, and the tail of row 1 masked (padding). */
function maskedBatch(config: LmConfig, B: number, T: number, seed: number): Batch {
  const rng = new Rng(seed);
  const tokens = new Int32Array(B * T).map(() => rng.integer(config.vocabSize));
  const targets = new Int32Array(B * T).map(() => rng.integer(config.vocabSize));
  const mask = new Float32Array(B * T).map((_, i) => (i % T < 2 || (Math.floor(i / T) === 1 && i % T > 4) ? 0 : 1));
  return { tokens, targets, mask, B, T };
}

/** Prompt + response pairs of different lengths right-padded (pad id 0): loss on response tokens only, as SFT. */
function paddedSftBatch(config: LmConfig, seed: number): Batch {
  const rng = new Rng(seed);
  const seq = (n: number): number[] => Array.from({ length: n }, () => 1 + rng.integer(config.vocabSize - 1));
  const prompts = [seq(3), seq(1), seq(5), seq(2)];
  const responses = [seq(6), seq(4), seq(3), seq(8)];
  const packed = packSequences(config.ctx, prompts, responses, 0);
  const { B, T } = packed;
  const targets = new Int32Array(B * T);
  const mask = new Float32Array(B * T);
  packed.rows.forEach((row, i) => {
    targets[row] = packed.targets[i];
    mask[row] = 1;
  });
  return { tokens: packed.tokens, targets, mask, B, T };
}

interface Agreement {
  lossDiff: number;
  /** Largest per-tensor ‖Δg‖ / ‖g‖ and where. */
  worstRel: number;
  worstRelTensor: string;
  /** Largest elementwise |Δg|. */
  worstAbs: number;
  largestGrad: number;
}

/** Engine vs twin on `batch`; the twin may be given another batch or weights (to show a mistake is caught). */
function compare(engine: LmEngine, batch: Batch, opts: { twinBatch?: Batch; twinParams?: Float32Array } = {}): Agreement {
  const twinBatch = opts.twinBatch ?? batch;
  engine.zeroGrad();
  const engineLoss = engine.forwardBackward(batch);
  const twin = new LmTfjs(engine.config, opts.twinParams ?? engine.params);
  try {
    const { loss, grads } = twin.lossAndGrads(twinBatch);
    const out: Agreement = { lossDiff: Math.abs(engineLoss - loss), worstRel: 0, worstRelTensor: '', worstAbs: 0, largestGrad: 0 };
    for (const [name, at, shape] of engine.layout.tensors) {
      const n = shape.reduce((a, b) => a * b, 1);
      let d2 = 0;
      let g2 = 0;
      for (let i = at; i < at + n; i++) {
        const d = engine.grads[i] - grads[i];
        d2 += d * d;
        g2 += grads[i] * grads[i];
        out.worstAbs = Math.max(out.worstAbs, Math.abs(d));
        out.largestGrad = Math.max(out.largestGrad, Math.abs(grads[i]));
      }
      expect(g2, `${name}'s tfjs gradient is all zeros`).toBeGreaterThan(0);
      const rel = Math.sqrt(d2 / g2);
      if (rel > out.worstRel) {
        out.worstRel = rel;
        out.worstRelTensor = name;
      }
    }
    return out;
  } finally {
    twin.dispose();
  }
}

function expectAgreement(a: Agreement): void {
  expect(a.lossDiff).toBeLessThan(ABS_ELEMENT * 10);
  expect(a.worstRel, `worst tensor ${a.worstRelTensor}`).toBeLessThan(REL_PER_TENSOR);
  expect(a.worstAbs).toBeLessThan(ABS_ELEMENT);
  expect(a.largestGrad).toBeGreaterThan(1e-2); // the gradients compared are not negligible
}

function report(label: string, a: Agreement): void {
  console.log(
    `${label} [${tf.getBackend()}]: |Δloss| ${a.lossDiff.toExponential(1)}, worst per-tensor rel ${a.worstRel.toExponential(1)} (${a.worstRelTensor}), worst |Δg| ${a.worstAbs.toExponential(1)} (largest |g| ${a.largestGrad.toFixed(2)})`,
  );
}

for (const backendChoice of ['selected', 'cpu'] as const) {
  describe(`LM engine vs tfjs twin (${backendChoice} backend)`, () => {
    beforeAll(async () => {
      await tf.setBackend(backendChoice === 'cpu' ? 'cpu' : selected.name === 'tensorflow-gpu' ? 'tensorflow' : selected.name);
      if (backendChoice === 'cpu') (tf.backend() as unknown as { firstUse?: boolean }).firstUse = false;
    });

    it('embedding path: gather where UnsortedSegmentSum exists, one-hot·matMul where it does not (wasm)', () => {
      const twin = new LmTfjs(CONFIG_A);
      try {
        expect(twin.backend).toBe(tf.getBackend());
        if (twin.backend === 'wasm') expect(twin.embedding).toBe('one-hot matMul');
        if (twin.backend === 'cpu' || twin.backend === 'tensorflow') expect(twin.embedding).toBe('gather');
      } finally {
        twin.dispose();
      }
    });

    it('identical weights: flat parameters round-trip, logits agree', () => {
      const engine = perturbedEngine(CONFIG_A, 1);
      const twin = new LmTfjs(CONFIG_A, engine.params);
      try {
        expect(Array.from(twin.getFlatParams())).toEqual(Array.from(engine.params));
        const { tokens, B, T } = maskedBatch(CONFIG_A, 3, 7, 2);
        const a = engine.forward(tokens, B, T);
        const b = twin.forward(tokens, B, T);
        expect(b.length).toBe(B * T * CONFIG_A.vocabSize);
        let worst = 0;
        for (let i = 0; i < b.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
        expect(worst).toBeLessThan(ABS_ELEMENT * 10);
      } finally {
        twin.dispose();
      }
    });

    it('config A (2 layers, 2 heads), masked batch: loss and every gradient agree', () => {
      const a = compare(perturbedEngine(CONFIG_A, 3), maskedBatch(CONFIG_A, 3, 7, 4));
      report('config A', a);
      expectAgreement(a);
    });

    it('config B (3 layers, 4 heads of 6), padded SFT batch: loss and every gradient agree', () => {
      const a = compare(perturbedEngine(CONFIG_B, 5), paddedSftBatch(CONFIG_B, 6));
      report('config B', a);
      expectAgreement(a);
    });

    it('the limits catch real mistakes: an ignored loss mask, one LayerNorm weight off by 0.1%', () => {
      const engine = perturbedEngine(CONFIG_A, 7);
      const batch = maskedBatch(CONFIG_A, 3, 7, 8);
      const noMask = compare(engine, batch, { twinBatch: { ...batch, mask: undefined } });
      expect(noMask.worstRel).toBeGreaterThan(100 * REL_PER_TENSOR);
      const shifted = engine.params.slice();
      const [, at, [n]] = engine.layout.tensors.find(([name]) => name === 'h0.ln1.w') as [string, number, number[]];
      for (let i = at; i < at + n; i++) shifted[i] *= 1 + 1e-3;
      const offByLn = compare(engine, batch, { twinParams: shifted });
      report('ln1.w × 1.001 (a deliberate mistake)', offByLn);
      expect(offByLn.worstRel).toBeGreaterThan(10 * REL_PER_TENSOR);
    });

    it('dropout off agrees for a dropout config; dropout on changes the loss', () => {
      const config = { ...CONFIG_A, dropout: 0.2 };
      const engine = perturbedEngine(config, 9);
      const batch = maskedBatch(config, 2, 8, 10);
      const twin = new LmTfjs(config, engine.params);
      try {
        const evalLoss = twin.evalLoss(batch);
        expect(Math.abs(evalLoss - engine.evalLoss(batch))).toBeLessThan(ABS_ELEMENT * 10);
        const { loss } = twin.lossAndGrads(batch, true);
        expect(Number.isFinite(loss)).toBe(true);
        expect(loss).not.toBe(evalLoss);
      } finally {
        twin.dispose();
      }
    });

    it('rejects a bad batch with what was wrong', () => {
      const twin = new LmTfjs(CONFIG_A);
      try {
        const batch = maskedBatch(CONFIG_A, 2, 5, 11);
        expect(() => twin.evalLoss({ ...batch, mask: new Float32Array(10) })).toThrow(/selects no tokens/);
        expect(() => twin.forward(new Int32Array([0, 99]), 1, 2)).toThrow(/outside the vocabulary/);
        expect(() => twin.forward(new Int32Array(9), 1, 9)).toThrow(/sequence length/);
      } finally {
        twin.dispose();
      }
      expect(() => twin.evalLoss(maskedBatch(CONFIG_A, 1, 3, 12))).toThrow(/after dispose/);
    });

    it('leaks no tensors: numTensors unchanged across forward / loss / gradient calls, 0 left after dispose', () => {
      const before = tf.memory().numTensors;
      const engine = perturbedEngine(CONFIG_B, 13);
      const twin = new LmTfjs(CONFIG_B, engine.params);
      const withVars = tf.memory().numTensors;
      expect(withVars - before).toBe(engine.layout.tensors.length);
      const batch = paddedSftBatch(CONFIG_B, 14);
      const counts: number[] = [];
      for (let k = 0; k < 4; k++) {
        twin.lossAndGrads(batch);
        twin.evalLoss(batch);
        twin.forward(batch.tokens, batch.B, batch.T);
        twin.logits(batch.tokens, batch.B, batch.T).dispose();
        twin.setFlatParams(engine.params);
        twin.getFlatParams();
        counts.push(tf.memory().numTensors);
      }
      expect(counts).toEqual([withVars, withVars, withVars, withVars]);
      twin.dispose();
      expect(tf.memory().numTensors).toBe(before);
    });
  });
}
