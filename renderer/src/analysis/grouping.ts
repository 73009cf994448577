/**
 * Grouping runs by config and aggregating each group into a mean line with a band.
 *
 * Common x grid: members are logged at different steps, so each member is *linearly interpolated* onto a
 * shared grid (equal spacing over the visible range, one grid point per pixel column at most). A member
 * contributes only inside its own x range — no extrapolation — so `count[i]` says how many members back
 * point i, and the mean of a group whose members stopped at different steps is honest about it.
 *
 * Bands (documented choices):
 * - `std`: mean ± one *sample* standard deviation (n − 1 denominator); zero width when n = 1.
 * - `minmax`: pointwise minimum to maximum of the members.
 * - `ci95`: mean ± t(0.975, n − 1) · s / √n, Student's t (not 1.96·sem, which is too narrow for the
 *   handful of seeds people run); undefined for n = 1, drawn as zero width there.
 */
import { flattenConfig, stableStringify, formatConfigValue, type ConfigSource } from './config-diff.js';

export const BAND_KINDS = ['std', 'minmax', 'ci95'] as const;
export type BandKind = (typeof BAND_KINDS)[number];

export const BAND_LABELS: Record<BandKind, string> = {
  std: '±1 std',
  minmax: 'min–max',
  ci95: '95% CI (t)',
};

/** Group by the listed flattened config keys, or by every key except the listed ones (e.g. `seed`). */
export type GroupBy = { keys: readonly string[] } | { allExcept: readonly string[] };

export interface RunGroup {
  /** Stable identity of the group (its values on the grouping keys), usable as a colour seed. */
  key: string;
  /** Human label, `algo=ppo, lr=0.0003`. */
  label: string;
  runIds: string[];
}

/**
 * Partitions runs by their values on the grouping keys, in first-seen order. `config` may carry run
 * fields too (pass `{ algo: run.algo, env: run.env, ...run.config }` to group by algorithm).
 * A run lacking a key groups under the value `—`.
 */
export function groupRuns(runs: readonly ConfigSource[], by: GroupBy): RunGroup[] {
  const flats = runs.map((r) => flattenConfig(r.config));
  let keys: string[];
  if ('keys' in by) keys = [...by.keys];
  else {
    const excluded = new Set(by.allExcept);
    const all = new Set<string>();
    for (const f of flats) for (const k of Object.keys(f)) if (!excluded.has(k)) all.add(k);
    keys = [...all].sort();
  }
  const groups = new Map<string, { values: unknown[]; runIds: string[] }>();
  runs.forEach((run, i) => {
    const values = keys.map((k) => flats[i][k]);
    const id = stableStringify(values);
    const g = groups.get(id);
    if (g) g.runIds.push(run.id);
    else groups.set(id, { values, runIds: [run.id] });
  });
  // Label with as few keys as tell the groups apart (all grouping keys when there is one group): comparing a2c
  // with ppo, `algo=a2c` says it all, not every key that one of them lacks (`adamEps=—, advantage=gae, …`).
  const entries = [...groups.entries()];
  const telling = fewestTellingKeys(entries.map(([, g]) => g.values), keys);
  const labelKeys = telling.length > 0 ? telling : keys;
  return entries.map(([id, g]) => ({
    key: id,
    label:
      labelKeys.length === 0
        ? 'all runs'
        : labelKeys.map((k) => `${k}=${formatConfigValue(g.values[keys.indexOf(k)])}`).join(', '),
    runIds: g.runIds,
  }));
}

/**
 * The grouping keys (in their order) that separate every pair of groups, chosen greedily: the key splitting the
 * most pairs not yet split, preferring a key every group has (a value beats `—`), then the earlier key.
 * Keys on which all groups agree are never chosen.
 */
