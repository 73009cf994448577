/**
 * Pendulum-v1, as Gymnasium 0.29.1 defines it (`classic_control/pendulum.py`).
 *
 * - State (float64, `env.unwrapped.state` layout): [theta, theta_dot] (theta = 0 is upright).
 * - Observation (float32): [cos θ, sin θ, θ̇].
 * - Action: Box([-2], [2]) float32 torque, clipped to ±max_torque (2) before use.
 * - Reward = -(angle_normalize(θ)² + 0.1·θ̇² + 0.001·u²) on the state before the step (so in [-16.27, 0]).
 * - θ̇ += (3g/(2l)·sin θ + 3/(m l²)·u)·dt, clipped to ±max_speed (8); θ += θ̇·dt (semi-implicit Euler, dt 0.05).
 * - Never terminates. Reset: θ uniform in [-π, π), θ̇ uniform in [-1, 1). Time limit 200, no reward threshold.
 */
import type { Rng } from '../../common/rng.js';
import { boxSpace } from '../spaces.js';
import { ClassicControlEnv, type ClassicEnvOptions } from './base.js';
import type { EnvCore } from './core.js';

const MAX_SPEED = 8;
const MAX_TORQUE = 2.0;
const DT = 0.05;
const MASS = 1.0;
const LENGTH = 1.0;
const TWO_PI = 2 * Math.PI;
const OBS_HIGH = [1.0, 1.0, MAX_SPEED];

export interface PendulumOptions extends ClassicEnvOptions {
  /** Gravity; Gymnasium's default is 10.0. */
  g?: number;
}

/** Gymnasium's `angle_normalize`: ((x + π) mod 2π) - π with Python's floored modulo. */
export function angleNormalize(x: number): number {
  let m = (x + Math.PI) % TWO_PI; // fmod: sign of the dividend
  if (m < 0) m += TWO_PI; // Python's % takes the divisor's sign
  return m - Math.PI;
}

export class PendulumCore implements EnvCore {
  readonly id = 'Pendulum-v1';
  readonly observationSpace = boxSpace(OBS_HIGH.map((h) => -h), OBS_HIGH);
  readonly actionSpace = boxSpace([-MAX_TORQUE], [MAX_TORQUE]);
  readonly stateSize = 2;
  readonly hidden = [] as const;
  readonly slotSize = 2;
  /** 3g/(2l) and 3/(m l²), computed as Gymnasium computes them inside step(). */
  readonly #gravityCoef: number;
  readonly #torqueCoef: number;

  /** @param g gravity; Gymnasium's default is 10.0. */
  constructor(readonly g = 10.0) {
    if (!Number.isFinite(g)) throw new Error(`Pendulum-v1: g must be a finite number, got ${g}`);
    this.#gravityCoef = (3 * g) / (2 * LENGTH);
    this.#torqueCoef = 3.0 / (MASS * (LENGTH * LENGTH));
  }

  reset(state: Float64Array, s: number, rng: Rng): void {
    state[s] = rng.uniformRange(-Math.PI, Math.PI);
    state[s + 1] = rng.uniformRange(-1.0, 1.0);
  }

  step(state: Float64Array, s: number, actions: ArrayLike<number>, a: number, obs: Float32Array, o: number, rewards: Float64Array, r: number): number {
    const th = state[s];
    const thdot = state[s + 1];
    const u = Math.min(Math.max(Math.fround(actions[a]), -MAX_TORQUE), MAX_TORQUE);
    const an = angleNormalize(th);
    rewards[r] = -(an * an + 0.1 * (thdot * thdot) + 0.001 * (u * u));

    let newthdot = thdot + (this.#gravityCoef * Math.sin(th) + this.#torqueCoef * u) * DT;
    newthdot = Math.min(Math.max(newthdot, -MAX_SPEED), MAX_SPEED);
    const newth = th + newthdot * DT;
    state[s] = newth;
    state[s + 1] = newthdot;
    obs[o] = Math.cos(newth);
    obs[o + 1] = Math.sin(newth);
    obs[o + 2] = newthdot;
    return 0;
  }

  observe(state: Float64Array, s: number, obs: Float32Array, o: number): void {
    obs[o] = Math.cos(state[s]);
    obs[o + 1] = Math.sin(state[s]);
    obs[o + 2] = state[s + 1];
  }
}

export class PendulumEnv extends ClassicControlEnv {
  readonly g: number;

  constructor(options: PendulumOptions = {}) {
    const core = new PendulumCore(options.g ?? 10.0);
    super(core, options);
    this.g = core.g;
  }
}
