/**
 * Generalized State-Dependent Exploration (gSDE; Raffin, Kober & Stulp, "Smooth Exploration for Robotic
 * Reinforcement Learning", CoRL 2021), following SB3's `StateDependentNoiseDistribution`
 * (stable_baselines3/common/distributions.py) without tanh squashing and with `learn_features = False`:
 *
 *   latent φ(s) ∈ R^p: the actor's last hidden features, treated as constants (detached) in the noise and variance
 *   std S = get_std(L) ∈ R^{p×d} for the parameter L (p×d with fullStd, p×1 broadcast over the d columns otherwise):
 *       exp(L), or with useExpln  exp(L) for L ≤ 0,  log1p(L + ε) + 1 for L > 0
 *   exploration matrix E ~ N(0, S²) elementwise, resampled every `sdeSampleFreq` steps (one per env);
 *   action a = μ(s) + φ(s)ᵀE
 *   π(·|s) = N(μ(s), diag(v)),  v_j = Σ_i φ_i² S_ij² + ε  (SB3 passes √(v + ε) as the scale)
 *   log π(a|s) = Σ_j −(a_j − μ_j)²/(2 v_j) − ½ log v_j − ½ log 2π,   H = Σ_j ½ log(2πe v_j)
 * Derivatives (φ detached, so only μ and L receive gradient):
 *   ∂log π/∂μ_j = (a_j − μ_j)/v_j
 *   ∂log π/∂v_j = (a_j − μ_j)²/(2 v_j²) − 1/(2 v_j),  ∂H/∂v_j = 1/(2 v_j)
 *   ∂v_j/∂L_ij = 2 φ_i² S_ij · S′(L_ij)  with S′ = exp(L) (L ≤ 0 or no expln) or 1/(1 + L + ε) (expln, L > 0);
 *   without fullStd the p×1 parameter sums these over j.
 * All arithmetic here is float64 over float32 storage, like the rest of the plain-JS engine.
 */
import type { Rng } from '../common/rng.js';

/** SB3's ε: added to the variance and inside expln's log1p. */
export const GSDE_EPSILON = 1e-6;

export interface GsdeSpec {
  /** p: size of the latent features (the actor's last hidden layer). */
  latentDim: number;
  /** d: action size. */
  actionDim: number;
  /** One std per (feature, action) pair (SB3 default true); false: one per feature, shared by all actions. */
  fullStd: boolean;
  /** SB3's expln: exp below 0, log1p above, so the std grows slowly for positive log-std. */
  useExpln: boolean;
}

export function validateGsdeSpec(s: GsdeSpec): void {
  for (const k of ['latentDim', 'actionDim'] as const) {
    if (!Number.isInteger(s[k]) || s[k] < 1) throw new Error(`gSDE: ${k} must be a positive integer, got ${s[k]}`);
  }
}

/** Number of log-std parameters: p·d with fullStd, p otherwise. */
export function gsdeLogStdSize(s: GsdeSpec): number {
  return s.fullStd ? s.latentDim * s.actionDim : s.latentDim;
}

function stdOf(l: number, useExpln: boolean): number {
  if (!useExpln || l <= 0) return Math.exp(l);
  return Math.log1p(l + GSDE_EPSILON) + 1;
}

function dStdOf(l: number, useExpln: boolean): number {
  if (!useExpln || l <= 0) return Math.exp(l);
  return 1 / (1 + l + GSDE_EPSILON);
}

/** Index of S_ij's parameter in the flat log-std vector (row-major p×d, or p×1). */
function paramIndex(s: GsdeSpec, i: number, j: number): number {
  return s.fullStd ? i * s.actionDim + j : i;
}

/** The full p×d std matrix S (row-major) for log-std parameters `logStd`. */
export function gsdeStd(s: GsdeSpec, logStd: ArrayLike<number>, out = new Float64Array(s.latentDim * s.actionDim)): Float64Array {
  if (logStd.length !== gsdeLogStdSize(s)) throw new Error(`gSDE: logStd has ${logStd.length} values, needs ${gsdeLogStdSize(s)}`);
  for (let i = 0; i < s.latentDim; i++) {
    for (let j = 0; j < s.actionDim; j++) out[i * s.actionDim + j] = stdOf(logStd[paramIndex(s, i, j)], s.useExpln);
  }
  return out;
}

