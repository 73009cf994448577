/**
 * Per-run rows of the runs table (`runs:table`): a summary of every metric key (last / min / max / count), a
 * downsampled return curve for the sparkline, and sample-efficiency figures — the first env step (and the wall time
 * since the run's first record) at which the 20-episode mean of training returns reaches the env's reward threshold
 * (core/algos/threshold.ts, the loop's own criterion), and the area under the return curve divided by the steps it
 * spans (the mean return over training, trapezoidal in steps: comparable across runs of different lengths).
 * Rows are cached per run while its metrics.jsonl is unchanged (RunTableCache), so a second visit, or the first after a
 * restart, reads nothing.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { RunTableRow } from '../api/contract.js';
import { METRIC } from '../common/metrics.js';
import { envSpec, isEnvId } from '../envs/registry.js';
import { METRICS_FILE, MetricReader, PersistedCache } from '../store/index.js';

export const SPARK_POINTS = 48;

/** Bucket means of (step, value) down to at most `maxPoints` points, in order; NaN/±∞ values are skipped. */
export function sparkline(steps: ArrayLike<number>, values: ArrayLike<number>, maxPoints = SPARK_POINTS): { steps: number[]; values: number[] } {
  if (!Number.isInteger(maxPoints) || maxPoints < 2) throw new Error(`sparkline maxPoints must be an integer ≥ 2, got ${maxPoints}`);
  if (steps.length !== values.length) throw new Error(`sparkline needs as many steps as values (${steps.length} vs ${values.length})`);
  const xs: number[] = [];
  const ys: number[] = [];
  for (let i = 0; i < values.length; i++) {
    if (Number.isFinite(values[i]) && Number.isFinite(steps[i])) {
      xs.push(steps[i]!);
      ys.push(values[i]!);
    }
  }
  if (xs.length <= maxPoints) return { steps: xs, values: ys };
  const out = { steps: [] as number[], values: [] as number[] };
  for (let b = 0; b < maxPoints; b++) {
    const lo = Math.floor((b * xs.length) / maxPoints);
    const hi = Math.floor(((b + 1) * xs.length) / maxPoints);
    let sx = 0;
    let sy = 0;
    for (let i = lo; i < hi; i++) {
      sx += xs[i]!;
      sy += ys[i]!;
    }
    out.steps.push(sx / (hi - lo));
    out.values.push(sy / (hi - lo));
  }
  return out;
}

/**
 * A sparkline's steps and values to 5 significant figures: it is drawn 84 pixels wide, and full doubles made it
 * two thirds of a runs:table row (1,000 rows are 1.5 MB of JSON otherwise).
 */
export function compactSpark(spark: { steps: number[]; values: number[] }): { steps: number[]; values: number[] } {
  const round = (v: number) => Number(v.toPrecision(5));
  return { steps: spark.steps.map(round), values: spark.values.map(round) };
}

/**
 * Trapezoidal area under (step, value) divided by the step span: the mean value over training. One point gives that
 * value; none (or no finite one) gives null. Steps must not decrease.
 */
export function normalisedAuc(steps: ArrayLike<number>, values: ArrayLike<number>): number | null {
  const points = new Float64Array(3 * values.length);
  for (let i = 0; i < values.length; i++) {
    points[3 * i] = steps[i]!;
    points[3 * i + 2] = values[i]!;
  }
  return chunkAuc([points]);
}

/** Steps and values of one key's point chunks (float64 triples step, wallTime, value) as flat arrays. */
function flatten(chunks: readonly Float64Array[]): { steps: Float64Array; values: Float64Array } {
  let n = 0;
  for (const c of chunks) n += c.length / 3;
  const steps = new Float64Array(n);
  const values = new Float64Array(n);
  let j = 0;
  for (const c of chunks) {
    for (let i = 0; i < c.length; i += 3, j++) {
      steps[j] = c[i]!;
      values[j] = c[i + 2]!;
    }
  }
  return { steps, values };
}

/**
 * sparkline() of a key's point chunks without copying them out: when every step and value is finite (what the store
 * holds: the writer refuses non-finite values) the buckets are summed in place, in the same order, so the result
 * is identical; otherwise through sparkline() itself.
 */
