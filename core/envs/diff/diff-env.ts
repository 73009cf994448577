/**
 * The contract of a differentiable, batched environment: the dynamics of its classic twin as functions over float64
 * arrays of `n` copies (row-major, copy e at `e * stateSize`), each with its vector–Jacobian product (the hand-written
 * adjoint), and the same step as tfjs ops (the autodiff twin). Analytic policy gradients (core/algos/apg) roll the
 * policy through `step` and pull the gradient of the return back through `stepVjp`/`observeVjp`.
 *
 * Semantics kept from Gymnasium: the state layout (`env.unwrapped.state`), the reset distribution (the classic core's
 * own `reset`, so a copy seeded s starts where a classic env seeded s starts), the order of clipping, the reward and
 * termination. Where Gymnasium clips (Pendulum's torque ±2 and speed ±8, Mountain Car's force ±1, speed and walls)
 * the forward pass clips the same way and the derivative is the clip's own: 1 inside, 0 when saturated. A policy
 * therefore produces its actions with `squashAction` (tanh into the action range), which never reaches the torque or
 * force clip, so its gradient is never cut there; the state clips (speed, walls) stay and cut the gradient while
 * saturated, as the true dynamics do.
 */
import type * as tf from '@tensorflow/tfjs';
import type { Rng } from '../../common/rng.js';

/**
 * How the reward's dependence on the state is differentiated:
 *  - `full`: r(s_t, a_t) — the gradient flows through the state into the reward (and so back through the dynamics);
 *  - `stopGradient`: r(sg[s_t], a_t) — the state is a constant inside the reward; only ∂r/∂a_t (and whatever the
 *    reward computes from a_t, e.g. a predicted next position) reaches the policy.
 */
export type StateGradientInReward = 'full' | 'stopGradient';

export interface DiffStepTf {
  /** [n, stateSize] next states (before any reset). */
  next: tf.Tensor2D;
  /** [n] rewards. */
  rewards: tf.Tensor1D;
}

export interface DiffEnv {
  readonly id: string;
  /** Numbers per copy in a state array: Gymnasium's `env.unwrapped.state` layout. */
  readonly stateSize: number;
  readonly obsDim: number;
  readonly actDim: number;
  /** Gymnasium's action Box bounds. */
  readonly actionLow: readonly number[];
  readonly actionHigh: readonly number[];
  /** Registered time limit (TimeLimit): a copy is truncated after this many steps. */
  readonly maxEpisodeSteps: number;
  /** Whether a step can terminate an episode (Mountain Car's goal); false: only the time limit ends one. */
  readonly canTerminate: boolean;
  /** Draws the initial state of copy slot `s` (offset into `state`) from `rng`, exactly as the classic twin resets. */
  reset(state: Float64Array, s: number, rng: Rng): void;
  /** Observations of `n` copies (float64; Gymnasium returns the float32 rounding of these). */
  observe(states: Float64Array, n: number, obs: Float64Array): void;
  /** dStates += (∂obs/∂state)ᵀ · dObs for `n` copies. */
  observeVjp(states: Float64Array, n: number, dObs: ArrayLike<number>, dStates: Float64Array): void;
  /**
   * One step of `n` copies with actions in env units ([n, actDim]): writes next states, rewards and terminated
   * flags (1/0). Clips as Gymnasium does. Allocates nothing.
   */
  step(states: Float64Array, actions: ArrayLike<number>, n: number, next: Float64Array, rewards: Float64Array, terminated: Uint8Array): void;
  /**
   * The adjoint of `step` at (states, actions): given dNext = ∂L/∂next and dRewards = ∂L/∂r, WRITES
   * dStates = ∂L/∂states and dActions = ∂L/∂actions (through the dynamics and the reward, the reward's state
   * term dropped for `stopGradient`). Recomputes the forward intermediates; allocates nothing.
   */
  stepVjp(
    states: Float64Array,
    actions: ArrayLike<number>,
    n: number,
    dNext: Float64Array,
    dRewards: ArrayLike<number>,
    stateGradientInReward: StateGradientInReward,
    dStates: Float64Array,
    dActions: Float64Array,
  ): void;
  /** The observation as tfjs ops ([n, stateSize] → [n, obsDim]). */
  observeTf(states: tf.Tensor2D): tf.Tensor2D;
  /** The step as tfjs ops (float32; terminations are not differentiable and are taken from the forward pass). */
  stepTf(states: tf.Tensor2D, actions: tf.Tensor2D, stateGradientInReward: StateGradientInReward): DiffStepTf;
}

/** 1 where x lies in [lo, hi] (the clip's derivative, with tfjs's convention at the bounds), else 0. */
export function insideClip(x: number, lo: number, hi: number): number {
  return x >= lo && x <= hi ? 1 : 0;
}

export function clip(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}