export function fewestTellingKeys(valuesPerGroup: readonly (readonly unknown[])[], keys: readonly string[]): string[] {
  const text = valuesPerGroup.map((vs) => vs.map((v) => stableStringify(v)));
  const missing = stableStringify(undefined);
  let pairs: [number, number][] = [];
  for (let a = 0; a < text.length; a++) for (let b = a + 1; b < text.length; b++) pairs.push([a, b]);
  const chosen = new Set<number>();
  while (pairs.length > 0) {
    let best = -1;
    let bestScore = 0;
    let bestComplete = false;
    for (let k = 0; k < keys.length; k++) {
      if (chosen.has(k)) continue;
      const score = pairs.filter(([a, b]) => text[a]![k] !== text[b]![k]).length;
      const complete = text.every((vs) => vs[k] !== missing);
      if (score > bestScore || (score === bestScore && score > 0 && complete && !bestComplete)) {
        best = k;
        bestScore = score;
        bestComplete = complete;
      }
    }
    if (best < 0) break; // groups are distinct by construction; nothing left can split the rest
    chosen.add(best);
    pairs = pairs.filter(([a, b]) => text[a]![best] === text[b]![best]);
  }
  return keys.filter((_, k) => chosen.has(k));
}

/** `points` equally spaced values from min to max inclusive (one point at min when min = max). */
export function linearGrid(min: number, max: number, points: number): Float64Array {
  if (!Number.isInteger(points) || points < 1) throw new Error(`grid needs an integer ≥ 1 points, got ${points}`);
  if (!(Number.isFinite(min) && Number.isFinite(max) && min <= max)) {
    throw new Error(`grid range must be finite with min ≤ max, got [${min}, ${max}]`);
  }
  if (points === 1 || min === max) return Float64Array.of(min);
  const out = new Float64Array(points);
  const step = (max - min) / (points - 1);
  for (let i = 0; i < points; i++) out[i] = min + i * step;
  out[points - 1] = max;
  return out;
}

export interface GroupMember {
  xs: ArrayLike<number>;
  ys: ArrayLike<number>;
}

/** The union of the members' finite x ranges; null when no member has a point. */
export function membersRange(members: readonly GroupMember[]): { min: number; max: number } | null {
  let min = Infinity;
  let max = -Infinity;
  for (const m of members) {
    for (let i = 0; i < m.xs.length; i++) {
      if (!Number.isFinite(m.ys[i]) || !Number.isFinite(m.xs[i])) continue;
      if (m.xs[i] < min) min = m.xs[i];
      if (m.xs[i] > max) max = m.xs[i];
    }
  }
  return min <= max ? { min, max } : null;
}

/**
 * A member's value at every grid x (non-decreasing grid), NaN outside its range. Linear interpolation
 * between the neighbouring finite points; one merge pass, O(grid + points).
 */
export function interpolateOnGrid(member: GroupMember, grid: ArrayLike<number>): Float64Array {
  const { xs, ys } = member;
  const n = xs.length;
  const ok = (i: number) => Number.isFinite(xs[i]) && Number.isFinite(ys[i]);
  const out = new Float64Array(grid.length).fill(Number.NaN);
  let firstOk = 0;
  while (firstOk < n && !ok(firstOk)) firstOk++;
  let lastOk = n - 1;
  while (lastOk >= firstOk && !ok(lastOk)) lastOk--;
  if (firstOk > lastOk) return out;
  // j: the last finite point with x < grid x (or firstOk); k: the next finite point after j. No copies:
  // a 100k-point member is walked once however fine the grid.
  let j = firstOk;
  let k = j;
  const nextOk = (i: number) => {
    let m = i + 1;
    while (m <= lastOk && !ok(m)) m++;
    return m;
  };
  k = nextOk(j);
  for (let g = 0; g < grid.length; g++) {
    const x = grid[g];
    if (x < xs[firstOk] || x > xs[lastOk]) continue;
    while (k <= lastOk && xs[k] < x) {
      j = k;
      k = nextOk(k);
    }
    if (xs[j] === x || k > lastOk) {
      out[g] = ys[j];
      continue;
    }
    if (xs[k] === x) {
      out[g] = ys[k];
      continue;
    }
    const x0 = xs[j];
    const x1 = xs[k];
    out[g] = x1 === x0 ? ys[k] : ys[j] + ((ys[k] - ys[j]) * (x - x0)) / (x1 - x0);
  }
  return out;
}

