/**
 * MountainCar-v0, as Gymnasium 0.29.1 defines it (`classic_control/mountain_car.py`; Moore 1990).
 *
 * - State (float64, `env.unwrapped.state` layout): [position, velocity]; observation = the same, float32.
 * - Action: Discrete(3): 0 accelerates left, 1 does nothing, 2 accelerates right.
 * - velocity += (action - 1)·0.001 - 0.0025·cos(3·position), clipped to ±0.07; position += velocity, clipped
 *   to [-1.2, 0.6]; hitting the left wall (position == -1.2 with velocity < 0) zeroes the velocity.
 * - Terminated when position >= 0.5 and velocity >= 0 (checked on the float64 state); reward -1 every step.
 * - Reset: position uniform in [-0.6, -0.4), velocity 0. Time limit 200, reward threshold -110.
 */
import type { Rng } from '../../common/rng.js';
import { boxSpace, discreteSpace } from '../spaces.js';
import { ClassicControlEnv, type ClassicEnvOptions } from './base.js';
import type { EnvCore } from './core.js';

const MIN_POSITION = -1.2;
const MAX_POSITION = 0.6;
const MAX_SPEED = 0.07;
const GOAL_POSITION = 0.5;
const GOAL_VELOCITY = 0;
const FORCE = 0.001;
const GRAVITY = 0.0025;

export class MountainCarCore implements EnvCore {
  readonly id = 'MountainCar-v0';
  readonly observationSpace = boxSpace([MIN_POSITION, -MAX_SPEED], [MAX_POSITION, MAX_SPEED]);
  readonly actionSpace = discreteSpace(3);
  readonly stateSize = 2;
  readonly hidden = [] as const;
  readonly slotSize = 2;

  reset(state: Float64Array, s: number, rng: Rng): void {
    state[s] = rng.uniformRange(-0.6, -0.4);
    state[s + 1] = 0;
  }

  step(state: Float64Array, s: number, actions: ArrayLike<number>, a: number, obs: Float32Array, o: number, rewards: Float64Array, r: number): number {
    let position = state[s];
    let velocity = state[s + 1];
    velocity = velocity + ((actions[a] - 1) * FORCE + Math.cos(3 * position) * -GRAVITY);
    velocity = Math.min(Math.max(velocity, -MAX_SPEED), MAX_SPEED);
    position = position + velocity;
    position = Math.min(Math.max(position, MIN_POSITION), MAX_POSITION);
    if (position === MIN_POSITION && velocity < 0) velocity = 0;
    state[s] = obs[o] = position;
    state[s + 1] = obs[o + 1] = velocity;
    rewards[r] = -1.0;
    return position >= GOAL_POSITION && velocity >= GOAL_VELOCITY ? 1 : 0;
  }

  observe(state: Float64Array, s: number, obs: Float32Array, o: number): void {
    obs[o] = state[s];
    obs[o + 1] = state[s + 1];
  }
}

export class MountainCarEnv extends ClassicControlEnv {
  constructor(options: ClassicEnvOptions = {}) {
    super(new MountainCarCore(), options);
  }
}
