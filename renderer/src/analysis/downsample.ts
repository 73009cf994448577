/**
 * Min/max-per-bucket downsampling: the chart never receives more points than it has pixels, and no spike
 * disappears. LTTB keeps the shape but can drop a one-point spike; here every bucket keeps both its minimum
 * and its maximum, emitted in x order, plus the first and last point of the range.
 *
 * Buckets split the x range into equal widths (pixels are equal widths), so x must be non-decreasing (steps
 * and times are). Non-finite values are never emitted (Chart.js cannot place them) — the table still shows them.
 */

export interface XRange {
  min: number;
  max: number;
}

export interface Downsampled {
  xs: Float64Array;
  ys: Float64Array;
  /** Index of every emitted point in the input arrays. */
  indices: Uint32Array;
}

/** First index i with xs[i] >= x (xs non-decreasing); xs.length when none. */
export function lowerBound(xs: ArrayLike<number>, x: number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (xs[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** lowerBound restricted to [lo, hi). */
function lowerBoundFrom(xs: ArrayLike<number>, x: number, lo: number, hi: number): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (xs[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index i with xs[i] > x; xs.length when none. */
export function upperBound(xs: ArrayLike<number>, x: number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (xs[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Index span [lo, hi] drawn for `range`: the points inside plus one neighbour on each side, so the line
 * runs to the edge of the plot instead of stopping at the last point inside.
 */
export function visibleSpan(xs: ArrayLike<number>, range?: XRange | null): [number, number] {
  const n = xs.length;
  if (!range) return [0, n - 1];
  const lo = Math.max(0, lowerBound(xs, range.min) - 1);
  const hi = Math.min(n - 1, upperBound(xs, range.max));
  return [lo, hi];
}

/**
 * At most `maxPoints` points of (xs, ys) within `range` (all of it when omitted): the first and last finite
 * point of the span, then the minimum and maximum of each of ⌊(maxPoints − 2) / 2⌋ equal-width x buckets.
 */
export function downsampleMinMax(
  xs: ArrayLike<number>,
  ys: ArrayLike<number>,
  maxPoints: number,
  range?: XRange | null,
): Downsampled {
  if (xs.length !== ys.length) throw new Error(`downsample: xs has ${xs.length} points, ys has ${ys.length}`);
  if (!Number.isInteger(maxPoints) || maxPoints < 2) {
    throw new Error(`downsample: maxPoints must be an integer ≥ 2, got ${maxPoints}`);
  }
  const picked: number[] = [];
  if (xs.length > 0) {
    const [lo, hi] = visibleSpan(xs, range);
    if (lo <= hi) pickIndices(xs, ys, lo, hi, maxPoints, picked);
  }
  const out: Downsampled = {
    xs: new Float64Array(picked.length),
    ys: new Float64Array(picked.length),
    indices: Uint32Array.from(picked),
  };
  for (let j = 0; j < picked.length; j++) {
    out.xs[j] = xs[picked[j]];
    out.ys[j] = ys[picked[j]];
  }
  return out;
}

function pickIndices(
  xs: ArrayLike<number>,
  ys: ArrayLike<number>,
  lo: number,
  hi: number,
  maxPoints: number,
  picked: number[],
): void {
  let first = lo;
  while (first <= hi && !Number.isFinite(ys[first])) first++;
  let last = hi;
  while (last >= first && !Number.isFinite(ys[last])) last--;
  if (first > last) return;

  let finiteCount = 0;
  for (let i = first; i <= last && finiteCount <= maxPoints; i++) if (Number.isFinite(ys[i])) finiteCount++;
  if (finiteCount <= maxPoints) {
    for (let i = first; i <= last; i++) if (Number.isFinite(ys[i])) picked.push(i);
    return;
  }

  const buckets = Math.floor((maxPoints - 2) / 2);
  picked.push(first);
  if (buckets > 0) {
    const x0 = xs[first];
    const width = xs[last] - x0;
    const interior = last - first - 1;
    // Bucket b holds the interior points with x in [x0 + b·w/B, x0 + (b+1)·w/B): its start index is found
    // by binary search, so the scan below is a bare min/max loop (≈ 4× faster than a per-point bucket
    // division on 20 × 100k points). A degenerate x range (every point at one x) splits by index instead.
    // Starts are kept non-decreasing, so even unsorted input yields ≤ 2 points per bucket.
    let start = first + 1;
    for (let b = 0; b < buckets; b++) {
      let end: number;
      if (b === buckets - 1) end = last;
      else if (width > 0) end = Math.max(start, Math.min(last, lowerBoundFrom(xs, x0 + (width * (b + 1)) / buckets, first + 1, last)));
      else end = first + 1 + Math.floor((interior * (b + 1)) / buckets);
      let minI = -1;
      let maxI = -1;
      let minY = Infinity;
      let maxY = -Infinity;
      for (let i = start; i < end; i++) {
        const y = ys[i];
        if (!Number.isFinite(y)) continue;
        if (y < minY) {
          minY = y;
          minI = i;
        }
        if (y > maxY) {
          maxY = y;
          maxI = i;
        }
      }
      if (minI >= 0) {
        if (minI === maxI) picked.push(minI);
        else if (minI < maxI) picked.push(minI, maxI);
        else picked.push(maxI, minI);
      }
      start = end;
    }
  }
  if (last !== first) picked.push(last);
}
