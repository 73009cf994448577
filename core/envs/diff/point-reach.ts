/**
 * PointReach-v0: PolicyLab's smooth reaching task — a point mass in the plane (a double integrator) pushed by a
 * bounded acceleration towards a target drawn at reset. Nothing clips and nothing terminates, so every step is
 * smooth: the task isolates what analytic gradients do when the physics is kind to them.
 *
 *   state = [px, py, vx, vy, gx, gy];   action u ∈ [−1, 1]² (acceleration)
 *   v' = v + dt·u;   p' = p + dt·v'   (semi-implicit Euler, dt = 0.1 s, as Pendulum integrates)
 *   r = −(‖p' − g‖² + 0.1·‖v'‖² + 0.01·‖u‖²)        (the state AFTER the step)
 *   obs = [gx − px, gy − py, vx, vy]
 *   reset: p, g uniform in [−1, 1)², v = 0;  time limit 100 steps (10 s), never terminates
 *
 * Unlike Pendulum, the reward is scored on the state the action leads to, so r(sg[s_t], a_t) still depends on a_t
 * through p' and v': `stopGradient` leaves a one-step (greedy) gradient here, not none.
 */
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../../common/rng.js';
import { clip, insideClip, type DiffEnv, type DiffStepTf, type StateGradientInReward } from './diff-env.js';
import { stopGradient } from './tf-util.js';

const DT = 0.1;
const MAX_ACCEL = 1;
const VEL_COST = 0.1;
const ACTION_COST = 0.01;

export class DiffPointReach implements DiffEnv {
  readonly id = 'PointReach-v0';
  readonly stateSize = 6;
  readonly obsDim = 4;
  readonly actDim = 2;
  readonly actionLow = [-MAX_ACCEL, -MAX_ACCEL] as const;
  readonly actionHigh = [MAX_ACCEL, MAX_ACCEL] as const;
  readonly maxEpisodeSteps = 100;
  readonly canTerminate = false;

  reset(state: Float64Array, s: number, rng: Rng): void {
    state[s] = rng.uniformRange(-1, 1);
    state[s + 1] = rng.uniformRange(-1, 1);
    state[s + 2] = 0;
    state[s + 3] = 0;
    state[s + 4] = rng.uniformRange(-1, 1);
    state[s + 5] = rng.uniformRange(-1, 1);
  }

  observe(states: Float64Array, n: number, obs: Float64Array): void {
    for (let e = 0; e < n; e++) {
      const s = 6 * e;
      const o = 4 * e;
      obs[o] = states[s + 4] - states[s];
      obs[o + 1] = states[s + 5] - states[s + 1];
      obs[o + 2] = states[s + 2];
      obs[o + 3] = states[s + 3];
    }
  }

  observeVjp(_states: Float64Array, n: number, dObs: ArrayLike<number>, dStates: Float64Array): void {
    for (let e = 0; e < n; e++) {
      const s = 6 * e;
      const o = 4 * e;
      dStates[s] -= dObs[o];
      dStates[s + 1] -= dObs[o + 1];
      dStates[s + 2] += dObs[o + 2];
      dStates[s + 3] += dObs[o + 3];
      dStates[s + 4] += dObs[o];
      dStates[s + 5] += dObs[o + 1];
    }
  }

  step(states: Float64Array, actions: ArrayLike<number>, n: number, next: Float64Array, rewards: Float64Array, terminated: Uint8Array): void {
    for (let e = 0; e < n; e++) {
      const s = 6 * e;
      let cost = 0;
      for (let k = 0; k < 2; k++) {
        const u = clip(actions[2 * e + k], -MAX_ACCEL, MAX_ACCEL);
        const v = states[s + 2 + k] + DT * u;
        const p = states[s + k] + DT * v;
        const d = p - states[s + 4 + k];
        cost += d * d + VEL_COST * v * v + ACTION_COST * u * u;
        next[s + k] = p;
        next[s + 2 + k] = v;
        next[s + 4 + k] = states[s + 4 + k];
      }
      rewards[e] = -cost;
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
    const full = stateGradientInReward === 'full';
    for (let e = 0; e < n; e++) {
      const s = 6 * e;
      const dr = dRewards[e];
      let dGoal0 = 0;
      let dGoal1 = 0;
      for (let k = 0; k < 2; k++) {
        const a = actions[2 * e + k];
        const u = clip(a, -MAX_ACCEL, MAX_ACCEL);
        const v = states[s + 2 + k] + DT * u;
        const p = states[s + k] + DT * v;
        const d = p - states[s + 4 + k];
        // Reward adjoints of p' and v' (r = −cost), split by where the reward reaches them from: through the action
        // (always) or through the state (only with `full`).
        const dpR = dr * -2 * d;
        const dvR = dr * -2 * VEL_COST * v;
        const dp = dNext[s + k];
        const dv = dNext[s + 2 + k] + DT * dp;
        // p' = p + dt·v + dt²·u; v' = v + dt·u
        const dpAll = dp + (full ? dpR : 0);
        const dvAll = dv + (full ? dvR + DT * dpR : 0);
        dStates[s + k] = dpAll;
        dStates[s + 2 + k] = dvAll;
        const dGoal = dNext[s + 4 + k] + (full ? -dpR : 0);
        if (k === 0) dGoal0 = dGoal;
        else dGoal1 = dGoal;
        const du = DT * dv + DT * dvR + DT * DT * dpR + dr * -2 * ACTION_COST * u;
        dActions[2 * e + k] = du * insideClip(a, -MAX_ACCEL, MAX_ACCEL);
      }
      dStates[s + 4] = dGoal0;
      dStates[s + 5] = dGoal1;
    }
  }

  observeTf(states: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      const p = tf.slice(states, [0, 0], [-1, 2]);
      const v = tf.slice(states, [0, 2], [-1, 2]);
      const g = tf.slice(states, [0, 4], [-1, 2]);
      return tf.concat([tf.sub(g, p), v], 1) as tf.Tensor2D;
    });
  }

  stepTf(states: tf.Tensor2D, actions: tf.Tensor2D, stateGradientInReward: StateGradientInReward): DiffStepTf {
    return tf.tidy(() => {
      const u = tf.clipByValue(actions, -MAX_ACCEL, MAX_ACCEL);
      const dynamics = (s: tf.Tensor2D) => {
        const v = tf.add(tf.slice(s, [0, 2], [-1, 2]), tf.mul(DT, u));
        const p = tf.add(tf.slice(s, [0, 0], [-1, 2]), tf.mul(DT, v));
        return { p, v, g: tf.slice(s, [0, 4], [-1, 2]) };
      };
      const next = dynamics(states);
      // The reward is the same function of (s, u); with stopGradient its s is a constant.
      const r = stateGradientInReward === 'full' ? next : dynamics(stopGradient(states));
      const cost = tf.add(
        tf.add(tf.sum(tf.square(tf.sub(r.p, r.g)), 1), tf.mul(VEL_COST, tf.sum(tf.square(r.v), 1))),
        tf.mul(ACTION_COST, tf.sum(tf.square(u), 1)),
      );
      return { next: tf.concat([next.p, next.v, next.g], 1) as tf.Tensor2D, rewards: tf.neg(cost) as tf.Tensor1D };
    });
  }
}
