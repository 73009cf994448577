/**
 * The plain-JS engine against tfjs autodiff: forward values, reverse-mode gradients (backward), forward-mode
 * tangents (jvp), and the optimizers against their textbook update rules.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../../core/common/rng.js';
import { Mlp } from '../../../core/common/networks.js';
import { ActorCritic, type ModelSpec } from '../../../core/algos/model.js';
import { boxSpace } from '../../../core/envs/spaces.js';
import { gemmNT } from '../../../core/algos/nn/gemm.js';
import { fastTanh, KERNEL } from '../../../core/algos/nn/linalg.js';
import { wasmActivationAt, wasmGemm, wasmGemmAt, wasmHeap } from '../../../core/algos/nn/wasm-gemm.js';
import { MlpNet, mlpParamCount } from '../../../core/algos/nn/mlp.js';
import { Adam, clipGradNorm, RmsProp } from '../../../core/algos/nn/optim.js';
import { mlpApplyTf, writeFlat } from '../../../core/algos/pg-tf.js';
import { initBackend } from '../../../core/tensor/backend.js';

beforeAll(async () => {
  await initBackend();
});

function randomArray(n: number, rng: Rng, scale = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.normal() * scale;
  return a;
}

function netTensors(net: MlpNet): tf.Tensor[] {
  const out: tf.Tensor[] = [];
  for (let l = 0; l < net.numLayers; l++) out.push(tf.tensor2d(net.kernels[l], [net.sizes[l], net.sizes[l + 1]]), tf.tensor1d(net.biases[l]));
  return out;
}

function expectClose(a: ArrayLike<number>, b: ArrayLike<number>, tol: number): void {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / (1 + Math.abs(b[i])));
  expect(worst).toBeLessThan(tol);
}

describe('gemmNT', () => {
  it('matches a naive A·Bᵀ for odd shapes, overwrite and accumulate', () => {
    const rng = new Rng(1);
    for (const [m, n, p] of [[1, 1, 1], [3, 5, 7], [8, 4, 64], [7, 9, 2]]) {
      const A = randomArray(m * p, rng);
      const B = randomArray(n * p, rng);
      const C = randomArray(m * n, rng);
      const expected = new Float32Array(m * n);
      for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
        let s = 0;
        for (let k = 0; k < p; k++) s += A[i * p + k] * B[j * p + k];
        expected[i * n + j] = C[i * n + j] + s;
      }
      gemmNT(A, B, C, m, n, p, true);
      expectClose(C, expected, 1e-5);
      gemmNT(A, B, C, m, n, p, false);
      for (let i = 0; i < m * n; i++) expected[i] -= 0; // overwrite = the sum alone
      const fresh = new Float32Array(m * n);
      gemmNT(A, B, fresh, m, n, p, true);
      expectClose(C, fresh, 1e-6);
    }
  });
});

/** `gemmNT` on the WASM kernel: pads A and B into the heap (zeros), multiplies, copies C back. */
function gemmNTWasm(A: Float32Array, B: Float32Array, C: Float32Array, m: number, n: number, p: number, accumulate: boolean): void {
  const p4 = (p + 3) & ~3;
  const m2 = (m + 1) & ~1;
  const n4 = (n + 3) & ~3;
  const bAt = m2 * p4;
  const cAt = bAt + n4 * p4;
  const h = wasmHeap(cAt + m2 * n4);
  h.fill(0, 0, cAt);
  for (let i = 0; i < m; i++) h.set(A.subarray(i * p, i * p + p), i * p4);
  for (let j = 0; j < n; j++) h.set(B.subarray(j * p, j * p + p), bAt + j * p4);
  wasmGemmAt(0, bAt, cAt, m2, n4, p4);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) C[i * n + j] = (accumulate ? C[i * n + j] : 0) + h[cAt + i * n4 + j];
  }
}

describe('WebAssembly SIMD kernels', () => {
  it('are used where WebAssembly SIMD validates (Node 20 has it)', () => {
    expect(wasmGemm()).not.toBeNull();
    expect(KERNEL).toBe(process.env.POLICYLAB_JS_KERNELS === '1' ? 'js' : 'wasm-simd');
  });

  it('gemm equals the JS kernel for shapes that need padding', () => {
    const rng = new Rng(8);
    for (const [m, n, p] of [[1, 1, 1], [3, 5, 7], [256, 64, 65], [65, 64, 256], [8, 2, 4], [7, 3, 6]]) {
      const A = randomArray(m * p, rng);
      const B = randomArray(n * p, rng);
      const C0 = randomArray(m * n, rng);
      const C1 = C0.slice();
      gemmNT(A, B, C0, m, n, p, true);
      gemmNTWasm(A, B, C1, m, n, p, true);
      expectClose(C1, C0, 1e-5);
    }
  });

  it('tanh and relu match Math.tanh / max(x, 0) to float32 precision', () => {
    const n = 2048;
    const xs = Float32Array.from({ length: n }, (_, i) => -12 + (24 * i) / n);
    const h = wasmHeap(n);
    h.set(xs, 0);
    wasmActivationAt('tanh', 0, n);
    let worst = 0;
    for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs(h[i] - Math.tanh(xs[i])), Math.abs(fastTanh(xs[i]) - Math.tanh(xs[i])));
    expect(worst).toBeLessThan(2e-7);
    h.set(xs, 0);
    wasmActivationAt('relu', 0, n);
    for (let i = 0; i < n; i++) expect(h[i]).toBe(Math.max(0, xs[i]));
  });
});

