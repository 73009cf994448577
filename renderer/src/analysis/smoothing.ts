/**
 * Smoothing of metric series. Both smoothers run on the full-resolution series (never on downsampled
 * points, which would make the result depend on the screen width) and leave non-finite values in place,
 * so a NaN stays a gap instead of poisoning everything after it.
 */
import { toFloat64 } from './x-axis.js';

/** How a series is smoothed before it is drawn. */
export type SmoothingSpec =
  | { kind: 'none' }
  /** TensorBoard's debiased exponential moving average; weight in [0, 1) (the UI offers 0–0.999). */
  | { kind: 'ema'; weight: number }
  /** Centred running mean over `window` points (≥ 1), truncated at both ends. */
  | { kind: 'running'; window: number };

export const MAX_EMA_WEIGHT = 0.999;

export const NO_SMOOTHING: SmoothingSpec = { kind: 'none' };

/**
 * Debiased exponential moving average, identical to TensorBoard's scalar-chart smoothing
 * (tensorboard/webapp/widgets/line_chart_v2 `classicSmoothing`):
 *
 *   last_n = w·last_{n−1} + (1 − w)·v_n,  last_0 = 0,  smoothed_n = last_n / (1 − wⁿ)
 *
 * where n counts the finite values seen so far. Non-finite inputs are copied through and do not advance
 * the average. A series whose values all equal the first one is returned unchanged (TensorBoard #786:
 * avoids float noise such as 0.30000000000000004 on a constant line).
 */
export function emaSmooth(values: ArrayLike<number>, weight: number): Float64Array {
  if (!(weight >= 0 && weight < 1)) throw new Error(`EMA smoothing weight must be in [0, 1), got ${weight}`);
  const n = values.length;
  const out = new Float64Array(n);
  const first = n > 0 ? values[0] : 0;
  let constant = true;
  for (let i = 0; i < n; i++) {
    // `==` as TensorBoard does: a NaN anywhere makes the series non-constant.
    if (!(values[i] === first)) {
      constant = false;
      break;
    }
  }
  if (constant) {
    for (let i = 0; i < n; i++) out[i] = values[i];
    return out;
  }
  let last = 0;
  let weightPower = 1; // w^numAccum, updated incrementally instead of Math.pow each point
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) {
      out[i] = v;
      continue;
    }
    last = last * weight + (1 - weight) * v;
    weightPower *= weight;
    out[i] = last / (1 - weightPower);
  }
  return out;
}

/**
 * Centred running mean: point i averages the finite values with index in [i − ⌊(k−1)/2⌋, i + ⌈(k−1)/2⌉]
 * (for odd k exactly (k−1)/2 each side; an even k leans one point to the right), truncated at the ends,
 * so the first and last points average fewer values. Non-finite inputs are copied through and left out of
 * their neighbours' means. O(n) with prefix sums.
 */
export function runningAverage(values: ArrayLike<number>, window: number): Float64Array {
  if (!Number.isInteger(window) || window < 1) {
    throw new Error(`running-average window must be an integer ≥ 1, got ${window}`);
  }
  const n = values.length;
  const out = new Float64Array(n);
  const sums = new Float64Array(n + 1);
  const counts = new Uint32Array(n + 1);
  for (let i = 0; i < n; i++) {
    const v = values[i];
    const finite = Number.isFinite(v);
    sums[i + 1] = sums[i] + (finite ? v : 0);
    counts[i + 1] = counts[i] + (finite ? 1 : 0);
  }
  const left = Math.floor((window - 1) / 2);
  const right = window - 1 - left;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) {
      out[i] = v;
      continue;
    }
    const lo = Math.max(0, i - left);
    const hi = Math.min(n - 1, i + right);
    out[i] = (sums[hi + 1] - sums[lo]) / (counts[hi + 1] - counts[lo]);
  }
  return out;
}

/** Applies `spec`; `none` returns a copy so callers may treat the result as their own. */
export function smoothSeries(values: ArrayLike<number>, spec: SmoothingSpec): Float64Array {
  switch (spec.kind) {
    case 'none':
      return toFloat64(values);
    case 'ema':
      return emaSmooth(values, spec.weight);
    case 'running':
      return runningAverage(values, spec.window);
  }
}

/** True when `spec` changes the values (so the chart draws the raw line faintly behind it). */
export function isSmoothing(spec: SmoothingSpec): boolean {
  return (spec.kind === 'ema' && spec.weight > 0) || (spec.kind === 'running' && spec.window > 1);
}

/** A stable string for caching (`ema:0.6`, `running:25`, `none`). */
export function smoothingKey(spec: SmoothingSpec): string {
  switch (spec.kind) {
    case 'none':
      return 'none';
    case 'ema':
      return `ema:${spec.weight}`;
    case 'running':
      return `running:${spec.window}`;
  }
}
