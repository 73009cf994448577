/**
 * The LM engine's twin in tfjs ops: the same decoder-only transformer (pre-LayerNorm blocks, causal multi-head
 * attention, learned positions, tanh-GELU MLP, tied embeddings, dropout) with gradients from tfjs autodiff. Two jobs:
 *   1. the gradient reference of the hand-written engine (engine.ts): it loads the engine's flat parameters in the
 *      engine's layout (config.ts paramLayout), computes the same masked mean cross-entropy, and returns gradients in
 *      that layout, so test/unit/lm/tfjs-twin.test.ts compares the two tensor by tensor;
 *   2. the path GPU backends accelerate: it runs on whatever core/tensor/backend.ts selected (tfjs-node-gpu,
 *      tfjs-node, wasm, cpu — in that order, each skipped candidate recorded with its reason).
 *
 * Embeddings: tfjs's gather gradient is an UnsortedSegmentSum, which the wasm backend does not implement, so there
 * (and on any backend without that kernel) the lookup is one-hot · wte, whose gradient is a matMul; elsewhere it is
 * tf.gather. `embedding` says which one a twin uses.
 *
 * One-hot tensors are built int32 and cast: tfjs-wasm 4.22's OneHot kernel writes int32 whatever dtype is asked,
 * which read as float32 gives denormals (a loss of 4e-45).
 *
 * Dropout uses tf.dropout's own random masks, so with dropout > 0 the twin and the engine agree only in distribution.
 */
import * as tf from '@tensorflow/tfjs';
import { describeBackend, initBackend, type BackendInfo } from '../tensor/backend.js';
import { type LmConfig, type ParamLayout, paramLayout, validateConfig } from './config.js';
import { checkBatch, type Batch } from './engine.js';

const GELU_S = Math.sqrt(2 / Math.PI);
/** Added to the scores above the diagonal: exp(-1e9 - max) is exactly 0 in float32, as the engine's zeros are. */
const MASKED = -1e9;

export type EmbeddingPath = 'gather' | 'one-hot matMul';

interface LayerVars {
  ln1w: tf.Variable; ln1b: tf.Variable; qkvw: tf.Variable; qkvb: tf.Variable; projw: tf.Variable; projb: tf.Variable; // prettier-ignore
  ln2w: tf.Variable; ln2b: tf.Variable; fcw: tf.Variable; fcb: tf.Variable; fcprojw: tf.Variable; fcprojb: tf.Variable; // prettier-ignore
}

/** The embedding path a backend supports with a gradient (see the module comment). */
export function embeddingPathFor(backendName: string): EmbeddingPath {
  return tf.getKernel('UnsortedSegmentSum', backendName) !== undefined ? 'gather' : 'one-hot matMul';
}

export class LmTfjs {
  readonly config: LmConfig;
  readonly layout: ParamLayout;
  readonly embedding: EmbeddingPath;
  /** The tfjs backend the twin computes on (tf.getBackend() when it was built). */
  readonly backend: string;
  /** One variable per layout tensor, in layout order. */
  readonly #vars: tf.Variable[];
  readonly #wte: tf.Variable;
  readonly #wpe: tf.Variable;
  readonly #layers: LayerVars[];
  readonly #lnfw: tf.Variable;
  readonly #lnfb: tf.Variable;
  #disposed = false;

