/**
 * Statistics across runs, after Agarwal et al., "Deep RL at the Edge of the Statistical Precipice" (NeurIPS 2021,
 * the `rliable` library): aggregate point estimates (IQM, mean, median, optimality gap), stratified bootstrap
 * percentile confidence intervals that resample RUNS (never steps) within each stratum (task/env), performance
 * profiles and the probability of improvement. Pure functions over plain arrays, seeded, so they run in a Web
 * Worker or in Node alike.
 *
 * Scores come as strata: `number[][]`, one array of per-run scores per task (a single task is `[scores]`). Every
 * run weighs the same: with equal runs per task (rliable's runs × tasks matrix) mean, IQM, optimality gap and the
 * profile are exactly rliable's. One difference, on purpose: `median` is the median of all run scores, where
 * rliable takes the median of per-task means — with one task (the usual compare in PolicyLab) rliable's median
 * would be just the mean.
 *
 * The bootstrap loops are hand-written over typed arrays (each stratum sorted once; a resample is a count of draws
 * per run written back in order, so no sort per resample with one task) because 50 runs × 10k resamples must fit in 100 ms in a worker (`npm run bench -- stats`).
 */
import { Rng } from '../common/rng.js';

export type Strata = readonly (readonly number[])[];
export type Aggregate = (scores: Strata) => number;

export interface Interval {
  point: number;
  low: number;
  high: number;
}

export interface BootstrapOptions {
  /** Bootstrap resamples (default 2000). */
  resamples?: number;
  /** Confidence level of the percentile interval (default 0.95). */
  confidence?: number;
  /** Seed of the resampling (default 0): the same seed gives the same interval. */
  seed?: number;
}

export const MAX_RESAMPLES = 1_000_000;

export function checkStrata(scores: Strata, what: string): void {
  if (!Array.isArray(scores) || scores.length === 0) throw new RangeError(`${what}: needs at least one stratum of run scores`);
  scores.forEach((s, i) => {
    if (!Array.isArray(s) || s.length === 0) throw new RangeError(`${what}: stratum ${i} has no runs`);
    s.forEach((v, j) => {
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new RangeError(`${what}: stratum ${i}, run ${j} is not a finite number (${String(v)})`);
    });
  });
}

/** Flat copy of the strata plus the offset where each stratum starts (and one past the end). */
interface Packed {
  values: Float64Array;
  offsets: Int32Array;
}

function pack(scores: Strata): Packed {
  const offsets = new Int32Array(scores.length + 1);
  for (let i = 0; i < scores.length; i++) offsets[i + 1] = offsets[i]! + scores[i]!.length;
  const values = new Float64Array(offsets[scores.length]!);
  let k = 0;
  for (const s of scores) for (const v of s) values[k++] = v;
  return { values, offsets };
}

/** The strata with each stratum's values in ascending order (statistics here are symmetric in the runs). */
function packSorted(scores: Strata): Packed {
  const p = pack(scores);
  for (let t = 0; t + 1 < p.offsets.length; t++) p.values.subarray(p.offsets[t]!, p.offsets[t + 1]!).sort();
  return p;
}

/**
 * One stratified resample into `out`: each stratum's runs drawn with replacement, as many as it has. The draws are
 * counted per run and written back in the stratum's order, so with `p` from `packSorted` each stratum of `out`
 * comes out sorted without a sort per resample (the same multiset as writing draw by draw).
 */
function resampleInto(p: Packed, rng: Rng, out: Float64Array, counts: Int32Array): void {
  for (let t = 0; t + 1 < p.offsets.length; t++) {
    const start = p.offsets[t]!;
    const n = p.offsets[t + 1]! - start;
    counts.fill(0, 0, n);
    for (let i = 0; i < n; i++) counts[rng.integer(n)]!++;
    let k = start;
    for (let i = 0; i < n; i++) {
      const v = p.values[start + i]!;
      for (let c = counts[i]!; c > 0; c--) out[k++] = v;
    }
  }
}

