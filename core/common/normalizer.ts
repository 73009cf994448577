/**
 * Running statistics for observation and reward normalisation, with the semantics of
 * Stable-Baselines3's `RunningMeanStd` / `VecNormalize` and Gymnasium's `NormalizeObservation` / `NormalizeReward`.
 * Statistics are float64; `getState()/setState()` round-trip them exactly for resume.
 */

export interface RunningMeanStdState {
  mean: number[];
  var: number[];
  count: number;
}

export interface RunningMeanStdOptions {
  /** Initial pseudo-count (SB3/Gymnasium: 1e-4), so the first update dominates the prior mean 0, var 1. */
  epsilon?: number;
  /** `normalize` clips to [−clip, clip] (SB3's clip_obs = 10). Infinity disables clipping. */
  clip?: number;
  /** Added to the variance before the square root in `normalize` (1e-8). */
  varEpsilon?: number;
}

/**
 * Per-dimension running mean and (population) variance, merged batch by batch with the parallel
 * algorithm of Chan et al. (as SB3's `RunningMeanStd.update_from_moments`).
 */
export class RunningMeanStd {
  readonly dim: number;
  readonly mean: Float64Array;
  readonly var: Float64Array;
  count: number;
  readonly clip: number;
  readonly varEpsilon: number;
  // Scratch for batch moments, allocated once.
  readonly #batchMean: Float64Array;
  readonly #batchVar: Float64Array;

  constructor(dim: number, options: RunningMeanStdOptions = {}) {
    if (!Number.isInteger(dim) || dim <= 0) throw new Error(`RunningMeanStd: dim must be a positive integer, got ${dim}`);
    const { epsilon = 1e-4, clip = 10, varEpsilon = 1e-8 } = options;
    if (!(epsilon > 0)) throw new Error(`RunningMeanStd: epsilon must be > 0, got ${epsilon}`);
    if (!(clip > 0)) throw new Error(`RunningMeanStd: clip must be > 0, got ${clip}`);
    if (!(varEpsilon >= 0)) throw new Error(`RunningMeanStd: varEpsilon must be >= 0, got ${varEpsilon}`);
    this.dim = dim;
    this.mean = new Float64Array(dim);
    this.var = new Float64Array(dim).fill(1);
    this.count = epsilon;
    this.clip = clip;
    this.varEpsilon = varEpsilon;
    this.#batchMean = new Float64Array(dim);
    this.#batchVar = new Float64Array(dim);
  }

  /** Merges a batch of rows (`batch.length / dim` rows of `dim` values, row-major). */
  update(batch: ArrayLike<number>): void {
    const d = this.dim;
    if (batch.length === 0) return;
    if (batch.length % d !== 0) throw new Error(`RunningMeanStd.update: batch length ${batch.length} is not a multiple of dim ${d}`);
    const n = batch.length / d;
    const bm = this.#batchMean;
    const bv = this.#batchVar;
    bm.fill(0);
    bv.fill(0);
    for (let r = 0; r < n; r++) for (let j = 0; j < d; j++) bm[j] += batch[r * d + j];
    for (let j = 0; j < d; j++) bm[j] /= n;
    for (let r = 0; r < n; r++) {
      for (let j = 0; j < d; j++) {
        const x = batch[r * d + j] - bm[j];
        bv[j] += x * x;
      }
    }
    for (let j = 0; j < d; j++) bv[j] /= n;
    this.updateFromMoments(bm, bv, n);
  }

  /** Merges precomputed batch moments (population variance) of `batchCount` samples. */
  updateFromMoments(batchMean: ArrayLike<number>, batchVar: ArrayLike<number>, batchCount: number): void {
    const total = this.count + batchCount;
    for (let j = 0; j < this.dim; j++) {
      const delta = batchMean[j] - this.mean[j];
      const m2 = this.var[j] * this.count + batchVar[j] * batchCount + ((delta * delta * this.count) * batchCount) / total;
      this.mean[j] += (delta * batchCount) / total;
      this.var[j] = m2 / total;
    }
    this.count = total;
  }

  /** (x − mean) / sqrt(var + varEpsilon), clipped to ±clip, row by row; in place unless `out` is given. */
  normalize(x: Float32Array, out: Float32Array = x): Float32Array {
    const d = this.dim;
    if (x.length % d !== 0) throw new Error(`RunningMeanStd.normalize: length ${x.length} is not a multiple of dim ${d}`);
    if (out.length < x.length) throw new Error(`RunningMeanStd.normalize: output holds ${out.length} values, needs ${x.length}`);
    const clip = this.clip;
    for (let i = 0, j = 0; i < x.length; i++) {
      let v = (x[i] - this.mean[j]) / Math.sqrt(this.var[j] + this.varEpsilon);
      if (v > clip) v = clip;
      else if (v < -clip) v = -clip;
      out[i] = v;
      if (++j === d) j = 0;
    }
    return out;
  }