export function chunkSparkline(chunks: readonly Float64Array[], maxPoints = SPARK_POINTS): { steps: number[]; values: number[] } {
  let n = 0;
  let finite = 0;
  for (const c of chunks) {
    for (let i = 0; i < c.length; i += 3, n++) if (Number.isFinite(c[i]!) && Number.isFinite(c[i + 2]!)) finite++;
  }
  if (finite !== n || n <= maxPoints) {
    const { steps, values } = flatten(chunks);
    return sparkline(steps, values, maxPoints);
  }
  const out = { steps: [] as number[], values: [] as number[] };
  let b = 0;
  let lo = 0;
  let hi = Math.floor(n / maxPoints);
  let sx = 0;
  let sy = 0;
  let j = 0;
  for (const c of chunks) {
    for (let i = 0; i < c.length; i += 3) {
      sx += c[i]!;
      sy += c[i + 2]!;
      if (++j === hi) {
        // n > maxPoints: every bucket holds at least one point.
        out.steps.push(sx / (hi - lo));
        out.values.push(sy / (hi - lo));
        b++;
        lo = hi;
        hi = Math.floor(((b + 1) * n) / maxPoints);
        sx = 0;
        sy = 0;
      }
    }
  }
  return out;
}

/** normalisedAuc() over a key's point chunks (float64 triples step, wallTime, value), in place. */
export function chunkAuc(chunks: readonly Float64Array[]): number | null {
  let area = 0;
  let first: number | null = null;
  let prevX = NaN;
  let prevY = NaN;
  let lastY: number | null = null;
  for (const c of chunks) {
    for (let i = 0; i < c.length; i += 3) {
      const x = c[i]!;
      const y = c[i + 2]!;
      if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
      if (first === null) first = x;
      else {
        if (x < prevX) throw new Error(`normalisedAuc needs non-decreasing steps (step ${x} after ${prevX})`);
        area += ((y + prevY) / 2) * (x - prevX);
      }
      prevX = x;
      prevY = y;
      lastY = y;
    }
  }
  if (first === null) return null;
  const span = prevX - first;
  return span > 0 ? area / span : lastY;
}

/**
 * The first point at which the `window`-point moving mean of a key's values is ≥ threshold — the criterion of
 * core/algos/threshold.ts's stepsToThreshold, over the point chunks in place (a ring of the last `window` values; a
 * 1M-point run would otherwise need 1M objects): its step, and the wall time of the first point at that step; null
 * when never reached.
 */
export function chunkThreshold(chunks: readonly Float64Array[], threshold: number, window = 20): { step: number; wallTime: number } | null {
  if (!Number.isInteger(window) || window < 1) throw new Error(`window must be a positive integer, got ${window}`);
  const ring = new Float64Array(window);
  let sum = 0;
  let i = 0;
  let step: number | null = null;
  outer: for (const c of chunks) {
    for (let k = 0; k < c.length; k += 3, i++) {
      const v = c[k + 2]!;
      sum += v;
      if (i >= window) sum -= ring[i % window]!;
      ring[i % window] = v;
      if (i >= window - 1 && sum / window >= threshold) {
        step = c[k]!;
        break outer;
      }
    }
  }
  if (step === null) return null;
  for (const c of chunks) for (let k = 0; k < c.length; k += 3) if (c[k] === step) return { step, wallTime: c[k + 1]! };
  return null;
}

/**
 * The row of one run folder (no cache). `env` picks the reward threshold (null when the env has none). Every key's
 * points are read once, as typed arrays (the columns of metrics.idx where they are current).
 */
export async function readRunTableRow(id: string, dir: string, env: string): Promise<RunTableRow> {
  const reader = new MetricReader(dir);
  const data = await reader.chunks();
  // Summaries as MetricReader.summary computes them: last in logged order, min, max, count; keys with points only.
  const metrics: RunTableRow['metrics'] = {};
  for (const [key, chunks] of [...data].sort(([a], [b]) => a.localeCompare(b))) {
    let count = 0;
    let min = Infinity;
    let max = -Infinity;
    let last = NaN;
    for (const c of chunks) {
      for (let i = 2; i < c.length; i += 3) {
        const v = c[i]!;
        if (v < min) min = v;
        if (v > max) max = v;
        count++;
      }
      if (c.length > 0) last = c[c.length - 1]!;
    }
    if (count > 0) metrics[key] = { last, min, max, count };
  }
  const curveKey = metrics[METRIC.episodeReturn] ? METRIC.episodeReturn : metrics[METRIC.episodicReturn] ? METRIC.episodicReturn : null;
  let spark: RunTableRow['spark'] = null;
  let auc: number | null = null;
  if (curveKey) {
    const chunks = data.get(curveKey)!;
    spark = compactSpark(chunkSparkline(chunks));
    auc = chunkAuc(chunks);
  }
  const threshold = isEnvId(env) ? envSpec(env).rewardThreshold : null;
  let solved: RunTableRow['solved'] = null;
  const episodeKey = metrics[METRIC.episodicReturn] ? METRIC.episodicReturn : curveKey;
  if (threshold !== null && episodeKey) {
    const reached = chunkThreshold(data.get(episodeKey)!, threshold);
    if (reached) {
      const first = (await reader.readFrom(0, { maxBytes: 4096 })).records[0]?.wallTime ?? null;
      solved = { step: reached.step, seconds: first !== null ? Math.max(0, reached.wallTime - first) : null };
    }
  }
  return { id, metrics, spark, auc, threshold, solved };
}

