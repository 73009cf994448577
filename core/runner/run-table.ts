/**
 * Per-run rows of the runs table (`runs:table`): a summary of every metric key (last / min / max / count), a
 * downsampled return curve for the sparkline, and sample-efficiency figures — the first env step (and the wall time
 * since the run's first record) at which the 20-episode mean of training returns reaches the env's reward threshold
 * (core/algos/threshold.ts, the loop's own criterion), and the area under the return curve divided by the steps it
 * spans (the mean return over training, trapezoidal in steps: comparable across runs of different lengths).
 * Rows are cached per run while its metrics.jsonl is unchanged (size and mtime), so a second visit reads nothing.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { RunTableRow } from '../api/contract.js';
import { stepsToThreshold } from '../algos/threshold.js';
import { METRIC } from '../common/metrics.js';
import { envSpec, isEnvId } from '../envs/registry.js';
import { METRICS_FILE, MetricReader } from '../store/index.js';

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
  let area = 0;
  let first: number | null = null;
  let prevX = NaN;
  let prevY = NaN;
  let lastY: number | null = null;
  for (let i = 0; i < values.length; i++) {
    const x = steps[i]!;
    const y = values[i]!;
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
  if (first === null) return null;
  const span = prevX - first;
  return span > 0 ? area / span : lastY;
}

/** The row of one run folder (no cache). `env` picks the reward threshold (null when the env has none). */
export async function readRunTableRow(id: string, dir: string, env: string): Promise<RunTableRow> {
  const reader = new MetricReader(dir);
  const summary = await reader.summary();
  const metrics: RunTableRow['metrics'] = {};
  for (const [key, s] of Object.entries(summary)) metrics[key] = { last: s.last, min: s.min, max: s.max, count: s.count };
  const curveKey = summary[METRIC.episodeReturn] ? METRIC.episodeReturn : summary[METRIC.episodicReturn] ? METRIC.episodicReturn : null;
  let spark: RunTableRow['spark'] = null;
  let auc: number | null = null;
  if (curveKey) {
    const points = await reader.range(curveKey);
    const steps = points.map((p) => p.step);
    const values = points.map((p) => p.value);
    spark = compactSpark(sparkline(steps, values));
    auc = normalisedAuc(steps, values);
  }
  const threshold = isEnvId(env) ? envSpec(env).rewardThreshold : null;
  let solved: RunTableRow['solved'] = null;
  const episodeKey = summary[METRIC.episodicReturn] ? METRIC.episodicReturn : curveKey;
  if (threshold !== null && episodeKey) {
    const points = await reader.range(episodeKey);
    const step = stepsToThreshold(
      points.map((p) => ({ step: p.step, ret: p.value })),
      threshold,
    );
    if (step !== null) {
      const first = (await reader.readFrom(0, { maxBytes: 4096 })).records[0]?.wallTime ?? null;
      const at = points.find((p) => p.step === step)?.wallTime ?? null;
      solved = { step, seconds: first !== null && at !== null ? Math.max(0, at - first) : null };
    }
  }
  return { id, metrics, spark, auc, threshold, solved };
}

function statOrNull(path: string): { size: number; mtimeMs: number } | null {
  try {
    return statSync(path);
  } catch {
    return null;
  }
}

/** Rows cached per run folder while metrics.jsonl keeps its size and mtime. */
export class RunTableCache {
  readonly #rows = new Map<string, { signature: string; row: RunTableRow }>();

  async row(id: string, dir: string, env: string): Promise<RunTableRow> {
    // A synchronous stat: a few microseconds, where an awaited one queues on libuv's 4 threads (1,000 rows took
    // 75–300 ms to validate on a busy machine, nearly all of it waiting).
    const info = statOrNull(join(dir, METRICS_FILE));
    const signature = info ? `${info.size}:${info.mtimeMs}:${env}` : `none:${env}`;
    const hit = this.#rows.get(id);
    if (hit && hit.signature === signature) return hit.row;
    const row = await readRunTableRow(id, dir, env);
    this.#rows.set(id, { signature, row });
    return row;
  }

  /** Rows of many runs in the given order, read `concurrency` at a time. */
  async rows(runs: readonly { id: string; dir: string; env: string }[], concurrency = 16): Promise<RunTableRow[]> {
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
}