describe('MlpNet', () => {
  for (const activation of ['tanh', 'relu'] as const) {
    it(`forward, backward and jvp agree with tfjs (${activation})`, () => {
      const rng = new Rng(2);
      const sizes = [5, 16, 12, 3];
      const params = randomArray(mlpParamCount(sizes), rng, 0.4);
      const net = new MlpNet(sizes, activation, params);
      const B = 11;
      const x = randomArray(B * 5, rng);
      const out = net.forward(x, B).slice();
      const dOut = randomArray(B * 3, rng);
      const grad = new Float32Array(net.numParams);
      net.backward(dOut, grad);
      const direction = randomArray(net.numParams, rng);
      const tangent = net.jvp(direction).slice();

      const ws = netTensors(net);
      const xt = tf.tensor2d(x, [B, 5]);
      const dOutT = tf.tensor2d(dOut, [B, 3]);
      const outTf = tf.tidy(() => mlpApplyTf(ws, xt, activation));
      expectClose(out, outTf.dataSync(), 1e-5);
      const grads = tf.grads((...p: tf.Tensor[]) => tf.sum(tf.mul(mlpApplyTf(p, xt, activation), dOutT)))(ws);
      const gradTf = new Float32Array(net.numParams);
      writeFlat(grads, gradTf);
      expectClose(grad, gradTf, 1e-4);
      // jvp is the adjoint of backward: ⟨J·v, u⟩ = ⟨v, Jᵀ·u⟩ (exact, kinks or not).
      let lhs = 0;
      let rhs = 0;
      for (let i = 0; i < tangent.length; i++) lhs += tangent[i] * dOut[i];
      for (let i = 0; i < grad.length; i++) rhs += direction[i] * grad[i];
      expect(lhs).toBeCloseTo(rhs, 3);
      // … and matches central differences where the activation is smooth.
      if (activation === 'relu') {
        tf.dispose([...ws, xt, dOutT, outTf, ...grads]);
        return;
      }
      const eps = 1e-2;
      const plus = new MlpNet(sizes, activation, params.map((p, i) => p + eps * direction[i]));
      const minus = new MlpNet(sizes, activation, params.map((p, i) => p - eps * direction[i]));
      const fPlus = plus.forward(x, B).slice();
      const fMinus = minus.forward(x, B).slice();
      const fd = fPlus.map((v, i) => (v - fMinus[i]) / (2 * eps));
      expectClose(tangent, fd, 2e-2);
      tf.dispose([...ws, xt, dOutT, outTf, ...grads]);
    });
  }

  it('backward accumulates into the gradient vector', () => {
    const rng = new Rng(3);
    const sizes = [2, 4, 1];
    const net = new MlpNet(sizes, 'tanh', randomArray(mlpParamCount(sizes), rng));
    const x = randomArray(6, rng);
    net.forward(x, 3);
    const g1 = new Float32Array(net.numParams);
    net.backward(new Float32Array([1, 1, 1]), g1);
    const g2 = g1.slice();
    net.backward(new Float32Array([1, 1, 1]), g2);
    expectClose(g2, g1.map((v) => 2 * v), 1e-6);
  });

  it('rejects parameter vectors of the wrong size', () => {
    expect(() => new MlpNet([4, 8, 2], 'tanh', new Float32Array(3))).toThrow(/params has 3 floats/);
  });
});

