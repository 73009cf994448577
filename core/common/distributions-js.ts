/**
 * Allocation-free distribution helpers on Float32Array rows, for the rollout loop (one batched forward pass,
 * then per-env sampling without tensors). Maths in float64; the tensor classes in distributions.ts draw
 * from the Rng in the same order, so both give the same samples and (to float32 precision) log-probabilities.
 *
 * Layout: a categorical row is `logits[offset .. offset + n)`; a Gaussian row is `mean[offset .. offset + d)`
 * with d = logStd.length (state-independent log-std shared by every row).
 */
import type { Rng } from './rng.js';

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

function rowMax(logits: ArrayLike<number>, offset: number, n: number): number {
  let max = -Infinity;
  for (let j = 0; j < n; j++) if (logits[offset + j] > max) max = logits[offset + j];
  return max;
}

/** log Σ exp(logits row), max-shifted. */
export function logSumExpJs(logits: ArrayLike<number>, offset: number, n: number): number {
  const max = rowMax(logits, offset, n);
  if (max === -Infinity) return -Infinity;
  let sum = 0;
  for (let j = 0; j < n; j++) sum += Math.exp(logits[offset + j] - max);
  return max + Math.log(sum);
}

/**
 * Samples an action in [0, n) from the logits row by inverse CDF with one `rng.uniform()`.
 * (Probabilities that underflow to 0 are never chosen.)
 */
export function sampleCategoricalJs(logits: ArrayLike<number>, offset: number, n: number, rng: Rng): number {
  if (n <= 0) throw new Error(`sampleCategoricalJs: n must be positive, got ${n}`);
  const max = rowMax(logits, offset, n);
  let sum = 0;
  for (let j = 0; j < n; j++) sum += Math.exp(logits[offset + j] - max);
  if (!(sum >= 1 && sum <= n)) {
    throw new Error(`sampleCategoricalJs: logits row at offset ${offset} is not finite (NaN or ±Infinity in the network output?)`);
  }
  let u = rng.uniform() * sum;
  let last = 0;
  for (let j = 0; j < n; j++) {
    const p = Math.exp(logits[offset + j] - max);
    if (p > 0) {
      if (u < p) return j;
      u -= p;
      last = j;
    }
  }
  return last; // rounding left u ≥ the running total: take the last action with positive probability
}

/** log π(action) for the logits row. */
export function categoricalLogProbJs(logits: ArrayLike<number>, offset: number, n: number, action: number): number {
  if (!Number.isInteger(action) || action < 0 || action >= n) {
    throw new Error(`categoricalLogProbJs: action must be an integer in [0, ${n}), got ${action}`);
  }
  return logits[offset + action] - logSumExpJs(logits, offset, n);
}

/** Entropy −Σ p log p of the logits row. */
export function categoricalEntropyJs(logits: ArrayLike<number>, offset: number, n: number): number {
  const lse = logSumExpJs(logits, offset, n);
  let h = 0;
  for (let j = 0; j < n; j++) {
    const logp = logits[offset + j] - lse;
    if (logp > -Infinity) h -= Math.exp(logp) * logp;
  }
  return h;
}

/** Index of the largest logit in the row (first one on ties, as tf.argMax). */
export function categoricalModeJs(logits: ArrayLike<number>, offset: number, n: number): number {
  let best = 0;
  for (let j = 1; j < n; j++) if (logits[offset + j] > logits[offset + best]) best = j;
  return best;
}

/**
 * Writes one Gaussian sample mean + exp(logStd)·ε (ε from `rng.normal()`, coordinate by coordinate) into
 * `out[offset .. offset + d)`, reading the mean at the same offset (or `meanOffset`). d = logStd.length.
 */
export function gaussianSampleJs(
  mean: ArrayLike<number>,
  logStd: ArrayLike<number>,
  rng: Rng,
  out: Float32Array,
  offset: number,
  meanOffset: number = offset,
): void {
  const d = logStd.length;
  for (let j = 0; j < d; j++) out[offset + j] = mean[meanOffset + j] + Math.exp(logStd[j]) * rng.normal();
}

/**
 * log N(action; mean, diag(exp(logStd))²) for one row: action at `actionOffset`, mean at `offset`.
 * d = logStd.length.
 */
export function gaussianLogProbJs(
  mean: ArrayLike<number>,
  logStd: ArrayLike<number>,
  action: ArrayLike<number>,
  offset: number,
  actionOffset: number = offset,
): number {
  const d = logStd.length;
  let sum = 0;
  for (let j = 0; j < d; j++) {
    const z = (action[actionOffset + j] - mean[offset + j]) * Math.exp(-logStd[j]);
    sum += -0.5 * z * z - logStd[j] - HALF_LOG_2PI;
  }
  return sum;
}

/** Entropy Σ_j (½ + ½ log 2π + logStd_j) of the Gaussian (the same for every row). */
export function gaussianEntropyJs(logStd: ArrayLike<number>): number {
  let h = 0;
  for (let j = 0; j < logStd.length; j++) h += 0.5 + HALF_LOG_2PI + logStd[j];
  return h;
}
