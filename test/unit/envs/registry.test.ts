/** Registered ids, specs and makeEnv's errors. */
import { beforeAll, describe, expect, it } from 'vitest';
import { ENV_IDS, envSpec, isEnvId, makeEnv, prepareEnv, type EnvId } from '../../../core/envs/index.js';

beforeAll(async () => {
  for (const id of ENV_IDS) await prepareEnv(id);
});

describe('env registry', () => {
  it('lists the five classic-control ids, the two Box2D LunarLanders and three MuJoCo tasks', () => {
    expect([...ENV_IDS]).toEqual([
      'CartPole-v1',
      'Acrobot-v1',
      'MountainCar-v0',
      'MountainCarContinuous-v0',
      'Pendulum-v1',
      'LunarLander-v2',
      'LunarLanderContinuous-v2',
      'InvertedPendulum-v4',
      'HalfCheetah-v4',
      'Hopper-v4',
    ]);
    expect(isEnvId('CartPole-v1')).toBe(true);
    expect(isEnvId('CartPole-v0')).toBe(false);
  });

  it('rejects an unknown id, listing the valid ones', () => {
    expect(() => makeEnv('CartPole-v0' as EnvId)).toThrow(
      'unknown env id "CartPole-v0"; valid ids: CartPole-v1, Acrobot-v1, MountainCar-v0, MountainCarContinuous-v0, Pendulum-v1, LunarLander-v2, LunarLanderContinuous-v2, InvertedPendulum-v4, HalfCheetah-v4, Hopper-v4',
    );
    expect(() => envSpec('x' as EnvId)).toThrow(/unknown env id "x"/);
  });

  it('envSpec gives sizes, spaces, time limits and Gymnasium reward thresholds', () => {
    const expected: Record<EnvId, { obsDim: number; actDim: number; kind: string; maxEpisodeSteps: number; rewardThreshold: number | null }> = {
      'CartPole-v1': { obsDim: 4, actDim: 1, kind: 'discrete', maxEpisodeSteps: 500, rewardThreshold: 475 },
      'Acrobot-v1': { obsDim: 6, actDim: 1, kind: 'discrete', maxEpisodeSteps: 500, rewardThreshold: -100 },
      'MountainCar-v0': { obsDim: 2, actDim: 1, kind: 'discrete', maxEpisodeSteps: 200, rewardThreshold: -110 },
      'MountainCarContinuous-v0': { obsDim: 2, actDim: 1, kind: 'box', maxEpisodeSteps: 999, rewardThreshold: 90 },
      'Pendulum-v1': { obsDim: 3, actDim: 1, kind: 'box', maxEpisodeSteps: 200, rewardThreshold: null },
      'LunarLander-v2': { obsDim: 8, actDim: 1, kind: 'discrete', maxEpisodeSteps: 1000, rewardThreshold: 200 },
      'LunarLanderContinuous-v2': { obsDim: 8, actDim: 2, kind: 'box', maxEpisodeSteps: 1000, rewardThreshold: 200 },
      'InvertedPendulum-v4': { obsDim: 4, actDim: 1, kind: 'box', maxEpisodeSteps: 1000, rewardThreshold: 950 },
      'HalfCheetah-v4': { obsDim: 17, actDim: 6, kind: 'box', maxEpisodeSteps: 1000, rewardThreshold: 4800 },
      'Hopper-v4': { obsDim: 11, actDim: 3, kind: 'box', maxEpisodeSteps: 1000, rewardThreshold: 3800 },
    };
    for (const id of ENV_IDS) {
      const spec = envSpec(id);
      const e = expected[id];
      expect(spec).toMatchObject({ id, obsDim: e.obsDim, actDim: e.actDim, maxEpisodeSteps: e.maxEpisodeSteps, rewardThreshold: e.rewardThreshold });
      expect(spec.actionSpace.kind).toBe(e.kind);
      expect(spec.observationSpace.shape).toEqual([e.obsDim]);
      expect(spec.description.length).toBeGreaterThan(10);
      const env = makeEnv(id);
      expect(env.id).toBe(id);
      expect(env.maxEpisodeSteps).toBe(e.maxEpisodeSteps);
    }
    expect(envSpec('CartPole-v1')).toBe(envSpec('CartPole-v1'));
  });

  it('makeEnv accepts a time-limit override and a seed', () => {
    const env = makeEnv('Acrobot-v1', { maxEpisodeSteps: 10, seed: 1 });
    expect(env.maxEpisodeSteps).toBe(10);
    expect(Array.from(env.reset().obs)).toEqual(Array.from(makeEnv('Acrobot-v1', { seed: 1 }).reset().obs));
  });
});
