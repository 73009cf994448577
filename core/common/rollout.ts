/**
 * On-policy rollout storage: flat, preallocated typed arrays in time-major layout, sample `t * numEnvs + e`
 * (the layout core/common/returns.ts reads). Vector fields (obs, actions) hold `width` floats per sample
 * at `(t * numEnvs + e) * width`. Discrete actions are stored as floats (actDim = 1).
 * Nothing here allocates after construction except `minibatch()` / `minibatchIndices()`, which run once per update.
 */
import type { Rng } from './rng.js';
import type { ReturnInputs } from './returns.js';

/** One minibatch, gathered into fresh contiguous arrays (rows in the order of `indices`). */
export interface Minibatch {
  indices: Int32Array;
  size: number;
  obs: Float32Array;
  actions: Float32Array;
  logProbs: Float32Array;
  values: Float32Array;
  advantages: Float32Array;
  returns: Float32Array;
}

export class RolloutBuffer {
  readonly numSteps: number;
  readonly numEnvs: number;
  readonly obsDim: number;
  readonly actDim: number;
  /** numSteps · numEnvs. */
  readonly size: number;
  readonly obs: Float32Array;
  readonly actions: Float32Array;
  readonly logProbs: Float32Array;
  /** V(s_t) from the critic at collection time. */
  readonly values: Float32Array;
  readonly rewards: Float32Array;
  /** V(final observation) where the step was truncated (the time-limit bootstrap); 0 elsewhere. */
  readonly finalValues: Float32Array;
  readonly terminated: Uint8Array;
  readonly truncated: Uint8Array;
  /** V(s_T) per env: bootstrap after the last step of the rollout. */
  readonly lastValues: Float32Array;
  readonly advantages: Float32Array;
  readonly returns: Float32Array;
  /** Number of time steps written so far (advance with `advance()`). */
  step = 0;

  constructor(numSteps: number, numEnvs: number, obsDim: number, actDim: number) {
    for (const [name, v] of [['numSteps', numSteps], ['numEnvs', numEnvs], ['obsDim', obsDim], ['actDim', actDim]] as const) {
      if (!Number.isInteger(v) || v <= 0) throw new Error(`RolloutBuffer: ${name} must be a positive integer, got ${v}`);
    }
    this.numSteps = numSteps;
    this.numEnvs = numEnvs;
    this.obsDim = obsDim;
    this.actDim = actDim;
    const n = numSteps * numEnvs;
    this.size = n;
    this.obs = new Float32Array(n * obsDim);
    this.actions = new Float32Array(n * actDim);
    this.logProbs = new Float32Array(n);
    this.values = new Float32Array(n);
    this.rewards = new Float32Array(n);
    this.finalValues = new Float32Array(n);
    this.terminated = new Uint8Array(n);
    this.truncated = new Uint8Array(n);
    this.lastValues = new Float32Array(numEnvs);
    this.advantages = new Float32Array(n);
    this.returns = new Float32Array(n);
  }

  /** Index of the first sample of time step t (add e for env e). */
  offset(t: number): number {
    return t * this.numEnvs;
  }

  get full(): boolean {
    return this.step >= this.numSteps;
  }

  /** Marks the current time step written; throws when the buffer is already full. */
  advance(): void {
    if (this.step >= this.numSteps) throw new Error(`RolloutBuffer: already holds ${this.numSteps} steps; call reset() first`);
    this.step++;
  }

  /** Starts a new rollout. Old contents stay until overwritten, except the bootstrap fields, which are zeroed. */
  reset(): void {
    this.step = 0;
    this.finalValues.fill(0);
    this.lastValues.fill(0);
  }

  /** The inputs core/common/returns.ts needs, as views on this buffer. */
  returnInputs(gamma: number): ReturnInputs {
    return {
      rewards: this.rewards,
      values: this.values,
      terminated: this.terminated,
      truncated: this.truncated,
      finalValues: this.finalValues,
      lastValues: this.lastValues,
      numEnvs: this.numEnvs,
      gamma,
    };
  }

  /** Gathers the samples at `indices` into fresh arrays. */
  minibatch(indices: Int32Array): Minibatch {
    const m = indices.length;
    for (let k = 0; k < m; k++) {
      const i = indices[k];
      if (!(i >= 0 && i < this.size)) throw new Error(`RolloutBuffer.minibatch: index ${i} outside [0, ${this.size})`);
    }
    return {
      indices,
      size: m,
      obs: gatherRows(this.obs, this.obsDim, indices),
      actions: gatherRows(this.actions, this.actDim, indices),
      logProbs: gatherRows(this.logProbs, 1, indices),
      values: gatherRows(this.values, 1, indices),
      advantages: gatherRows(this.advantages, 1, indices),
      returns: gatherRows(this.returns, 1, indices),
    };
  }
}

/** Copies rows `indices` (each `width` floats) of `src` into `out` (allocated when omitted). */
export function gatherRows(src: Float32Array, width: number, indices: Int32Array, out?: Float32Array): Float32Array {
  const m = indices.length;
  const dst = out ?? new Float32Array(m * width);
  if (dst.length < m * width) throw new Error(`gatherRows: output holds ${dst.length} floats, needs ${m * width}`);
  if (width === 1) {
    for (let k = 0; k < m; k++) dst[k] = src[indices[k]];
  } else {
    for (let k = 0; k < m; k++) dst.set(src.subarray(indices[k] * width, indices[k] * width + width), k * width);
  }
  return dst;
}

/**
 * One epoch of minibatches: a seeded permutation of [0, batchSize) cut into consecutive chunks of
 * `minibatchSize` (the last chunk is smaller when it does not divide evenly). Every index appears exactly once.
 */
export function minibatchIndices(batchSize: number, minibatchSize: number, rng: Rng): Int32Array[] {
  if (!Number.isInteger(batchSize) || batchSize <= 0) throw new Error(`minibatchIndices: batchSize must be a positive integer, got ${batchSize}`);
  if (!Number.isInteger(minibatchSize) || minibatchSize <= 0 || minibatchSize > batchSize) {
    throw new Error(`minibatchIndices: minibatchSize must be an integer in [1, ${batchSize}], got ${minibatchSize}`);
  }
  const perm = new Int32Array(batchSize);
  for (let i = 0; i < batchSize; i++) perm[i] = i;
  rng.shuffle(perm);
  const batches: Int32Array[] = [];
  for (let start = 0; start < batchSize; start += minibatchSize) {
    batches.push(perm.slice(start, Math.min(start + minibatchSize, batchSize)));
  }
  return batches;
}
