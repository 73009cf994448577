/**
 * The sweeps part of the contract (channels `sweeps:list`, `sweeps:get`, `sweeps:start`, `sweeps:stop`): response
 * types only; the request schemas sit with the others in schemas.ts. A sweep is a grid or random search over an
 * algorithm's config × explicit seeds (core/sweep); its spec format is documented in core/sweep/spec.ts.
 */

export type SweepStatus = 'running' | 'stopping' | 'stopped' | 'finished';
export type SweepParamValue = number | string | boolean | null;

/** A sweep as listed. */
export interface SweepInfo {
  id: string;
  name: string;
  status: SweepStatus;
  method: 'grid' | 'random';
  algo: string;
  env: string;
  /** The swept config fields, in the spec's order. */
  parameters: string[];
  seeds: number[];
  /** The final metric the results aggregate. */
  metric: string;
  points: number;
  plannedRuns: number;
  /** Runs created so far, by status (`queued`, `running`, `finished`, …). */
  runCounts: Record<string, number>;
  createdAt: string;
  endedAt: string | null;
  /** Why the sweep ended early, or null. */
  error: string | null;
  /** While another process runs it (a `policylab sweep` command, another app). */
  owner?: { kind: 'cli' | 'app'; pid: number };
}

/** One run of a sweep and its final metric (the metric's last logged value; null before it is logged). */
export interface SweepRunResult {
  runId: string;
  seed: number;
  status: string;
  value: number | null;
}

/** One configuration and its aggregate over the seeds that have a value (`n` of them). */
export interface SweepPointResult {
  index: number;
  params: Record<string, SweepParamValue>;
  runs: SweepRunResult[];
  n: number;
  mean: number | null;
  median: number | null;
  /** Interquartile mean (rliable's IQM: the mean after cutting ⌊n/4⌋ from each end). */
  iqm: number | null;
  min: number | null;
  max: number | null;
}

export interface SweepDetail extends SweepInfo {
  /** The spec as validated (defaults filled in). */
  spec: Record<string, unknown>;
  /** Metric keys any run of the sweep logged (choices for `metric`). */
  metrics: string[];
  /** The metric `results` aggregate (the request's, else the spec's). */
  resultMetric: string;
  results: SweepPointResult[];
}