function statOrNull(path: string): { size: number; mtimeMs: number; ino: number; dev: number } | null {
  try {
    return statSync(path);
  } catch {
    return null;
  }
}

export const RUN_TABLE_CACHE_FILE = 'run-table-cache.json';

const isNum = (x: unknown): x is number => typeof x === 'number';
const isNumbers = (x: unknown): x is number[] => Array.isArray(x) && x.every(isNum);

/** Whether a value read back from the cache file has RunTableRow's shape. */
export function isRunTableRow(x: unknown): x is RunTableRow {
  if (typeof x !== 'object' || x === null) return false;
  const r = x as Partial<RunTableRow>;
  if (typeof r.id !== 'string' || typeof r.metrics !== 'object' || r.metrics === null) return false;
  for (const m of Object.values(r.metrics as Record<string, unknown>)) {
    const v = m as Partial<RunTableRow['metrics'][string]> | null;
    if (typeof v !== 'object' || v === null || !isNum(v.last) || !isNum(v.min) || !isNum(v.max) || !isNum(v.count)) return false;
  }
  const spark = r.spark as RunTableRow['spark'] | undefined;
  if (spark !== null && !(typeof spark === 'object' && isNumbers(spark.steps) && isNumbers(spark.values))) return false;
  const solved = r.solved as RunTableRow['solved'] | undefined;
  if (solved !== null && !(typeof solved === 'object' && isNum(solved.step) && (solved.seconds === null || isNum(solved.seconds)))) return false;
  return (r.auc === null || isNum(r.auc)) && (r.threshold === null || isNum(r.threshold));
}

const CACHE_OPTIONS = { version: 1, isValue: isRunTableRow };

/**
 * Rows cached per run while its metrics.jsonl is the same file (device, inode, size, mtime) and its env the same:
 * in memory, and with `open(home)` in the data folder's run-table-cache.json too (a PersistedCache: atomic, checksummed,
 * ignored when damaged), so an app start does not re-read every run's metrics — 20 runs of 1M points took 3.5 s.
 */
export class RunTableCache {
  readonly #rows: PersistedCache<RunTableRow>;

  constructor(rows: PersistedCache<RunTableRow> = PersistedCache.inMemory(CACHE_OPTIONS)) {
    this.#rows = rows;
  }

  /** The cache kept in `home`'s run-table-cache.json. */
  static async open(home: string): Promise<RunTableCache> {
    return new RunTableCache(await PersistedCache.open(join(home, RUN_TABLE_CACHE_FILE), CACHE_OPTIONS));
  }

  async row(id: string, dir: string, env: string): Promise<RunTableRow> {
    // A synchronous stat: a few microseconds, where an awaited one queues on libuv's 4 threads (1,000 rows took
    // 75–300 ms to validate on a busy machine, nearly all of it waiting).
    const info = statOrNull(join(dir, METRICS_FILE));
    const signature = info ? `${info.dev}:${info.ino}:${info.size}:${info.mtimeMs}:${env}` : `none:${env}`;
    const hit = this.#rows.get(id, signature);
    if (hit) return hit;
    const row = await readRunTableRow(id, dir, env);
    this.#rows.set(id, signature, row);
    return row;
  }

  /** Rows of many runs in the given order, read `concurrency` at a time. */
  async rows(runs: readonly { id: string; dir: string; env: string }[], concurrency = 4): Promise<RunTableRow[]> {
    const out = new Array<RunTableRow>(runs.length);
    let next = 0;
    const work = async () => {
      while (next < runs.length) {
        const i = next++;
        const r = runs[i]!;
        out[i] = await this.row(r.id, r.dir, r.env);
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, runs.length) }, work));
    return out;
  }

  forget(id: string): void {
    this.#rows.delete(id);
  }

  /** Drops the rows of runs `keep` rejects (deleted by another process meanwhile). */
  retain(keep: (id: string) => boolean): void {
    this.#rows.retain(keep);
  }

  /** Writes pending rows to the cache file (also done a second after each change). */
  flush(): Promise<void> {
    return this.#rows.flush();
  }
}
