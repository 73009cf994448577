/**
 * The compare view's per-run series of one metric key, as plain arrays, and the pure steps that change them:
 * taking a metrics:query answer, splicing a zoomed range fetched at higher resolution into it, appending live
 * records, and mapping a visible x range (step, wall or relative time) back to the step range to refetch.
 * Every change returns new arrays (the charts cache on array identity).
 */
import { OVERVIEW_POINTS, type MetricRecord, type MetricSeries } from '../../../core/api/contract.js';
import { lowerBound, upperBound } from '../analysis/downsample.js';
import type { XAxisMode } from '../analysis/x-axis.js';

/**
 * Points per run and key in one fetch. A key's points over all runs stay near POINTS_PER_KEY (what one chart
 * can take in quickly): a few runs arrive whole up to 4,000 points each (so smoothing sees every point of
 * typical runs), twenty runs at 500 (about one per pixel column of a chart; longer series come as min/max
 * buckets, and zooming refetches the visible range at this resolution). The budget is always one of the
 * OVERVIEW_POINTS sizes, which finished runs answer from buckets precomputed by the store.
 */
export const POINTS_PER_KEY = 10_000;
export function pointBudget(runs: number): number {
  const share = POINTS_PER_KEY / Math.max(1, runs);
  let best: number = OVERVIEW_POINTS[0];
  for (const n of OVERVIEW_POINTS) if (n <= share) best = n;
  return best;
}

export interface RunSeries {
  steps: number[];
  values: number[];
  /** Wall-clock ms since the epoch of each point. */
  times: number[];
  /** Smallest and largest raw value behind each point (a bucket's extremes; the value itself for a raw point). */
  mins: number[];
  maxs: number[];
  /** Raw points the server holds for the whole run (more than `steps.length` when downsampled). */
  totalPoints: number;
  /** Smallest and largest raw value (exact even when downsampled: buckets carry their min and max). */
  min: number;
  max: number;
}

/** A metrics:query series (wall times in seconds) as a RunSeries (times in ms, as the charts want). */
export function fromQuery(s: MetricSeries, totalPoints = s.totalPoints): RunSeries {
  const times = new Array<number>(s.wallTimes.length);
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < times.length; i++) {
    times[i] = s.wallTimes[i]! * 1000;
    if (s.mins[i]! < min) min = s.mins[i]!;
    if (s.maxs[i]! > max) max = s.maxs[i]!;
  }
  return { steps: s.steps, values: s.values, times, mins: s.mins, maxs: s.maxs, totalPoints, min, max };
}

/** A series holding no points yet (a live run appends to it). */
export function emptySeries(): RunSeries {
  return { steps: [], values: [], times: [], mins: [], maxs: [], totalPoints: 0, min: Infinity, max: -Infinity };
}

/** Table summary of a series: last value and step, exact min/max, raw point count. */
export function seriesSummary(s: RunSeries): { last: number | null; lastStep: number | null; min: number | null; max: number | null; count: number } {
  const n = s.steps.length;
  return {
    last: n > 0 ? s.values[n - 1]! : null,
    lastStep: n > 0 ? s.steps[n - 1]! : null,
    min: Number.isFinite(s.min) ? s.min : null,
    max: Number.isFinite(s.max) ? s.max : null,
    count: s.totalPoints,
  };
}

/** Whether the series holds every raw point (so smoothing sees the full resolution). */
export function isFullResolution(s: RunSeries): boolean {
  return s.steps.length >= s.totalPoints;
}

/**
 * `base` with its points in [from, to] replaced by `zoomed` (the same range fetched at higher resolution):
 * the overview stays intact outside the range, so zooming back out shows no hole.
 */
export function spliceRange(base: RunSeries, zoomed: RunSeries, from: number, to: number): RunSeries {
  const lo = lowerBound(base.steps, from);
  const hi = upperBound(base.steps, to);
  const pick = (a: number[], z: number[]) => [...a.slice(0, lo), ...z, ...a.slice(hi)];
  return {
    steps: pick(base.steps, zoomed.steps),
    values: pick(base.values, zoomed.values),
    times: pick(base.times, zoomed.times),
    mins: pick(base.mins, zoomed.mins),
    maxs: pick(base.maxs, zoomed.maxs),
    totalPoints: base.totalPoints,
    min: Math.min(base.min, zoomed.min),
    max: Math.max(base.max, zoomed.max),
  };
}

