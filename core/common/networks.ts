/**
 * Multi-layer perceptrons for actors and critics, as CleanRL's PPO builds them: Linear layers with orthogonal
 * weights (gain √2 on hidden layers, 0.01 on the policy head, 1 on the value head), zero biases, tanh between.
 *
 * Two forward paths over the same weights:
 *  - `apply(x)`: tfjs ops on the tf.Variables, differentiable, for update steps (inside tf.tidy);
 *  - `forwardJs(input, batch, out)`: plain JS over a float32 copy of the weights, for the rollout loop, where
 *    per-op tfjs overhead dwarfs the arithmetic of a 64×64 network at batch sizes of 1–64 (see test/bench/common.ts).
 *    The copy is refreshed by `syncCache()`, which the caller runs after every optimizer step.
 *
 * Save/load: `toArtifacts()` writes a genuine tfjs layers model (Sequential of Dense layers) that
 * `tf.loadLayersModel(tf.io.fromMemory(artifacts))` loads and predicts with; `Mlp.fromArtifacts` reads it back.
 */
import * as tf from '@tensorflow/tfjs';
import type { Space } from '../envs/env.js';
import { dense, tanh } from '../tensor/ops.js';
import { orthogonalKernel } from './init.js';
import { Rng } from './rng.js';
import { artifactsFromWeights, specFromArtifacts, weightsFromArtifacts } from './network-artifacts.js';

export type Activation = 'tanh' | 'relu';

export interface MlpSpec {
  inputDim: number;
  hiddenSizes: number[];
  outputDim: number;
  activation: Activation;
  /** Orthogonal gain of the output layer (0.01 for a policy head, 1 for a value head). */
  outputGain: number;
  /** Orthogonal gain of the hidden layers (default √2, for tanh and relu alike, as CleanRL). */
  hiddenGain?: number;
}

/**
 * Batch size from which `Mlp.predict` uses tfjs instead of `forwardJs` (wasm/native backends). Measured on a
 * 4→64→64→2 tanh MLP with tfjs-backend-wasm: forwardJs is 2–4× faster at batch 1–8, even at 16, and 2–8× slower
 * from 32 up (test/bench/common.ts prints both).
 */
export const PREDICT_TF_MIN_BATCH = 24;

/** Gains CleanRL's PPO uses. */
export const GAIN = { hidden: Math.SQRT2, policy: 0.01, value: 1 } as const;

function checkSpec(spec: MlpSpec): Required<MlpSpec> {
  const positive = (name: string, v: number): void => {
    if (!Number.isInteger(v) || v <= 0) throw new Error(`Mlp: ${name} must be a positive integer, got ${v}`);
  };
  positive('inputDim', spec.inputDim);
  positive('outputDim', spec.outputDim);
  if (!Array.isArray(spec.hiddenSizes)) throw new Error('Mlp: hiddenSizes must be an array of positive integers');
  spec.hiddenSizes.forEach((h, i) => positive(`hiddenSizes[${i}]`, h));
  if (spec.activation !== 'tanh' && spec.activation !== 'relu') {
    throw new Error(`Mlp: activation must be 'tanh' or 'relu', got ${JSON.stringify(spec.activation)}`);
  }
  const hiddenGain = spec.hiddenGain ?? GAIN.hidden;
  if (!Number.isFinite(spec.outputGain)) throw new Error(`Mlp: outputGain must be finite, got ${spec.outputGain}`);
  if (!Number.isFinite(hiddenGain)) throw new Error(`Mlp: hiddenGain must be finite, got ${hiddenGain}`);
  return { ...spec, hiddenSizes: [...spec.hiddenSizes], hiddenGain };
}

const ACT_NONE = 0;
const ACT_TANH = 1;
const ACT_RELU = 2;

function activate(s: number, act: number): number {
  return act === ACT_TANH ? Math.tanh(s) : act === ACT_RELU ? (s > 0 ? s : 0) : s;
}

/**
 * y = act(x·K + b) for `batch` rows: x [batch, n], kernel transposed kT [m, n], y [batch, m], all row-major.
 * Blocks of 4 rows × 2 outputs share every load (8 independent accumulators for the CPU to overlap), which
 * measured ~2× faster than one dot product at a time; leftover rows use 4 partial sums. JS engines do not
 * vectorise, so this loop shape is the main lever.
 */
