/**
 * gSDE (core/algos/gsde.ts): log-probability and entropy against closed forms, the hand-written derivatives against
 * tfjs autodiff (gsde-tf.ts) and float64 central differences, the noise's resampling period, the action noise's
 * distribution N(0, v), and an exact noise round trip through its checkpoint state.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  GSDE_EPSILON,
  GsdeNoise,
  gsdeBackward,
  gsdeEntropy,
  gsdeLogProb,
  gsdeLogStdSize,
  gsdeStd,
  gsdeVariance,
  type GsdeSpec,
} from '../../../core/algos/gsde.js';
import { gsdeLogProbEntropyTf } from '../../../core/algos/gsde-tf.js';
import { Rng } from '../../../core/common/rng.js';
import { initBackend } from '../../../core/tensor/backend.js';
import { expectAllClose } from '../algos/fixtures.js';

beforeAll(async () => {
  await initBackend();
});

const SPECS: GsdeSpec[] = [
  { latentDim: 4, actionDim: 2, fullStd: true, useExpln: false },
  { latentDim: 4, actionDim: 2, fullStd: false, useExpln: false },
  { latentDim: 3, actionDim: 3, fullStd: true, useExpln: true },
  { latentDim: 5, actionDim: 1, fullStd: false, useExpln: true },
];

function randomCase(s: GsdeSpec, n: number, seed: number) {
  const rng = new Rng(seed);
  const r = (scale: number, len: number) => Float32Array.from({ length: len }, () => scale * rng.normal());
  // Log-stds on both sides of 0 so expln's two branches are both exercised.
  const logStd = r(0.8, gsdeLogStdSize(s));
  return { logStd, latent: r(1, n * s.latentDim), mean: r(1, n * s.actionDim), actions: r(1.5, n * s.actionDim) };
}

/** Per-sample L = dLogp_i · log π_i + dEnt · H_i, summed, in float64 from the definitions (for finite differences). */
function objective(s: GsdeSpec, c: ReturnType<typeof randomCase>, n: number, dLogp: number[], dEnt: number): number {
  const std = gsdeStd(s, c.logStd);
  const v = new Float64Array(s.actionDim);
  let total = 0;
  for (let k = 0; k < n; k++) {
    gsdeVariance(s, std, c.latent, k * s.latentDim, v);
    total += dLogp[k] * gsdeLogProb(c.mean, k * s.actionDim, c.actions, k * s.actionDim, v, s.actionDim) + dEnt * gsdeEntropy(v, s.actionDim);
  }
  return total;
}

describe('gSDE distribution', () => {
  it('log-prob and entropy equal the closed forms of N(μ, Σ_i φ_i² S_ij² + ε) with SB3 std rules', () => {
    // p = 2, d = 1, no fullStd: S = [exp(L0), exp(L1)]; φ = (1, 2); μ = 0.5, a = 1.
    const s: GsdeSpec = { latentDim: 2, actionDim: 1, fullStd: false, useExpln: false };
    const L = [Math.log(0.3), Math.log(0.1)];
    const v = 1 * 0.09 + 4 * 0.01 + GSDE_EPSILON;
    const std = gsdeStd(s, L);
    expect(std[0]).toBeCloseTo(0.3, 12);
    expect(std[1]).toBeCloseTo(0.1, 12);
    const vv = gsdeVariance(s, std, [1, 2], 0, new Float64Array(1));
    expect(vv[0]).toBeCloseTo(v, 12);
    const lp = gsdeLogProb([0.5], 0, [1], 0, vv, 1);
    expect(lp).toBeCloseTo(-0.25 / (2 * v) - 0.5 * Math.log(2 * Math.PI * v), 12);
    expect(gsdeEntropy(vv, 1)).toBeCloseTo(0.5 * Math.log(2 * Math.PI * Math.E * v), 12);
    // expln: exp below 0, log1p(L + ε) + 1 above.
    const e: GsdeSpec = { latentDim: 2, actionDim: 1, fullStd: true, useExpln: true };
    const se = gsdeStd(e, [-1, 2]);
    expect(se[0]).toBeCloseTo(Math.exp(-1), 12);
    expect(se[1]).toBeCloseTo(Math.log1p(2 + GSDE_EPSILON) + 1, 12);
    expect(() => gsdeStd(e, [1])).toThrow(/needs 2/);
  });

  for (const s of SPECS) {
    const name = `p=${s.latentDim} d=${s.actionDim} fullStd=${s.fullStd} expln=${s.useExpln}`;
    it(`derivatives match tfjs autodiff and float64 central differences (${name})`, () => {
      const n = 6;
      const c = randomCase(s, n, 11 + s.latentDim);
      const dLogp = Array.from({ length: n }, (_, k) => 0.3 - 0.17 * k);
      const dEnt = -0.05;
      const std = gsdeStd(s, c.logStd);
      const v = new Float64Array(s.actionDim);
      const dMean = new Float32Array(n * s.actionDim);
      const dLogStd = new Float32Array(gsdeLogStdSize(s));
      const logProbs = new Float32Array(n);
      const entropies = new Float32Array(n);
      for (let k = 0; k < n; k++) {
        gsdeVariance(s, std, c.latent, k * s.latentDim, v);
        logProbs[k] = gsdeLogProb(c.mean, k * s.actionDim, c.actions, k * s.actionDim, v, s.actionDim);
        entropies[k] = gsdeEntropy(v, s.actionDim);
        gsdeBackward(s, c.logStd, std, c.latent, k * s.latentDim, c.mean, k * s.actionDim, c.actions, k * s.actionDim, v, dLogp[k], dEnt, dMean, dLogStd);
      }
      // tfjs reference (float32).
      const before = tf.memory().numTensors;
      const mean = tf.tensor2d(c.mean, [n, s.actionDim]);
      const logStd = tf.tensor1d(c.logStd);
      const latent = tf.tensor2d(c.latent, [n, s.latentDim]);
      const actions = tf.tensor2d(c.actions, [n, s.actionDim]);
      const w = tf.tensor1d(dLogp);
      const f = (m: tf.Tensor, l: tf.Tensor, z: tf.Tensor) => {
        const { logProb, entropy } = gsdeLogProbEntropyTf(s, m as tf.Tensor2D, l, z as tf.Tensor2D, actions);
        return logProb.mul(w).sum().add(entropy.sum().mul(dEnt)) as tf.Scalar;
      };
      const out = tf.tidy(() => gsdeLogProbEntropyTf(s, mean, logStd, latent, actions));
      expectAllClose(logProbs, out.logProb.dataSync(), 1e-5);
      expectAllClose(entropies, out.entropy.dataSync(), 1e-5);
      const grads = tf.grads(f)([mean, logStd, latent]);
      expectAllClose(dMean, grads[0].dataSync(), 1e-4);
      expectAllClose(dLogStd, grads[1].dataSync(), 1e-4);
      // The latent is detached: no gradient reaches the features through the variance.
      expect(Math.max(...Array.from(grads[2].dataSync(), Math.abs))).toBe(0);
      tf.dispose([mean, logStd, latent, actions, w, out.logProb, out.entropy, ...grads]);
      expect(tf.memory().numTensors).toBe(before);
      // float64 central differences in the log-std parameters (independent of tfjs).
      const h = 1e-3;
      for (let k = 0; k < c.logStd.length; k++) {
        const base = c.logStd[k];
        c.logStd[k] = base + h;
        const up = objective(s, c, n, dLogp, dEnt);
        c.logStd[k] = base - h;
        const down = objective(s, c, n, dLogp, dEnt);
        c.logStd[k] = base;
        // h on float32 parameters: relative error ~1e-3 at most.
        expect(Math.abs((up - down) / (2 * h) - dLogStd[k])).toBeLessThan(2e-3 * (1 + Math.abs(dLogStd[k])));
      }
    });
  }
});

