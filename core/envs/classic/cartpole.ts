/**
 * CartPole-v1, as Gymnasium 0.29.1 defines it (`classic_control/cartpole.py`; Barto, Sutton & Anderson 1983).
 *
 * - State (float64, `env.unwrapped.state` layout): [x, x_dot, theta, theta_dot]; the observation is the same
 *   four numbers rounded to float32.
 * - Action: Discrete(2): 0 pushes left, 1 pushes right (force ±10 N).
 * - Dynamics: explicit Euler with tau = 0.02 s (positions advance with the old velocities).
 * - Reward +1 every step, including the terminating one; terminated when |x| > 2.4 or |theta| > 12°.
 *   Stepping on after termination gives reward 0 (Gymnasium's `steps_beyond_terminated`, kept as a hidden
 *   variable after the state).
 * - Reset: every state variable uniform in [-0.05, 0.05). Time limit 500 (registered), reward threshold 475.
 *
 * Constants are computed with the same operations as Gymnasium's, so every intermediate rounds identically.
 */
import type { Rng } from '../../common/rng.js';
import { boxSpace, discreteSpace } from '../spaces.js';
import { ClassicControlEnv, type ClassicEnvOptions } from './base.js';
import type { EnvCore } from './core.js';

const GRAVITY = 9.8;
const MASS_CART = 1.0;
const MASS_POLE = 0.1;
const TOTAL_MASS = MASS_POLE + MASS_CART;
const LENGTH = 0.5; // half the pole's length
const POLEMASS_LENGTH = MASS_POLE * LENGTH;
const FORCE_MAG = 10.0;
const TAU = 0.02;
const THETA_THRESHOLD = (12 * 2 * Math.PI) / 360;
const X_THRESHOLD = 2.4;
const FLOAT32_MAX = 3.4028234663852886e38;
const OBS_HIGH = [X_THRESHOLD * 2, FLOAT32_MAX, THETA_THRESHOLD * 2, FLOAT32_MAX];

/**
 * The terminating step (and any step after it): reward 1 on the first, 0 after (`steps_beyond_terminated`).
 * Kept apart so `step` stays small enough for V8 to inline.
 */
function terminate(state: Float64Array, s: number, rewards: Float64Array, r: number): number {
  const beyond = state[s + 4] + 1;
  state[s + 4] = beyond;
  rewards[r] = beyond === 0 ? 1.0 : 0.0;
  return 1;
}

export class CartPoleCore implements EnvCore {
  readonly id = 'CartPole-v1';
  readonly observationSpace = boxSpace(OBS_HIGH.map((h) => -h), OBS_HIGH);
  readonly actionSpace = discreteSpace(2);
  readonly stateSize = 4;
  /** Gymnasium's `steps_beyond_terminated`; -1 stands for its `None`. */
  readonly hidden = [{ name: 'stepsBeyondTerminated', initial: -1, integer: true, min: -1 }] as const;
  readonly slotSize = 5;

  reset(state: Float64Array, s: number, rng: Rng): void {
    state[s] = rng.uniformRange(-0.05, 0.05);
    state[s + 1] = rng.uniformRange(-0.05, 0.05);
    state[s + 2] = rng.uniformRange(-0.05, 0.05);
    state[s + 3] = rng.uniformRange(-0.05, 0.05);
    state[s + 4] = -1;
  }

  step(state: Float64Array, s: number, actions: ArrayLike<number>, a: number, obs: Float32Array, o: number, rewards: Float64Array, r: number): number {
    const force = actions[a] === 1 ? FORCE_MAG : -FORCE_MAG;
    const x = state[s];
    const xDot = state[s + 1];
    const theta = state[s + 2];
    const thetaDot = state[s + 3];
    const costheta = Math.cos(theta);
    const sintheta = Math.sin(theta);
    const temp = (force + POLEMASS_LENGTH * (thetaDot * thetaDot) * sintheta) / TOTAL_MASS;
    const thetaacc =
      (GRAVITY * sintheta - costheta * temp) /
      (LENGTH * (4.0 / 3.0 - (MASS_POLE * (costheta * costheta)) / TOTAL_MASS));
    const xacc = temp - (POLEMASS_LENGTH * thetaacc * costheta) / TOTAL_MASS;
    // Euler: every variable advances with the derivative at the old state.
    const nx = x + TAU * xDot;
    const nxDot = xDot + TAU * xacc;
    const ntheta = theta + TAU * thetaDot;
    const nthetaDot = thetaDot + TAU * thetaacc;
    state[s] = nx;
    state[s + 1] = nxDot;
    state[s + 2] = ntheta;
    state[s + 3] = nthetaDot;
    obs[o] = nx;
    obs[o + 1] = nxDot;
    obs[o + 2] = ntheta;
    obs[o + 3] = nthetaDot;
    if (nx < -X_THRESHOLD || nx > X_THRESHOLD || ntheta < -THETA_THRESHOLD || ntheta > THETA_THRESHOLD) {
      return terminate(state, s, rewards, r);
    }
    rewards[r] = 1.0;
    return 0;
  }

  observe(state: Float64Array, s: number, obs: Float32Array, o: number): void {
    obs[o] = state[s];
    obs[o + 1] = state[s + 1];
    obs[o + 2] = state[s + 2];
    obs[o + 3] = state[s + 3];
  }
}

export class CartPoleEnv extends ClassicControlEnv {
  constructor(options: ClassicEnvOptions = {}) {
    super(new CartPoleCore(), options);
  }
}