function denseJs(x: Float32Array, batch: number, n: number, m: number, kT: Float32Array, b: Float32Array, y: Float32Array, act: number): void {
  let r = 0;
  for (; r + 4 <= batch; r += 4) {
    const x0 = r * n;
    const x1 = x0 + n;
    const x2 = x1 + n;
    const x3 = x2 + n;
    const y0 = r * m;
    let j = 0;
    for (; j + 2 <= m; j += 2) {
      const wa = j * n;
      const wb = wa + n;
      let a0 = b[j], a1 = a0, a2 = a0, a3 = a0;
      let c0 = b[j + 1], c1 = c0, c2 = c0, c3 = c0;
      for (let k = 0; k < n; k++) {
        const u = kT[wa + k];
        const v = kT[wb + k];
        const v0 = x[x0 + k], v1 = x[x1 + k], v2 = x[x2 + k], v3 = x[x3 + k];
        a0 += v0 * u; a1 += v1 * u; a2 += v2 * u; a3 += v3 * u;
        c0 += v0 * v; c1 += v1 * v; c2 += v2 * v; c3 += v3 * v;
      }
      y[y0 + j] = activate(a0, act);
      y[y0 + m + j] = activate(a1, act);
      y[y0 + 2 * m + j] = activate(a2, act);
      y[y0 + 3 * m + j] = activate(a3, act);
      y[y0 + j + 1] = activate(c0, act);
      y[y0 + m + j + 1] = activate(c1, act);
      y[y0 + 2 * m + j + 1] = activate(c2, act);
      y[y0 + 3 * m + j + 1] = activate(c3, act);
    }
    for (; j < m; j++) {
      const wa = j * n;
      let a0 = b[j], a1 = a0, a2 = a0, a3 = a0;
      for (let k = 0; k < n; k++) {
        const u = kT[wa + k];
        a0 += x[x0 + k] * u; a1 += x[x1 + k] * u; a2 += x[x2 + k] * u; a3 += x[x3 + k] * u;
      }
      y[y0 + j] = activate(a0, act);
      y[y0 + m + j] = activate(a1, act);
      y[y0 + 2 * m + j] = activate(a2, act);
      y[y0 + 3 * m + j] = activate(a3, act);
    }
  }
  const n4 = n & ~3;
  for (; r < batch; r++) {
    const xo = r * n;
    const yo = r * m;
    for (let j = 0; j < m; j++) {
      const wo = j * n;
      let s0 = b[j], s1 = 0, s2 = 0, s3 = 0;
      let k = 0;
      for (; k < n4; k += 4) {
        s0 += x[xo + k] * kT[wo + k];
        s1 += x[xo + k + 1] * kT[wo + k + 1];
        s2 += x[xo + k + 2] * kT[wo + k + 2];
        s3 += x[xo + k + 3] * kT[wo + k + 3];
      }
      for (; k < n; k++) s0 += x[xo + k] * kT[wo + k];
      y[yo + j] = activate(s0 + s1 + (s2 + s3), act);
    }
  }
}

/** A trainable variable holding `initial`'s values; `initial` is disposed (the variable keeps its own reference). */
function ownedVariable(initial: tf.Tensor): tf.Variable {
  const v = tf.variable(initial, true);
  initial.dispose();
  return v;
}

export class Mlp {
  readonly spec: Required<MlpSpec>;
  /** Layer widths: [inputDim, ...hiddenSizes, outputDim]. */
  readonly dims: readonly number[];
  /** Kernels [in, out] and biases [out], interleaved: [kernel0, bias0, kernel1, bias1, …]. */
  readonly variables: tf.Variable[];
  // Weight cache for forwardJs: kernels transposed to [out, in] so the inner loop is a contiguous dot product.
  readonly #kernelsT: Float32Array[];
  readonly #biases: Float32Array[];
  // Ping-pong activations for forwardJs, grown on demand (never shrunk).
  #bufA = new Float32Array(0);
  #bufB = new Float32Array(0);
  #disposed = false;

