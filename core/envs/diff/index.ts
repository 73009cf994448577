/**
 * Differentiable, batched twins of PolicyLab's continuous-control envs, for analytic policy gradients
 * (core/algos/apg): Pendulum-v1 and MountainCarContinuous-v0 with Gymnasium 0.29.1's dynamics (tested step by step
 * against the reference episodes in test/fixtures/), and PointReach-v0, a smooth double-integrator reaching task.
 * Each offers its forward step, the step's hand-written adjoint and the same step as tfjs ops (diff-env.ts).
 */
import type { DiffEnv } from './diff-env.js';
import { DiffMountainCarContinuous } from './mountain-car-continuous.js';
import { DiffPendulum } from './pendulum.js';
import { DiffPointReach } from './point-reach.js';

export { clip, insideClip, type DiffEnv, type DiffStepTf, type StateGradientInReward } from './diff-env.js';
export { DiffMountainCarContinuous, type DiffMountainCarOptions } from './mountain-car-continuous.js';
export { DiffPendulum, type DiffPendulumOptions } from './pendulum.js';
export { DiffPointReach } from './point-reach.js';
export { DiffVectorEnv, type DiffEnvCopySnapshot } from './vector.js';
export { squashAction, squashActionVjp } from './squash.js';

export const DIFF_ENV_IDS = ['Pendulum-v1', 'MountainCarContinuous-v0', 'PointReach-v0'] as const;
export type DiffEnvId = (typeof DIFF_ENV_IDS)[number];

export function isDiffEnvId(id: unknown): id is DiffEnvId {
  return typeof id === 'string' && (DIFF_ENV_IDS as readonly string[]).includes(id);
}

/** The differentiable twin of `id` (Gymnasium's registered parameters). */
export function makeDiffEnv(id: DiffEnvId): DiffEnv {
  switch (id) {
    case 'Pendulum-v1':
      return new DiffPendulum();
    case 'MountainCarContinuous-v0':
      return new DiffMountainCarContinuous();
    case 'PointReach-v0':
      return new DiffPointReach();
    default:
      throw new Error(`no differentiable env ${JSON.stringify(id)}; differentiable envs: ${DIFF_ENV_IDS.join(', ')}`);
  }
}
