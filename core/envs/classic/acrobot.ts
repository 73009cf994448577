/**
 * Acrobot-v1, as Gymnasium 0.29.1 defines it (`classic_control/acrobot.py`; Sutton 1996, Sutton & Barto).
 *
 * - State (`env.unwrapped.state` layout): [theta1, theta2, dtheta1, dtheta2]. After reset it holds float32
 *   values (Gymnasium casts the sampled state to float32); after a step it is float64 (the RK4 output).
 * - Observation (float32): [cos θ1, sin θ1, cos θ2, sin θ2, dθ1, dθ2].
 * - Action: Discrete(3) → torque -1, 0, +1 on the joint between the links (uniform noise in
 *   ±`torqueNoiseMax` when that option is > 0; 0 by default, as registered).
 * - Dynamics: the book's equations (not the NIPS paper's), integrated over dt = 0.2 s by one classical
 *   Runge–Kutta-4 step (Gymnasium's `rk4` with t = [0, dt]); then angles wrap to [-π, π] and velocities are
 *   bounded to ±4π and ±9π.
 * - Terminated when -cos θ1 - cos(θ2 + θ1) > 1 (the tip above the bar); reward -1 per step, 0 on the
 *   terminating step. Reset: all four variables uniform in [-0.1, 0.1). Time limit 500, threshold -100.
 */
import type { Rng } from '../../common/rng.js';
import { boxSpace, discreteSpace } from '../spaces.js';
import { ClassicControlEnv, type ClassicEnvOptions } from './base.js';
import type { EnvCore } from './core.js';

const DT = 0.2;
const LINK_LENGTH_1 = 1.0;
const LINK_MASS_1 = 1.0;
const LINK_MASS_2 = 1.0;
const LINK_COM_POS_1 = 0.5;
const LINK_COM_POS_2 = 0.5;
const LINK_MOI = 1.0;
const MAX_VEL_1 = 4 * Math.PI;
const MAX_VEL_2 = 9 * Math.PI;
const AVAIL_TORQUE = [-1.0, 0.0, 1.0] as const;
const G = 9.8;
const HALF_PI = Math.PI / 2.0;
const TWO_PI = Math.PI - -Math.PI; // `wrap`'s diff = M - m
const OBS_HIGH = [1.0, 1.0, 1.0, 1.0, MAX_VEL_1, MAX_VEL_2];

export interface AcrobotOptions extends ClassicEnvOptions {
  /** Half-width of the uniform noise added to the torque each step (Gymnasium's `torque_noise_max`). Default 0. */
  torqueNoiseMax?: number;
}

/** Angular accelerations (book dynamics) at one state; written to `out` [ddtheta1, ddtheta2]. */
function accelerations(theta1: number, theta2: number, dtheta1: number, dtheta2: number, a: number, out: Float64Array): void {
  const m1 = LINK_MASS_1;
  const m2 = LINK_MASS_2;
  const l1 = LINK_LENGTH_1;
  const lc1 = LINK_COM_POS_1;
  const lc2 = LINK_COM_POS_2;
  const I1 = LINK_MOI;
  const I2 = LINK_MOI;
  // Same operations in the same order as Gymnasium's `_dsdt` (squares of constants are exact).
  const cos2 = Math.cos(theta2);
  const sin2 = Math.sin(theta2);
  const d1 = m1 * (lc1 * lc1) + m2 * (l1 * l1 + lc2 * lc2 + 2 * l1 * lc2 * cos2) + I1 + I2;
  const d2 = m2 * (lc2 * lc2 + l1 * lc2 * cos2) + I2;
  const phi2 = m2 * lc2 * G * Math.cos(theta1 + theta2 - HALF_PI);
  const phi1 =
    -m2 * l1 * lc2 * (dtheta2 * dtheta2) * sin2 -
    2 * m2 * l1 * lc2 * dtheta2 * dtheta1 * sin2 +
    (m1 * lc1 + m2 * l1) * G * Math.cos(theta1 - HALF_PI) +
    phi2;
  const ddtheta2 =
    (a + (d2 / d1) * phi1 - m2 * l1 * lc2 * (dtheta1 * dtheta1) * sin2 - phi2) /
    (m2 * (lc2 * lc2) + I2 - (d2 * d2) / d1);
  out[0] = -(d2 * ddtheta2 + phi1) / d1;
  out[1] = ddtheta2;
}

export class AcrobotCore implements EnvCore {
  readonly id = 'Acrobot-v1';
  readonly observationSpace = boxSpace(OBS_HIGH.map((h) => -h), OBS_HIGH);
  readonly actionSpace = discreteSpace(3);
  readonly stateSize = 4;
  readonly hidden = [] as const;
  readonly slotSize = 4;
  readonly #acc = new Float64Array(2);

