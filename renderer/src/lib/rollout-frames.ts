/** Live rollout frames as a replayable episode (pure, no DOM: unit-tested in Node). */
import type { RolloutFrame } from '../../../core/api/contract.js';
import type { ReplayEpisode } from '../replay/types.js';

/** The frames of a finished rollout as a replayable episode. */
export function framesToEpisode(envId: string, seed: number, frames: readonly RolloutFrame[]): ReplayEpisode {
  const steps = frames.slice(1);
  return {
    envId,
    seed,
    states: frames.map((f) => f.state),
    actions: steps.map((f) => f.action ?? 0),
    rewards: steps.map((f) => f.reward ?? 0),
    return: frames.at(-1)?.return ?? 0,
  };
}