  constructor(spec: MlpSpec, rng: Rng) {
    this.spec = checkSpec(spec);
    const dims = [this.spec.inputDim, ...this.spec.hiddenSizes, this.spec.outputDim];
    this.dims = dims;
    this.variables = [];
    this.#kernelsT = [];
    this.#biases = [];
    const layers = dims.length - 1;
    for (let l = 0; l < layers; l++) {
      const gain = l === layers - 1 ? this.spec.outputGain : this.spec.hiddenGain;
      const kernel = orthogonalKernel(dims[l], dims[l + 1], gain, rng);
      this.variables.push(ownedVariable(tf.tensor2d(kernel, [dims[l], dims[l + 1]])));
      this.variables.push(ownedVariable(tf.zeros([dims[l + 1]])));
      this.#kernelsT.push(new Float32Array(dims[l] * dims[l + 1]));
      this.#biases.push(new Float32Array(dims[l + 1]));
    }
    this.syncCache();
  }

  get numLayers(): number {
    return this.dims.length - 1;
  }

  /** Total number of weights. */
  get numParameters(): number {
    let n = 0;
    for (let l = 0; l < this.numLayers; l++) n += (this.dims[l] + 1) * this.dims[l + 1];
    return n;
  }

  /** Differentiable forward pass: x [B, inputDim] → [B, outputDim]. Call inside tf.tidy. */
  apply(x: tf.Tensor2D): tf.Tensor2D {
    this.#checkAlive();
    if (x.rank !== 2 || x.shape[1] !== this.spec.inputDim) {
      throw new Error(`Mlp.apply: input must have shape [batch, ${this.spec.inputDim}], got [${x.shape}]`);
    }
    let h = x;
    const last = this.numLayers - 1;
    for (let l = 0; l <= last; l++) {
      // core/tensor/ops.ts picks the fastest formulation for the active backend.
      h = dense(h, this.variables[2 * l] as tf.Tensor2D, this.variables[2 * l + 1] as tf.Tensor1D);
      if (l < last) h = this.spec.activation === 'tanh' ? tanh(h) : tf.relu(h);
    }
    return h;
  }

  /**
   * Plain-JS forward pass on the weight cache: `input` holds `batch` rows of inputDim floats; writes
   * batch × outputDim floats into `out` and returns it. Allocates only when `batch` exceeds every earlier call.
   */
  forwardJs(input: Float32Array, batch: number, out: Float32Array): Float32Array {
    this.#checkAlive();
    const dims = this.dims;
    const inDim = dims[0];
    const outDim = dims[dims.length - 1];
    if (!Number.isInteger(batch) || batch < 0) throw new Error(`Mlp.forwardJs: batch must be a non-negative integer, got ${batch}`);
    if (input.length < batch * inDim) throw new Error(`Mlp.forwardJs: input holds ${input.length} floats, needs ${batch * inDim}`);
    if (out.length < batch * outDim) throw new Error(`Mlp.forwardJs: out holds ${out.length} floats, needs ${batch * outDim}`);
    let maxWidth = 0;
    for (let l = 1; l < dims.length - 1; l++) if (dims[l] > maxWidth) maxWidth = dims[l];
    if (this.#bufA.length < batch * maxWidth) {
      this.#bufA = new Float32Array(batch * maxWidth);
      this.#bufB = new Float32Array(batch * maxWidth);
    }
    const hiddenAct = this.spec.activation === 'tanh' ? ACT_TANH : ACT_RELU;
    const last = this.numLayers - 1;
    let src = input;
    for (let l = 0; l <= last; l++) {
      const dst = l === last ? out : l % 2 === 0 ? this.#bufA : this.#bufB;
      denseJs(src, batch, dims[l], dims[l + 1], this.#kernelsT[l], this.#biases[l], dst, l === last ? ACT_NONE : hiddenAct);
      src = dst;
    }
    return out;
  }

  /**
   * Rollout-time forward pass into `out`, by whichever path is faster here: `forwardJs` for small batches
   * (and always on tfjs's cpu backend), `apply` + one read-back from `batch >= PREDICT_TF_MIN_BATCH` on wasm or
   * tfjs-node, where a tfjs call's fixed cost (~35–80 µs) is repaid by SIMD/native matMul. The results agree
   * to ~1e-6 (float32 rounding; wasm's tanh goes through the sigmoid). Needs `syncCache()` after updates, as
   * `forwardJs` does.
   */
  predict(input: Float32Array, batch: number, out: Float32Array): Float32Array {
    if (batch < PREDICT_TF_MIN_BATCH || tf.getBackend() === 'cpu') return this.forwardJs(input, batch, out);
    const { inputDim, outputDim } = this.spec;
    if (input.length < batch * inputDim) throw new Error(`Mlp.predict: input holds ${input.length} floats, needs ${batch * inputDim}`);
    if (out.length < batch * outputDim) throw new Error(`Mlp.predict: out holds ${out.length} floats, needs ${batch * outputDim}`);
    const y = tf.tidy(() => this.apply(tf.tensor2d(input.subarray(0, batch * inputDim), [batch, inputDim])));
    try {
      out.set(y.dataSync() as Float32Array);
    } finally {
      y.dispose();
    }
    return out;
  }

  /** Copies the variables into the forwardJs weight cache (run after every optimizer step or setWeights). */
  syncCache(): void {
    this.#checkAlive();
    for (let l = 0; l < this.numLayers; l++) {
      const n = this.dims[l];
      const m = this.dims[l + 1];
      const kernel = this.variables[2 * l].dataSync() as Float32Array;
      const kt = this.#kernelsT[l];
      for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) kt[j * n + i] = kernel[i * m + j];
      this.#biases[l].set(this.variables[2 * l + 1].dataSync() as Float32Array);
    }
  }

