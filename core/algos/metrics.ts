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
  /** APG: mean over env copies of the window's discounted return Σ_t γ^t r_t (the loss without the critic bootstrap). */
  windowReturn: 'train/windowReturn',
  /** APG with criticBootstrap: mean over env copies of the window's bootstrap term γ^k·V̄(s). */
  bootstrapValue: 'train/bootstrapValue',
  /** APG: 1 when this update was skipped for a non-finite loss or gradient, else 0. */
  skippedUpdate: 'train/skippedUpdate',
  /** APG: fraction of all updates so far that were skipped for a non-finite loss or gradient. */
  skippedFraction: 'train/skippedFraction',
  /** APG: mean σ of the (pre-squash) exploration noise. */
  policyStd: 'train/policyStd',
  /** Env steps simulated so far, as a value (the record's step), e.g. to chart steps against time/elapsed. */
  envSteps: 'time/envSteps',
  /** APG: milliseconds of the window's forward pass (the differentiable rollout). */
  forwardMs: 'time/forwardMs',
  /** APG: milliseconds of the window's gradient (hand-written adjoints or tfjs autodiff). */
  backwardMs: 'time/backwardMs',
  /** APG with criticBootstrap: milliseconds of the critic's update. */
  criticMs: 'time/criticMs',
} as const;
