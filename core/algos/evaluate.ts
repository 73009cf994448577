/**
 * Deterministic evaluation: the policy's mode (argmax logits / Gaussian mean, clipped to the bounds) on a separate
 * env copy, observations normalised with the training statistics frozen. Episode seeds come from the run's seed
 * and the evaluation's index, so evaluations are reproducible and resume-safe; they never touch the training RNG.
 * The first episode of each evaluation is kept for replay: `getState()` after reset and after every step.
 */
import type { RunningMeanStd } from '../common/normalizer.js';
import { Rng } from '../common/rng.js';
import { makeEnv, type EnvId } from '../envs/index.js';
import type { ActorCritic } from './model.js';

export type RecordedEpisode = {
  envId: EnvId;
  seed: number;
  states: number[][];
  actions: (number | number[])[];
  rewards: number[];
  return: number;
};

export interface EvaluationResult {
  returns: number[];
  lengths: number[];
  /** The first episode, step by step. */
  recorded: RecordedEpisode;
}

/** Seed of evaluation episode `i` of evaluation number `evalIndex` of a run seeded `seed`. */
export function evalSeed(seed: number, evalIndex: number, episodes: number, i: number): number {
  return seed + 1_000_003 + evalIndex * episodes + i;
}

export function evaluatePolicy(
  model: ActorCritic,
  envId: EnvId,
  seeds: readonly number[],
  obsRms: RunningMeanStd | null,
  clipActions: boolean,
): EvaluationResult {
  const returns: number[] = [];
  const lengths: number[] = [];
  let recorded: RecordedEpisode | null = null;
  const actDim = model.actDim;
  const actions = new Float32Array(actDim);
  const envActions = model.discrete ? new Int32Array(1) : new Float32Array(actDim);
  const unusedRng = new Rng(0); // deterministic actions draw nothing
  seeds.forEach((seed, i) => {
    const env = makeEnv(envId, { seed });
    const obs = new Float32Array(model.spec.obsDim);
    obs.set(env.reset(seed).obs);
    const record = i === 0;
    const states: number[][] = record ? [env.getState()] : [];
    const acts: (number | number[])[] = [];
    const rewards: number[] = [];
    let ret = 0;
    let len = 0;
    for (;;) {
      if (obsRms) obsRms.normalize(obs);
      model.act(obs, 1, unusedRng, true, actions, envActions, null, clipActions);
      const step = env.step(model.discrete ? envActions[0] : Array.from(envActions));
      ret += step.reward;
      len++;
      if (record) {
        states.push(env.getState());
        acts.push(model.discrete ? envActions[0] : Array.from(envActions));
        rewards.push(step.reward);
      }
      if (step.terminated || step.truncated) break;
      obs.set(step.obs);
    }
    returns.push(ret);
    lengths.push(len);
    if (record) recorded = { envId, seed, states, actions: acts, rewards, return: ret };
  });
  if (!recorded) throw new Error('evaluatePolicy needs at least one seed');
  return { returns, lengths, recorded };
}
