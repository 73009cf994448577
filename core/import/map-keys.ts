/**
 * Other libraries' metric names → PolicyLab's (core/common/metrics.ts), only where the meaning is the same.
 * Tags not listed keep their own name (`losses/old_approx_kl`, `rollout/ep_len_mean` …), so nothing is lost.
 */
import { METRIC } from '../common/metrics.js';

export interface KeyMapping {
  /** PolicyLab keys the value is written under. */
  keys: readonly string[];
  /** Multiplier (SB3 logs `entropy_loss` = −entropy). */
  scale?: number;
}

export const TAG_MAP: Readonly<Record<string, KeyMapping>> = {
  // CleanRL (writer.add_scalar(tag, value, global_step): the event's step is global_step).
  // One record per finished episode at the step it ended: exactly our charts/episodicReturn, and a one-episode
  // instance of rollout/episodeReturn (the return chart compare shows by default).
  'charts/episodic_return': { keys: [METRIC.episodicReturn, METRIC.episodeReturn] },
  'charts/episodic_length': { keys: [METRIC.episodicLength, METRIC.episodeLength] },
  'charts/SPS': { keys: [METRIC.sps] },
  'charts/learning_rate': { keys: [METRIC.learningRate] },
  'losses/value_loss': { keys: [METRIC.valueLoss] },
  'losses/policy_loss': { keys: [METRIC.policyLoss] },
  'losses/entropy': { keys: [METRIC.entropy] },
  // CleanRL's approx_kl is ((ratio − 1) − log ratio).mean(), the same k3 estimator as ours.
  'losses/approx_kl': { keys: [METRIC.approxKl] },
  'losses/clipfrac': { keys: [METRIC.clipFraction] },
  'losses/explained_variance': { keys: [METRIC.explainedVariance] },
  // Stable-Baselines3 (its logger's TensorBoard output). ep_rew_mean is the mean return of the last 100 episodes
  // (stats_window_size) at each log: the return curve SB3 users compare, smoothed by SB3 itself.
  'rollout/ep_rew_mean': { keys: [METRIC.episodeReturn] },
  'rollout/ep_len_mean': { keys: [METRIC.episodeLength] },
  'train/policy_gradient_loss': { keys: [METRIC.policyLoss] },
  'train/value_loss': { keys: [METRIC.valueLoss] },
  'train/entropy_loss': { keys: [METRIC.entropy], scale: -1 },
  'train/approx_kl': { keys: [METRIC.approxKl] },
  'train/clip_fraction': { keys: [METRIC.clipFraction] },
  'train/explained_variance': { keys: [METRIC.explainedVariance] },
  'train/learning_rate': { keys: [METRIC.learningRate] },
  'time/fps': { keys: [METRIC.sps] },
};

/** The keys (and scale) a tag is stored under. */
export function mapTag(tag: string): KeyMapping {
  return TAG_MAP[tag] ?? { keys: [tag] };
}