const T975 = [
  12.7062047, 4.3026527, 3.1824463, 2.7764451, 2.5705818, 2.4469119, 2.3646243, 2.3060041, 2.2621572,
  2.2281389, 2.2009852, 2.1788128, 2.1603687, 2.1447867, 2.1314495, 2.1199053, 2.1098156, 2.100922,
  2.0930241, 2.0859634, 2.0796138, 2.0738731, 2.0686576, 2.0638986, 2.0595386, 2.0555294, 2.0518305,
  2.0484071, 2.0452296, 2.0422725,
];

/**
 * Two-sided 95% critical value of Student's t with `df` degrees of freedom: exact table for df ≤ 30
 * (scipy.stats.t.ppf(0.975, df)), Cornish–Fisher expansion beyond (error < 1e-6 there).
 */
export function tCritical95(df: number): number {
  if (!(df >= 1)) throw new Error(`t critical value needs df ≥ 1, got ${df}`);
  const d = Math.floor(df);
  if (d <= 30) return T975[d - 1];
  const z = 1.959963984540054;
  const z3 = z ** 3;
  const z5 = z ** 5;
  const z7 = z ** 7;
  const z9 = z ** 9;
  return (
    z +
    (z3 + z) / (4 * d) +
    (5 * z5 + 16 * z3 + 3 * z) / (96 * d ** 2) +
    (3 * z7 + 19 * z5 + 17 * z3 - 15 * z) / (384 * d ** 3) +
    (79 * z9 + 776 * z7 + 1482 * z5 - 1920 * z3 - 945 * z) / (92160 * d ** 4)
  );
}

export interface GroupAggregate {
  xs: Float64Array;
  mean: Float64Array;
  lower: Float64Array;
  upper: Float64Array;
  /** Members with a value at each grid point (mean/lower/upper are NaN where 0). */
  count: Uint32Array;
}

/** Mean and band of `members` on `grid`. */
export function aggregateGroup(members: readonly GroupMember[], grid: ArrayLike<number>, band: BandKind): GroupAggregate {
  const n = grid.length;
  const columns = members.map((m) => interpolateOnGrid(m, grid));
  const agg: GroupAggregate = {
    xs: Float64Array.from(grid),
    mean: new Float64Array(n),
    lower: new Float64Array(n),
    upper: new Float64Array(n),
    count: new Uint32Array(n),
  };
  for (let i = 0; i < n; i++) {
    let count = 0;
    let sum = 0;
    let min = Infinity;
    let max = -Infinity;
    for (const c of columns) {
      const v = c[i];
      if (Number.isNaN(v)) continue;
      count++;
      sum += v;
      if (v < min) min = v;
      if (v > max) max = v;
    }
    agg.count[i] = count;
    if (count === 0) {
      agg.mean[i] = agg.lower[i] = agg.upper[i] = Number.NaN;
      continue;
    }
    const mean = sum / count;
    agg.mean[i] = mean;
    if (band === 'minmax') {
      agg.lower[i] = min;
      agg.upper[i] = max;
      continue;
    }
    let sq = 0;
    for (const c of columns) if (!Number.isNaN(c[i])) sq += (c[i] - mean) ** 2;
    const std = count > 1 ? Math.sqrt(sq / (count - 1)) : 0;
    const half = band === 'std' ? std : count > 1 ? (tCritical95(count - 1) * std) / Math.sqrt(count) : 0;
    agg.lower[i] = mean - half;
    agg.upper[i] = mean + half;
  }
  return agg;
}