describe('ActorCritic', () => {
  it('initialises like the core/common Mlp (critic, then actor) from the same Rng and exports loadable artifacts', async () => {
    const space = { kind: 'discrete', n: 2 } as const;
    const model = ActorCritic.create({ obsDim: 4, actionSpace: space, hiddenSizes: [64, 64], activation: 'tanh', logStdInit: 0 }, new Rng(7));
    const rng = new Rng(7);
    const critic = new Mlp({ inputDim: 4, hiddenSizes: [64, 64], outputDim: 1, activation: 'tanh', outputGain: 1 }, rng);
    const actor = new Mlp({ inputDim: 4, hiddenSizes: [64, 64], outputDim: 2, activation: 'tanh', outputGain: 0.01 }, rng);
    const flatActor = new Float32Array(model.actor.numParams);
    let o = 0;
    for (const w of actor.getWeights()) {
      flatActor.set(w, o);
      o += w.length;
    }
    expectClose(model.actor.params, flatActor, 1e-7);
    const obs = new Float32Array([0.1, -0.2, 0.03, 0.4]);
    const ours = model.actor.forward(obs, 1).slice();
    const theirs = actor.forwardJs(obs, 1, new Float32Array(2));
    expectClose(ours, theirs, 1e-6);
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(model.toArtifacts().actor));
    const pred = loaded.predict(tf.tensor2d(obs, [1, 4])) as tf.Tensor;
    expectClose(ours, pred.dataSync(), 1e-5);
    tf.dispose(pred);
    loaded.dispose();
    actor.dispose();
    critic.dispose();
  });

  it('orthoInit false: PyTorch nn.Linear default, weights and biases U(±1/√fan_in), seeded', () => {
    const spec: ModelSpec = { obsDim: 11, actionSpace: boxSpace([-1, -1, -1], [1, 1, 1]), hiddenSizes: [256, 256], activation: 'relu', logStdInit: -2 };
    const torch = ActorCritic.create({ ...spec, orthoInit: false }, new Rng(3));
    const ortho = ActorCritic.create(spec, new Rng(3));
    expect(ActorCritic.create({ ...spec, orthoInit: false }, new Rng(3)).params).toEqual(torch.params);
    for (const net of [torch.actor, torch.critic]) {
      for (let l = 0; l < net.numLayers; l++) {
        const bound = 1 / Math.sqrt(net.sizes[l]);
        for (const xs of [net.kernels[l], net.biases[l]]) {
          let max = 0;
          let sq = 0;
          for (const x of xs) {
            max = Math.max(max, Math.abs(x));
            sq += x * x;
          }
          expect(max).toBeLessThanOrEqual(bound);
          if (xs.length >= 256) {
            // U(−b, b) has variance b²/3; the biases of the 256-wide layers and every kernel are large enough to check.
            expect(Math.sqrt(sq / xs.length) / (bound / Math.sqrt(3))).toBeGreaterThan(0.9);
            expect(Math.sqrt(sq / xs.length) / (bound / Math.sqrt(3))).toBeLessThan(1.1);
          }
        }
      }
    }
    // Biases are drawn, not zero, unlike the orthogonal init's; the policy head is not scaled down by 0.01.
    expect(torch.actor.biases[0].some((b) => b !== 0)).toBe(true);
    expect(ortho.actor.biases[0].every((b) => b === 0)).toBe(true);
    const headRms = (m: ActorCritic): number => Math.sqrt(m.actor.kernels[2].reduce((a, x) => a + x * x, 0) / m.actor.kernels[2].length);
    expect(headRms(torch) / headRms(ortho)).toBeGreaterThan(10);
    expect(Array.from(torch.logStd)).toEqual([-2, -2, -2]);
  });
});

describe('optimizers', () => {
  it('Adam follows the PyTorch update rule', () => {
    const opt = new Adam(2, 1e-5);
    const p = new Float32Array([1, -2]);
    const g = new Float32Array([0.5, -0.25]);
    opt.step(p, g, 0.1);
    // First step: m̂ = g, v̂ = g² → step = lr·g/(|g| + ε).
    expectClose(p, [1 - (0.1 * 0.5) / (0.5 + 1e-5), -2 + (0.1 * 0.25) / (0.25 + 1e-5)], 1e-6);
    opt.step(p, g, 0.1);
    const m = 0.9 * 0.1 * 0.5 + 0.1 * 0.5;
    const v = 0.999 * 0.001 * 0.25 + 0.001 * 0.25;
    const expected0 = 1 - (0.1 * 0.5) / (0.5 + 1e-5) - (0.1 * (m / (1 - 0.81))) / (Math.sqrt(v / (1 - 0.999 ** 2)) + 1e-5);
    expect(p[0]).toBeCloseTo(expected0, 5);
    expect(opt.state()).toEqual({ kind: 'adam', t: 2 });
  });

  it('RMSprop follows the PyTorch update rule', () => {
    const opt = new RmsProp(1, 1e-5, 0.99);
    const p = new Float32Array([1]);
    opt.step(p, new Float32Array([2]), 0.01);
    expect(p[0]).toBeCloseTo(1 - (0.01 * 2) / (Math.sqrt(0.01 * 4) + 1e-5), 6);
  });

  it('clipGradNorm scales to the max norm and reports the norm before clipping', () => {
    const g = new Float32Array([3, 4]);
    expect(clipGradNorm(g, 1)).toBeCloseTo(5, 6);
    expect(Math.hypot(g[0], g[1])).toBeCloseTo(1, 4);
    const h = new Float32Array([0.3, 0.4]);
    clipGradNorm(h, 1);
    expectClose(h, [0.3, 0.4], 1e-7);
  });
});
