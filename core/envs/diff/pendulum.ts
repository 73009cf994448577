/**
 * Differentiable Pendulum-v1: the dynamics of core/envs/classic/pendulum.ts (Gymnasium 0.29.1) for n copies, with
 * its adjoint and its tfjs twin.
 *
 *   u = clip(a, −2, 2);   r = −(angle_normalize(θ)² + 0.1·θ̇² + 0.001·u²)        (the state BEFORE the step)
 *   θ̇' = clip(θ̇ + (3g/(2l)·sin θ + 3/(m l²)·u)·dt, −8, 8);   θ' = θ + θ̇'·dt
 *   obs = [cos θ, sin θ, θ̇]
 *
 * Derivatives: angle_normalize is a shift by a multiple of 2π, derivative 1 (the cost angle_normalize(θ)² is
 * continuous at the bottom, θ = ±π, where its slope flips from +2π to −2π); the speed clip passes the gradient only
 * inside [−8, 8]. The reward's state term is the only state-dependent cost: with `stopGradient` the reward's gradient is
 * ∂r/∂u = −0.002·u alone, which pulls every torque towards 0 — the policy learns to do nothing.
 */
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../../common/rng.js';
import { angleNormalize, PendulumCore } from '../classic/pendulum.js';
import { clip, insideClip, type DiffEnv, type DiffStepTf, type StateGradientInReward } from './diff-env.js';
import { column, stopGradient } from './tf-util.js';

const MAX_SPEED = 8;
const MAX_TORQUE = 2;
const DT = 0.05;
const TWO_PI = 2 * Math.PI;

export interface DiffPendulumOptions {
  /** Gravity; Gymnasium's default is 10.0. */
  g?: number;
  /**
   * Round the action to float32 before use, as Gymnasium does (the Box's dtype; default true). False keeps it
   * float64 (finite-difference gradient checks need a smooth function); the derivative is the identity either way.
   */
  float32?: boolean;
}

export class DiffPendulum implements DiffEnv {
  readonly id = 'Pendulum-v1';
  readonly stateSize = 2;
  readonly obsDim = 3;
  readonly actDim = 1;
  readonly actionLow = [-MAX_TORQUE] as const;
  readonly actionHigh = [MAX_TORQUE] as const;
  readonly maxEpisodeSteps = 200;
  readonly canTerminate = false;
  readonly #classic: PendulumCore;
  /** 3g/(2l) and 3/(m l²) with l = m = 1, as Gymnasium computes them. */
  readonly #gravityCoef: number;
  readonly #torqueCoef: number;
  readonly #round: (x: number) => number;
  readonly g: number;

  constructor(options: DiffPendulumOptions = {}) {
    const g = options.g ?? 10.0;
    this.g = g;
    this.#classic = new PendulumCore(g);
    this.#round = options.float32 === false ? (x) => x : Math.fround;
    this.#gravityCoef = (3 * g) / 2;
    this.#torqueCoef = 3.0;
  }

  reset(state: Float64Array, s: number, rng: Rng): void {
    this.#classic.reset(state, s, rng);
  }

  observe(states: Float64Array, n: number, obs: Float64Array): void {
    for (let e = 0; e < n; e++) {
      const th = states[2 * e];
      obs[3 * e] = Math.cos(th);
      obs[3 * e + 1] = Math.sin(th);
      obs[3 * e + 2] = states[2 * e + 1];
    }
  }

  observeVjp(states: Float64Array, n: number, dObs: ArrayLike<number>, dStates: Float64Array): void {
    for (let e = 0; e < n; e++) {
      const th = states[2 * e];
      dStates[2 * e] += -Math.sin(th) * dObs[3 * e] + Math.cos(th) * dObs[3 * e + 1];
      dStates[2 * e + 1] += dObs[3 * e + 2];
    }
  }

