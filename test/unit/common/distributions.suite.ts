/**
 * Distribution tests, shared by distributions.test.ts (the default backend) and backend-cpu.test.ts
 * (the pure-JS cpu backend), so both backends are held to the same numbers.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import {
  Categorical,
  categoricalEntropyJs,
  categoricalLogProbJs,
  categoricalModeJs,
  DiagGaussian,
  gaussianEntropyJs,
  gaussianLogProbJs,
  gaussianSampleJs,
  sampleCategoricalJs,
} from '../../../core/common/distributions.js';
import { Rng } from '../../../core/common/rng.js';

const LOG_2PI = Math.log(2 * Math.PI);

function softmax(row: number[]): number[] {
  const m = Math.max(...row);
  const e = row.map((x) => Math.exp(x - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / s);
}

function read(t: tf.Tensor): number[] {
  return Array.from(t.dataSync());
}

export function distributionSuite(): void {
  describe('Categorical', () => {
    const rows = [
      [1, 2, 3],
      [0, 0, 0],
      [100, -100, 0],
    ];

    it('logProb, entropy and mode match the analytic values and the JS helpers', () => {
      tf.tidy(() => {
        const d = new Categorical(tf.tensor2d(rows));
        const logp = read(d.logProb(tf.tensor1d([2, 1, 1], 'int32')));
        expect(logp[0]).toBeCloseTo(Math.log(softmax(rows[0])[2]), 5);
        expect(logp[1]).toBeCloseTo(-Math.log(3), 5);
        expect(logp[2]).toBeCloseTo(-200, 3); // finite, thanks to the max shift
        // float actions (as stored in rollout buffers) work too
        expect(read(d.logProb(tf.tensor1d([2, 1, 1])))).toEqual(logp);
        const flat = Float32Array.from(rows.flat());
        [2, 1, 1].forEach((a, i) => expect(categoricalLogProbJs(flat, i * 3, 3, a)).toBeCloseTo(logp[i], 4));

        const h = read(d.entropy());
        const p0 = softmax(rows[0]);
        expect(h[0]).toBeCloseTo(-p0.reduce((s, p) => s + p * Math.log(p), 0), 5);
        expect(h[1]).toBeCloseTo(Math.log(3), 5);
        expect(h[2]).toBeCloseTo(0, 5);
        rows.forEach((_, i) => expect(categoricalEntropyJs(flat, i * 3, 3)).toBeCloseTo(h[i], 5));

        expect(read(d.mode())).toEqual([2, 0, 0]);
        rows.forEach((r, i) => expect(categoricalModeJs(flat, i * 3, 3)).toBe([2, 0, 0][i]));
      });
    });

    it('KL is 0 between identical distributions and matches Σ p log(p/q)', () => {
      tf.tidy(() => {
        const p = new Categorical(tf.tensor2d([[0, 0], [1, -1]]));
        expect(read(p.kl(p)).every((x) => Math.abs(x) < 1e-6)).toBe(true);
        const q = new Categorical(tf.tensor2d([[Math.log(0.25), Math.log(0.75)], [0, 0]]));
        const kl = read(p.kl(q));
        // p = (½, ½), q = (¼, ¾): ½ log 2 + ½ log(⅔)
        expect(kl[0]).toBeCloseTo(0.5 * Math.log(2) + 0.5 * Math.log(2 / 3), 5);
        const pp = softmax([1, -1]);
        expect(kl[1]).toBeCloseTo(pp[0] * Math.log(pp[0] / 0.5) + pp[1] * Math.log(pp[1] / 0.5), 5);
      });
    });

    it('gradient of log π(a) w.r.t. the logits is onehot(a) − softmax', () => {
      const g = tf.tidy(() => tf.grad((logits: tf.Tensor) => tf.sum(new Categorical(logits as tf.Tensor2D).logProb(tf.tensor1d([1], 'int32'))))(tf.tensor2d([[0.5, -1, 2]])));
      const p = softmax([0.5, -1, 2]);
      read(g).forEach((x, j) => expect(x).toBeCloseTo((j === 1 ? 1 : 0) - p[j], 5));
      g.dispose();
    });

    it('sample draws the same actions as sampleCategoricalJs from the same seed, with the right frequencies', () => {
      const logits = [[0.1, 1.5, -0.7, 0.3], [2, 2, 2, 2]];
      const flat = Float32Array.from(logits.flat());
      const a = new Rng(42);
      const b = new Rng(42);
      for (let k = 0; k < 20; k++) {
        const tfSample = tf.tidy(() => read(new Categorical(tf.tensor2d(logits)).sample(a)));
        expect(tfSample).toEqual([sampleCategoricalJs(flat, 0, 4, b), sampleCategoricalJs(flat, 4, 4, b)]);
      }
      const rng = new Rng(9);
      const counts = [0, 0, 0, 0];
      const n = 40_000;
      for (let k = 0; k < n; k++) counts[sampleCategoricalJs(flat, 0, 4, rng)]++;
      softmax(logits[0]).forEach((p, j) => expect(Math.abs(counts[j] / n - p)).toBeLessThan(0.01));
      expect(() => sampleCategoricalJs(Float32Array.of(0, Number.NaN), 0, 2, rng)).toThrow(/not finite/);
      expect(() => categoricalLogProbJs(flat, 0, 4, 4)).toThrow(/action must be an integer in \[0, 4\), got 4/);
    });
  });

  describe('DiagGaussian', () => {
    const mean = [[0, 1], [-2, 0.5]];
    const logStd = [0.3, -1];

    function analyticLogProb(a: number[], mu: number[], ls: number[]): number {
      return a.reduce((s, x, j) => s - 0.5 * ((x - mu[j]) / Math.exp(ls[j])) ** 2 - ls[j] - 0.5 * LOG_2PI, 0);
    }

    it('logProb and entropy match the analytic values, for 1-D and per-row log-std, and the JS helpers', () => {
      tf.tidy(() => {
        const actions = [[0.5, 0.7], [-1, 2]];
        const d = new DiagGaussian(tf.tensor2d(mean), tf.tensor1d(logStd));
        const d2 = new DiagGaussian(tf.tensor2d(mean), tf.tensor2d([logStd, logStd]));
        const lp = read(d.logProb(tf.tensor2d(actions)));
        const lp2 = read(d2.logProb(tf.tensor2d(actions)));
        const meanFlat = Float32Array.from(mean.flat());
        const actFlat = Float32Array.from(actions.flat());
        const ls = Float32Array.from(logStd);
        actions.forEach((a, i) => {
          const expected = analyticLogProb(a, mean[i], logStd);
          expect(lp[i]).toBeCloseTo(expected, 4);
          expect(lp2[i]).toBeCloseTo(expected, 4);
          expect(gaussianLogProbJs(meanFlat, ls, actFlat, i * 2)).toBeCloseTo(lp[i], 4);
        });
        const h = read(d.entropy());
        const expectedH = logStd.reduce((s, x) => s + 0.5 + 0.5 * LOG_2PI + x, 0);
        expect(h).toHaveLength(2);
        h.forEach((x) => expect(x).toBeCloseTo(expectedH, 5));
        expect(read(d2.entropy())[1]).toBeCloseTo(expectedH, 5);
        expect(gaussianEntropyJs(ls)).toBeCloseTo(expectedH, 6);
        expect(read(d.mode())).toEqual(mean.flat().map((x) => Math.fround(x)));
      });
    });

    it('KL is 0 between identical distributions and matches the closed form', () => {
      tf.tidy(() => {
        const p = new DiagGaussian(tf.tensor2d([[0]]), tf.tensor1d([0]));
        expect(Math.abs(read(p.kl(p))[0])).toBeLessThan(1e-6);
        const q = new DiagGaussian(tf.tensor2d([[1]]), tf.tensor1d([Math.log(2)]));
        // log(2/1) + (1 + 1)/(2·4) − ½
        expect(read(p.kl(q))[0]).toBeCloseTo(Math.log(2) + 0.25 - 0.5, 5);
        const a = new DiagGaussian(tf.tensor2d(mean), tf.tensor1d(logStd));
        const b = new DiagGaussian(tf.tensor2d([[0.5, 1], [-2, 0]]), tf.tensor2d([[0, 0], [0.2, -0.5]]));
        const kl = read(a.kl(b));
        const lsB = [[0, 0], [0.2, -0.5]];
        const muB = [[0.5, 1], [-2, 0]];
        kl.forEach((x, i) => {
          let e = 0;
          for (let j = 0; j < 2; j++) {
            const v1 = Math.exp(2 * logStd[j]);
            const v2 = Math.exp(2 * lsB[i][j]);
            e += lsB[i][j] - logStd[j] + (v1 + (mean[i][j] - muB[i][j]) ** 2) / (2 * v2) - 0.5;
          }
          expect(x).toBeCloseTo(e, 5);
        });
        expect(() => new DiagGaussian(tf.tensor2d(mean), tf.tensor1d([0, 0, 0]))).toThrow(/logStd must have shape \[2\] or \[2,2\], got \[3\]/);
      });
    });

    it('sample equals gaussianSampleJs from the same seed and has the right moments', () => {
      const a = new Rng(7);
      const b = new Rng(7);
      const tfSample = tf.tidy(() => read(new DiagGaussian(tf.tensor2d(mean), tf.tensor1d(logStd)).sample(a)));
      const out = new Float32Array(4);
      const meanFlat = Float32Array.from(mean.flat());
      gaussianSampleJs(meanFlat, logStd, b, out, 0);
      gaussianSampleJs(meanFlat, logStd, b, out, 2);
      tfSample.forEach((x, i) => expect(x).toBeCloseTo(out[i], 5));

      const rng = new Rng(3);
      const n = 40_000;
      const one = new Float32Array(2);
      const sum = [0, 0];
      const sq = [0, 0];
      for (let k = 0; k < n; k++) {
        gaussianSampleJs(Float32Array.of(1, -1), logStd, rng, one, 0);
        for (let j = 0; j < 2; j++) {
          sum[j] += one[j];
          sq[j] += one[j] ** 2;
        }
      }
      [1, -1].forEach((mu, j) => {
        const m = sum[j] / n;
        const sd = Math.sqrt(sq[j] / n - m * m);
        expect(Math.abs(m - mu)).toBeLessThan(0.03);
        expect(Math.abs(sd / Math.exp(logStd[j]) - 1)).toBeLessThan(0.02);
      });
    });
  });

  it('does not leak tensors across repeated use inside tf.tidy', () => {
    const rng = new Rng(1);
    const logits = tf.tensor2d([[0.1, 0.2, 0.3]]);
    const mean = tf.tensor2d([[0.1, 0.2]]);
    const logStd = tf.tidy(() => tf.variable(tf.zeros([2]) as tf.Tensor1D)); // tidy frees the zeros, keeps the variable
    const before = tf.memory().numTensors;
    for (let k = 0; k < 25; k++) {
      tf.tidy(() => {
        const c = new Categorical(logits);
        const a = c.sample(rng);
        tf.sum(c.logProb(a)).add(c.entropy().mean()).add(c.kl(c).mean()).dataSync();
        const g = new DiagGaussian(mean, logStd);
        const x = g.sample(rng);
        tf.sum(g.logProb(x)).add(g.entropy().mean()).add(g.kl(g).mean()).dataSync();
        const { grads, value } = tf.variableGrads(() => tf.mean(new DiagGaussian(mean, logStd).logProb(x)) as tf.Scalar);
        tf.dispose([value, ...Object.values(grads)]);
      });
    }
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([logits, mean, logStd]);
  });
}
