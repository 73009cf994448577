/**
 * Per-sample policy-head math for the plain-JS engine: log-probabilities, entropies, KLs and their derivatives with
 * respect to the network outputs, for a categorical policy (logits) and a diagonal Gaussian with a state-independent
 * log-std. Log-probabilities, entropies, sampling and modes come from core/common/distributions-js.ts; this file
 * adds what an update needs. The tfjs path uses core/common/distributions.ts; the unit tests check the two agree.
 *
 * Categorical, with p = softmax(z), lse = log Σ exp z:
 *   log π(a) = z_a − lse;  ∂/∂z_j = 1[j = a] − p_j
 *   H = lse − Σ p_j z_j;   ∂H/∂z_j = −p_j (log p_j + H)
 *   KL(q ‖ p) = Σ q_j (log q_j − log p_j);  ∂/∂z_j = p_j − q_j;  Fisher in z: diag(p) − p pᵀ
 * Gaussian N(μ, σ²) per dimension, σ = exp(s):
 *   log π(a) = Σ −(a−μ)²/(2σ²) − s − ½ log 2π;  ∂/∂μ = (a−μ)/σ²;  ∂/∂s = (a−μ)²/σ² − 1
 *   H = Σ s + ½(1 + log 2π);  ∂H/∂s = 1
 *   KL(old ‖ new) = Σ s_n − s_o + (σ_o² + (μ_o − μ_n)²)/(2σ_n²) − ½;  Fisher: 1/σ² for μ, 2 for s
 */
import { logSumExpJs as logSumExp } from '../../common/distributions-js.js';

let scratch = new Float64Array(16);
function scratchOf(n: number): Float64Array {
  if (scratch.length < n) scratch = new Float64Array(n);
  return scratch;
}

/**
 * Writes ∂L/∂z for one sample into dLogits[off ..], for L = dLogp · log π(a) + dEnt · H.
 * Returns nothing; log π(a) and H are computed by the caller (they are usually needed before the weights are known).
 */
export function categoricalBackward(
  logits: ArrayLike<number>,
  off: number,
  n: number,
  action: number,
  dLogp: number,
  dEnt: number,
  dLogits: Float32Array,
): void {
  const lse = logSumExp(logits, off, n);
  const p = scratchOf(n);
  let h = lse;
  for (let j = 0; j < n; j++) {
    p[j] = Math.exp(logits[off + j] - lse);
    h -= p[j] * logits[off + j];
  }
  for (let j = 0; j < n; j++) {
    const logp = logits[off + j] - lse;
    dLogits[off + j] = dLogp * ((j === action ? 1 : 0) - p[j]) - dEnt * p[j] * (logp + h);
  }
}

/** KL(q ‖ p) for old logits q and new logits p, one sample; adds scale · ∂KL/∂z_new into dLogits when given. */
export function categoricalKl(
  oldLogits: ArrayLike<number>,
  newLogits: ArrayLike<number>,
  off: number,
  n: number,
  dLogits?: Float32Array,
  scale = 1,
): number {
  const lseO = logSumExp(oldLogits, off, n);
  const lseN = logSumExp(newLogits, off, n);
  let kl = 0;
  for (let j = 0; j < n; j++) {
    const logq = oldLogits[off + j] - lseO;
    const logp = newLogits[off + j] - lseN;
    const q = Math.exp(logq);
    kl += q * (logq - logp);
    if (dLogits) dLogits[off + j] += scale * (Math.exp(logp) - q);
  }
  return kl;
}

/** out[off ..] = scale · (diag(p) − p pᵀ) · u[off ..]: the Fisher information of a categorical in logit space. */
export function categoricalFisherVector(logits: ArrayLike<number>, off: number, n: number, u: ArrayLike<number>, out: Float32Array, scale: number): void {
  const lse = logSumExp(logits, off, n);
  const p = scratchOf(n);
  let pu = 0;
  for (let j = 0; j < n; j++) {
    p[j] = Math.exp(logits[off + j] - lse);
    pu += p[j] * u[off + j];
  }
  for (let j = 0; j < n; j++) out[off + j] = scale * p[j] * (u[off + j] - pu);
}

/** ∂L/∂μ into dMean[off ..] and += ∂L/∂s into dLogStd, for L = dLogp · log π(a) + dEnt · H, one sample. */
export function gaussianBackward(
  mean: ArrayLike<number>,
  off: number,
  logStd: ArrayLike<number>,
  actions: ArrayLike<number>,
  aOff: number,
  d: number,
  dLogp: number,
  dEnt: number,
  dMean: Float32Array,
  dLogStd: Float32Array,
): void {
  for (let i = 0; i < d; i++) {
    const invVar = Math.exp(-2 * logStd[i]);
    const diff = actions[aOff + i] - mean[off + i];
    dMean[off + i] = dLogp * diff * invVar;
    dLogStd[i] += dLogp * (diff * diff * invVar - 1) + dEnt;
  }
}

/** KL(old ‖ new) of two diagonal Gaussians, one sample; adds scale · ∂KL/∂(μ_new, s_new) when dMean is given. */
export function gaussianKl(
  oldMean: ArrayLike<number>,
  oldLogStd: ArrayLike<number>,
  newMean: ArrayLike<number>,
  newLogStd: ArrayLike<number>,
  off: number,
  d: number,
  dMean?: Float32Array,
  dLogStd?: Float32Array,
  scale = 1,
): number {
  let kl = 0;
  for (let i = 0; i < d; i++) {
    const varO = Math.exp(2 * oldLogStd[i]);
    const invVarN = Math.exp(-2 * newLogStd[i]);
    const diff = oldMean[off + i] - newMean[off + i];
    kl += newLogStd[i] - oldLogStd[i] + (varO + diff * diff) * 0.5 * invVarN - 0.5;
    if (dMean && dLogStd) {
      dMean[off + i] += scale * -diff * invVarN;
      dLogStd[i] += scale * (1 - (varO + diff * diff) * invVarN);
    }
  }
  return kl;
}
