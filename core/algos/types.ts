/**
 * What the shared training loop hands an algorithm's update, and what it gets back.
 * An algorithm supplies: a config schema, a rollout shape, its optimizers, its return/advantage targets and its
 * update (loss + optimizer steps). Everything else — collection, normalisation, logging, evaluation, checkpoints,
 * stop/resume — is the loop's (core/algos/loop.ts), written once.
 */
import type { Rng } from '../common/rng.js';
import type { RolloutBuffer } from '../common/rollout.js';
import type { ActorCritic } from './model.js';
import type { Optimizer } from './nn/optim.js';

/** Flat training samples, row i of each array belongs together (a RolloutBuffer is one). */
export interface Samples {
  size: number;
  /** [size, obsDim] (normalised where configured). */
  obs: Float32Array;
  /** [size, actDim] (discrete: the action index as a float). */
  actions: Float32Array;
  /** log π_old(a|s) at collection time. */
  logProbs: Float32Array;
  /** V_old(s) at collection time. */
  values: Float32Array;
  advantages: Float32Array;
  returns: Float32Array;
}

export interface UpdateArgs<C> {
  model: ActorCritic;
  samples: Samples;
  config: C;
  /** The algorithm's own stream (minibatch shuffles), checkpointed with the run. */
  rng: Rng;
  /** Fraction of the run done before this update, in [0, 1) (schedules). */
  progress: number;
  optimizers: Record<string, Optimizer>;
}

/** Namespaced metric values of one update. */
export type UpdateMetrics = Record<string, number>;

export interface RolloutShape {
  numEnvs: number;
  /** Steps per env per rollout, or 'episodes': run every env until its episode ends (REINFORCE). */
  numSteps: number | 'episodes';
}

/** The per-algorithm half of training (the loop is the other half). */
export interface AlgorithmImpl<C> {
  rolloutShape(config: C): RolloutShape;
  createOptimizers(model: ActorCritic, config: C): Record<string, Optimizer>;
  /** Fills buffer.advantages and buffer.returns for the first `steps` time steps (values are already filled). */
  computeTargets(buffer: RolloutBuffer, steps: number, config: C): void;
  /** Whether the loop must compute V(s) for the rollout (false: REINFORCE without a baseline). */
  needsValues(config: C): boolean;
  update(args: UpdateArgs<C>): UpdateMetrics;
}
