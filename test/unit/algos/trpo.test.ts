/**
 * TRPO's pieces: conjugate gradient against a direct solve, the line search's two conditions, Fisher-vector
 * products (forward-mode JS against tfjs double backprop, and symmetry/positivity), and a real update that stays
 * inside the trust region.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../../core/common/rng.js';
import { Adam } from '../../../core/algos/nn/optim.js';
import { trpoConfigSchema } from '../../../core/algos/trpo/config.js';
import { evaluatePolicy, snapshotPolicy } from '../../../core/algos/trpo/policy-eval.js';
import { backtrackingLineSearch, conjugateGradient, fisherVectorProductJs, surrogateGradJs, trpoUpdate } from '../../../core/algos/trpo/trpo.js';
import { fisherVectorProductTf, surrogateGradTf } from '../../../core/algos/trpo/trpo-tf.js';
import { initBackend } from '../../../core/tensor/backend.js';
import { expectAllClose, randomBatch, randomModel } from './fixtures.js';
import type { ActorCritic } from '../../../core/algos/model.js';
import { categoricalKl, gaussianKl } from '../../../core/algos/nn/heads.js';

/** ∇_θ mean KL(old ‖ π_θ) over the batch (first order, by the JS backward). */
function klGradient(model: ActorCritic, obs: Float32Array, n: number, oldOut: Float32Array, oldLogStd: Float32Array): Float64Array {
  const k = model.numActions;
  const out = model.actor.forward(obs, n);
  const dOut = new Float32Array(n * k);
  model.grads.fill(0);
  for (let i = 0; i < n; i++) {
    if (model.discrete) categoricalKl(oldOut, out, i * k, k, dOut, 1 / n);
    else gaussianKl(oldOut, oldLogStd, out, model.logStd, i * k, k, dOut, model.logStdGrads, 1 / n);
  }
  model.actor.backward(dOut, model.actorNetGrads);
  return Float64Array.from(model.actorGrads);
}

beforeAll(async () => {
  await initBackend();
});

/** Gaussian elimination with partial pivoting (the direct solve CG is checked against). */
function solve(A: number[][], b: number[]): number[] {
  const n = b.length;
  const M = A.map((row, i) => [...row, b[i]]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r][c]) > Math.abs(M[p][c])) p = r;
    [M[c], M[p]] = [M[p], M[c]];
    for (let r = c + 1; r < n; r++) {
      const f = M[r][c] / M[c][c];
      for (let k = c; k <= n; k++) M[r][k] -= f * M[c][k];
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let s = M[r][n];
    for (let k = r + 1; k < n; k++) s -= M[r][k] * x[k];
    x[r] = s / M[r][r];
  }
  return x;
}

describe('conjugateGradient', () => {
  it('solves a small SPD system like a direct solve', () => {
    const rng = new Rng(5);
    const n = 6;
    const B = Array.from({ length: n }, () => Array.from({ length: n }, () => rng.normal()));
    // A = BᵀB + 0.5·I is symmetric positive definite.
    const A = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => B.reduce((s, row) => s + row[i] * row[j], 0) + (i === j ? 0.5 : 0)));
    const b = Array.from({ length: n }, () => rng.normal());
    const Avp = (v: Float64Array): Float64Array => Float64Array.from(A.map((row) => row.reduce((s, a, j) => s + a * v[j], 0)));
    const x = conjugateGradient(Avp, b, 3 * n, 1e-20);
    const direct = solve(A, b);
    for (let i = 0; i < n; i++) expect(x[i]).toBeCloseTo(direct[i], 8);
  });

  it('on a 2×2 system reaches the exact solution in two iterations', () => {
    // [[4, 1], [1, 3]] x = [1, 2]  →  x = [1/11, 7/11]
    const Avp = (v: Float64Array) => Float64Array.from([4 * v[0] + v[1], v[0] + 3 * v[1]]);
    const x = conjugateGradient(Avp, [1, 2], 2, 0);
    expect(x[0]).toBeCloseTo(1 / 11, 12);
    expect(x[1]).toBeCloseTo(7 / 11, 12);
  });
});

describe('backtrackingLineSearch', () => {
  it('shrinks the step until KL ≤ δ and the surrogate improves', () => {
    const tried: number[] = [];
    // KL grows as 0.04·f², so the full step (KL 0.04) and f = 0.8 (0.0256) break δ = 0.01; f = 0.4096 → 0.0067 passes.
    const result = backtrackingLineSearch(
      (f) => {
        tried.push(f);
        return { surrogate: f, kl: 0.04 * f * f };
      },
      0,
      0.01,
      0.8,
      10,
    );
    expect(result.accepted).toBe(true);
    expect(result.kl).toBeLessThanOrEqual(0.01);
    expect(result.fraction).toBeCloseTo(0.8 ** 4, 12);
    expect(tried.slice(0, 3)).toEqual([1, 0.8, 0.8 ** 2]);
    expect(result.tries).toBe(5);
  });

  it('rejects steps that do not improve the surrogate, and restores θ_old', () => {
    const tried: number[] = [];
    const result = backtrackingLineSearch(
      (f) => {
        tried.push(f);
        return { surrogate: -f, kl: 0 };
      },
      0,
      0.01,
      0.5,
      4,
    );
    expect(result.accepted).toBe(false);
    expect(result.fraction).toBe(0);
    expect(tried.at(-1)).toBe(0); // the last evaluation puts the old parameters back
  });
});

