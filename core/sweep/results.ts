/**
 * A sweep's results: per configuration, each seed's final metric (the last logged value of the metric, from the run's
 * summary) and the aggregate over seeds — mean, median, IQM (core/stats, rliable's definition), min and max.
 * Runs without the metric yet (queued, or stopped before logging it) are listed with a null value and left out of
 * the aggregate; `n` says how many seeds it covers.
 */
import type { SweepDetail, SweepInfo, SweepPointResult } from '../api/sweeps.js';
import type { RunRecord, SweepRecord } from '../store/index.js';
import { iqm, mean, median } from '../stats/index.js';
import { DEFAULT_SWEEP_METRIC } from './spec.js';

type RunLookup = (id: string) => Pick<RunRecord, 'status' | 'summary'> | undefined;

function specField<T>(sweep: SweepRecord, key: string, fallback: T): T {
  const v = sweep.spec[key];
  return v === undefined ? fallback : (v as T);
}

export function sweepInfo(sweep: SweepRecord, lookup: RunLookup): SweepInfo {
  const runCounts: Record<string, number> = {};
  for (const r of sweep.runs) {
    const status = lookup(r.runId)?.status ?? 'deleted';
    runCounts[status] = (runCounts[status] ?? 0) + 1;
  }
  return {
    id: sweep.id,
    name: sweep.name,
    status: sweep.status,
    method: specField(sweep, 'method', 'grid'),
    algo: specField(sweep, 'algo', ''),
    env: specField(sweep, 'env', ''),
    parameters: Object.keys(specField<Record<string, unknown>>(sweep, 'parameters', {})),
    seeds: specField<number[]>(sweep, 'seeds', []),
    metric: specField(sweep, 'metric', DEFAULT_SWEEP_METRIC),
    points: sweep.points.length,
    plannedRuns: sweep.plannedRuns,
    runCounts,
    createdAt: sweep.createdAt,
    endedAt: sweep.endedAt,
    error: sweep.error,
  };
}

/** Results of every configuration for `metric` (default: the spec's). */
export function sweepResults(sweep: SweepRecord, lookup: RunLookup, metric?: string): SweepDetail {
  const info = sweepInfo(sweep, lookup);
  const resultMetric = metric ?? info.metric;
  const metrics = new Set<string>();
  const results: SweepPointResult[] = sweep.points.map((p) => {
    const runs = sweep.runs
      .filter((r) => r.point === p.index)
      .map((r) => {
        const run = lookup(r.runId);
        for (const k of Object.keys(run?.summary ?? {})) metrics.add(k);
        const value = run?.summary[resultMetric]?.last;
        return { runId: r.runId, seed: r.seed, status: run?.status ?? 'deleted', value: value === undefined ? null : value };
      });
    const values = runs.map((r) => r.value).filter((v): v is number => v !== null);
    const has = values.length > 0;
    return {
      index: p.index,
      params: p.params,
      runs,
      n: values.length,
      mean: has ? mean([values]) : null,
      median: has ? median([values]) : null,
      iqm: has ? iqm([values]) : null,
      min: has ? Math.min(...values) : null,
      max: has ? Math.max(...values) : null,
    };
  });
  return { ...info, spec: sweep.spec, metrics: [...metrics].sort(), resultMetric, results };
}
