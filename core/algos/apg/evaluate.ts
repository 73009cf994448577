/**
 * APG's deterministic evaluation: the squashed mean action a = squash(μ(x)) — the policy APG trains, without its
 * noise — with observation statistics frozen, on the CLASSIC env where one is registered (Pendulum-v1,
 * MountainCarContinuous-v0: the Gymnasium-faithful implementation scores the policy, not its differentiable twin),
 * and on the differentiable env itself otherwise (PointReach-v0, which has no classic twin). Seeds as the shared
 * loop's evaluation (core/algos/evaluate.ts `evalSeed`); the first episode is recorded for replay (states after
 * reset and after every step, in Gymnasium's state layout, which the app's env canvases draw).
 */
import type { RunningMeanStd } from '../../common/normalizer.js';
import { Rng } from '../../common/rng.js';
import { squashAction, type DiffEnv } from '../../envs/diff/index.js';
import { isEnvId, makeEnv } from '../../envs/index.js';
import type { ActorCritic } from '../model.js';

export type ApgRecordedEpisode = {
  envId: string;
  seed: number;
  states: number[][];
  actions: number[][];
  rewards: number[];
  return: number;
};

export interface ApgEvaluation {
  returns: number[];
  lengths: number[];
  recorded: ApgRecordedEpisode;
}

/** One episode's env: reset(seed) → obs; step(action) → reward and whether the episode ended. */
interface EvalEnv {
  reset(seed: number): Float32Array;
  step(action: number[]): { obs: Float32Array; reward: number; done: boolean };
  getState(): number[];
}

function classicEvalEnv(id: Parameters<typeof makeEnv>[0], seed: number): EvalEnv {
  const env = makeEnv(id, { seed });
  return {
    reset: (s) => env.reset(s).obs,
    step: (a) => {
      const r = env.step(a);
      return { obs: r.obs, reward: r.reward, done: r.terminated || r.truncated };
    },
    getState: () => env.getState(),
  };
}

function diffEvalEnv(env: DiffEnv): EvalEnv {
  const state = new Float64Array(env.stateSize);
  const next = new Float64Array(env.stateSize);
  const obs64 = new Float64Array(env.obsDim);
  const reward = new Float64Array(1);
  const terminated = new Uint8Array(1);
  let steps = 0;
  const observe = (): Float32Array => {
    env.observe(state, 1, obs64);
    return Float32Array.from(obs64);
  };
  return {
    reset: (seed) => {
      env.reset(state, 0, new Rng(seed));
      steps = 0;
      return observe();
    },
    step: (a) => {
      env.step(state, a, 1, next, reward, terminated);
      state.set(next);
      steps++;
      return { obs: observe(), reward: reward[0], done: terminated[0] === 1 || steps >= env.maxEpisodeSteps };
    },
    getState: () => Array.from(state),
  };
}

export function evaluateApg(model: ActorCritic, env: DiffEnv, seeds: readonly number[], obsRms: RunningMeanStd | null): ApgEvaluation {
  if (seeds.length === 0) throw new Error('evaluateApg needs at least one seed');
  const returns: number[] = [];
  const lengths: number[] = [];
  let recorded: ApgRecordedEpisode | null = null;
  const A = env.actDim;
  const x = new Float32Array(env.obsDim);
  const action = new Float64Array(A);
  const tanh = new Float64Array(A);
  seeds.forEach((seed, i) => {
    const e = isEnvId(env.id) ? classicEvalEnv(env.id, seed) : diffEvalEnv(env);
    x.set(e.reset(seed));
    const record = i === 0;
    const states: number[][] = record ? [e.getState()] : [];
    const actions: number[][] = [];
    const rewards: number[] = [];
    let ret = 0;
    let len = 0;
    for (;;) {
      if (obsRms) obsRms.normalize(x);
      squashAction(model.actor.forward(x, 1), 1, env.actionLow, env.actionHigh, action, tanh);
      const a = Array.from(action);
      const r = e.step(a);
      ret += r.reward;
      len++;
      if (record) {
        states.push(e.getState());
        actions.push(a);
        rewards.push(r.reward);
      }
      if (r.done) break;
      x.set(r.obs);
    }
    returns.push(ret);
    lengths.push(len);
    if (record) recorded = { envId: env.id, seed, states, actions, rewards, return: ret };
  });
  return { returns, lengths, recorded: recorded! };
}