describe('gSDE noise', () => {
  const s: GsdeSpec = { latentDim: 3, actionDim: 2, fullStd: true, useExpln: false };
  const logStd = Float32Array.from([-0.5, 0, 0.3, -1, 0.2, -0.2]);

  it('resamples every sdeSampleFreq steps, and with −1 or 0 only when asked (rollout starts)', () => {
    for (const [freq, expected] of [
      [4, 1 + Math.floor((20 - 1) / 4)],
      [1, 20],
      [-1, 1],
      [0, 1],
    ] as const) {
      const noise = new GsdeNoise(s, 2, freq);
      const rng = new Rng(1);
      noise.resample(logStd, rng);
      const changes: number[] = [];
      let prev = noise.matrices.slice();
      for (let t = 0; t < 20; t++) {
        noise.beforeStep(logStd, rng);
        if (noise.matrices.some((x, i) => x !== prev[i])) changes.push(t);
        prev = noise.matrices.slice();
      }
      expect(noise.resamples, `freq ${freq}`).toBe(expected);
      if (freq === 4) expect(changes).toEqual([4, 8, 12, 16]);
    }
    expect(() => new GsdeNoise(s, 2, -2)).toThrow(/≥ −1/);
    expect(() => new GsdeNoise(s, 0, 4)).toThrow(/numEnvs/);
  });

  it('φᵀE over fresh matrices has mean 0 and variance v − ε for each action', () => {
    const noise = new GsdeNoise(s, 1, -1);
    const rng = new Rng(5);
    const phi = Float32Array.from([0.7, -1.2, 0.4]);
    const v = gsdeVariance(s, gsdeStd(s, logStd), phi, 0, new Float64Array(2));
    const out = new Float32Array(2);
    const N = 40_000;
    const sum = [0, 0];
    const sq = [0, 0];
    for (let t = 0; t < N; t++) {
      noise.resample(logStd, rng);
      noise.noise(phi, 1, out);
      for (let j = 0; j < 2; j++) {
        sum[j] += out[j];
        sq[j] += out[j] * out[j];
      }
    }
    for (let j = 0; j < 2; j++) {
      const target = v[j] - GSDE_EPSILON;
      expect(Math.abs(sum[j] / N)).toBeLessThan(4 * Math.sqrt(target / N));
      // Var of the sample variance of a normal: 2σ⁴/N → 5 standard errors.
      expect(Math.abs(sq[j] / N - target)).toBeLessThan(5 * target * Math.sqrt(2 / N));
    }
  });

  it('a restored noise state continues bit-identically (matrices and period position)', () => {
    const a = new GsdeNoise(s, 3, 4);
    const rngA = new Rng(9);
    a.resample(logStd, rngA);
    for (let t = 0; t < 6; t++) a.beforeStep(logStd, rngA);
    const saved = JSON.parse(JSON.stringify(a.state()));
    const b = new GsdeNoise(s, 3, 4);
    b.restore(saved);
    expect(Array.from(b.matrices)).toEqual(Array.from(a.matrices));
    const rngB = new Rng(0);
    rngB.setState(rngA.getState());
    for (let t = 0; t < 9; t++) {
      a.beforeStep(logStd, rngA);
      b.beforeStep(logStd, rngB);
      expect(Array.from(b.matrices)).toEqual(Array.from(a.matrices));
    }
    expect(() => b.restore({ ...saved, numEnvs: 2 })).toThrow(/3 × 18/);
    expect(() => b.restore({ ...saved, stepsSinceSample: -1 })).toThrow(/non-negative/);
    expect(() => b.restore({ ...saved, matrices: saved.matrices.map(() => NaN) })).toThrow(/non-finite/);
  });
});
