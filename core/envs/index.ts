/**
 * PolicyLab's environments: Gymnasium 0.29.1's classic-control suite with its semantics, registered ids and
 * time limits, and a vector env for batched rollouts.
 */
export type { Action, BoxSpace, DiscreteSpace, Env, EnvSnapshot, Info, ResetResult, Space, StepResult } from './env.js';
export { ENV_IDS, envSpec, isEnvId, makeEnv, makeEnvCore, prepareEnv, type EnvId, type EnvSpec, type MakeEnvOptions } from './registry.js';
export { VectorEnv, type EpisodeStats, type VectorEnvCopySnapshot } from './vector.js';
export { actionSize, boxSpace, discreteSpace, spaceContains } from './spaces.js';
export { ClassicControlEnv, type ClassicEnvOptions, type FastEnv } from './classic/base.js';
export { TERMINATED, TRUNCATED, type EnvCore, type HiddenVariable } from './classic/core.js';
export { CartPoleCore, CartPoleEnv } from './classic/cartpole.js';
export { AcrobotCore, AcrobotEnv, type AcrobotOptions } from './classic/acrobot.js';
export { MountainCarCore, MountainCarEnv } from './classic/mountain-car.js';
export { MountainCarContinuousCore, MountainCarContinuousEnv } from './classic/mountain-car-continuous.js';
export { PendulumCore, PendulumEnv, angleNormalize, type PendulumOptions } from './classic/pendulum.js';