  step(states: Float64Array, actions: ArrayLike<number>, n: number, next: Float64Array, rewards: Float64Array, terminated: Uint8Array): void {
    const gc = this.#gravityCoef;
    const tc = this.#torqueCoef;
    for (let e = 0; e < n; e++) {
      const th = states[2 * e];
      const thdot = states[2 * e + 1];
      const u = clip(this.#round(actions[e]), -MAX_TORQUE, MAX_TORQUE);
      const an = angleNormalize(th);
      rewards[e] = -(an * an + 0.1 * (thdot * thdot) + 0.001 * (u * u));
      const newthdot = clip(thdot + (gc * Math.sin(th) + tc * u) * DT, -MAX_SPEED, MAX_SPEED);
      next[2 * e] = th + newthdot * DT;
      next[2 * e + 1] = newthdot;
      terminated[e] = 0;
    }
  }

  stepVjp(
    states: Float64Array,
    actions: ArrayLike<number>,
    n: number,
    dNext: Float64Array,
    dRewards: ArrayLike<number>,
    stateGradientInReward: StateGradientInReward,
    dStates: Float64Array,
    dActions: Float64Array,
  ): void {
    const gc = this.#gravityCoef;
    const tc = this.#torqueCoef;
    const stateInReward = stateGradientInReward === 'full' ? 1 : 0;
    for (let e = 0; e < n; e++) {
      const th = states[2 * e];
      const thdot = states[2 * e + 1];
      const a = this.#round(actions[e]);
      const u = clip(a, -MAX_TORQUE, MAX_TORQUE);
      const raw = thdot + (gc * Math.sin(th) + tc * u) * DT;
      // θ' = θ + θ̇'·dt: θ̇' collects its own adjoint and dt × θ'’s.
      const dNewThdot = dNext[2 * e + 1] + dNext[2 * e] * DT;
      const dRaw = dNewThdot * insideClip(raw, -MAX_SPEED, MAX_SPEED);
      const dr = dRewards[e];
      const an = angleNormalize(th);
      dStates[2 * e] = dNext[2 * e] + dRaw * gc * Math.cos(th) * DT + stateInReward * dr * -2 * an;
      dStates[2 * e + 1] = dRaw + stateInReward * dr * -0.2 * thdot;
      const du = dRaw * tc * DT + dr * -0.002 * u;
      dActions[e] = du * insideClip(a, -MAX_TORQUE, MAX_TORQUE);
    }
  }

  observeTf(states: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      const th = column(states, 0);
      return tf.concat([tf.cos(th), tf.sin(th), column(states, 1)], 1);
    });
  }

  stepTf(states: tf.Tensor2D, actions: tf.Tensor2D, stateGradientInReward: StateGradientInReward): DiffStepTf {
    return tf.tidy(() => {
      const th = column(states, 0);
      const thdot = column(states, 1);
      const u = tf.clipByValue(actions, -MAX_TORQUE, MAX_TORQUE);
      const sr = stateGradientInReward === 'full' ? states : stopGradient(states);
      // angle_normalize with Python's floored modulo (tf.mod is floored too).
      const an = tf.sub(tf.mod(tf.add(column(sr, 0), Math.PI), TWO_PI), Math.PI);
      const cost = tf.add(tf.add(tf.square(an), tf.mul(0.1, tf.square(column(sr, 1)))), tf.mul(0.001, tf.square(u)));
      const rewards = tf.neg(cost).reshape([-1]) as tf.Tensor1D;
      const accel = tf.add(tf.mul(this.#gravityCoef, tf.sin(th)), tf.mul(this.#torqueCoef, u));
      const newthdot = tf.clipByValue(tf.add(thdot, tf.mul(accel, DT)), -MAX_SPEED, MAX_SPEED);
      const newth = tf.add(th, tf.mul(newthdot, DT));
      return { next: tf.concat([newth, newthdot], 1) as tf.Tensor2D, rewards };
    });
  }
}
