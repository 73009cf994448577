/**
 * HalfCheetah-v4, as Gymnasium 0.29.1 defines it (`mujoco/half_cheetah_v4.py`, default arguments), on MuJoCo.
 *
 * - State: Gymnasium's `state_vector()` = qpos (rootx, rootz, rooty, bthigh, bshin, bfoot, fthigh, fshin, ffoot),
 *   then the 9 qvel.
 * - Observation (17, float32): qpos without rootx, then qvel.
 * - Action: Box(-1, 1, (6,)) joint torques. Reward = (x after − x before) / dt − 0.1 · Σ action².
 * - Never terminates. Reset: qpos0 + U(-0.1, 0.1), qvel 0.1 · N(0, 1); frame skip 5 (dt 0.05 s). Time limit
 *   1000, reward threshold 4800.
 */
import type { Rng } from '../../common/rng.js';
import { boxSpace } from '../spaces.js';
import { MujocoCore } from './sim.js';
import { HALF_CHEETAH_XML } from './models.js';

const NQ = 9;
const NV = 9;
const CTRL_COST_WEIGHT = 0.1;
const RESET_NOISE = 0.1;

export const HALF_CHEETAH_SPACES = {
  observationSpace: boxSpace(Array(17).fill(-Infinity), Array(17).fill(Infinity)),
  actionSpace: boxSpace(Array(6).fill(-1), Array(6).fill(1)),
};

export class HalfCheetahCore extends MujocoCore {
  constructor() {
    super({ id: 'HalfCheetah-v4', xml: HALF_CHEETAH_XML, frameSkip: 5, ...HALF_CHEETAH_SPACES });
  }

  protected noise(state: Float64Array, s: number, rng: Rng): void {
    for (let i = 0; i < NQ; i++) state[s + i] = this.sim.qpos0[i] + rng.uniformRange(-RESET_NOISE, RESET_NOISE);
    for (let i = 0; i < NV; i++) state[s + NQ + i] = RESET_NOISE * rng.normal();
  }

  protected finish(state: Float64Array, s: number, x0: number, actions: ArrayLike<number>, a: number, obs: Float32Array, o: number, rewards: Float64Array, r: number): number {
    const xVelocity = (state[s] - x0) / this.dt;
    rewards[r] = xVelocity - CTRL_COST_WEIGHT * this.squaredAction(actions, a);
    this.observe(state, s, obs, o);
    return 0;
  }

  observe(state: Float64Array, s: number, obs: Float32Array, o: number): void {
    for (let i = 1; i < NQ + NV; i++) obs[o + i - 1] = state[s + i];
  }
}
