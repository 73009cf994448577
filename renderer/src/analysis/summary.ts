/** Per-run metric summaries for the compare table (last / min / max / best). */

export const METRIC_STATS = ['last', 'min', 'max', 'best'] as const;
export type MetricStat = (typeof METRIC_STATS)[number];
export type MetricGoal = 'max' | 'min';

export interface MetricSummary {
  /** Last finite value and its step; null when the series has none. */
  last: number | null;
  lastStep: number | null;
  min: number | null;
  max: number | null;
  /** Finite points summarised. */
  count: number;
}

export function summarise(values: ArrayLike<number>, steps?: ArrayLike<number>): MetricSummary {
  const s: MetricSummary = { last: null, lastStep: null, min: null, max: null, count: 0 };
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) continue;
    s.count++;
    s.last = v;
    s.lastStep = steps ? steps[i] : i;
    if (s.min === null || v < s.min) s.min = v;
    if (s.max === null || v > s.max) s.max = v;
  }
  return s;
}

/**
 * Whether bigger is better for a key: losses, KL, clip fraction, gradient norm and "error" go down;
 * returns, lengths, entropy, explained variance, accuracies go up.
 */
export function metricGoal(key: string): MetricGoal {
  const name = key.slice(key.lastIndexOf('/') + 1);
  return /loss|kl|clipfraction|gradnorm|error|regret|perplexity/i.test(name) ? 'min' : 'max';
}

export function statValue(summary: MetricSummary | undefined, stat: MetricStat, goal: MetricGoal): number | null {
  if (!summary) return null;
  switch (stat) {
    case 'last':
      return summary.last;
    case 'min':
      return summary.min;
    case 'max':
      return summary.max;
    case 'best':
      return goal === 'max' ? summary.max : summary.min;
  }
}
