/**
 * Minibatch gathering into reused arrays (one gather per minibatch, no allocation once warmed up).
 */
import { gae, type ReturnInputs } from '../common/returns.js';
import { gatherRows, type RolloutBuffer } from '../common/rollout.js';
import type { Samples } from './types.js';

export class MinibatchGatherer {
  readonly #mb: Samples = {
    size: 0,
    obs: new Float32Array(0),
    actions: new Float32Array(0),
    logProbs: new Float32Array(0),
    values: new Float32Array(0),
    advantages: new Float32Array(0),
    returns: new Float32Array(0),
  };

  constructor(
    readonly obsDim: number,
    readonly actDim: number,
  ) {}

  /** Rows `indices` of `samples`, as a Samples view valid until the next gather. */
  gather(samples: Samples, indices: Int32Array): Samples {
    const m = indices.length;
    const mb = this.#mb;
    if (mb.logProbs.length < m) {
      mb.obs = new Float32Array(m * this.obsDim);
      mb.actions = new Float32Array(m * this.actDim);
      mb.logProbs = new Float32Array(m);
      mb.values = new Float32Array(m);
      mb.advantages = new Float32Array(m);
      mb.returns = new Float32Array(m);
    }
    mb.size = m;
    return {
      size: m,
      obs: gatherRows(samples.obs, this.obsDim, indices, mb.obs).subarray(0, m * this.obsDim),
      actions: gatherRows(samples.actions, this.actDim, indices, mb.actions).subarray(0, m * this.actDim),
      logProbs: gatherRows(samples.logProbs, 1, indices, mb.logProbs).subarray(0, m),
      values: gatherRows(samples.values, 1, indices, mb.values).subarray(0, m),
      advantages: gatherRows(samples.advantages, 1, indices, mb.advantages).subarray(0, m),
      returns: gatherRows(samples.returns, 1, indices, mb.returns).subarray(0, m),
    };
  }
}

/** core/common/returns.ts inputs for the first `steps` time steps of a buffer (rollouts may stop short of its capacity). */
export function returnInputs(buffer: RolloutBuffer, steps: number, gamma: number): ReturnInputs {
  const n = steps * buffer.numEnvs;
  return {
    rewards: buffer.rewards.subarray(0, n),
    values: buffer.values.subarray(0, n),
    terminated: buffer.terminated.subarray(0, n),
    truncated: buffer.truncated.subarray(0, n),
    finalValues: buffer.finalValues.subarray(0, n),
    lastValues: buffer.lastValues,
    numEnvs: buffer.numEnvs,
    gamma,
  };
}

/** GAE(λ) advantages and λ-returns for the first `steps` rows of the buffer, written into it in place. */
export function gaeTargets(buffer: RolloutBuffer, steps: number, gamma: number, lambda: number): void {
  const n = steps * buffer.numEnvs;
  gae(returnInputs(buffer, steps, gamma), lambda, {
    advantages: buffer.advantages.subarray(0, n),
    returns: buffer.returns.subarray(0, n),
  });
}
