/** Chart points of the run page, and their live re-downsampling (the min/max bucketing of analysis/downsample). */
import { downsampleMinMax as pickMinMax } from '../analysis/downsample.js';

export interface Point {
  x: number;
  /** The value (a bucket's mean when the store downsampled). */
  y: number;
  /** The bucket's min and max, when the point stands for several raw points. */
  lo?: number;
  hi?: number;
}

/** At most ~maxPoints of `points` (x non-decreasing): each bucket keeps its min and max, so spikes survive. */
export function downsampleMinMax(points: readonly Point[], maxPoints: number): Point[] {
  if (points.length <= maxPoints) return points.slice();
  const { indices } = pickMinMax(
    points.map((p) => p.x),
    points.map((p) => p.y),
    maxPoints,
  );
  return Array.from(indices, (i) => points[i]!);
}