  /** Needs a tfjs backend ready (initBackend(), or use lmTfjs()); weights start at `params` (the engine's flat layout) or 0. */
  constructor(config: LmConfig, params?: Float32Array) {
    this.config = validateConfig(config);
    this.layout = paramLayout(this.config);
    this.backend = tf.getBackend();
    this.embedding = embeddingPathFor(this.backend);
    // Unnamed variables: tfjs names must be unique per process, and several twins may coexist. The tidy disposes
    // each initial zeros tensor (a variable holds its own reference to the data).
    this.#vars = this.layout.tensors.map(([, , shape]) => tf.tidy(() => tf.variable(tf.zeros(shape), true)));
    const byName = new Map(this.layout.tensors.map(([name], i) => [name, this.#vars[i]]));
    const get = (name: string): tf.Variable => byName.get(name) as tf.Variable;
    this.#wte = get('wte');
    this.#wpe = get('wpe');
    this.#layers = Array.from({ length: this.config.nLayer }, (_, l) => {
      const p = `h${l}.`;
      return {
        ln1w: get(p + 'ln1.w'), ln1b: get(p + 'ln1.b'), qkvw: get(p + 'attn.qkv.w'), qkvb: get(p + 'attn.qkv.b'), // prettier-ignore
        projw: get(p + 'attn.proj.w'), projb: get(p + 'attn.proj.b'), ln2w: get(p + 'ln2.w'), ln2b: get(p + 'ln2.b'), // prettier-ignore
        fcw: get(p + 'mlp.fc.w'), fcb: get(p + 'mlp.fc.b'), fcprojw: get(p + 'mlp.proj.w'), fcprojb: get(p + 'mlp.proj.b'), // prettier-ignore
      };
    });
    this.#lnfw = get('lnf.w');
    this.#lnfb = get('lnf.b');
    if (params) this.setFlatParams(params);
  }

  /** Loads weights from a flat vector in the engine's layout (engine.params or getFlatParams(engine)). */
  setFlatParams(flat: Float32Array): void {
    this.#live();
    if (!(flat instanceof Float32Array) || flat.length !== this.layout.total) {
      throw new Error(`LmTfjs.setFlatParams needs a Float32Array of ${this.layout.total} values, got ${flat instanceof Float32Array ? flat.length : typeof flat}`);
    }
    tf.tidy(() => {
      this.layout.tensors.forEach(([, at, shape], i) => {
        const n = shape.reduce((a, b) => a * b, 1);
        this.#vars[i].assign(tf.tensor(flat.slice(at, at + n), shape, 'float32'));
      });
    });
  }

  /** The weights as one flat vector in the engine's layout (one read-back). */
  getFlatParams(): Float32Array {
    this.#live();
    const flat = tf.tidy(() => tf.concat(this.#vars.map((v) => v.reshape([-1]))));
    try {
      return flat.dataSync() as Float32Array;
    } finally {
      flat.dispose();
    }
  }

  /** Logits [B·T, V] as a tensor (the caller disposes it). `training` turns dropout on. */
  logits(tokens: Int32Array, B: number, T: number, training = false): tf.Tensor2D {
    this.#live();
    const { ctx, vocabSize: V } = this.config;
    if (!Number.isInteger(T) || T < 1 || T > ctx) throw new Error(`sequence length must be an integer in [1, ${ctx}], got ${T}`);
    if (!Number.isInteger(B) || B < 1) throw new Error(`batch size must be a positive integer, got ${B}`);
    if (tokens.length < B * T) throw new Error(`tokens has ${tokens.length} entries, need B·T = ${B * T}`);
    for (let i = 0; i < B * T; i++) if (!(tokens[i] >= 0 && tokens[i] < V)) throw new Error(`token ${tokens[i]} at ${i} is outside the vocabulary [0, ${V})`);
    return tf.tidy(() => this.#logits(tokens.subarray(0, B * T), B, T, training));
  }

  /** Forward pass read back: logits [B·T, V] (what engine.forward returns). */
  forward(tokens: Int32Array, B: number, T: number): Float32Array {
    const t = this.logits(tokens, B, T, false);
    try {
      return t.dataSync() as Float32Array;
    } finally {
      t.dispose();
    }
  }

  /** Mean masked next-token loss (dropout off), as engine.evalLoss. */
  evalLoss(batch: Batch): number {
    this.#live();
    const weight = maskWeight(batch, this.config.vocabSize);
    const t = tf.tidy(() => this.#loss(batch, weight, false));
    try {
      return t.dataSync()[0];
    } finally {
      t.dispose();
    }
  }

  /**
   * The loss of engine.forwardBackward and its gradient by tfjs autodiff, in the engine's flat layout (one read-back
   * of the loss, one of the gradients).
   */
  lossAndGrads(batch: Batch, training = true): { loss: number; grads: Float32Array } {
    this.#live();
    const weight = maskWeight(batch, this.config.vocabSize);
    const { value, grads } = tf.variableGrads(() => this.#loss(batch, weight, training), this.#vars);
    try {
      const loss = value.dataSync()[0];
      const flat = tf.tidy(() => tf.concat(this.#vars.map((v) => grads[v.name].reshape([-1]))));
      try {
        return { loss, grads: flat.dataSync() as Float32Array };
      } finally {
        flat.dispose();
      }
    } finally {
      value.dispose();
      tf.dispose(grads);
    }
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    tf.dispose(this.#vars);
  }

  #live(): void {
    if (this.#disposed) throw new Error('LmTfjs used after dispose()');
  }

  /** −Σ mask·log softmax(logits)[target] / Σ mask, the engine's loss. */
  #loss(batch: Batch, weight: number, training: boolean): tf.Scalar {
    const { B, T } = batch;
    const N = B * T;
    const V = this.config.vocabSize;
    const logp = tf.logSoftmax(this.#logits(batch.tokens, B, T, training));
    const picked = tf.sum(tf.mul(logp, tf.cast(tf.oneHot(tf.tensor1d(batch.targets, 'int32'), V), 'float32')), -1);
    const mask = batch.mask ? tf.tensor1d(batch.mask, 'float32') : tf.ones([N]);
    return tf.div(tf.neg(tf.sum(tf.mul(picked, mask))), weight) as tf.Scalar;
  }

  /** Untidied forward (callers tidy): tokens [B·T] → logits [B·T, V]. */
  #logits(tokens: Int32Array, B: number, T: number, training: boolean): tf.Tensor2D {
    const { nEmbd: C, nHead: H, vocabSize: V, dropout } = this.config;
    const N = B * T;
    const ids = tf.tensor1d(tokens, 'int32');
    const tokEmb = this.embedding === 'gather' ? tf.gather(this.#wte, ids) : tf.matMul(tf.cast(tf.oneHot(ids, V), 'float32'), this.#wte);
    const pos = tf.slice(this.#wpe, [0, 0], [T, C]);
    const drop = (x: tf.Tensor): tf.Tensor => (training && dropout > 0 ? tf.dropout(x, dropout) : x);
    let x = drop(tf.add(tokEmb.reshape([B, T, C]), pos)).reshape([N, C]) as tf.Tensor2D;
    // [T, T]: 0 on and below the diagonal, MASKED above (position t attends to t2 ≤ t).
    const causal = tf.tensor2d(causalMask(T), [T, T]);
    const hs = C / H;
    const heads = (t: tf.Tensor): tf.Tensor4D => t.reshape([B, T, H, hs]).transpose([0, 2, 1, 3]) as tf.Tensor4D;
    for (const w of this.#layers) {
      const qkv = linear(layerNorm(x, w.ln1w, w.ln1b), w.qkvw, w.qkvb);
      const [q, k, v] = tf.split(qkv, 3, 1);
      const scores = tf.add(tf.mul(tf.matMul(heads(q), heads(k), false, true), 1 / Math.sqrt(hs)), causal);
      const y = tf.matMul(tf.softmax(scores), heads(v)).transpose([0, 2, 1, 3]).reshape([N, C]) as tf.Tensor2D;
      x = tf.add(x, drop(linear(y, w.projw, w.projb)));
      const h = linear(layerNorm(x, w.ln2w, w.ln2b), w.fcw, w.fcb);
      x = tf.add(x, drop(linear(gelu(h), w.fcprojw, w.fcprojb)));
    }
    return tf.matMul(layerNorm(x, this.#lnfw, this.#lnfb), this.#wte, false, true);
  }
}

/** Initialises the process's tfjs backend (fastest available first, skips recorded) and builds a twin on it. */
export async function lmTfjs(config: LmConfig, params?: Float32Array): Promise<{ model: LmTfjs; backend: BackendInfo }> {
  await initBackend();
  return { model: new LmTfjs(config, params), backend: describeBackend() };
}

function maskWeight(batch: Batch, V: number): number {
  checkBatch(batch, V);
  const { B, T, targets, mask } = batch;
  for (let i = 0; i < B * T; i++) if (!(targets[i] >= 0 && targets[i] < V)) throw new Error(`target ${targets[i]} at row ${i} is outside the vocabulary [0, ${V})`);
  let weight = 0;
  for (let i = 0; i < B * T; i++) weight += mask ? mask[i] : 1;
  if (!(weight > 0)) throw new Error('the loss mask selects no tokens (its weights sum to 0)');
  return weight;
}

function causalMask(T: number): Float32Array {
  const m = new Float32Array(T * T);
  for (let t = 0; t < T; t++) m.fill(MASKED, t * T + t + 1, t * T + T);
  return m;
}

/** x [N, IC] · Wᵀ + b with W [OC, IC] (the engine's layout). */
function linear(x: tf.Tensor, w: tf.Variable, b: tf.Variable): tf.Tensor2D {
  return tf.add(tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D, false, true), b);
}

/** LayerNorm over the last axis, biased variance, eps 1e-5 (the engine's). */
function layerNorm(x: tf.Tensor, w: tf.Variable, b: tf.Variable): tf.Tensor2D {
  const { mean, variance } = tf.moments(x, -1, true);
  return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, 1e-5))), w), b);
}

/** GPT-2's tanh GELU: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))). */
function gelu(x: tf.Tensor): tf.Tensor {
  const inner = tf.mul(tf.add(x, tf.mul(tf.mul(tf.mul(x, x), x), 0.044715)), GELU_S);
  return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.tanh(inner)));
}
