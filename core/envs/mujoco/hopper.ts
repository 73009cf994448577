/**
 * Hopper-v4, as Gymnasium 0.29.1 defines it (`mujoco/hopper_v4.py`, default arguments), on MuJoCo.
 *
 * - State: Gymnasium's `state_vector()` = qpos (rootx, rootz, rooty, thigh, leg, foot), then the 6 qvel.
 * - Observation (11, float32): qpos without rootx, then qvel clipped to [-10, 10].
 * - Action: Box(-1, 1, (3,)) joint torques. Reward = (x after − x before) / dt + 1 (healthy) − 0.001 · Σ action².
 * - Terminated when unhealthy: z = qpos[1] ≤ 0.7, the angle qpos[2] outside (-0.2, 0.2), or any of
 *   state_vector()[2:] outside (-100, 100) (all strict, as Gymnasium tests them).
 * - Reset: qpos0 + U(-0.005, 0.005), qvel U(-0.005, 0.005); frame skip 4 (dt 0.008 s). Time limit 1000, reward
 *   threshold 3800.
 */
import type { Rng } from '../../common/rng.js';
import { boxSpace } from '../spaces.js';
import { MujocoCore } from './sim.js';
import { HOPPER_XML } from './models.js';

const NQ = 6;
const NV = 6;
const CTRL_COST_WEIGHT = 1e-3;
const HEALTHY_REWARD = 1.0;
const RESET_NOISE = 5e-3;
const MIN_Z = 0.7;
const MAX_ANGLE = 0.2;
const MAX_STATE = 100.0;
const MAX_OBS_VELOCITY = 10;

export const HOPPER_SPACES = {
  observationSpace: boxSpace(Array(11).fill(-Infinity), Array(11).fill(Infinity)),
  actionSpace: boxSpace(Array(3).fill(-1), Array(3).fill(1)),
};

/** Gymnasium's `is_healthy` on a slot. */
export function hopperHealthy(state: ArrayLike<number>, s = 0): boolean {
  const z = state[s + 1];
  const angle = state[s + 2];
  for (let i = 2; i < NQ + NV; i++) {
    const v = state[s + i];
    if (!(-MAX_STATE < v && v < MAX_STATE)) return false;
  }
  return MIN_Z < z && z < Infinity && -MAX_ANGLE < angle && angle < MAX_ANGLE;
}

export class HopperCore extends MujocoCore {
  constructor() {
    super({ id: 'Hopper-v4', xml: HOPPER_XML, frameSkip: 4, ...HOPPER_SPACES });
  }

  protected noise(state: Float64Array, s: number, rng: Rng): void {
    for (let i = 0; i < NQ; i++) state[s + i] = this.sim.qpos0[i] + rng.uniformRange(-RESET_NOISE, RESET_NOISE);
    for (let i = 0; i < NV; i++) state[s + NQ + i] = rng.uniformRange(-RESET_NOISE, RESET_NOISE);
  }

  protected finish(state: Float64Array, s: number, x0: number, actions: ArrayLike<number>, a: number, obs: Float32Array, o: number, rewards: Float64Array, r: number): number {
    const xVelocity = (state[s] - x0) / this.dt;
    rewards[r] = xVelocity + HEALTHY_REWARD - CTRL_COST_WEIGHT * this.squaredAction(actions, a);
    this.observe(state, s, obs, o);
    return hopperHealthy(state, s) ? 0 : 1;
  }

  observe(state: Float64Array, s: number, obs: Float32Array, o: number): void {
    for (let i = 1; i < NQ; i++) obs[o + i - 1] = state[s + i];
    for (let i = 0; i < NV; i++) obs[o + NQ - 1 + i] = Math.min(Math.max(state[s + NQ + i], -MAX_OBS_VELOCITY), MAX_OBS_VELOCITY);
  }
}
