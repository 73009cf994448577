/**
 * InvertedPendulum-v4, as Gymnasium 0.29.1 defines it (`mujoco/inverted_pendulum_v4.py`), on MuJoCo.
 *
 * - State: Gymnasium's `state_vector()` = qpos, qvel = [cart x, pole angle, ẋ, θ̇]; observation the same (float32).
 * - Action: Box([-3], [3]) force on the cart (the actuator's ctrlrange; MuJoCo clamps).
 * - Reward 1 per step; terminated when the observation is not finite or |pole angle| > 0.2.
 * - Reset: qpos0 + U(-0.01, 0.01) for each of qpos, then qvel; frame skip 2 (dt 0.04 s). Time limit 1000,
 *   reward threshold 950.
 */
import type { Rng } from '../../common/rng.js';
import { boxSpace } from '../spaces.js';
import { MujocoCore } from './sim.js';
import { INVERTED_PENDULUM_XML } from './models.js';

export const INVERTED_PENDULUM_SPACES = {
  observationSpace: boxSpace(Array(4).fill(-Infinity), Array(4).fill(Infinity)),
  actionSpace: boxSpace([-3], [3]),
};

export class InvertedPendulumCore extends MujocoCore {
  constructor() {
    super({ id: 'InvertedPendulum-v4', xml: INVERTED_PENDULUM_XML, frameSkip: 2, ...INVERTED_PENDULUM_SPACES });
  }

  protected noise(state: Float64Array, s: number, rng: Rng): void {
    for (let i = 0; i < 2; i++) state[s + i] = this.sim.qpos0[i] + rng.uniformRange(-0.01, 0.01);
    for (let i = 0; i < 2; i++) state[s + 2 + i] = rng.uniformRange(-0.01, 0.01);
  }

  protected finish(state: Float64Array, s: number, _x0: number, _actions: ArrayLike<number>, _a: number, obs: Float32Array, o: number, rewards: Float64Array, r: number): number {
    rewards[r] = 1.0;
    this.observe(state, s, obs, o);
    let finite = true;
    for (let i = 0; i < 4; i++) finite &&= Number.isFinite(state[s + i]);
    return !finite || Math.abs(state[s + 1]) > 0.2 ? 1 : 0;
  }

  observe(state: Float64Array, s: number, obs: Float32Array, o: number): void {
    for (let i = 0; i < 4; i++) obs[o + i] = state[s + i];
  }
}
