/**
 * Metric keys, declared once. Every key is `namespace/name` (as CleanRL and SB3 log them), so the store,
 * the CLI and the charts can group by namespace without a second list.
 *
 * - `rollout/*`: episodes finished while collecting experience (undiscounted return, length in steps).
 * - `train/*`: one value per update (averaged over its minibatches where that applies).
 * - `time/*`: throughput.
 * - `eval/*`: deterministic evaluation episodes (mode of the policy).
 */
export const METRIC = {
  /** Undiscounted return of a training episode that finished during collection. */
  episodeReturn: 'rollout/episodeReturn',
  /** Length, in env steps, of a training episode that finished during collection. */
  episodeLength: 'rollout/episodeLength',
  /**
   * One record per finished training episode, at the env step it ended (CleanRL's `charts/episodic_return`): the
   * per-episode criteria ("20-episode mean of training returns") are recomputed from these (core/algos/threshold.ts).
   */
  episodicReturn: 'charts/episodicReturn',
  /** Length of that episode, in the same record. */
  episodicLength: 'charts/episodicLength',
  /** Policy-gradient loss (PPO: clipped surrogate; REINFORCE/A2C: −A·log π). */
  policyLoss: 'train/policyLoss',
  /** Value-function loss (mean squared error to the return targets, ×0.5 where the algorithm says so). */
  valueLoss: 'train/valueLoss',
  /** Mean policy entropy over the batch. */
  entropy: 'train/entropy',
  /** Approximate KL(old‖new), estimated as mean((r − 1) − log r) with r = π_new/π_old (Schulman's k3). */
  approxKl: 'train/approxKl',
  /** Fraction of samples whose probability ratio left [1 − ε, 1 + ε] (PPO). */
  clipFraction: 'train/clipFraction',
  /** 1 − Var[returns − values] / Var[returns]; 1 is a perfect critic, ≤ 0 is no better than a constant. */
  explainedVariance: 'train/explainedVariance',
  /** Learning rate in effect for the update (after the schedule). */
  learningRate: 'train/learningRate',
  /** Global L2 norm of the gradient before clipping. */
  gradNorm: 'train/gradNorm',
  /** Environment steps per second since the run (or resume) started. */
  sps: 'time/sps',
  /** Mean undiscounted return of the evaluation episodes. */
  evalReturn: 'eval/return',
  /** Mean length of the evaluation episodes. */
  evalLength: 'eval/length',
} as const;

export type MetricName = keyof typeof METRIC;
export type MetricKey = (typeof METRIC)[MetricName];

/** Every declared key, in declaration order. */
export const METRIC_KEYS: readonly MetricKey[] = Object.values(METRIC);

/** The namespace of a key: `train/policyLoss` → `train`. A key without `/` has namespace `''`. */
export function metricNamespace(key: string): string {
  const slash = key.indexOf('/');
  return slash < 0 ? '' : key.slice(0, slash);
}

/** Distinct namespaces of the given keys (default: the declared ones), in first-seen order. */
export function metricNamespaces(keys: readonly string[] = METRIC_KEYS): string[] {
  return [...new Set(keys.map(metricNamespace))];
}

/** Groups keys by namespace, keeping their order: `{ rollout: [...], train: [...], ... }`. */
export function groupMetricKeys(keys: readonly string[] = METRIC_KEYS): Record<string, string[]> {
  const groups: Record<string, string[]> = {};
  for (const key of keys) (groups[metricNamespace(key)] ??= []).push(key);
  return groups;
}

/** True when `key` has the `namespace/name` shape (non-empty namespace and name, no spaces). */
export function isMetricKey(key: string): boolean {
  return /^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)+$/.test(key);
}

/**
 * Explained variance of `values` as a predictor of `returns`: 1 − Var[y − ŷ] / Var[y] (as SB3's
 * `explained_variance`). NaN when Var[y] = 0, as there is nothing to explain.
 */
export function explainedVariance(values: ArrayLike<number>, returns: ArrayLike<number>): number {
  const n = returns.length;
  if (values.length !== n) throw new Error(`explainedVariance: values has ${values.length} entries, returns has ${n}`);
  if (n === 0) return Number.NaN;
  let meanY = 0;
  let meanD = 0;
  for (let i = 0; i < n; i++) {
    meanY += returns[i];
    meanD += returns[i] - values[i];
  }
  meanY /= n;
  meanD /= n;
  let varY = 0;
  let varD = 0;
  for (let i = 0; i < n; i++) {
    const y = returns[i] - meanY;
    const d = returns[i] - values[i] - meanD;
    varY += y * y;
    varD += d * d;
  }
  return varY === 0 ? Number.NaN : 1 - varD / varY;
}
