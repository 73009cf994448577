/**
 * Optimizers and gradient clipping over flat Float32Array parameter vectors (the plain-JS engine's layout).
 * Semantics follow PyTorch, which CleanRL and Stable-Baselines3 use:
 *  - Adam: m ← β1·m + (1−β1)·g; v ← β2·v + (1−β2)·g²; θ ← θ − lr·(m/(1−β1^t)) / (√(v/(1−β2^t)) + ε).
 *  - RMSprop: v ← α·v + (1−α)·g²; θ ← θ − lr·g / (√v + ε)   (torch.optim.RMSprop, no momentum, not centred).
 *  - clipGradNorm: g ← g · min(1, maxNorm / (‖g‖₂ + 1e-6))   (torch.nn.utils.clip_grad_norm_).
 * State is float32 (as in PyTorch) so a checkpoint stores it exactly.
 */

export interface OptimizerState {
  kind: 'adam' | 'rmsprop';
  /** Steps taken (Adam's bias correction needs it). */
  t: number;
}

export interface Optimizer {
  readonly kind: 'adam' | 'rmsprop';
  /** One step on `params` with `grads` (same length) at learning rate `lr`. */
  step(params: Float32Array, grads: Float32Array, lr: number): void;
  /** Moment arrays by name, for checkpoints (they are the live arrays: restore with `restore`). */
  arrays(): Record<string, Float32Array>;
  state(): OptimizerState;
  restore(state: OptimizerState, arrays: Record<string, Float32Array>): void;
}

export class Adam implements Optimizer {
  readonly kind = 'adam' as const;
  readonly m: Float32Array;
  readonly v: Float32Array;
  t = 0;

  constructor(
    readonly size: number,
    readonly eps: number,
    readonly beta1 = 0.9,
    readonly beta2 = 0.999,
  ) {
    this.m = new Float32Array(size);
    this.v = new Float32Array(size);
  }

  step(params: Float32Array, grads: Float32Array, lr: number): void {
    checkSizes('Adam', this.size, params, grads);
    this.t++;
    const { m, v, beta1: b1, beta2: b2, eps } = this;
    const bc1 = 1 - b1 ** this.t;
    const sqrtBc2 = Math.sqrt(1 - b2 ** this.t);
    const stepSize = lr / bc1;
    for (let i = 0; i < params.length; i++) {
      const g = grads[i];
      const mi = (m[i] = b1 * m[i] + (1 - b1) * g);
      const vi = (v[i] = b2 * v[i] + (1 - b2) * g * g);
      params[i] -= (stepSize * mi) / (Math.sqrt(vi) / sqrtBc2 + eps);
    }
  }

  arrays(): Record<string, Float32Array> {
    return { m: this.m, v: this.v };
  }

  state(): OptimizerState {
    return { kind: 'adam', t: this.t };
  }

  restore(state: OptimizerState, arrays: Record<string, Float32Array>): void {
    if (state.kind !== 'adam') throw new Error(`Adam.restore: checkpoint holds a ${state.kind} optimizer`);
    copyExact('Adam m', arrays.m, this.m);
    copyExact('Adam v', arrays.v, this.v);
    this.t = state.t;
  }
}

export class RmsProp implements Optimizer {
  readonly kind = 'rmsprop' as const;
  readonly v: Float32Array;
  t = 0;

  constructor(
    readonly size: number,
    readonly eps: number,
    readonly alpha = 0.99,
  ) {
    this.v = new Float32Array(size);
  }

  step(params: Float32Array, grads: Float32Array, lr: number): void {
    checkSizes('RmsProp', this.size, params, grads);
    this.t++;
    const { v, alpha, eps } = this;
    for (let i = 0; i < params.length; i++) {
      const g = grads[i];
      const vi = (v[i] = alpha * v[i] + (1 - alpha) * g * g);
      params[i] -= (lr * g) / (Math.sqrt(vi) + eps);
    }
  }

  arrays(): Record<string, Float32Array> {
    return { v: this.v };
  }

  state(): OptimizerState {
    return { kind: 'rmsprop', t: this.t };
  }

  restore(state: OptimizerState, arrays: Record<string, Float32Array>): void {
    if (state.kind !== 'rmsprop') throw new Error(`RmsProp.restore: checkpoint holds a ${state.kind} optimizer`);
    copyExact('RMSprop v', arrays.v, this.v);
    this.t = state.t;
  }
}

/** ‖g‖₂ over the whole vector (float64 accumulation). */
function globalNorm(grads: Float32Array): number {
  let s = 0;
  for (let i = 0; i < grads.length; i++) s += grads[i] * grads[i];
  return Math.sqrt(s);
}

/** Scales `grads` in place so that its norm is at most `maxNorm` (null: no clipping). Returns the norm before clipping. */
export function clipGradNorm(grads: Float32Array, maxNorm: number | null): number {
  const norm = globalNorm(grads);
  if (maxNorm !== null) {
    const coef = maxNorm / (norm + 1e-6);
    if (coef < 1) for (let i = 0; i < grads.length; i++) grads[i] *= coef;
  }
  return norm;
}

function checkSizes(name: string, size: number, params: Float32Array, grads: Float32Array): void {
  if (params.length !== size || grads.length !== size) {
    throw new Error(`${name}.step: params (${params.length}) and grads (${grads.length}) must both have ${size} entries`);
  }
}

function copyExact(name: string, src: Float32Array | undefined, dst: Float32Array): void {
  if (!src || src.length !== dst.length) throw new Error(`${name}: checkpoint array has ${src?.length ?? 'no'} entries, expected ${dst.length}`);
  dst.set(src);
}
