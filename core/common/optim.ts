/**
 * Gradient clipping and Adam, with PyTorch's semantics so hyperparameters carry over from CleanRL/SB3:
 *  - `clipByGlobalNorm` = torch.nn.utils.clip_grad_norm_: total = ‖(‖g₁‖, …, ‖gₖ‖)‖₂,
 *    every gradient × min(1, maxNorm / (total + 1e-6)); the pre-clip norm is returned for logging.
 *  - `Adam` = torch.optim.Adam (no weight decay, no amsgrad): bias-corrected moments, `eps` added to
 *    sqrt(v̂) (CleanRL's PPO uses eps = 1e-5; tfjs's own Adam defaults to 1e-7). Its state is a plain list in
 *    variable order, so a checkpoint restores it exactly into freshly created variables (tfjs's optimizer
 *    keys state by auto-generated variable names, which differ between processes).
 */
import * as tf from '@tensorflow/tfjs';

export type Gradients = tf.NamedTensorMap | tf.Tensor[];

/** torch's clip_grad_norm_ adds this to the norm before dividing. */
const CLIP_EPS = 1e-6;

/** ‖g‖₂ over every entry of every gradient, as a scalar tensor (no sync). */
export function globalNorm(grads: Gradients): tf.Scalar {
  const list = Array.isArray(grads) ? grads : Object.values(grads);
  if (list.length === 0) throw new Error('globalNorm: no gradients');
  return tf.tidy(() => tf.sqrt(tf.addN(list.map((g) => tf.sum(tf.square(g))))) as tf.Scalar);
}

/**
 * Clips gradients to global norm `maxNorm` (torch.nn.utils.clip_grad_norm_). Returns new tensors in the same
 * shape of container (the caller disposes both the input and the result) and the pre-clip norm, read back once.
 * `maxNorm = Infinity` returns copies and the norm without clipping.
 */
export function clipByGlobalNorm<G extends Gradients>(grads: G, maxNorm: number): { grads: G; norm: number } {
  if (!(maxNorm > 0)) throw new Error(`clipByGlobalNorm: maxNorm must be > 0, got ${maxNorm}`);
  const normTensor = globalNorm(grads);
  const norm = normTensor.dataSync()[0];
  normTensor.dispose();
  const coef = Number.isFinite(maxNorm) ? Math.min(1, maxNorm / (norm + CLIP_EPS)) : 1;
  const scale = (g: tf.Tensor): tf.Tensor => (coef === 1 ? g.clone() : tf.tidy(() => tf.mul(g, coef)));
  if (Array.isArray(grads)) return { grads: grads.map(scale) as G, norm };
  const out: tf.NamedTensorMap = {};
  for (const [name, g] of Object.entries(grads)) out[name] = scale(g);
  return { grads: out as G, norm };
}

export interface AdamOptions {
  learningRate: number;
  beta1?: number;
  beta2?: number;
  /** Added to sqrt(v̂); CleanRL PPO: 1e-5, torch default: 1e-8. */
  eps?: number;
}

/** Adam's state for checkpoints: step count and moments in variable order. */
export interface AdamState {
  step: number;
  m: Float32Array[];
  v: Float32Array[];
}

export interface UpdateResult {
  /** The loss before the step. */
  loss: number;
  /** Global gradient norm before clipping. */
  gradNorm: number;
}

/** A non-trainable zero variable shaped like `v` (the temporary zeros tensor is released). */
function zeroSlot(v: tf.Variable): tf.Variable {
  const zeros = tf.zerosLike(v);
  const slot = tf.variable(zeros, false);
  zeros.dispose();
  return slot;
}

export class Adam {
  readonly variables: readonly tf.Variable[];
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  #learningRate: number;
  #step = 0;
  readonly #m: tf.Variable[];
  readonly #v: tf.Variable[];
  #disposed = false;

  constructor(variables: readonly tf.Variable[], options: AdamOptions) {
    const { learningRate, beta1 = 0.9, beta2 = 0.999, eps = 1e-8 } = options;
    if (variables.length === 0) throw new Error('Adam: no variables to optimise');
    if (!(beta1 >= 0 && beta1 < 1)) throw new Error(`Adam: beta1 must be in [0, 1), got ${beta1}`);
    if (!(beta2 >= 0 && beta2 < 1)) throw new Error(`Adam: beta2 must be in [0, 1), got ${beta2}`);
    if (!(eps >= 0)) throw new Error(`Adam: eps must be >= 0, got ${eps}`);
    this.variables = [...variables];
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.eps = eps;
    this.#learningRate = 0;
    this.learningRate = learningRate;
    this.#m = variables.map(zeroSlot);
    this.#v = variables.map(zeroSlot);
  }

  get learningRate(): number {
    return this.#learningRate;
  }

  /** Set before each update to follow a schedule. */
  set learningRate(lr: number) {
    if (!(lr >= 0) || !Number.isFinite(lr)) throw new Error(`Adam: learningRate must be a finite number >= 0, got ${lr}`);
    this.#learningRate = lr;
  }

  /** Number of steps taken (torch's `state['step']`). */
  get stepCount(): number {
    return this.#step;
  }