function scratch(p: Packed): { buf: Float64Array; counts: Int32Array } {
  let most = 0;
  for (let t = 0; t + 1 < p.offsets.length; t++) most = Math.max(most, p.offsets[t + 1]! - p.offsets[t]!);
  return { buf: new Float64Array(p.values.length), counts: new Int32Array(most) };
}

/** Pools the strata of a resample into ascending order (already so with one stratum). */
function pooledSorted(p: Packed, buf: Float64Array): void {
  if (p.offsets.length > 2) buf.sort();
}

function meanOf(v: Float64Array): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]!;
  return s / v.length;
}

/** Median of ascending values. */
function medianOfSorted(v: Float64Array): number {
  const m = v.length >> 1;
  return v.length % 2 === 1 ? v[m]! : (v[m - 1]! + v[m]!) / 2;
}

/** IQM of ascending values: cut ⌊n/4⌋ from each end (scipy's trim_mean(x, 0.25), which rliable uses). */
function iqmOfSorted(v: Float64Array): number {
  const cut = Math.floor(v.length * 0.25);
  let s = 0;
  for (let i = cut; i < v.length - cut; i++) s += v[i]!;
  return s / (v.length - 2 * cut);
}

function gapOf(v: Float64Array, gamma: number): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += Math.max(gamma - v[i]!, 0);
  return s / v.length;
}

function sortedCopy(scores: Strata): Float64Array {
  return pack(scores).values.sort();
}

/** Arithmetic mean of all run scores. */
export function mean(scores: Strata): number {
  checkStrata(scores, 'mean');
  return meanOf(pack(scores).values);
}

/** Median of all run scores (the mean of the two middle values for an even count). */
export function median(scores: Strata): number {
  checkStrata(scores, 'median');
  return medianOfSorted(sortedCopy(scores));
}

/**
 * Interquartile mean: the mean of the scores left after cutting ⌊n/4⌋ from each end of the sorted scores
 * (scipy's `trim_mean(x, 0.25)`, as rliable uses). IQM of 1..8 is the mean of 3..6 = 4.5.
 */
export function iqm(scores: Strata): number {
  checkStrata(scores, 'iqm');
  return iqmOfSorted(sortedCopy(scores));
}

function checkGamma(gamma: number): void {
  if (typeof gamma !== 'number' || !Number.isFinite(gamma)) throw new RangeError(`optimalityGap: gamma must be a finite number, got ${String(gamma)}`);
}

/** Optimality gap: the mean shortfall below `gamma`, mean(max(γ − x, 0)) = γ − mean(min(x, γ)); scores above γ count as 0. */
export function optimalityGap(scores: Strata, gamma = 1): number {
  checkStrata(scores, 'optimalityGap');
  checkGamma(gamma);
  return gapOf(pack(scores).values, gamma);
}

