/** AdamW over the engine's flat parameters, the warm-up + cosine learning-rate schedule, and flat get/set for checkpoints. */
/**
 * What AdamW updates: a flat parameter vector and its gradient, with a layout whose 2-D tensors get weight decay
 * (an LmEngine, or a scalar head's ParamSet).
 */
export interface ParamSet {
  readonly params: Float32Array;
  readonly grads: Float32Array;
  readonly layout: { readonly tensors: readonly (readonly [string, number, readonly number[]])[] };
}

export interface AdamWConfig {
  /** Peak learning rate (after warm-up). */
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  /** Decoupled weight decay, applied to matrices (embeddings and linear weights) only, not to biases or LayerNorm. */
  weightDecay: number;
  /** Global gradient-norm clip (0 = off). */
  gradClip: number;
}

export const ADAMW_DEFAULTS: AdamWConfig = { lr: 1e-3, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1, gradClip: 1 };

/** Linear warm-up from 0 to `lr` over `warmupSteps`, then cosine decay to `minLr` at `totalSteps` (held after). */
export function lrAt(step: number, lr: number, warmupSteps: number, totalSteps: number, minLr = 0): number {
  if (!(step >= 0) || !(warmupSteps >= 0) || !(totalSteps >= 1)) throw new Error(`lrAt needs step ≥ 0, warmupSteps ≥ 0, totalSteps ≥ 1; got ${step}, ${warmupSteps}, ${totalSteps}`);
  if (step < warmupSteps) return (lr * (step + 1)) / warmupSteps;
  if (step >= totalSteps) return minLr;
  const progress = (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps);
  return minLr + 0.5 * (lr - minLr) * (1 + Math.cos(Math.PI * progress));
}

/** The global L2 norm of the gradients of one or more parameter sets. */
export function gradNorm(...sets: readonly Pick<ParamSet, 'grads'>[]): number {
  let sq = 0;
  for (const s of sets) for (let i = 0; i < s.grads.length; i++) sq += s.grads[i] * s.grads[i];
  return Math.sqrt(sq);
}

export class AdamW {
  readonly config: AdamWConfig;
  readonly m: Float32Array;
  readonly v: Float32Array;
  /** Steps taken. */
  t = 0;
  readonly #decay: Uint8Array;

  constructor(engine: ParamSet, config: Partial<AdamWConfig> = {}) {
    this.config = { ...ADAMW_DEFAULTS, ...config };
    const c = this.config;
    if (!(c.lr > 0) || !(c.beta1 >= 0 && c.beta1 < 1) || !(c.beta2 >= 0 && c.beta2 < 1) || !(c.eps > 0) || !(c.weightDecay >= 0) || !(c.gradClip >= 0)) {
      throw new Error(`AdamW config invalid: ${JSON.stringify(c)} (lr > 0, betas in [0, 1), eps > 0, weightDecay ≥ 0, gradClip ≥ 0)`);
    }
    const n = engine.params.length;
    this.m = new Float32Array(n);
    this.v = new Float32Array(n);
    this.#decay = new Uint8Array(n);
    for (const [, at, shape] of engine.layout.tensors) if (shape.length === 2) this.#decay.fill(1, at, at + shape[0] * shape[1]);
  }

  /**
   * One update of engine.params from engine.grads at learning rate `lr` (default the config's); returns the pre-clip
   * gradient norm. `norm`: clip by this norm instead of the set's own (the global norm over several ParamSets
   * updated together, e.g. a trunk and its head: gradNorm(...sets)).
   */
  step(engine: ParamSet, lr = this.config.lr, norm = gradNorm(engine)): number {
    const { beta1, beta2, eps, weightDecay, gradClip } = this.config;
    const p = engine.params;
    const g = engine.grads;
    if (!Number.isFinite(norm)) throw new Error('AdamW.step: the gradient is not finite (nothing updated)');
    const scale = gradClip > 0 && norm > gradClip ? gradClip / norm : 1;
    this.t++;
    const bc1 = 1 - Math.pow(beta1, this.t);
    const bc2 = 1 - Math.pow(beta2, this.t);
    const m = this.m;
    const v = this.v;
    const d = this.#decay;
    for (let i = 0; i < p.length; i++) {
      const gi = g[i] * scale;
      m[i] = beta1 * m[i] + (1 - beta1) * gi;
      v[i] = beta2 * v[i] + (1 - beta2) * gi * gi;
      p[i] -= lr * (m[i] / bc1 / (Math.sqrt(v[i] / bc2) + eps) + (d[i] ? weightDecay * p[i] : 0));
    }
    return norm;
  }
}

/** A copy of the flat parameter vector (the checkpoint's weights, in paramLayout order). */
export function getFlatParams(engine: Pick<ParamSet, 'params'>): Float32Array {
  return engine.params.slice();
}

export function setFlatParams(engine: Pick<ParamSet, 'params'>, flat: Float32Array): void {
  if (!(flat instanceof Float32Array) || flat.length !== engine.params.length) {
    throw new Error(`setFlatParams needs a Float32Array of ${engine.params.length} values, got ${flat instanceof Float32Array ? flat.length : typeof flat}`);
  }
  for (let i = 0; i < flat.length; i++) if (!Number.isFinite(flat[i])) throw new Error(`setFlatParams: value ${i} is not finite`);
  engine.params.set(flat);
}