  /**
   * One Adam step. `grads` is either a list in `variables` order or a map keyed by variable name
   * (what tf.variableGrads returns); every gradient is multiplied by `gradScale` first (how `update` applies
   * global-norm clipping without materialising clipped copies). The gradients are not disposed.
   */
  applyGradients(grads: Gradients, gradScale = 1): void {
    this.#checkAlive();
    if (!Number.isFinite(gradScale)) throw new Error(`Adam: gradScale must be finite, got ${gradScale}`);
    const list = this.#ordered(grads);
    this.#step++;
    const t = this.#step;
    const { beta1: b1, beta2: b2 } = this;
    // torch: p −= (lr / (1 − β₁ᵗ)) · m / (sqrt(v) / sqrt(1 − β₂ᵗ) + eps)
    //          = p − (lr · sqrt(1 − β₂ᵗ) / (1 − β₁ᵗ)) · m / (sqrt(v) + eps · sqrt(1 − β₂ᵗ))   (fewer tensor ops)
    const sqrtBias2 = Math.sqrt(1 - b2 ** t);
    const stepSize = (this.#learningRate * sqrtBias2) / (1 - b1 ** t);
    const epsHat = this.eps * sqrtBias2;
    const gScale1 = (1 - b1) * gradScale;
    const gScale2 = (1 - b2) * gradScale * gradScale;
    tf.tidy(() => {
      for (let i = 0; i < list.length; i++) {
        const g = list[i];
        const m = tf.add(tf.mul(this.#m[i], b1), tf.mul(g, gScale1));
        const v = tf.add(tf.mul(this.#v[i], b2), tf.mul(tf.square(g), gScale2));
        this.#m[i].assign(m);
        this.#v[i].assign(v);
        this.variables[i].assign(tf.sub(this.variables[i], tf.mul(tf.div(m, tf.add(tf.sqrt(v), epsHat)), stepSize)));
      }
    });
  }

  /**
   * Gradient step on `loss` over this optimizer's variables: gradients, optional global-norm clipping
   * (`maxGradNorm`, Infinity = none; torch clip_grad_norm_ semantics), Adam. Disposes every intermediate;
   * reads the loss and the pre-clip norm back once.
   */
  update(loss: () => tf.Scalar, maxGradNorm = Infinity): UpdateResult {
    this.#checkAlive();
    if (!(maxGradNorm > 0)) throw new Error(`Adam.update: maxGradNorm must be > 0, got ${maxGradNorm}`);
    const { value, grads } = tf.variableGrads(loss, this.variables as tf.Variable[]);
    try {
      const normTensor = globalNorm(grads);
      const gradNorm = normTensor.dataSync()[0];
      normTensor.dispose();
      const coef = Number.isFinite(maxGradNorm) ? Math.min(1, maxGradNorm / (gradNorm + CLIP_EPS)) : 1;
      this.applyGradients(grads, coef);
      return { loss: value.dataSync()[0], gradNorm };
    } finally {
      value.dispose();
      tf.dispose(grads);
    }
  }

  getState(): AdamState {
    this.#checkAlive();
    return {
      step: this.#step,
      m: this.#m.map((x) => (x.dataSync() as Float32Array).slice()),
      v: this.#v.map((x) => (x.dataSync() as Float32Array).slice()),
    };
  }

  setState(state: AdamState): void {
    this.#checkAlive();
    if (!Number.isInteger(state.step) || state.step < 0) throw new Error(`Adam.setState: step must be a non-negative integer, got ${state.step}`);
    if (state.m.length !== this.variables.length || state.v.length !== this.variables.length) {
      throw new Error(`Adam.setState: expected ${this.variables.length} moment arrays each, got ${state.m.length} and ${state.v.length}`);
    }
    this.variables.forEach((p, i) => {
      if (state.m[i].length !== p.size || state.v[i].length !== p.size) {
        throw new Error(`Adam.setState: moments ${i} must have ${p.size} values (variable shape [${p.shape}])`);
      }
    });
    tf.tidy(() => {
      this.variables.forEach((p, i) => {
        this.#m[i].assign(tf.tensor(state.m[i], p.shape));
        this.#v[i].assign(tf.tensor(state.v[i], p.shape));
      });
    });
    this.#step = state.step;
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    tf.dispose([...this.#m, ...this.#v]);
  }

  #ordered(grads: Gradients): tf.Tensor[] {
    const n = this.variables.length;
    const list = Array.isArray(grads) ? grads : this.variables.map((v) => grads[v.name]);
    if (list.length !== n) throw new Error(`Adam: expected ${n} gradients, got ${list.length}`);
    list.forEach((g, i) => {
      if (g === undefined) throw new Error(`Adam: no gradient for variable ${this.variables[i].name}`);
      const p = this.variables[i];
      if (g.size !== p.size || g.rank !== p.rank) throw new Error(`Adam: gradient ${i} has shape [${g.shape}], variable has [${p.shape}]`);
    });
    return list;
  }

  #checkAlive(): void {
    if (this.#disposed) throw new Error('Adam used after dispose()');
  }
}
