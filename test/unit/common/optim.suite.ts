/** Optimiser tests, shared by optim.test.ts (default backend) and backend-cpu.test.ts. */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { Adam, clipByGlobalNorm, globalNorm } from '../../../core/common/optim.js';

export function optimSuite(): void {
  describe('clipByGlobalNorm (torch clip_grad_norm_ semantics)', () => {
    it('scales every gradient by maxNorm / (norm + 1e-6) and returns the pre-clip norm', () => {
      const grads = [tf.tensor1d([3, 4]), tf.tensor1d([12])]; // global norm 13
      const { grads: clipped, norm } = clipByGlobalNorm(grads, 6.5);
      expect(norm).toBeCloseTo(13, 5);
      const coef = 6.5 / (13 + 1e-6);
      expect(Array.from(clipped[0].dataSync())).toEqual(Array.from(Float32Array.of(3 * coef, 4 * coef)));
      expect(clipped[1].dataSync()[0]).toBeCloseTo(12 * coef, 5);
      const n = globalNorm(clipped);
      expect(n.dataSync()[0]).toBeCloseTo(6.5, 4);
      tf.dispose([n, ...clipped]);

      // below the threshold: unchanged copies
      const map = { a: grads[0], b: grads[1] };
      const loose = clipByGlobalNorm(map, 100);
      expect(loose.norm).toBeCloseTo(13, 5);
      expect(Array.from(loose.grads.a.dataSync())).toEqual([3, 4]);
      expect(loose.grads.a).not.toBe(grads[0]);
      const none = clipByGlobalNorm(grads, Infinity);
      expect(Array.from(none.grads[1].dataSync())).toEqual([12]);
      tf.dispose([...Object.values(loose.grads), ...none.grads, ...grads]);
      expect(() => clipByGlobalNorm([], 1)).toThrow(/no gradients/);
      expect(() => clipByGlobalNorm(grads, 0)).toThrow(/maxNorm must be > 0, got 0/);
    });
  });

  describe('Adam', () => {
    it('matches torch.optim.Adam step by step', () => {
      const x = tf.variable(tf.tensor1d([1, -2]));
      const adam = new Adam([x], { learningRate: 0.1, eps: 1e-5 });
      // torch reference, in float64: m, v moments, bias-corrected step
      const p = [1, -2];
      const m = [0, 0];
      const v = [0, 0];
      const gradsSeq = [[0.1, -0.3], [0.5, 0.2], [-1, 0.05], [0.3, 0.3]];
      gradsSeq.forEach((g, k) => {
        const t = k + 1;
        for (let j = 0; j < 2; j++) {
          m[j] = 0.9 * m[j] + 0.1 * g[j];
          v[j] = 0.999 * v[j] + 0.001 * g[j] * g[j];
          const denom = Math.sqrt(v[j]) / Math.sqrt(1 - 0.999 ** t) + 1e-5;
          p[j] -= (0.1 / (1 - 0.9 ** t)) * (m[j] / denom);
        }
        const gt = tf.tensor1d(g);
        adam.applyGradients([gt]);
        gt.dispose();
        const got = x.dataSync();
        expect(got[0]).toBeCloseTo(p[0], 5);
        expect(got[1]).toBeCloseTo(p[1], 5);
      });
      expect(adam.stepCount).toBe(4);
      adam.dispose();
      x.dispose();
    });

    it('update() minimises a loss with clipping, reports loss and norm, and does not leak', () => {
      const w = tf.variable(tf.tensor1d([3, -4]));
      const adam = new Adam([w], { learningRate: 0.1 });
      const before = tf.memory().numTensors;
      const loss = () => tf.sum(tf.square(w)) as tf.Scalar;
      const first = adam.update(loss, 1);
      expect(first.loss).toBeCloseTo(25, 4);
      expect(first.gradNorm).toBeCloseTo(10, 4); // ‖2w‖
      for (let k = 0; k < 300; k++) adam.update(loss, 1);
      expect(tf.memory().numTensors).toBe(before);
      expect(adam.update(loss).loss).toBeLessThan(1e-2);
      adam.dispose();
      w.dispose();
    });

    it('accepts gradients keyed by variable name and resumes exactly from its state', () => {
      const make = () => tf.variable(tf.tensor2d([[0.5, -0.5], [1, 2]]));
      const a = make();
      const b = make();
      const optA = new Adam([a], { learningRate: 0.05, eps: 1e-5 });
      const loss = (v: tf.Variable) => () => tf.sum(tf.mul(tf.square(v), tf.tensor2d([[1, 2], [3, 4]]))) as tf.Scalar;
      for (let k = 0; k < 3; k++) {
        const { value, grads } = tf.variableGrads(loss(a), [a]);
        optA.applyGradients(grads);
        tf.dispose([value, ...Object.values(grads)]);
      }
      b.assign(a);
      const optB = new Adam([b], { learningRate: 0.05, eps: 1e-5 });
      optB.setState(optA.getState());
      for (let k = 0; k < 3; k++) {
        optA.update(loss(a));
        optB.update(loss(b));
      }
      expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
      expect(() => optB.setState({ step: 1, m: [], v: [] })).toThrow(/expected 1 moment arrays each/);
      expect(() => (optB.learningRate = -1)).toThrow(/learningRate must be a finite number >= 0, got -1/);
      [optA, optB].forEach((o) => o.dispose());
      tf.dispose([a, b]);
    });
  });
}