/** v_j = Σ_i φ_i² S_ij² + ε for one sample's latent at latent[lOff ..], into out[0 .. d). */
export function gsdeVariance(s: GsdeSpec, std: ArrayLike<number>, latent: ArrayLike<number>, lOff: number, out: Float64Array): Float64Array {
  const d = s.actionDim;
  for (let j = 0; j < d; j++) out[j] = GSDE_EPSILON;
  for (let i = 0; i < s.latentDim; i++) {
    const f2 = latent[lOff + i] * latent[lOff + i];
    for (let j = 0; j < d; j++) {
      const sij = std[i * d + j];
      out[j] += f2 * sij * sij;
    }
  }
  return out;
}

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/** log π(a|s) for one sample with variance v (from gsdeVariance). */
export function gsdeLogProb(mean: ArrayLike<number>, mOff: number, actions: ArrayLike<number>, aOff: number, v: ArrayLike<number>, d: number): number {
  let lp = 0;
  for (let j = 0; j < d; j++) {
    const diff = actions[aOff + j] - mean[mOff + j];
    lp += (-diff * diff) / (2 * v[j]) - 0.5 * Math.log(v[j]) - HALF_LOG_2PI;
  }
  return lp;
}

/** H(π(·|s)) for one sample with variance v. */
export function gsdeEntropy(v: ArrayLike<number>, d: number): number {
  let h = 0;
  for (let j = 0; j < d; j++) h += 0.5 + HALF_LOG_2PI + 0.5 * Math.log(v[j]);
  return h;
}

/**
 * For L = dLogp · log π(a|s) + dEnt · H, one sample: writes ∂L/∂μ into dMean[mOff ..] and adds ∂L/∂(log-std
 * parameters) into dLogStd. `std` from gsdeStd, `v` from gsdeVariance for this sample.
 */
export function gsdeBackward(
  s: GsdeSpec,
  logStd: ArrayLike<number>,
  std: ArrayLike<number>,
  latent: ArrayLike<number>,
  lOff: number,
  mean: ArrayLike<number>,
  mOff: number,
  actions: ArrayLike<number>,
  aOff: number,
  v: ArrayLike<number>,
  dLogp: number,
  dEnt: number,
  dMean: Float32Array,
  dLogStd: Float32Array,
): void {
  const d = s.actionDim;
  const dV = scratchOf(d);
  for (let j = 0; j < d; j++) {
    const diff = actions[aOff + j] - mean[mOff + j];
    dMean[mOff + j] = (dLogp * diff) / v[j];
    dV[j] = dLogp * ((diff * diff) / (2 * v[j] * v[j]) - 1 / (2 * v[j])) + dEnt / (2 * v[j]);
  }
  for (let i = 0; i < s.latentDim; i++) {
    const f2 = latent[lOff + i] * latent[lOff + i];
    for (let j = 0; j < d; j++) {
      const k = paramIndex(s, i, j);
      dLogStd[k] += dV[j] * 2 * f2 * std[i * d + j] * dStdOf(logStd[k], s.useExpln);
    }
  }
}

let scratch = new Float64Array(8);
function scratchOf(n: number): Float64Array {
  if (scratch.length < n) scratch = new Float64Array(n);
  return scratch;
}

/** What a checkpoint keeps of the noise: the matrices and where in the resampling period the rollout is. */
export interface GsdeNoiseState {
  numEnvs: number;
  /** numEnvs × p × d exploration matrices, row-major per env. */
  matrices: number[];
  /** Steps taken since the last resample. */
  stepsSinceSample: number;
}

/**
 * The per-env exploration matrices E_e ~ N(0, S²), as SB3 keeps them (`exploration_matrices`, one per env):
 * `resample` draws all of them (at each rollout start, SB3's `reset_noise(n_envs)`); `beforeStep` resamples every
 * `sampleFreq` steps when sampleFreq > 0 (SB3's `sde_sample_freq`; −1 or 0: only at rollout starts). `noise` gives
 * φ(s_e)ᵀE_e for each env's latent.
 */
export class GsdeNoise {
  readonly spec: GsdeSpec;
  readonly numEnvs: number;
  readonly sampleFreq: number;
  readonly matrices: Float32Array;
  #stepsSinceSample = 0;
  /** How many times the matrices were drawn (for tests and metrics). */
  resamples = 0;

  constructor(spec: GsdeSpec, numEnvs: number, sampleFreq: number) {
    validateGsdeSpec(spec);
    if (!Number.isInteger(numEnvs) || numEnvs < 1) throw new Error(`gSDE: numEnvs must be a positive integer, got ${numEnvs}`);
    if (!Number.isInteger(sampleFreq) || sampleFreq < -1) throw new Error(`gSDE: sdeSampleFreq must be an integer ≥ −1, got ${sampleFreq}`);
    this.spec = spec;
    this.numEnvs = numEnvs;
    this.sampleFreq = sampleFreq;
    this.matrices = new Float32Array(numEnvs * spec.latentDim * spec.actionDim);
  }