  getState(): RunningMeanStdState {
    return { mean: Array.from(this.mean), var: Array.from(this.var), count: this.count };
  }

  setState(state: RunningMeanStdState): void {
    if (!state || !Array.isArray(state.mean) || !Array.isArray(state.var) || state.mean.length !== this.dim || state.var.length !== this.dim) {
      throw new Error(`RunningMeanStd.setState: expected mean and var of length ${this.dim}`);
    }
    if (!(state.count > 0)) throw new Error(`RunningMeanStd.setState: count must be > 0, got ${state.count}`);
    if (state.var.some((v) => !(v >= 0))) throw new Error('RunningMeanStd.setState: variances must be >= 0');
    this.mean.set(state.mean);
    this.var.set(state.var);
    this.count = state.count;
  }
}

export interface RewardScalerState {
  returns: number[];
  rms: RunningMeanStdState;
}

export interface RewardScalerOptions {
  /** Added to the return variance before the square root (Gymnasium: 1e-8). */
  epsilon?: number;
  /** Scaled rewards are clipped to ±clip (SB3's clip_reward = 10). Infinity disables. */
  clip?: number;
}

/**
 * Reward scaling as Gymnasium's `NormalizeReward` / SB3's `VecNormalize(norm_reward=True)`: each env keeps a
 * discounted running return R ← γ·R + r; the running variance of R (over all envs and steps) scales the rewards:
 * r / sqrt(Var[R] + ε). R restarts at 0 after a step that terminated or truncated (SB3: `returns[dones] = 0`).
 * Rewards are not centred, so the sign of every reward is kept.
 */
export class RewardScaler {
  readonly numEnvs: number;
  readonly gamma: number;
  readonly epsilon: number;
  readonly clip: number;
  readonly returns: Float64Array;
  readonly rms: RunningMeanStd;

  constructor(numEnvs: number, gamma: number, options: RewardScalerOptions = {}) {
    if (!Number.isInteger(numEnvs) || numEnvs <= 0) throw new Error(`RewardScaler: numEnvs must be a positive integer, got ${numEnvs}`);
    if (!(gamma >= 0 && gamma <= 1)) throw new Error(`RewardScaler: gamma must be in [0, 1], got ${gamma}`);
    const { epsilon = 1e-8, clip = 10 } = options;
    if (!(epsilon >= 0)) throw new Error(`RewardScaler: epsilon must be >= 0, got ${epsilon}`);
    if (!(clip > 0)) throw new Error(`RewardScaler: clip must be > 0, got ${clip}`);
    this.numEnvs = numEnvs;
    this.gamma = gamma;
    this.epsilon = epsilon;
    this.clip = clip;
    this.returns = new Float64Array(numEnvs);
    this.rms = new RunningMeanStd(1, { clip: Infinity });
    this.#learnScratch = new Float64Array(numEnvs);
  }

  readonly #learnScratch: Float64Array;

  /**
   * Updates the running return with one vector step's rewards and writes the scaled rewards into `out`
   * (in place when `out` is omitted). `terminated`/`truncated` are this step's flags. With `learn`, only the copies
   * it marks (1) update the statistics (steps that will be discarded must not shape the scale).
   */
  scale(rewards: Float32Array, terminated: Uint8Array, truncated: Uint8Array, out: Float32Array = rewards, learn?: Uint8Array): Float32Array {
    const n = this.numEnvs;
    if (rewards.length !== n || terminated.length !== n || truncated.length !== n || out.length !== n || (learn && learn.length !== n)) {
      throw new Error(`RewardScaler.scale: rewards, terminated, truncated, out (and learn) must each have numEnvs = ${n} entries`);
    }
    for (let e = 0; e < n; e++) this.returns[e] = this.returns[e] * this.gamma + rewards[e];
    if (!learn) this.rms.update(this.returns);
    else {
      let k = 0;
      for (let e = 0; e < n; e++) if (learn[e]) this.#learnScratch[k++] = this.returns[e];
      if (k > 0) this.rms.update(this.#learnScratch.subarray(0, k));
    }
    const inv = 1 / Math.sqrt(this.rms.var[0] + this.epsilon);
    const clip = this.clip;
    for (let e = 0; e < n; e++) {
      let r = rewards[e] * inv;
      if (r > clip) r = clip;
      else if (r < -clip) r = -clip;
      out[e] = r;
      if (terminated[e] || truncated[e]) this.returns[e] = 0;
    }
    return out;
  }

  getState(): RewardScalerState {
    return { returns: Array.from(this.returns), rms: this.rms.getState() };
  }

  setState(state: RewardScalerState): void {
    if (!state || !Array.isArray(state.returns) || state.returns.length !== this.numEnvs) {
      throw new Error(`RewardScaler.setState: expected returns of length ${this.numEnvs}`);
    }
    this.rms.setState(state.rms);
    this.returns.set(state.returns);
  }
}