/** `series` plus the records' values of `key` logged after its last step; null when nothing is new. */
export function appendRecords(series: RunSeries, records: readonly MetricRecord[], key: string): RunSeries | null {
  let last = series.steps.length > 0 ? series.steps[series.steps.length - 1]! : -Infinity;
  let out: RunSeries | null = null;
  for (const r of records) {
    const v = r.values[key];
    if (v === undefined || r.step <= last) continue;
    out ??= {
      ...series,
      steps: series.steps.slice(),
      values: series.values.slice(),
      times: series.times.slice(),
      mins: series.mins.slice(),
      maxs: series.maxs.slice(),
    };
    out.steps.push(r.step);
    out.values.push(v);
    out.times.push(r.wallTime * 1000);
    out.mins.push(v);
    out.maxs.push(v);
    out.totalPoints++;
    if (v < out.min) out.min = v;
    if (v > out.max) out.max = v;
    last = r.step;
  }
  return out;
}

/**
 * Where relative time counts from for a run's series: the run's start (ms epoch), so every key of a run shares
 * one origin; the series' first point when the start is unknown or later than it (runs imported or written
 * outside the app).
 */
export function relativeOrigin(series: RunSeries, runStart: number | undefined): number | undefined {
  if (runStart === undefined || !Number.isFinite(runStart)) return undefined;
  return series.times.length === 0 || runStart <= series.times[0]! ? runStart : undefined;
}

/** The x coordinates of a series on an axis (relative time: seconds from `origin`, else from its first point). */
export function xOf(series: RunSeries, mode: XAxisMode, origin?: number): number[] {
  if (mode === 'step') return series.steps;
  if (mode === 'wall') return series.times;
  const t0 = origin ?? series.times[0] ?? 0;
  return series.times.map((t) => (t - t0) / 1000);
}

/**
 * The step range behind a visible x range for one run: the steps of the points just outside it on either
 * side (so the refetched line reaches the plot edges). Null when the run has no points there.
 */
export function stepRangeFor(
  series: RunSeries,
  mode: XAxisMode,
  range: { min: number; max: number },
  origin?: number,
): { from: number; to: number } | null {
  const n = series.steps.length;
  if (n === 0) return null;
  const xs = xOf(series, mode, origin);
  const lo = Math.max(0, lowerBound(xs, range.min) - 1);
  const hi = Math.min(n - 1, upperBound(xs, range.max));
  if (lo > hi) return null;
  return { from: series.steps[lo]!, to: series.steps[hi]! };
}

/** Sorted distinct strings. */
export function uniqueSorted(values: Iterable<string>): string[] {
  return [...new Set(values)].sort();
}

/**
 * Folds live metric batches into fetched series (key → run id → series), in place of the changed entries.
 * Keys not fetched yet are left alone (their first fetch includes these records). Returns the keys whose
 * series changed and every key the batches mention.
 */
export function foldLiveRecords(
  data: Map<string, Map<string, RunSeries>>,
  batches: readonly { id: string; records: readonly MetricRecord[] }[],
): { changed: string[]; mentioned: string[] } {
  const changed = new Set<string>();
  const mentioned = new Set<string>();
  for (const { id, records } of batches) {
    const keys = new Set<string>();
    for (const r of records) for (const k of Object.keys(r.values)) keys.add(k);
    for (const key of keys) {
      mentioned.add(key);
      const perRun = data.get(key);
      if (!perRun) continue;
      const next = appendRecords(perRun.get(id) ?? emptySeries(), records, key);
      if (next) {
        perRun.set(id, next);
        changed.add(key);
      }
    }
  }
  return { changed: [...changed], mentioned: [...mentioned] };
}