/** Value at quantile q ∈ [0, 1] of ascending values, linear between order statistics (numpy's default). */
export function quantile(sortedValues: ArrayLike<number>, q: number): number {
  if (sortedValues.length === 0) throw new RangeError('quantile: no values');
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile: q must be in [0, 1], got ${q}`);
  const pos = (sortedValues.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sortedValues[lo]! + (sortedValues[hi]! - sortedValues[lo]!) * (pos - lo);
}

function options(o: BootstrapOptions | undefined): Required<BootstrapOptions> {
  const resamples = o?.resamples ?? 2000;
  const confidence = o?.confidence ?? 0.95;
  const seed = o?.seed ?? 0;
  if (!Number.isInteger(resamples) || resamples < 1 || resamples > MAX_RESAMPLES) {
    throw new RangeError(`bootstrap: resamples must be a whole number in [1, ${MAX_RESAMPLES}], got ${resamples}`);
  }
  if (!(confidence > 0 && confidence < 1)) throw new RangeError(`bootstrap: confidence must be in (0, 1), got ${confidence}`);
  if (!Number.isInteger(seed)) throw new RangeError(`bootstrap: seed must be a whole number, got ${seed}`);
  return { resamples, confidence, seed };
}

/** Percentile interval of bootstrap statistics (sorted in place). */
function percentileInterval(point: number, stats: Float64Array, confidence: number): Interval {
  stats.sort();
  const a = (1 - confidence) / 2;
  return { point, low: quantile(stats, a), high: quantile(stats, 1 - a) };
}

function unpack(p: Packed, v: Float64Array): number[][] {
  const out: number[][] = [];
  for (let t = 0; t + 1 < p.offsets.length; t++) out.push(Array.from(v.subarray(p.offsets[t]!, p.offsets[t + 1]!)));
  return out;
}

/**
 * Stratified bootstrap percentile CI of any `aggregate`: runs are resampled with replacement within each stratum
 * (task), never steps within a run. A constant input gives a zero-width interval.
 */
export function bootstrapCI(scores: Strata, aggregate: Aggregate, opts?: BootstrapOptions): Interval {
  checkStrata(scores, 'bootstrapCI');
  const { resamples, confidence, seed } = options(opts);
  const p = packSorted(scores);
  const rng = new Rng(seed);
  const { buf, counts } = scratch(p);
  const stats = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    resampleInto(p, rng, buf, counts);
    stats[r] = aggregate(unpack(p, buf));
  }
  return percentileInterval(aggregate(scores), stats, confidence);
}

export interface AggregateSummary {
  runs: number;
  iqm: Interval;
  mean: Interval;
  median: Interval;
  optimalityGap: Interval;
}

export type AggregateName = 'iqm' | 'mean' | 'median' | 'optimalityGap';

/** IQM, mean, median and optimality gap (γ = `gamma`), each with its stratified bootstrap CI (the same resamples). */
export function aggregateSummary(scores: Strata, opts?: BootstrapOptions & { gamma?: number }): AggregateSummary {
  checkStrata(scores, 'aggregateSummary');
  const { resamples, confidence, seed } = options(opts);
  const gamma = opts?.gamma ?? 1;
  checkGamma(gamma);
  const p = packSorted(scores);
  const n = p.values.length;
  const rng = new Rng(seed);
  const { buf, counts } = scratch(p);
  const sIqm = new Float64Array(resamples);
  const sMean = new Float64Array(resamples);
  const sMedian = new Float64Array(resamples);
  const sGap = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    resampleInto(p, rng, buf, counts);
    sMean[r] = meanOf(buf);
    sGap[r] = gapOf(buf, gamma);
    pooledSorted(p, buf);
    sIqm[r] = iqmOfSorted(buf);
    sMedian[r] = medianOfSorted(buf);
  }
  const sorted = Float64Array.from(p.values).sort();
  return {
    runs: n,
    iqm: percentileInterval(iqmOfSorted(sorted), sIqm, confidence),
    mean: percentileInterval(meanOf(sorted), sMean, confidence),
    median: percentileInterval(medianOfSorted(sorted), sMedian, confidence),
    optimalityGap: percentileInterval(gapOf(sorted, gamma), sGap, confidence),
  };
}

/** Index of the first ascending value strictly above `tau`. */
function firstAbove(v: Float64Array, tau: number): number {
  let lo = 0;
  let hi = v.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (v[mid]! > tau) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

function checkTaus(taus: readonly number[], what: string): void {
  if (!Array.isArray(taus) || taus.length === 0) throw new RangeError(`${what}: needs at least one threshold τ`);
  taus.forEach((t, i) => {
    if (typeof t !== 'number' || !Number.isFinite(t)) throw new RangeError(`${what}: τ[${i}] is not a finite number (${String(t)})`);
  });
}

/** Fraction of runs whose score is strictly above each τ (rliable's run-score distribution, `mean(scores > τ)`). */
export function performanceProfile(scores: Strata, taus: readonly number[]): number[] {
  checkStrata(scores, 'performanceProfile');
  checkTaus(taus, 'performanceProfile');
  const v = sortedCopy(scores);
  return taus.map((t) => (v.length - firstAbove(v, t)) / v.length);
}

export interface ProfilePoint extends Interval {
  tau: number;
}

/** The performance profile at each τ with stratified bootstrap CI bands (the same resamples for every τ). */
export function performanceProfileCI(scores: Strata, taus: readonly number[], opts?: BootstrapOptions): ProfilePoint[] {
  checkStrata(scores, 'performanceProfileCI');
  checkTaus(taus, 'performanceProfileCI');
  const { resamples, confidence, seed } = options(opts);
  const p = packSorted(scores);
  const n = p.values.length;
  const rng = new Rng(seed);
  const { buf, counts } = scratch(p);
  const perTau = taus.map(() => new Float64Array(resamples));
  for (let r = 0; r < resamples; r++) {
    resampleInto(p, rng, buf, counts);
    pooledSorted(p, buf);
    for (let t = 0; t < taus.length; t++) perTau[t]![r] = (n - firstAbove(buf, taus[t]!)) / n;
  }
  const point = performanceProfile(scores, taus);
  return taus.map((tau, t) => ({ tau, ...percentileInterval(point[t]!, perTau[t]!, confidence) }));
}

/**
 * P(X > Y) + ½ P(X = Y) over all pairs of runs of one task (the Mann–Whitney U statistic over mn), from two
 * ascending arrays by one merge: O(m + n) instead of O(mn).
 */
function pairwiseImprovementSorted(x: Float64Array, y: Float64Array): number {
  let below = 0; // y values < current x
  let upTo = 0; // y values ≤ current x
  let s = 0;
  for (let i = 0; i < x.length; i++) {
    const a = x[i]!;
    while (below < y.length && y[below]! < a) below++;
    if (upTo < below) upTo = below;
    while (upTo < y.length && y[upTo]! <= a) upTo++;
    s += below + 0.5 * (upTo - below);
  }
  return s / (x.length * y.length);
}

function improvementOfPacked(px: Packed, vx: Float64Array, py: Packed, vy: Float64Array): number {
  let s = 0;
  const tasks = px.offsets.length - 1;
  for (let t = 0; t < tasks; t++) {
    // Each stratum is ascending (packSorted, and resampleInto keeps it so).
    const xs = vx.subarray(px.offsets[t]!, px.offsets[t + 1]!);
    const ys = vy.subarray(py.offsets[t]!, py.offsets[t + 1]!);
    s += pairwiseImprovementSorted(xs, ys);
  }
  return s / tasks;
}

function checkPair(x: Strata, y: Strata, what: string): void {
  checkStrata(x, `${what} (x)`);
  checkStrata(y, `${what} (y)`);
  if (x.length !== y.length) throw new RangeError(`${what}: x has ${x.length} strata and y ${y.length}; they must score the same tasks`);
}

/**
 * Probability of improvement of X over Y: per task, the probability that a random run of X scores above a
 * random run of Y (ties count half), averaged over tasks. `x` and `y` must have the same strata (tasks).
 */
export function probabilityOfImprovement(x: Strata, y: Strata): number {
  checkPair(x, y, 'probabilityOfImprovement');
  const px = packSorted(x);
  const py = packSorted(y);
  return improvementOfPacked(px, px.values, py, py.values);
}

/** Probability of improvement with a stratified bootstrap CI (the runs of X and of Y resampled independently, as rliable's StratifiedIndependentBootstrap). */
export function probabilityOfImprovementCI(x: Strata, y: Strata, opts?: BootstrapOptions): Interval {
  checkPair(x, y, 'probabilityOfImprovementCI');
  const { resamples, confidence, seed } = options(opts);
  const px = packSorted(x);
  const py = packSorted(y);
  const point = improvementOfPacked(px, px.values, py, py.values);
  const rng = new Rng(seed);
  const sx = scratch(px);
  const sy = scratch(py);
  const bx = sx.buf;
  const by = sy.buf;
  const stats = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    resampleInto(px, rng, bx, sx.counts);
    resampleInto(py, rng, by, sy.counts);
    stats[r] = improvementOfPacked(px, bx, py, by);
  }
  return percentileInterval(point, stats, confidence);
}