  /** @param torqueNoiseMax half-width of the uniform noise added to the torque (Gymnasium's `torque_noise_max`). */
  constructor(readonly torqueNoiseMax = 0) {
    if (!(Number.isFinite(torqueNoiseMax) && torqueNoiseMax >= 0)) {
      throw new Error(`Acrobot-v1: torqueNoiseMax must be a finite number >= 0, got ${torqueNoiseMax}`);
    }
  }

  reset(state: Float64Array, s: number, rng: Rng): void {
    // Gymnasium samples in float64 and casts the state to float32.
    for (let k = 0; k < 4; k++) state[s + k] = Math.fround(rng.uniformRange(-0.1, 0.1));
  }

  step(
    state: Float64Array,
    s: number,
    actions: ArrayLike<number>,
    a: number,
    obs: Float32Array,
    o: number,
    rewards: Float64Array,
    r: number,
    rng: Rng,
  ): number {
    let torque: number = AVAIL_TORQUE[actions[a]];
    if (this.torqueNoiseMax > 0) torque += rng.uniformRange(-this.torqueNoiseMax, this.torqueNoiseMax);

    // One RK4 step over [0, dt]; the torque is a state component with derivative 0, so it stays constant.
    const acc = this.#acc;
    const y0 = state[s];
    const y1 = state[s + 1];
    const y2 = state[s + 2];
    const y3 = state[s + 3];
    const dt = DT - 0;
    const dt2 = dt / 2.0;

    accelerations(y0, y1, y2, y3, torque, acc);
    const k1a = y2, k1b = y3, k1c = acc[0], k1d = acc[1];
    accelerations(y0 + dt2 * k1a, y1 + dt2 * k1b, y2 + dt2 * k1c, y3 + dt2 * k1d, torque, acc);
    const k2a = y2 + dt2 * k1c, k2b = y3 + dt2 * k1d, k2c = acc[0], k2d = acc[1];
    accelerations(y0 + dt2 * k2a, y1 + dt2 * k2b, y2 + dt2 * k2c, y3 + dt2 * k2d, torque, acc);
    const k3a = y2 + dt2 * k2c, k3b = y3 + dt2 * k2d, k3c = acc[0], k3d = acc[1];
    accelerations(y0 + dt * k3a, y1 + dt * k3b, y2 + dt * k3c, y3 + dt * k3d, torque, acc);
    const k4a = y2 + dt * k3c, k4b = y3 + dt * k3d, k4c = acc[0], k4d = acc[1];

    const h = dt / 6.0;
    let theta1 = y0 + h * (k1a + 2 * k2a + 2 * k3a + k4a);
    let theta2 = y1 + h * (k1b + 2 * k2b + 2 * k3b + k4b);
    const dtheta1 = y2 + h * (k1c + 2 * k2c + 2 * k3c + k4c);
    const dtheta2 = y3 + h * (k1d + 2 * k2d + 2 * k3d + k4d);

    // wrap() the angles into [-π, π]; bound() the velocities.
    while (theta1 > Math.PI) theta1 = theta1 - TWO_PI;
    while (theta1 < -Math.PI) theta1 = theta1 + TWO_PI;
    while (theta2 > Math.PI) theta2 = theta2 - TWO_PI;
    while (theta2 < -Math.PI) theta2 = theta2 + TWO_PI;
    state[s] = theta1;
    state[s + 1] = theta2;
    state[s + 2] = Math.min(Math.max(dtheta1, -MAX_VEL_1), MAX_VEL_1);
    state[s + 3] = Math.min(Math.max(dtheta2, -MAX_VEL_2), MAX_VEL_2);
    this.observe(state, s, obs, o);

    const terminated = -Math.cos(theta1) - Math.cos(theta2 + theta1) > 1.0;
    rewards[r] = terminated ? 0.0 : -1.0;
    return terminated ? 1 : 0;
  }

  observe(state: Float64Array, s: number, obs: Float32Array, o: number): void {
    obs[o] = Math.cos(state[s]);
    obs[o + 1] = Math.sin(state[s]);
    obs[o + 2] = Math.cos(state[s + 1]);
    obs[o + 3] = Math.sin(state[s + 1]);
    obs[o + 4] = state[s + 2];
    obs[o + 5] = state[s + 3];
  }
}

export class AcrobotEnv extends ClassicControlEnv {
  constructor(options: AcrobotOptions = {}) {
    super(new AcrobotCore(options.torqueNoiseMax ?? 0), options);
  }
}