describe('Fisher-vector products', () => {
  for (const discrete of [true, false]) {
    it(`JS equals the tfjs formulation and finite differences of ∇KL; F is symmetric PSD (${discrete ? 'categorical' : 'Gaussian'})`, () => {
      const model = randomModel(discrete, 11, [8, 8]);
      const batch = randomBatch(model, 23, 12);
      const size = model.actorParams.length;
      const rng = new Rng(13);
      const u = Float64Array.from({ length: size }, () => rng.normal());
      const v = Float64Array.from({ length: size }, () => rng.normal());
      const fvpJs = fisherVectorProductJs(model, batch.obs, batch.size, 0.1);
      const fvpTf = fisherVectorProductTf(model, batch.obs, batch.size, 0.1);
      const fu = fvpJs(u);
      expectAllClose(fu, fvpTf(u), 2e-3);
      const fv = fvpJs(v);
      const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((s, x, i) => s + x * b[i], 0);
      expect(dot(v, fu)).toBeCloseTo(dot(u, fv), 4); // vᵀFu = uᵀFv
      expect(dot(u, fu)).toBeGreaterThan(0.1 * dot(u, u) - 1e-6); // (F + 0.1·I) ≥ 0.1·I
      // F·u ≈ (∇KL(θ_old ‖ θ + εu) − ∇KL(θ_old ‖ θ − εu)) / 2ε, the gradient of the mean KL computed by backward.
      const old = snapshotPolicy(model, batch);
      const theta = model.actorParams.slice();
      const eps = 1e-2;
      const klGrad = (sign: number): Float64Array => {
        for (let i = 0; i < size; i++) model.actorParams[i] = theta[i] + sign * eps * u[i];
        model.paramsChanged();
        return klGradient(model, batch.obs, batch.size, old.outputs, old.logStd);
      };
      const gPlus = klGrad(1);
      const gMinus = klGrad(-1);
      model.actorParams.set(theta);
      model.paramsChanged();
      const fd = gPlus.map((g, i) => (g - gMinus[i]) / (2 * eps) + 0.1 * u[i]);
      const fdErr = Math.sqrt(dot(fd.map((x, i) => x - fu[i]), fd.map((x, i) => x - fu[i])) / dot(fu, fu));
      expect(fdErr).toBeLessThan(0.02);
    });

    it(`surrogate gradient: JS equals tfjs (${discrete ? 'categorical' : 'Gaussian'})`, () => {
      const model = randomModel(discrete, 21, [8, 8]);
      const batch = randomBatch(model, 19, 22);
      expectAllClose(surrogateGradJs(model, batch), surrogateGradTf(model, batch), 2e-3);
    });
  }

  it('a TRPO update keeps the mean KL within maxKl', () => {
    for (const discrete of [true, false]) {
      const model = randomModel(discrete, 31, [16, 16]);
      const batch = randomBatch(model, 64, 32);
      const config = trpoConfigSchema.parse({ maxKl: 0.01, cgIters: 10, criticEpochs: 1, criticMinibatchSize: 64 });
      const old = snapshotPolicy(model, batch);
      const metrics = trpoUpdate({ model, samples: batch, config, rng: new Rng(1), progress: 0, optimizers: { critic: new Adam(model.criticParams.length, 1e-5) } });
      const after = evaluatePolicy(model, batch, old);
      expect(after.kl).toBeLessThanOrEqual(0.01 + 1e-9);
      expect(metrics['train/approxKl']).toBeCloseTo(after.kl, 6);
      if (metrics['train/lineSearchSuccess'] === 1) expect(after.kl).toBeGreaterThan(0);
    }
  });

  it('annealMaxKl shrinks the trust region linearly with progress: δ/4 at 3/4 of the run, no step at the end', () => {
    const config = trpoConfigSchema.parse({ maxKl: 0.04, annealMaxKl: true, cgIters: 10, criticEpochs: 1, criticMinibatchSize: 64 });
    const kls: Record<string, number> = {};
    for (const progress of [0, 0.75, 1]) {
      const model = randomModel(false, 41, [16, 16]);
      const batch = randomBatch(model, 64, 42);
      const old = snapshotPolicy(model, batch);
      const theta = model.actorParams.slice();
      trpoUpdate({ model, samples: batch, config, rng: new Rng(1), progress, optimizers: { critic: new Adam(model.criticParams.length, 1e-5) } });
      kls[progress] = evaluatePolicy(model, batch, old).kl;
      if (progress === 1) expect(model.actorParams).toEqual(theta);
    }
    expect(kls[0]).toBeGreaterThan(0.01); // the full δ = 0.04 allows more than a quarter of it
    expect(kls[0.75]).toBeGreaterThan(0);
    expect(kls[0.75]).toBeLessThanOrEqual(0.01 + 1e-9);
    expect(kls[1]).toBe(0);
  });
});
