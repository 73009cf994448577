/**
 * One env: the Gymnasium-shaped API (reset/step returning fresh objects) around an `EnvCore`, with the time
 * limit (Gymnasium's `TimeLimit`), order enforcement (step before reset is an error), its own `Rng`, and
 * snapshots. `stepInto()` is the allocation-free path; the public `step()` validates the action and calls it,
 * so both paths are equal by construction (and `VectorEnv` runs the same core).
 */
import { Rng } from '../../common/rng.js';
import type { Action, BoxSpace, Env, EnvSnapshot, ResetResult, Space, StepResult } from '../env.js';
import { actionSize, checkBoxAction, checkDiscreteAction } from '../spaces.js';
import { checkState, parseSnapshot, snapshotSlot, TERMINATED, TRUNCATED, type EnvCore } from './core.js';

export { TERMINATED, TRUNCATED } from './core.js';

export interface ClassicEnvOptions {
  /** Time limit, as Gymnasium's `TimeLimit` wrapper applies it; `makeEnv` passes the registered one. Default: none. */
  maxEpisodeSteps?: number;
  /** Seed of the env's `Rng` for `reset()` calls without a seed. Default: fresh entropy (like an unseeded Gymnasium env). */
  seed?: number;
}

/** The allocation-free path every classic env offers on top of `Env`. */
export interface FastEnv extends Env {
  /** Reward of the last `stepInto` / `step`. */
  readonly lastReward: number;
  /** Steps taken since the last reset (Gymnasium's `TimeLimit._elapsed_steps`). */
  readonly elapsedSteps: number;
  /**
   * Steps with the action at `actions[actOffset…]` (already validated: an integer for Discrete, finite for Box),
   * writes the float32 observation to `obsOut[obsOffset…]`, stores the reward in `lastReward`, and returns
   * `TERMINATED | TRUNCATED` flags. Allocates nothing.
   */
  stepInto(actions: ArrayLike<number>, actOffset: number, obsOut: Float32Array, obsOffset: number): number;
  /** `reset(seed?)` writing the observation to `obsOut[obsOffset…]` instead of returning it. */
  resetInto(obsOut: Float32Array, obsOffset: number, seed?: number): void;
  /** `observe()` writing into `out[offset…]`. */
  observeInto(out: Float32Array, offset: number): void;
}

/** A time limit: a positive integer, or Infinity for none. */
export function checkMaxEpisodeSteps(id: string, value: number | undefined): number {
  const maxSteps = value ?? Number.POSITIVE_INFINITY;
  if (!(maxSteps === Number.POSITIVE_INFINITY || (Number.isInteger(maxSteps) && maxSteps > 0))) {
    throw new Error(`${id}: maxEpisodeSteps must be a positive integer, got ${value}`);
  }
  return maxSteps;
}

function entropySeed(): number {
  const buf = new Uint32Array(1);
  globalThis.crypto.getRandomValues(buf);
  return buf[0];
}

export class ClassicControlEnv implements FastEnv {
  readonly id: string;
  readonly observationSpace: BoxSpace;
  readonly actionSpace: Space;
  readonly maxEpisodeSteps: number;
  readonly obsDim: number;
  /** Numbers per action: 1 for Discrete, the Box size otherwise. */
  readonly actionSize: number;
  lastReward = 0;
  readonly #core: EnvCore;
  /** This env's slot: Gymnasium's state, then the core's hidden variables. */
  readonly #slot: Float64Array;
  readonly #reward = new Float64Array(1);
  readonly #rng: Rng;
  readonly #actionScratch: Int32Array | Float32Array;
  #steps = 0;
  /** False until the first reset/setState/restore (Gymnasium's `OrderEnforcing`). */
  #ready = false;

  constructor(core: EnvCore, options: ClassicEnvOptions = {}) {
    this.#core = core;
    this.id = core.id;
    this.observationSpace = core.observationSpace;
    this.actionSpace = core.actionSpace;
    this.maxEpisodeSteps = checkMaxEpisodeSteps(core.id, options.maxEpisodeSteps);
    this.obsDim = core.observationSpace.low.length;
    this.actionSize = actionSize(core.actionSpace);
    this.#slot = new Float64Array(core.slotSize);
    core.hidden.forEach((h, k) => (this.#slot[core.stateSize + k] = h.initial)); // as before any reset
    this.#rng = new Rng(options.seed ?? entropySeed());
    this.#actionScratch = core.actionSpace.kind === 'discrete' ? new Int32Array(1) : new Float32Array(this.actionSize);
  }

  get elapsedSteps(): number {
    return this.#steps;
  }

  stepInto(actions: ArrayLike<number>, actOffset: number, obsOut: Float32Array, obsOffset: number): number {
    if (!this.#ready) throw new Error(`${this.id}: call reset() (or setState()) before step()`);
    const terminated = this.#core.step(this.#slot, 0, actions, actOffset, obsOut, obsOffset, this.#reward, 0, this.#rng);
    this.lastReward = this.#reward[0];
    this.#steps += 1;
    return (terminated ? TERMINATED : 0) | (this.#steps >= this.maxEpisodeSteps ? TRUNCATED : 0);
  }

  resetInto(obsOut: Float32Array, obsOffset: number, seed?: number): void {
    if (seed !== undefined) this.#rng.seed(seed);
    this.#steps = 0;
    this.#core.reset(this.#slot, 0, this.#rng);
    this.#ready = true;
    this.#core.observe(this.#slot, 0, obsOut, obsOffset);
  }

  reset(seed?: number): ResetResult {
    const obs = new Float32Array(this.obsDim);
    this.resetInto(obs, 0, seed);
    return { obs, info: {} };
  }

  step(action: Action): StepResult {
    const scratch = this.#actionScratch;
    if (this.actionSpace.kind === 'discrete') {
      scratch[0] = checkDiscreteAction(this.id, this.actionSpace.n, action);
    } else {
      checkBoxAction(this.id, this.actionSpace, action, scratch as Float32Array);
    }
    const obs = new Float32Array(this.obsDim);
    const flags = this.stepInto(scratch, 0, obs, 0);
    return {
      obs,
      reward: this.lastReward,
      terminated: (flags & TERMINATED) !== 0,
      truncated: (flags & TRUNCATED) !== 0,
      info: {},
    };
  }

  observe(): Float32Array {
    const obs = new Float32Array(this.obsDim);
    this.observeInto(obs, 0);
    return obs;
  }

  observeInto(out: Float32Array, offset: number): void {
    if (!this.#ready) throw new Error(`${this.id}: call reset() (or setState()) before observe()`);
    this.#core.observe(this.#slot, 0, out, offset);
  }

  getState(): number[] {
    return Array.from(this.#slot.subarray(0, this.#core.stateSize));
  }

  /** Sets Gymnasium's state (hidden variables such as CartPole's steps_beyond_terminated are left as they are). */
  setState(state: ArrayLike<number>): void {
    this.#slot.set(checkState(this.#core, state, 'setState()'));
    this.#ready = true;
  }

  snapshot(): EnvSnapshot {
    if (!this.#ready) throw new Error(`${this.id}: call reset() (or setState()) before snapshot()`);
    return snapshotSlot(this.#core, this.#slot, 0, this.#steps, this.#rng.getState());
  }

  restore(snapshot: EnvSnapshot): void {
    const parsed = parseSnapshot(this.#core, snapshot);
    this.#slot.set(parsed.slot);
    parsed.installWorld?.(0);
    this.#steps = parsed.elapsedSteps;
    this.#rng.setState(parsed.rng);
    this.#ready = true;
  }
}
