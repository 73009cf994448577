/**
 * MountainCarContinuous-v0, as Gymnasium 0.29.1 defines it (`classic_control/continuous_mountain_car.py`)
 * under NumPy 1.x promotion rules (float32 scalars mixed with Python floats compute in float64).
 *
 * - State (`env.unwrapped.state` layout): [position, velocity]. Float64 right after reset; after each step
 *   Gymnasium stores it as a float32 array, so it holds float32 values (and the observation equals it).
 * - Action: Box([-1], [1]) float32. The force is the action clipped to [-1, 1]; the reward uses the
 *   unclipped action: reward = (100 if terminated else 0) - 0.1·action².
 * - velocity += force·0.0015 - 0.0025·cos(3·position), clipped to ±0.07; position += velocity, clipped to
 *   [-1.2, 0.6]; at the left wall with velocity < 0 the velocity becomes 0.
 * - Terminated when position >= 0.45 and velocity >= 0 (on the float64 values, before the float32 cast).
 * - Reset: position uniform in [-0.6, -0.4), velocity 0. Time limit 999, reward threshold 90.
 */
import type { Rng } from '../../common/rng.js';
import { boxSpace } from '../spaces.js';
import { ClassicControlEnv, type ClassicEnvOptions } from './base.js';
import type { EnvCore } from './core.js';

const MIN_ACTION = -1.0;
const MAX_ACTION = 1.0;
const MIN_POSITION = -1.2;
const MAX_POSITION = 0.6;
const MAX_SPEED = 0.07;
const GOAL_POSITION = 0.45;
const GOAL_VELOCITY = 0;
const POWER = 0.0015;

export class MountainCarContinuousCore implements EnvCore {
  readonly id = 'MountainCarContinuous-v0';
  readonly observationSpace = boxSpace([MIN_POSITION, -MAX_SPEED], [MAX_POSITION, MAX_SPEED]);
  readonly actionSpace = boxSpace([MIN_ACTION], [MAX_ACTION]);
  readonly stateSize = 2;
  readonly hidden = [] as const;
  readonly slotSize = 2;

  reset(state: Float64Array, s: number, rng: Rng): void {
    state[s] = rng.uniformRange(-0.6, -0.4);
    state[s + 1] = 0;
  }

  step(state: Float64Array, s: number, actions: ArrayLike<number>, a: number, obs: Float32Array, o: number, rewards: Float64Array, r: number): number {
    const action = Math.fround(actions[a]); // the Box's dtype
    let position = state[s];
    let velocity = state[s + 1];
    const force = Math.min(Math.max(action, MIN_ACTION), MAX_ACTION);
    velocity = velocity + (force * POWER - 0.0025 * Math.cos(3 * position));
    if (velocity > MAX_SPEED) velocity = MAX_SPEED;
    if (velocity < -MAX_SPEED) velocity = -MAX_SPEED;
    position = position + velocity;
    if (position > MAX_POSITION) position = MAX_POSITION;
    if (position < MIN_POSITION) position = MIN_POSITION;
    if (position === MIN_POSITION && velocity < 0) velocity = 0;

    const terminated = position >= GOAL_POSITION && velocity >= GOAL_VELOCITY;
    rewards[r] = (terminated ? 100.0 : 0) - action * action * 0.1;
    // Gymnasium keeps the new state as a float32 array and returns it as the observation.
    state[s] = obs[o] = Math.fround(position);
    state[s + 1] = obs[o + 1] = Math.fround(velocity);
    return terminated ? 1 : 0;
  }

  observe(state: Float64Array, s: number, obs: Float32Array, o: number): void {
    obs[o] = state[s];
    obs[o + 1] = state[s + 1];
  }
}

export class MountainCarContinuousEnv extends ClassicControlEnv {
  constructor(options: ClassicEnvOptions = {}) {
    super(new MountainCarContinuousCore(), options);
  }
}
