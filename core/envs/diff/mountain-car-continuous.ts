/**
 * Differentiable MountainCarContinuous-v0: the dynamics of core/envs/classic/mountain-car-continuous.ts (Gymnasium
 * 0.29.1) for n copies, with its adjoint and its tfjs twin.
 *
 *   f = clip(a, −1, 1);   v' = clip(v + 0.0015·f − 0.0025·cos 3x, ±0.07);   x' = clip(x + v', −1.2, 0.6)
 *   v' = 0 when x' = −1.2 and v' < 0 (the left wall);   terminated = x' ≥ 0.45 and v' ≥ 0
 *   r = 100·terminated − 0.1·a²;   state and observation = [x', v'] stored as float32 (Gymnasium's dtype)
 *
 * Derivatives: each clip passes the gradient only inside its bounds, the wall zeroes the velocity's, the float32
 * rounding counts as the identity. The goal bonus is a step function of the state: its gradient is 0 everywhere,
 * so the only reward gradient is ∂r/∂a = −0.2·a (towards doing nothing) — analytic gradients see the hill only
 * through a critic's bootstrap, never through the bonus itself. `stateGradientInReward` changes nothing here:
 * the reward has no differentiable state term.
 */
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../../common/rng.js';
import { MountainCarContinuousCore } from '../classic/mountain-car-continuous.js';
import { clip, insideClip, type DiffEnv, type DiffStepTf, type StateGradientInReward } from './diff-env.js';
import { column } from './tf-util.js';

const MIN_POSITION = -1.2;
const MAX_POSITION = 0.6;
const MAX_SPEED = 0.07;
const GOAL_POSITION = 0.45;
const POWER = 0.0015;

export interface DiffMountainCarOptions {
  /**
   * Round the action and the new state to float32 as Gymnasium does (default true: step-for-step fidelity).
   * False keeps everything float64 (finite-difference gradient checks need a smooth function).
   */
  float32?: boolean;
}

export class DiffMountainCarContinuous implements DiffEnv {
  readonly id = 'MountainCarContinuous-v0';
  readonly stateSize = 2;
  readonly obsDim = 2;
  readonly actDim = 1;
  readonly actionLow = [-1] as const;
  readonly actionHigh = [1] as const;
  readonly maxEpisodeSteps = 999;
  readonly canTerminate = true;
  readonly #classic = new MountainCarContinuousCore();
  readonly #round: (x: number) => number;

  constructor(options: DiffMountainCarOptions = {}) {
    this.#round = options.float32 === false ? (x) => x : Math.fround;
  }

  reset(state: Float64Array, s: number, rng: Rng): void {
    this.#classic.reset(state, s, rng);
  }

  observe(states: Float64Array, n: number, obs: Float64Array): void {
    obs.set(states.subarray(0, 2 * n));
  }

  observeVjp(_states: Float64Array, n: number, dObs: ArrayLike<number>, dStates: Float64Array): void {
    for (let i = 0; i < 2 * n; i++) dStates[i] += dObs[i];
  }

  step(states: Float64Array, actions: ArrayLike<number>, n: number, next: Float64Array, rewards: Float64Array, terminated: Uint8Array): void {
    const round = this.#round;
    for (let e = 0; e < n; e++) {
      const action = round(actions[e]);
      const position = states[2 * e];
      const force = clip(action, -1, 1);
      const v1 = states[2 * e + 1] + (force * POWER - 0.0025 * Math.cos(3 * position));
      const v2 = clip(v1, -MAX_SPEED, MAX_SPEED);
      const x = clip(position + v2, MIN_POSITION, MAX_POSITION);
      const v = x === MIN_POSITION && v2 < 0 ? 0 : v2;
      const done = x >= GOAL_POSITION && v >= 0;
      rewards[e] = (done ? 100.0 : 0) - action * action * 0.1;
      terminated[e] = done ? 1 : 0;
      next[2 * e] = round(x);
      next[2 * e + 1] = round(v);
    }
  }

  stepVjp(
    states: Float64Array,
    actions: ArrayLike<number>,
    n: number,
    dNext: Float64Array,
    dRewards: ArrayLike<number>,
    _stateGradientInReward: StateGradientInReward,
    dStates: Float64Array,
    dActions: Float64Array,
  ): void {
    const round = this.#round;
    for (let e = 0; e < n; e++) {
      const action = round(actions[e]);
      const position = states[2 * e];
      const force = clip(action, -1, 1);
      const v1 = states[2 * e + 1] + (force * POWER - 0.0025 * Math.cos(3 * position));
      const v2 = clip(v1, -MAX_SPEED, MAX_SPEED);
      const x1 = position + v2;
      const x = clip(x1, MIN_POSITION, MAX_POSITION);
      const wall = x === MIN_POSITION && v2 < 0;
      const dx1 = dNext[2 * e] * insideClip(x1, MIN_POSITION, MAX_POSITION);
      const dv2 = (wall ? 0 : dNext[2 * e + 1]) + dx1;
      const dv1 = dv2 * insideClip(v1, -MAX_SPEED, MAX_SPEED);
      dStates[2 * e] = dx1 + dv1 * 0.0075 * Math.sin(3 * position);
      dStates[2 * e + 1] = dv1;
      dActions[e] = dv1 * POWER * insideClip(action, -1, 1) + dRewards[e] * -0.2 * action;
    }
  }

  observeTf(states: tf.Tensor2D): tf.Tensor2D {
    return tf.clone(states);
  }

  stepTf(states: tf.Tensor2D, actions: tf.Tensor2D): DiffStepTf {
    return tf.tidy(() => {
      const position = column(states, 0);
      const force = tf.clipByValue(actions, -1, 1);
      const v1 = tf.add(column(states, 1), tf.sub(tf.mul(force, POWER), tf.mul(0.0025, tf.cos(tf.mul(3, position)))));
      const v2 = tf.clipByValue(v1, -MAX_SPEED, MAX_SPEED);
      const x = tf.clipByValue(tf.add(position, v2), MIN_POSITION, MAX_POSITION);
      // Conditions as tf.step masks (step(y) = 1 for y > 0, else 0; its gradient is 0): the tape cannot pass
      // through logical ops, which have no gradient at all.
      const atWall = tf.mul(tf.sub(1, tf.step(tf.sub(x, MIN_POSITION))), tf.step(tf.neg(v2)));
      const v = tf.mul(v2, tf.sub(1, atWall));
      // The goal bonus is a step function: a constant for gradients.
      const done = tf.mul(tf.sub(1, tf.step(tf.sub(GOAL_POSITION, x))), tf.sub(1, tf.step(tf.neg(v))));
      const rewards = tf.sub(tf.mul(done, 100), tf.mul(0.1, tf.square(actions))).reshape([-1]) as tf.Tensor1D;
      return { next: tf.concat([x, v], 1) as tf.Tensor2D, rewards };
    });
  }
}
