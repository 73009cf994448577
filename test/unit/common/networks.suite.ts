/**
 * Network tests, shared by networks.test.ts (the default backend) and backend-cpu.test.ts (cpu backend).
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { orthogonalKernel, orthogonalMatrix } from '../../../core/common/init.js';
import { GAIN, Mlp, PREDICT_TF_MIN_BATCH } from '../../../core/common/networks.js';
import { Rng } from '../../../core/common/rng.js';
import { dense, tanh } from '../../../core/tensor/ops.js';

/** Gram matrix of the smaller side of a row-major [rows, cols] matrix. */
function smallGram(w: ArrayLike<number>, rows: number, cols: number): number[][] {
  const k = Math.min(rows, cols);
  const g = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  for (let a = 0; a < k; a++) {
    for (let b = 0; b < k; b++) {
      let s = 0;
      if (rows >= cols) for (let i = 0; i < rows; i++) s += w[i * cols + a] * w[i * cols + b]; // WᵀW
      else for (let j = 0; j < cols; j++) s += w[a * cols + j] * w[b * cols + j]; // WWᵀ
      g[a][b] = s;
    }
  }
  return g;
}

function expectScaledIdentity(g: number[][], scale: number, tol: number): void {
  for (let a = 0; a < g.length; a++) for (let b = 0; b < g.length; b++) expect(Math.abs(g[a][b] - (a === b ? scale : 0))).toBeLessThan(tol);
}

function randomInput(rng: Rng, rows: number, dim: number): Float32Array {
  const x = new Float32Array(rows * dim);
  for (let i = 0; i < x.length; i++) x[i] = rng.normal() * 2;
  return x;
}

