/**
 * The environment contract, with Gymnasium's semantics:
 * `reset(seed?) → {obs, info}`, `step(action) → {obs, reward, terminated, truncated, info}`.
 * `getState()/setState()` use the layout of Gymnasium's `env.unwrapped.state` (float64 numbers),
 * which is what replay stores and draws.
 */
import type { RngState } from '../common/rng.js';

export interface DiscreteSpace {
  readonly kind: 'discrete';
  /** Number of actions; valid actions are 0..n-1. */
  readonly n: number;
}

export interface BoxSpace {
  readonly kind: 'box';
  readonly shape: readonly number[];
  readonly low: Float32Array;
  readonly high: Float32Array;
}

export type Space = DiscreteSpace | BoxSpace;

/** A discrete action is an integer; a continuous action is a vector of the Box's size. */
export type Action = number | ArrayLike<number>;

export type Info = Record<string, unknown>;

export interface ResetResult {
  obs: Float32Array;
  info: Info;
}

export interface StepResult {
  obs: Float32Array;
  reward: number;
  terminated: boolean;
  truncated: boolean;
  info: Info;
}

/** Everything needed to restore an env exactly: physics state, step count, RNG. */
export interface EnvSnapshot {
  state: number[];
  elapsedSteps: number;
  rng: RngState;
  /**
   * Env-specific hidden variables outside `state` (e.g. CartPole's `steps_beyond_terminated`),
   * so a restored env behaves exactly like the original even after a terminal step.
   */
  extra?: Record<string, number>;
  /**
   * For envs whose physics engine holds more than `state` (LunarLander's Box2D world: contact and joint warm-start
   * impulses, sleep timers): the RNG state at the episode's reset and every action since, replayed on restore.
   */
  world?: { rng: RngState; actions: number[] };
}

export interface Env {
  readonly id: string;
  readonly observationSpace: BoxSpace;
  readonly actionSpace: Space;
  /** Registered time limit (TimeLimit wrapper); `truncated` becomes true when reached. */
  readonly maxEpisodeSteps: number;
  reset(seed?: number): ResetResult;
  step(action: Action): StepResult;
  /** Physics state in Gymnasium's `env.unwrapped.state` layout. */
  getState(): number[];
  /** Sets the physics state; the next observation is derived from it. */
  setState(state: ArrayLike<number>): void;
  /** Observation for the current state (float32-rounded, as Gymnasium returns it). */
  observe(): Float32Array;
  /** Full snapshot for checkpoints (state + elapsed steps + RNG). */
  snapshot(): EnvSnapshot;
  restore(snapshot: EnvSnapshot): void;
}
