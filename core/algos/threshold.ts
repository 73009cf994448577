/**
 * "Solved" from what a run stored: the first env step at which the mean return of the last `window` training
 * episodes reaches the env's reward threshold — the criterion the loop applies online (and the peers' figures use:
 * a 20-episode window of training returns), recomputed from the per-episode records in metrics.jsonl so that every
 * threshold figure (CLI line, bench, compare) can be checked against the stored data.
 */
import { METRIC } from '../common/metrics.js';

export interface EpisodeRecordLike {
  step: number;
  values: Record<string, number>;
}

/** Episodes in stored order: (step at which it ended, undiscounted return), from the per-episode records. */
export function storedEpisodes(records: readonly EpisodeRecordLike[]): { step: number; ret: number }[] {
  const out: { step: number; ret: number }[] = [];
  for (const r of records) {
    const ret = r.values[METRIC.episodicReturn];
    if (ret !== undefined) out.push({ step: r.step, ret });
  }
  return out;
}

/** First step at which the `window`-episode moving mean of returns is ≥ threshold, or null if it never is. */
export function stepsToThreshold(episodes: readonly { step: number; ret: number }[], threshold: number, window = 20): number | null {
  if (!Number.isInteger(window) || window < 1) throw new Error(`window must be a positive integer, got ${window}`);
  let sum = 0;
  for (let i = 0; i < episodes.length; i++) {
    sum += episodes[i]!.ret;
    if (i >= window) sum -= episodes[i - window]!.ret;
    if (i >= window - 1 && sum / window >= threshold) return episodes[i]!.step;
  }
  return null;
}
