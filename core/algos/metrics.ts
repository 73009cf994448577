/**
 * Metric keys the algorithms log beyond core/common/metrics.ts's shared list (same `namespace/name` shape).
 */
export const ALGO_METRIC = {
  /** Mean return of the last 20 training episodes (what "solved" is judged on). */
  recentReturn: 'rollout/recentReturn',
  /** Training episodes finished during the iteration. */
  episodes: 'rollout/episodes',
  /** PPO: mean(−log r), the naive KL estimate CleanRL logs beside approxKl. */
  oldApproxKl: 'train/oldApproxKl',
  /** PPO: epochs actually run (fewer than updateEpochs when targetKl stopped the update). */
  epochs: 'train/epochs',
  /** TRPO: 1 when the line search accepted a step, 0 when it kept the old policy. */
  lineSearchSuccess: 'train/lineSearchSuccess',
  /** TRPO: fraction of the full natural-gradient step taken (shrink^k). */
  stepFraction: 'train/stepFraction',
  /** Seconds of training so far (summed over resumes). */
  elapsed: 'time/elapsed',
} as const;
