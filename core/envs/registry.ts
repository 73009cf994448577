/**
 * Registered env ids with Gymnasium's registration data (time limit, reward threshold) and `makeEnv`,
 * which applies the time limit as `gymnasium.make` does with its `TimeLimit` wrapper.
 */
import type { BoxSpace, Space } from './env.js';
import { LunarLanderCore } from './box2d/lunar-lander.js';
import { AcrobotCore } from './classic/acrobot.js';
import { ClassicControlEnv } from './classic/base.js';
import { CartPoleCore } from './classic/cartpole.js';
import type { EnvCore } from './classic/core.js';
import { MountainCarContinuousCore } from './classic/mountain-car-continuous.js';
import { MountainCarCore } from './classic/mountain-car.js';
import { PendulumCore } from './classic/pendulum.js';
import { HalfCheetahCore, HALF_CHEETAH_SPACES } from './mujoco/half-cheetah.js';
import { HopperCore, HOPPER_SPACES } from './mujoco/hopper.js';
import { InvertedPendulumCore, INVERTED_PENDULUM_SPACES } from './mujoco/inverted-pendulum.js';
import { loadMujoco } from './mujoco/sim.js';
import { actionSize } from './spaces.js';

export const ENV_IDS = [
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
] as const;
export type EnvId = (typeof ENV_IDS)[number];

interface Registration {
  /** The env's definition with its registered parameters. */
  core: () => EnvCore;
  /** Gymnasium's `max_episode_steps`. */
  maxEpisodeSteps: number;
  /** Gymnasium's `reward_threshold` (average return that counts as solved); null where Gymnasium has none. */
  rewardThreshold: number | null;
  description: string;
  /**
   * Spaces of an env whose core needs an asynchronously loaded engine (MuJoCo), so `envSpec` answers without it;
   * `prepare` loads that engine.
   */
  spaces?: { observationSpace: BoxSpace; actionSpace: Space };
  prepare?: () => Promise<unknown>;
}

const REGISTRY: Record<EnvId, Registration> = {
  'CartPole-v1': {
    core: () => new CartPoleCore(),
    maxEpisodeSteps: 500,
    rewardThreshold: 475.0,
    description: 'Balance a pole on a cart by pushing it left or right; +1 per step upright.',
  },
  'Acrobot-v1': {
    core: () => new AcrobotCore(),
    maxEpisodeSteps: 500,
    rewardThreshold: -100.0,
    description: 'Swing a two-link chain until its tip rises one link above the bar; -1 per step.',
  },
  'MountainCar-v0': {
    core: () => new MountainCarCore(),
    maxEpisodeSteps: 200,
    rewardThreshold: -110.0,
    description: 'Rock an underpowered car out of a valley to the flag (three discrete pushes); -1 per step.',
  },
  'MountainCarContinuous-v0': {
    core: () => new MountainCarContinuousCore(),
    maxEpisodeSteps: 999,
    rewardThreshold: 90.0,
    description: 'Mountain car with a continuous force in [-1, 1]: +100 at the flag, -0.1·action² per step.',
  },
  'Pendulum-v1': {
    core: () => new PendulumCore(),
    maxEpisodeSteps: 200,
    rewardThreshold: null,
    description: 'Swing a pendulum up and hold it upright with a torque in [-2, 2]; reward in [-16.3, 0] per step.',
  },
  'LunarLander-v2': {
    core: () => new LunarLanderCore(),
    maxEpisodeSteps: 1000,
    rewardThreshold: 200,
    description: 'Land a rocket on the pad (Box2D): no-op, left, main or right engine; +100 landed, -100 crashed.',
  },
  'LunarLanderContinuous-v2': {
    core: () => new LunarLanderCore({ continuous: true }),
    maxEpisodeSteps: 1000,
    rewardThreshold: 200,
    description: 'LunarLander with throttles in [-1, 1] for the main engine and the side engines.',
  },
  'InvertedPendulum-v4': {
    core: () => new InvertedPendulumCore(),
    maxEpisodeSteps: 1000,
    rewardThreshold: 950.0,
    description: 'Balance a pole on a cart (MuJoCo) with a force in [-3, 3]; +1 per step while |angle| <= 0.2.',
    spaces: INVERTED_PENDULUM_SPACES,
    prepare: loadMujoco,
  },
  'HalfCheetah-v4': {
    core: () => new HalfCheetahCore(),
    maxEpisodeSteps: 1000,
    rewardThreshold: 4800.0,
    description: 'Make a planar cheetah (MuJoCo, six joint torques) run forward; reward = forward velocity - 0.1·|a|².',
    spaces: HALF_CHEETAH_SPACES,
    prepare: loadMujoco,
  },
  'Hopper-v4': {
    core: () => new HopperCore(),
    maxEpisodeSteps: 1000,
    rewardThreshold: 3800.0,
    description: 'Make a one-legged hopper (MuJoCo, three joint torques) hop forward without falling; +1 per healthy step.',
    spaces: HOPPER_SPACES,
    prepare: loadMujoco,
  },
};

export function isEnvId(id: unknown): id is EnvId {
  return typeof id === 'string' && (ENV_IDS as readonly string[]).includes(id);
}

function registration(id: unknown): Registration {
  if (!isEnvId(id)) throw new Error(`unknown env id ${JSON.stringify(id)}; valid ids: ${ENV_IDS.join(', ')}`);
  return REGISTRY[id];
}

/**
 * Loads what an env's core needs before it can be made synchronously (MuJoCo's WebAssembly module for the MuJoCo
 * tasks; nothing for the others). Every process that makes envs awaits it once per env id.
 */
export async function prepareEnv(id: EnvId): Promise<void> {
  await registration(id).prepare?.();
}

export interface MakeEnvOptions {
  /** Seed of the env's Rng for `reset()` without a seed (default: fresh entropy, as an unseeded Gymnasium env). */
  seed?: number;
  /** Overrides the registered time limit (Gymnasium's `max_episode_steps` argument to `make`). */
  maxEpisodeSteps?: number;
}

/** Builds a registered env with its registered time limit. */
export function makeEnv(id: EnvId, options: MakeEnvOptions = {}): ClassicControlEnv {
  const reg = registration(id);
  return new ClassicControlEnv(reg.core(), {
    seed: options.seed,
    maxEpisodeSteps: options.maxEpisodeSteps ?? reg.maxEpisodeSteps,
  });
}

/** The registered env's core (its dynamics as functions over typed arrays), for batched stepping. */
export function makeEnvCore(id: EnvId): EnvCore {
  return registration(id).core();
}

export interface EnvSpec {
  id: EnvId;
  description: string;
  observationSpace: BoxSpace;
  actionSpace: Space;
  /** Length of one observation. */
  obsDim: number;
  /** Numbers per action in a flat action buffer: 1 for Discrete, the Box size otherwise. */
  actDim: number;
  maxEpisodeSteps: number;
  rewardThreshold: number | null;
}

const specCache = new Map<EnvId, EnvSpec>();

/** Spaces, sizes, time limit and reward threshold of a registered env. */
export function envSpec(id: EnvId): EnvSpec {
  const reg = registration(id);
  let spec = specCache.get(id);
  if (spec === undefined) {
    const { observationSpace, actionSpace } = reg.spaces ?? reg.core();
    spec = Object.freeze({
      id,
      description: reg.description,
      observationSpace,
      actionSpace,
      obsDim: observationSpace.low.length,
      actDim: actionSize(actionSpace),
      maxEpisodeSteps: reg.maxEpisodeSteps,
      rewardThreshold: reg.rewardThreshold,
    });
    specCache.set(id, spec);
  }
  return spec;
}
