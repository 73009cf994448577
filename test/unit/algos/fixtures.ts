/**
 * Tiny fixed models and batches for hand-checked loss values: all weights zero except the output biases, so the
 * policy and the critic are the same for every observation and every term can be computed by hand.
 */
import { Rng } from '../../../core/common/rng.js';
import { ActorCritic } from '../../../core/algos/model.js';
import type { Samples } from '../../../core/algos/types.js';

/** π = [0.25, 0.75] for every state (logits [0, ln 3]); V(s) = 0.5. */
export function constantDiscreteModel(): ActorCritic {
  const model = new ActorCritic({ obsDim: 4, actionSpace: { kind: 'discrete', n: 2 }, hiddenSizes: [8], activation: 'tanh', logStdInit: 0 });
  model.params.fill(0);
  model.actor.biases[model.actor.numLayers - 1].set([0, Math.log(3)]);
  model.critic.biases[model.critic.numLayers - 1].set([0.5]);
  model.paramsChanged();
  return model;
}

/** A randomly initialised model (CleanRL init, but with a larger policy-head gain so gradients are not tiny). */
export function randomModel(discrete: boolean, seed = 3, hidden = [16, 16]): ActorCritic {
  const actionSpace = discrete
    ? ({ kind: 'discrete', n: 3 } as const)
    : ({ kind: 'box', shape: [2], low: new Float32Array([-2, -2]), high: new Float32Array([2, 2]) } as const);
  const rng = new Rng(seed);
  const model = ActorCritic.create({ obsDim: 5, actionSpace, hiddenSizes: hidden, activation: 'tanh', logStdInit: -0.3 }, rng);
  for (let i = 0; i < model.params.length; i++) model.params[i] += 0.2 * rng.normal();
  model.paramsChanged();
  return model;
}

/** A random batch of n samples for `model` (actions valid for its space). */
export function randomBatch(model: ActorCritic, n: number, seed = 4): Samples {
  const rng = new Rng(seed);
  const obsDim = model.spec.obsDim;
  const actions = new Float32Array(n * model.actDim);
  for (let i = 0; i < actions.length; i++) actions[i] = model.discrete ? rng.integer(model.numActions) : rng.normal();
  const normal = (k: number, scale = 1): Float32Array => Float32Array.from({ length: k }, () => scale * rng.normal());
  return {
    size: n,
    obs: normal(n * obsDim),
    actions,
    logProbs: normal(n, 0.3).map((x) => (model.discrete ? Math.log(1 / model.numActions) : -2) + x),
    values: normal(n),
    advantages: normal(n),
    returns: normal(n),
  };
}

export function expectAllClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number): void {
  if (actual.length !== expected.length) throw new Error(`length ${actual.length} ≠ ${expected.length}`);
  let worst = 0;
  let at = -1;
  for (let i = 0; i < actual.length; i++) {
    const e = Math.abs(actual[i] - expected[i]) / (1e-3 + Math.abs(expected[i]));
    if (e > worst) {
      worst = e;
      at = i;
    }
  }
  if (worst > tol) throw new Error(`entry ${at}: ${actual[at]} vs ${expected[at]} (relative error ${worst.toExponential(2)} > ${tol})`);
}
