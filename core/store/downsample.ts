/**
 * Downsampling for charts: at most N points per series, so the UI never draws more points than
 * pixels. The step range is cut into N equal-width buckets; each non-empty bucket becomes one point
 * carrying the bucket's mean (step, wallTime, value) and its min and max value — a chart draws the
 * mean as the line and min..max as a band, so a one-step spike is never averaged away.
 */
import { StoreError } from './errors.js';

export interface SeriesPoint {
  step: number;
  wallTime: number;
  value: number;
}

export interface DownsampledPoint extends SeriesPoint {
  /** Smallest and largest value in the bucket (equal to `value` for a single raw point). */
  min: number;
  max: number;
  /** Raw points in the bucket. */
  count: number;
}

export interface DownsampledSeries {
  key: string;
  points: DownsampledPoint[];
  /** Raw points in the requested step range. */
  totalPoints: number;
  /** False when every raw point was returned as is. */
  downsampled: boolean;
  /** Whether the buckets were read from the overviews precomputed at the writer's close. */
  fromOverview?: boolean;
}

/** A series as chunks of (step, wallTime, value) float64 triples, in file order. */
export type PointChunks = readonly Float64Array[];

export function assertMaxPoints(maxPoints: number): void {
  if (!Number.isInteger(maxPoints) || maxPoints < 1) {
    throw new StoreError('INVALID_INPUT', `maxPoints must be an integer >= 1, got ${String(maxPoints)}`);
  }
}

export function assertStepRange(from: number, to: number): void {
  if (typeof from !== 'number' || typeof to !== 'number' || Number.isNaN(from) || Number.isNaN(to) || from > to) {
    throw new StoreError('INVALID_INPUT', `step range must satisfy from <= to, got from=${String(from)} to=${String(to)}`);
  }
}

export function downsampleChunks(
  chunks: PointChunks,
  maxPoints: number,
  from = -Infinity,
  to = Infinity,
): { points: DownsampledPoint[]; total: number } {
  assertMaxPoints(maxPoints);
  assertStepRange(from, to);
  let total = 0;
  let minStep = Infinity;
  let maxStep = -Infinity;
  for (const c of chunks) {
    for (let i = 0; i < c.length; i += 3) {
      const s = c[i];
      if (s < from || s > to) continue;
      total++;
      if (s < minStep) minStep = s;
      if (s > maxStep) maxStep = s;
    }
  }
  const points: DownsampledPoint[] = [];
  if (total <= maxPoints) {
    for (const c of chunks) {
      for (let i = 0; i < c.length; i += 3) {
        const s = c[i];
        if (s < from || s > to) continue;
        const v = c[i + 2];
        points.push({ step: s, wallTime: c[i + 1], value: v, min: v, max: v, count: 1 });
      }
    }
    return { points, total };
  }

  const nb = maxPoints;
  const width = (maxStep - minStep) / nb;
  const scale = width > 0 ? 1 / width : 0; // all points on one step → one bucket
  const count = new Float64Array(nb);
  const sumStep = new Float64Array(nb);
  const sumWall = new Float64Array(nb);
  const sumValue = new Float64Array(nb);
  const min = new Float64Array(nb).fill(Infinity);
  const max = new Float64Array(nb).fill(-Infinity);
  for (const c of chunks) {
    for (let i = 0; i < c.length; i += 3) {
      const s = c[i];
      if (s < from || s > to) continue;
      let b = Math.floor((s - minStep) * scale);
      if (b >= nb) b = nb - 1;
      const v = c[i + 2];
      count[b]++;
      sumStep[b] += s;
      sumWall[b] += c[i + 1];
      sumValue[b] += v;
      if (v < min[b]) min[b] = v;
      if (v > max[b]) max[b] = v;
    }
  }
  for (let b = 0; b < nb; b++) {
    const n = count[b];
    if (n === 0) continue;
    points.push({ step: sumStep[b] / n, wallTime: sumWall[b] / n, value: sumValue[b] / n, min: min[b], max: max[b], count: n });
  }
  return { points, total };
}