  /** Draws every env's matrix from N(0, S²) for the current log-std parameters. */
  resample(logStd: ArrayLike<number>, rng: Rng): void {
    const std = gsdeStd(this.spec, logStd);
    const m = std.length;
    for (let e = 0; e < this.numEnvs; e++) {
      for (let k = 0; k < m; k++) this.matrices[e * m + k] = std[k] * rng.normal();
    }
    this.#stepsSinceSample = 0;
    this.resamples++;
  }

  /** Call before each vector step of a rollout: resamples when sampleFreq > 0 and a period has elapsed. */
  beforeStep(logStd: ArrayLike<number>, rng: Rng): void {
    if (this.sampleFreq > 0 && this.#stepsSinceSample >= this.sampleFreq) this.resample(logStd, rng);
    this.#stepsSinceSample++;
  }

  /** noise[e·d + j] = Σ_i φ_e,i E_e,ij for `batch` envs' latents (batch ≤ numEnvs). */
  noise(latent: ArrayLike<number>, batch: number, out: Float32Array): Float32Array {
    if (batch > this.numEnvs) throw new Error(`gSDE: noise for ${batch} envs, matrices for ${this.numEnvs}`);
    const { latentDim: p, actionDim: d } = this.spec;
    for (let e = 0; e < batch; e++) {
      const base = e * p * d;
      for (let j = 0; j < d; j++) {
        let acc = 0;
        for (let i = 0; i < p; i++) acc += latent[e * p + i] * this.matrices[base + i * d + j];
        out[e * d + j] = acc;
      }
    }
    return out;
  }

  state(): GsdeNoiseState {
    return { numEnvs: this.numEnvs, matrices: Array.from(this.matrices), stepsSinceSample: this.#stepsSinceSample };
  }

  restore(state: GsdeNoiseState): void {
    if (state.numEnvs !== this.numEnvs || state.matrices.length !== this.matrices.length) {
      throw new Error(`gSDE: checkpoint noise has ${state.numEnvs} envs × ${state.matrices.length} values, this run ${this.numEnvs} × ${this.matrices.length}`);
    }
    if (!Number.isInteger(state.stepsSinceSample) || state.stepsSinceSample < 0) {
      throw new Error(`gSDE: checkpoint stepsSinceSample must be a non-negative integer, got ${state.stepsSinceSample}`);
    }
    for (const x of state.matrices) if (!Number.isFinite(x)) throw new Error('gSDE: checkpoint noise matrix holds a non-finite value');
    this.matrices.set(state.matrices);
    this.#stepsSinceSample = state.stepsSinceSample;
  }
}

/**
 * TRPO's Fisher-vector product in the log-std parameters, one sample: adds scale · Σ_j g_j (g_j · u) / (2 v_j²) into
 * out, with g_j = ∂v_j/∂L (φ detached) — the Fisher of N(μ, v) in v is 1/(2v²), and μ and v are orthogonal in it.
 */
export function gsdeLogStdFisherVector(
  s: GsdeSpec,
  logStd: ArrayLike<number>,
  std: ArrayLike<number>,
  latent: ArrayLike<number>,
  lOff: number,
  v: ArrayLike<number>,
  u: ArrayLike<number>,
  out: Float64Array,
  scale: number,
): void {
  const d = s.actionDim;
  for (let j = 0; j < d; j++) {
    let gu = 0;
    for (let i = 0; i < s.latentDim; i++) {
      const k = paramIndex(s, i, j);
      const f2 = latent[lOff + i] * latent[lOff + i];
      gu += 2 * f2 * std[i * d + j] * dStdOf(logStd[k], s.useExpln) * u[k];
    }
    const w = (scale * gu) / (2 * v[j] * v[j]);
    for (let i = 0; i < s.latentDim; i++) {
      const k = paramIndex(s, i, j);
      const f2 = latent[lOff + i] * latent[lOff + i];
      out[k] += w * 2 * f2 * std[i * d + j] * dStdOf(logStd[k], s.useExpln);
    }
  }
}

/** KL(N(μ_old, v_old) ‖ N(μ_new, v_new)) summed over the d action dimensions, one sample. */
export function gsdeKl(oldMean: ArrayLike<number>, oldVar: ArrayLike<number>, vOff: number, newMean: ArrayLike<number>, newVar: ArrayLike<number>, mOff: number, d: number): number {
  let kl = 0;
  for (let j = 0; j < d; j++) {
    const vo = oldVar[vOff + j];
    const vn = newVar[j];
    const diff = oldMean[mOff + j] - newMean[mOff + j];
    kl += 0.5 * (Math.log(vn / vo) + (vo + diff * diff) / vn - 1);
  }
  return kl;
}