export function networkSuite(): void {
  describe('backend-aware ops', () => {
    it('dense and tanh match tfjs’s matMul/tanh in value and gradient', () => {
      const rng = new Rng(4);
      const x = tf.tensor2d(randomInput(rng, 6, 4), [6, 4]);
      const w = tf.tensor2d(randomInput(rng, 4, 4).subarray(0, 12), [4, 3]);
      const b = tf.tensor1d([0.1, -0.2, 0.3]);
      const ours = (a: tf.Tensor, k: tf.Tensor, c: tf.Tensor) => tf.sum(tf.mul(tanh(dense(a as tf.Tensor2D, k as tf.Tensor2D, c as tf.Tensor1D)), tf.range(1, 4)));
      const theirs = (a: tf.Tensor, k: tf.Tensor, c: tf.Tensor) => tf.sum(tf.mul(tf.tanh(tf.add(tf.matMul(a as tf.Tensor2D, k as tf.Tensor2D), c)), tf.range(1, 4)));
      const before = tf.memory().numTensors;
      const [g1, g2, v1, v2] = tf.tidy(() => [tf.grads(ours)([x, w, b]), tf.grads(theirs)([x, w, b]), ours(x, w, b), theirs(x, w, b)]) as [tf.Tensor[], tf.Tensor[], tf.Tensor, tf.Tensor];
      expect(v1.dataSync()[0]).toBeCloseTo(v2.dataSync()[0], 4);
      g1.forEach((g, i) => {
        const a = g.dataSync();
        const e = g2[i].dataSync();
        expect(g.shape).toEqual(g2[i].shape);
        for (let j = 0; j < a.length; j++) expect(a[j]).toBeCloseTo(e[j], 4);
      });
      tf.dispose([...g1, ...g2, v1, v2]);
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose([x, w, b]);
    });
  });

  describe('orthogonal init', () => {
    it('gives orthonormal rows or columns × gain (WᵀW ≈ gain²·I on the smaller side)', () => {
      for (const [rows, cols, gain] of [[64, 4, Math.SQRT2], [64, 64, Math.SQRT2], [2, 64, 0.01], [1, 64, 1], [5, 5, 3]]) {
        const w = orthogonalMatrix(rows, cols, gain, new Rng(rows * 100 + cols));
        expectScaledIdentity(smallGram(w, rows, cols), gain * gain, 1e-9 * Math.max(1, gain * gain));
      }
    });

    it('is torch’s QR convention: Q = A·R⁻¹ with R upper-triangular with a positive diagonal', () => {
      // For rows ≥ cols, Qᵀ A = R must be upper triangular with a positive diagonal (A = the Gaussian draw).
      const rows = 6;
      const cols = 4;
      const draw = new Rng(99);
      const a = Array.from({ length: rows * cols }, () => draw.normal()); // the same draws, row-major
      const q = orthogonalMatrix(rows, cols, 1, new Rng(99));
      for (let r = 0; r < cols; r++) {
        for (let c = 0; c < cols; c++) {
          let s = 0;
          for (let i = 0; i < rows; i++) s += q[i * cols + r] * a[i * cols + c];
          if (r > c) expect(Math.abs(s)).toBeLessThan(1e-9);
          if (r === c) expect(s).toBeGreaterThan(0);
        }
      }
    });

    it('Mlp kernels are orthogonal with the configured gains and biases are zero', () => {
      const mlp = new Mlp({ inputDim: 4, hiddenSizes: [64, 64], outputDim: 2, activation: 'tanh', outputGain: 0.01 }, new Rng(5));
      const w = mlp.getWeights();
      const dims = [4, 64, 64, 2];
      const gains = [Math.SQRT2, Math.SQRT2, 0.01];
      for (let l = 0; l < 3; l++) {
        expectScaledIdentity(smallGram(w[2 * l], dims[l], dims[l + 1]), gains[l] ** 2, 1e-5);
        expect(w[2 * l + 1].every((b) => b === 0)).toBe(true);
      }
      // the tfjs kernel is the transpose of torch's [out, in] weight
      const k = orthogonalKernel(3, 2, 1, new Rng(1));
      const torchW = orthogonalMatrix(2, 3, 1, new Rng(1));
      for (let i = 0; i < 3; i++) for (let o = 0; o < 2; o++) expect(k[i * 2 + o]).toBeCloseTo(torchW[o * 3 + i], 6);
      mlp.dispose();
    });

    it('is reproducible from the seed', () => {
      const spec = { inputDim: 3, hiddenSizes: [8], outputDim: 2, activation: 'tanh' as const, outputGain: 1 };
      const a = new Mlp(spec, new Rng(1));
      const b = new Mlp(spec, new Rng(1));
      const c = new Mlp(spec, new Rng(2));
      expect(a.getWeights()).toEqual(b.getWeights());
      expect(a.getWeights()[0]).not.toEqual(c.getWeights()[0]);
      [a, b, c].forEach((m) => m.dispose());
    });
  });

  describe('Mlp', () => {
    for (const activation of ['tanh', 'relu'] as const) {
      it(`forwardJs equals apply (${activation}) at batch 1, 7 and 64`, () => {
        const rng = new Rng(3);
        const mlp = new Mlp({ inputDim: 5, hiddenSizes: [64, 32], outputDim: 3, activation, outputGain: 1 }, rng);
        // non-zero biases, so a bias mistake shows
        mlp.setWeights(mlp.getWeights().map((w, i) => (i % 2 === 1 ? w.map(() => rng.normal() * 0.3) : w)));
        for (const batch of [1, 7, 64]) {
          const x = randomInput(rng, batch, 5);
          const out = new Float32Array(batch * 3);
          mlp.forwardJs(x, batch, out);
          const expected = tf.tidy(() => mlp.apply(tf.tensor2d(x, [batch, 5])).dataSync());
          for (let i = 0; i < out.length; i++) expect(out[i]).toBeCloseTo(expected[i], 4);
        }
        mlp.dispose();
      });
    }

    it('predict agrees with forwardJs on both sides of PREDICT_TF_MIN_BATCH', () => {
      const rng = new Rng(12);
      const mlp = new Mlp({ inputDim: 3, hiddenSizes: [32, 32], outputDim: 2, activation: 'tanh', outputGain: 1 }, rng);
      for (const batch of [2, PREDICT_TF_MIN_BATCH, 100]) {
        const x = randomInput(rng, batch, 3);
        const viaPredict = mlp.predict(x, batch, new Float32Array(batch * 2));
        const viaJs = mlp.forwardJs(x, batch, new Float32Array(batch * 2));
        for (let i = 0; i < viaJs.length; i++) expect(viaPredict[i]).toBeCloseTo(viaJs[i], 5);
      }
      expect(() => mlp.predict(new Float32Array(3), 100, new Float32Array(200))).toThrow(/input holds 3 floats, needs 300/);
      mlp.dispose();
    });

    it('syncCache picks up weight changes; setWeights validates', () => {
      const mlp = new Mlp({ inputDim: 2, hiddenSizes: [4], outputDim: 1, activation: 'tanh', outputGain: GAIN.value }, new Rng(0));
      const x = Float32Array.of(0.5, -0.5);
      const out = new Float32Array(1);
      const before = mlp.forwardJs(x, 1, out)[0];
      tf.tidy(() => mlp.variables[3].assign(tf.tensor1d([1])));
      expect(mlp.forwardJs(x, 1, out)[0]).toBe(before); // stale until synced
      mlp.syncCache();
      expect(mlp.forwardJs(x, 1, out)[0]).toBeCloseTo(before + 1, 5);
      expect(() => mlp.setWeights([new Float32Array(1)])).toThrow(/expected 4 arrays/);
      expect(() => mlp.forwardJs(x, 2, out)).toThrow(/input holds 2 floats, needs 4/);
      mlp.dispose();
      expect(() => mlp.apply(tf.zeros([1, 2]))).toThrow(/after dispose/);
    });

    it('toArtifacts loads with tf.loadLayersModel and predicts the same; fromArtifacts round-trips', async () => {
      const rng = new Rng(8);
      const mlp = new Mlp({ inputDim: 4, hiddenSizes: [16, 16], outputDim: 2, activation: 'tanh', outputGain: 0.01 }, rng);
      // make the output layer non-trivial so a mix-up would show
      mlp.setWeights(mlp.getWeights().map((w) => w.map(() => rng.normal() * 0.5)));
      const artifacts = mlp.toArtifacts('actor');
      // through JSON, as a checkpoint on disk would be
      const json = JSON.parse(JSON.stringify({ ...artifacts, weightData: undefined }));
      const restored = { ...json, weightData: artifacts.weightData } as tf.io.ModelArtifacts;
      const model = await tf.loadLayersModel(tf.io.fromMemory(restored));
      const x = randomInput(rng, 9, 4);
      const [expected, predicted] = tf.tidy(() => {
        const input = tf.tensor2d(x, [9, 4]);
        return [mlp.apply(input).dataSync(), (model.predict(input) as tf.Tensor).dataSync()];
      });
      for (let i = 0; i < expected.length; i++) expect(predicted[i]).toBeCloseTo(expected[i], 5);
      expect(model.layers.map((l) => l.getClassName())).toEqual(['Dense', 'Dense', 'Dense']);

      const back = Mlp.fromArtifacts(restored);
      expect(back.spec).toEqual(mlp.spec);
      expect(back.getWeights()).toEqual(mlp.getWeights());
      const out = new Float32Array(18);
      back.forwardJs(x, 9, out);
      for (let i = 0; i < out.length; i++) expect(out[i]).toBeCloseTo(expected[i], 4);

      // a model saved by tfjs itself loads too
      let saved: tf.io.ModelArtifacts | undefined;
      await model.save(tf.io.withSaveHandler(async (a) => {
        saved = a;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }));
      const fromTfjs = Mlp.fromArtifacts({ ...saved!, userDefinedMetadata: undefined });
      expect(fromTfjs.getWeights()).toEqual(mlp.getWeights());
      expect(fromTfjs.spec.hiddenSizes).toEqual([16, 16]);
      [mlp, back, fromTfjs].forEach((m) => m.dispose());
      model.dispose();
      expect(() => Mlp.fromArtifacts({ modelTopology: { class_name: 'Model', config: {} } })).toThrow(/expected a Sequential/);
    });

    it('scales the output layer by outputGain (policy 0.01, value 1)', () => {
      const actor = new Mlp({ inputDim: 4, hiddenSizes: [64, 64], outputDim: 3, activation: 'tanh', outputGain: GAIN.policy }, new Rng(1));
      const critic = new Mlp({ inputDim: 4, hiddenSizes: [64, 64], outputDim: 1, activation: 'tanh', outputGain: GAIN.value }, new Rng(1));
      const w = critic.getWeights()[4]; // [64, 1]: a unit vector
      expect(w.reduce((s, x) => s + x * x, 0)).toBeCloseTo(1, 5);
      const actorOut = actor.getWeights()[4]; // [64, 3]: columns of norm 0.01
      expectScaledIdentity(smallGram(actorOut, 64, 3), 1e-4, 1e-8);
      [actor, critic].forEach((m) => m.dispose());
    });

    it('does not leak tensors (apply/gradients in tidy; dispose frees the variables)', () => {
      const before = tf.memory().numTensors;
      const mlp = new Mlp({ inputDim: 4, hiddenSizes: [8, 8], outputDim: 2, activation: 'tanh', outputGain: 1 }, new Rng(0));
      expect(tf.memory().numTensors).toBe(before + 6);
      const x = tf.randomNormal([16, 4]) as tf.Tensor2D;
      const mid = tf.memory().numTensors;
      for (let k = 0; k < 20; k++) {
        tf.tidy(() => {
          const { value, grads } = tf.variableGrads(() => tf.mean(tf.square(mlp.apply(x))) as tf.Scalar, mlp.variables);
          value.dataSync();
          tf.dispose(grads);
        });
        mlp.syncCache();
        mlp.forwardJs(Float32Array.of(1, 2, 3, 4), 1, new Float32Array(2));
      }
      expect(tf.memory().numTensors).toBe(mid);
      x.dispose();
      mlp.dispose();
      expect(tf.memory().numTensors).toBe(before);
    });
  });
}
