/**
 * An env kind's definition as plain functions over typed arrays (an `EnvCore`): spaces, reset distribution,
 * one step of dynamics with reward and termination, and the observation. A single env (`ClassicControlEnv`)
 * and a vector env (`VectorEnv`) are thin shells around the same core, so both run the very same arithmetic;
 * the vector env keeps every copy's state in one Float64Array and calls the core in a tight loop (small,
 * monomorphic calls that V8 inlines), which is what makes it fast.
 *
 * A copy's slot in the state array holds Gymnasium's `env.unwrapped.state` (`stateSize` numbers) followed by
 * any hidden variables (`hidden`, e.g. CartPole's `steps_beyond_terminated`).
 */
import { Rng, type RngState } from '../../common/rng.js';
import type { BoxSpace, EnvSnapshot, Space } from '../env.js';

/** Bit set in a step's flags when the episode terminated (an absorbing state: bootstrap 0). */
export const TERMINATED = 1;
/** Bit set in a step's flags when the time limit was reached (bootstrap from the final observation). */
export const TRUNCATED = 2;

export interface HiddenVariable {
  /** Key in `EnvSnapshot.extra`. */
  name: string;
  /** Value after reset. */
  initial: number;
  /** Whether the value must be an integer, and its smallest allowed value. */
  integer: boolean;
  min: number;
}

export interface EnvCore {
  readonly id: string;
  readonly observationSpace: BoxSpace;
  readonly actionSpace: Space;
  /** Length of Gymnasium's state (`getState()`). */
  readonly stateSize: number;
  /** Variables stored after the state in a slot. */
  readonly hidden: readonly HiddenVariable[];
  /** stateSize + hidden.length. */
  readonly slotSize: number;
  /** Draws the initial state of the slot at `s` from `rng` and resets its hidden variables (Gymnasium's `reset`). */
  reset(state: Float64Array, s: number, rng: Rng): void;
  /**
   * One step of the copy in slot `s`, with the (validated) action at `actions[a…]`: updates the slot, writes the
   * float32 observation to `obs[o…]` and the reward to `rewards[r]`; returns 1 if the episode terminated, else 0.
   * `rng` is the copy's generator, for stochastic dynamics. Allocates nothing.
   */
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
  ): number;
  /** Writes the observation of slot `s` to `obs[o…]`. */
  observe(state: Float64Array, s: number, obs: Float32Array, o: number): void;
  /** For a core with state outside the slot (a physics world): what a snapshot needs to restore it exactly. */
  exportWorld?(state: Float64Array, s: number): EnvSnapshot['world'];
  /**
   * Validates a snapshot's world and builds it (throws if `snapshot.world` is bad, changing nothing); the returned
   * function installs it for slot `s` once the restore has written the slot.
   */
  prepareWorld?(snapshot: EnvSnapshot): (s: number) => void;
}

/** Checks a state array in Gymnasium's layout; returns it. */
export function checkState(core: EnvCore, state: unknown, where: string): ArrayLike<number> {
  const arr = state as ArrayLike<unknown>;
  if (arr === null || typeof arr !== 'object' || arr.length !== core.stateSize) {
    throw new Error(
      `${core.id}: ${where} needs ${core.stateSize} numbers (Gymnasium's env.unwrapped.state layout), got ${
        arr === null || typeof arr !== 'object' ? String(arr) : `${arr.length}`
      }`,
    );
  }
  for (let i = 0; i < arr.length; i++) {
    if (typeof arr[i] !== 'number' || !Number.isFinite(arr[i])) {
      throw new Error(`${core.id}: ${where} state[${i}] must be a finite number, got ${String(arr[i])}`);
    }
  }
  return arr as ArrayLike<number>;
}

/** Reads one slot into an `EnvSnapshot`. */
export function snapshotSlot(core: EnvCore, state: Float64Array, s: number, elapsedSteps: number, rng: RngState): EnvSnapshot {
  const snap: EnvSnapshot = { state: Array.from(state.subarray(s, s + core.stateSize)), elapsedSteps, rng };
  const world = core.exportWorld?.(state, s);
  if (world !== undefined) snap.world = world;
  if (core.hidden.length > 0) {
    snap.extra = {};
    core.hidden.forEach((h, k) => (snap.extra![h.name] = state[s + core.stateSize + k]));
  }
  return snap;
}

/** A validated snapshot: the slot's numbers, step count and RNG state. */
export interface ParsedSnapshot {
  slot: Float64Array;
  elapsedSteps: number;
  rng: RngState;
  world?: EnvSnapshot['world'];
  /** Installs the validated world of a core that keeps one (see `EnvCore.prepareWorld`). */
  installWorld?: (s: number) => void;
}

function parseWorld(core: EnvCore, world: unknown): EnvSnapshot['world'] {
  if (world === undefined) return undefined;
  const w = world as { rng?: unknown; actions?: unknown };
  if (w === null || typeof w !== 'object' || !Array.isArray(w.actions) || !w.actions.every((v) => typeof v === 'number' && Number.isFinite(v))) {
    throw new Error(`${core.id}: snapshot.world must be {rng, actions: finite numbers}`);
  }
  if (!core.prepareWorld) throw new Error(`${core.id}: snapshot.world is not used by this env`);
  new Rng(0).setState(w.rng as RngState); // a clear error for a malformed RNG state
  return { rng: [...(w.rng as RngState)] as unknown as RngState, actions: [...(w.actions as number[])] };
}

/**
 * Validates an `EnvSnapshot` against a core without touching any env (so a bad snapshot changes nothing).
 * Hidden variables missing from `extra` take their value after reset.
 */
export function parseSnapshot(core: EnvCore, snapshot: EnvSnapshot): ParsedSnapshot {
  if (snapshot === null || typeof snapshot !== 'object') {
    throw new Error(`${core.id}: restore() needs an EnvSnapshot object, got ${String(snapshot)}`);
  }
  const state = checkState(core, snapshot.state, 'restore()');
  const { elapsedSteps } = snapshot;
  if (!Number.isInteger(elapsedSteps) || elapsedSteps < 0) {
    throw new Error(`${core.id}: snapshot.elapsedSteps must be a non-negative integer, got ${String(elapsedSteps)}`);
  }
  new Rng(0).setState(snapshot.rng); // throws a clear error for a malformed RNG state
  const slot = new Float64Array(core.slotSize);
  slot.set(state);
  core.hidden.forEach((h, k) => {
    const value = snapshot.extra?.[h.name] ?? h.initial;
    if (typeof value !== 'number' || !Number.isFinite(value) || (h.integer && !Number.isInteger(value)) || value < h.min) {
      throw new Error(
        `${core.id}: snapshot.extra.${h.name} must be ${h.integer ? 'an integer' : 'a number'} >= ${h.min}, got ${String(value)}`,
      );
    }
    slot[core.stateSize + k] = value;
  });
  const world = parseWorld(core, snapshot.world);
  const parsed: ParsedSnapshot = { slot, elapsedSteps, rng: [...snapshot.rng] as unknown as RngState };
  if (world) parsed.world = world;
  if (core.prepareWorld) parsed.installWorld = core.prepareWorld({ state: Array.from(state), elapsedSteps, rng: parsed.rng, ...(world ? { world } : {}) });
  return parsed;
}