  /** Copies of the weights in `variables` order (kernels row-major [in, out]). */
  getWeights(): Float32Array[] {
    this.#checkAlive();
    return this.variables.map((v) => (v.dataSync() as Float32Array).slice());
  }

  /** Assigns weights (in `variables` order) and refreshes the cache. */
  setWeights(weights: readonly Float32Array[]): void {
    this.#checkAlive();
    if (weights.length !== this.variables.length) {
      throw new Error(`Mlp.setWeights: expected ${this.variables.length} arrays (kernel and bias per layer), got ${weights.length}`);
    }
    this.variables.forEach((v, i) => {
      if (weights[i].length !== v.size) {
        throw new Error(`Mlp.setWeights: weights[${i}] has ${weights[i].length} values, variable of shape [${v.shape}] needs ${v.size}`);
      }
    });
    this.variables.forEach((v, i) => tf.tidy(() => v.assign(tf.tensor(weights[i], v.shape))));
    this.syncCache();
  }

  /** Copies another network's weights (same architecture), e.g. an old policy for KL or a target network. */
  copyFrom(other: Mlp): void {
    this.setWeights(other.getWeights());
  }

  /** tfjs layers-model artifacts (Sequential of Dense layers) with the current weights. */
  toArtifacts(name = 'mlp'): tf.io.ModelArtifacts {
    this.#checkAlive();
    return artifactsFromWeights(this.spec, this.getWeights(), name);
  }

  /**
   * Rebuilds an Mlp from `toArtifacts()` output (or any tfjs Sequential of Dense layers with bias and a shared
   * tanh/relu hidden activation and linear output). `rng` only seeds the throwaway initial weights.
   */
  static fromArtifacts(artifacts: tf.io.ModelArtifacts, rng: Rng = new Rng(0)): Mlp {
    const spec = specFromArtifacts(artifacts);
    const mlp = new Mlp(spec, rng);
    try {
      mlp.setWeights(weightsFromArtifacts(artifacts, mlp.dims));
    } catch (error) {
      mlp.dispose();
      throw error;
    }
    return mlp;
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    for (const v of this.variables) v.dispose();
  }

  #checkAlive(): void {
    if (this.#disposed) throw new Error('Mlp used after dispose()');
  }
}

/** Number of actor outputs for an action space: n logits (Discrete) or the Box's size (Gaussian means). */
export function actionDim(space: Space): number {
  return space.kind === 'discrete' ? space.n : space.shape.reduce((a, b) => a * b, 1);
}
