/**
 * Replays Gymnasium 0.29.1 reference episodes: set `initialState`, apply `actions`, compare observations
 * (to 1e-5, as float32), rewards, `terminated` and `truncated`; then, from each reference state, one step at a
 * time, compare the next state (float64) so chaotic dynamics (Acrobot) are checked without drift.
 *
 * Rewards are compared exactly, except Pendulum's free-running rewards: Gymnasium computes sin(θ) with NumPy's
 * float64 `np.sin`, which on AVX-512 machines is Intel SVML and differs from a correctly rounded sine (and from
 * V8's) in the last bit for most arguments; that bit reaches θ̇ and so the next rewards (≈1e-14 apart).
 * Stepping from the reference state, Pendulum's reward matches to 1e-12 relative.
 */
import { describe, expect, it } from 'vitest';
import { isEnvId, makeEnv, type EnvId } from '../../../core/envs/index.js';
import {
  CLASSIC_FIXTURE_PATH,
  EXTRA_FIXTURE_PATH,
  loadReferenceFile,
  type ReferenceEpisode,
  type ReferenceFile,
} from './fixtures.js';

const OBS_TOL = 1e-5;

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const diff = Math.abs(actual[i] - expected[i]);
    if (!(diff <= tol)) {
      throw new Error(`${what}[${i}]: got ${actual[i]}, expected ${expected[i]} (|diff| ${diff} > ${tol})`);
    }
  }
}

function expectStateClose(actual: number[], expected: number[], what: string): void {
  for (let i = 0; i < expected.length; i++) {
    const tol = 1e-9 * Math.max(1, Math.abs(expected[i]));
    if (!(Math.abs(actual[i] - expected[i]) <= tol)) {
      throw new Error(`${what}[${i}]: got ${actual[i]}, expected ${expected[i]}`);
    }
  }
}

function expectReward(actual: number, expected: number, exact: boolean, what: string): void {
  if (exact) {
    if (actual !== expected) throw new Error(`${what}: reward ${actual}, expected exactly ${expected}`);
  } else if (!(Math.abs(actual - expected) <= 1e-9 * Math.max(1, Math.abs(expected)))) {
    throw new Error(`${what}: reward ${actual}, expected ${expected} (to 1e-9 relative)`);
  }
}

function replay(id: EnvId, ep: ReferenceEpisode): void {
  const env = makeEnv(id, { seed: ep.seed });
  env.reset();
  env.setState(ep.initialState);
  expect(env.getState()).toEqual(ep.initialState);
  expectClose(env.observe(), ep.initialObs, OBS_TOL, 'initialObs');
  const exactRewards = id !== 'Pendulum-v1';
  for (let t = 0; t < ep.actions.length; t++) {
    const at = `step ${t}`;
    const r = env.step(ep.actions[t]);
    expectClose(r.obs, ep.obs[t], OBS_TOL, `${at} obs`);
    expectReward(r.reward, ep.rewards[t], exactRewards, at);
    expect(r.terminated, `${at} terminated`).toBe(ep.terminated[t]);
    expect(r.truncated, `${at} truncated`).toBe(ep.truncated[t]);
  }
}

function replayStepByStep(id: EnvId, ep: ReferenceEpisode): void {
  const env = makeEnv(id, { seed: ep.seed });
  env.reset();
  for (let t = 0; t < ep.actions.length; t++) {
    const at = `from reference state ${t}`;
    env.setState(t === 0 ? ep.initialState : ep.states[t - 1]);
    const r = env.step(ep.actions[t]);
    expectStateClose(env.getState(), ep.states[t], `${at} state`);
    expectClose(r.obs, ep.obs[t], OBS_TOL, `${at} obs`);
    if (id === 'Pendulum-v1') {
      expect(Math.abs(r.reward - ep.rewards[t])).toBeLessThanOrEqual(1e-12 * Math.abs(ep.rewards[t]) + 1e-15);
    } else {
      expectReward(r.reward, ep.rewards[t], true, at);
    }
    expect(r.terminated, `${at} terminated`).toBe(ep.terminated[t]);
  }
}

function describeReference(title: string, load: () => ReferenceFile): void {
  describe(title, () => {
    const file = load();
    for (const [id, episodes] of Object.entries(file.envs)) {
      describe(id, () => {
        it('is a registered env id', () => expect(isEnvId(id)).toBe(true));
        for (const ep of episodes) {
          const name = `seed ${ep.seed} (${ep.policy}, ${ep.actions.length} steps)`;
          it(`${name}: replays obs, rewards and flags`, () => replay(id as EnvId, ep));
          it(`${name}: matches every state stepping from the reference`, () => replayStepByStep(id as EnvId, ep));
        }
      });
    }
  });
}

describeReference('Gymnasium 0.29.1 reference episodes (classic control)', () => loadReferenceFile(CLASSIC_FIXTURE_PATH));
describeReference('Gymnasium 0.29.1 reference episodes (extra: Acrobot, mountain cars, clipping)', () =>
  loadReferenceFile(EXTRA_FIXTURE_PATH),
);

describe('extra fixture coverage', () => {
  const file = loadReferenceFile(EXTRA_FIXTURE_PATH);
  it('covers every registered env between the two fixtures', () => {
    const ids = new Set(Object.keys(file.envs));
    for (const id of Object.keys(loadReferenceFile(CLASSIC_FIXTURE_PATH).envs)) ids.add(id);
    expect([...ids].sort()).toEqual(['Acrobot-v1', 'CartPole-v1', 'MountainCar-v0', 'MountainCarContinuous-v0', 'Pendulum-v1']);
  });
  it('includes terminations, truncations, the left wall and clipped actions', () => {
    const eps = file.envs;
    expect(eps['Acrobot-v1'].some((e) => e.terminated.includes(true))).toBe(true);
    expect(eps['MountainCar-v0'].some((e) => e.terminated.includes(true))).toBe(true);
    expect(eps['MountainCar-v0'].some((e) => e.states.some((s) => s[0] === -1.2 && s[1] === 0))).toBe(true);
    expect(eps['MountainCarContinuous-v0'].some((e) => e.actions.some((a) => Math.abs((a as number[])[0]) > 1))).toBe(true);
    expect(eps['MountainCarContinuous-v0'].some((e) => e.terminated.includes(true))).toBe(true);
    expect(eps['Pendulum-v1'].some((e) => e.states.some((s) => Math.abs(s[1]) === 8))).toBe(true);
    // CartPole stepped past termination: reward 0 afterwards (steps_beyond_terminated).
    expect(eps['CartPole-v1'][0].rewards.slice(-5)).toEqual([0, 0, 0, 0, 0]);
  });
});
