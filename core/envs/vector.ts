/**
 * N copies of one env stepped together over flat, reused typed-array buffers (nothing is allocated per step).
 *
 * Autoreset is "same-step" (Gymnasium ≥ 1.0 `AutoresetMode.SAME_STEP`, Stable-Baselines3's VecEnv): when copy i
 * terminates or is truncated, `finalObs` row i keeps the observation that ended the episode (to bootstrap a
 * truncated episode from V(final obs)), and `obs` row i already holds the first observation of the next one.
 * `rewards`, `terminated` and `truncated` describe the step just taken. Rows of `finalObs` where neither flag
 * is set hold stale data.
 *
 * Copy i owns an `Rng` seeded `seed + i`, so a vector env is reproducible from its seed. Every copy runs the
 * registered env's `EnvCore` — the same code as `makeEnv(id)` — on its slot of one Float64Array, so copy i
 * steps exactly like a single env seeded `seed + i` that is reset whenever its episode ends.
 */
import { Rng } from '../common/rng.js';
import type { BoxSpace, EnvSnapshot, Space } from './env.js';
import { checkMaxEpisodeSteps } from './classic/base.js';
import { parseSnapshot, snapshotSlot, type EnvCore } from './classic/core.js';
import { envSpec, makeEnvCore, type EnvId } from './registry.js';
import { discreteActionMessage } from './spaces.js';

/** One copy's snapshot plus the vector env's running statistics for its current episode. */
export interface VectorEnvCopySnapshot extends EnvSnapshot {
  /** Undiscounted return of the unfinished episode so far. */
  episodeReturn?: number;
  /** Steps of the unfinished episode so far. */
  episodeLength?: number;
}

export interface EpisodeStats {
  returns: number[];
  lengths: number[];
}

export class VectorEnv {
  readonly id: EnvId;
  readonly numEnvs: number;
  readonly obsDim: number;
  /** Numbers per action in the flat action buffer: 1 for Discrete, the Box size otherwise. */
  readonly actDim: number;
  readonly observationSpace: BoxSpace;
  readonly actionSpace: Space;
  readonly maxEpisodeSteps: number;
  /** [numEnvs × obsDim] current observations (already reset where an episode just ended). */
  readonly obs: Float32Array;
  /** [numEnvs × obsDim] the observation that ended the episode, valid where terminated | truncated. */
  readonly finalObs: Float32Array;
  /** [numEnvs] rewards of the last step. */
  readonly rewards: Float32Array;
  /** [numEnvs] 1 where the last step terminated the episode. */
  readonly terminated: Uint8Array;
  /** [numEnvs] 1 where the last step hit the time limit. */
  readonly truncated: Uint8Array;

  readonly #core: EnvCore;
  /** Number of discrete actions, or 0 for a Box action space. */
  readonly #discreteN: number;
  readonly #seed: number;
  readonly #slotSize: number;
  /** Every copy's slot (Gymnasium state + hidden variables), copy i at i × slotSize. */
  readonly #state: Float64Array;
  readonly #rngs: Rng[];
  /** Steps since each copy's reset (the time limit's counter). */
  readonly #elapsed: Int32Array;
  /** Float64 rewards of the last step (the public buffer is float32). */
  readonly #rewards64: Float64Array;
  /** Float64 running return and length of each copy's unfinished episode. */
  readonly #episodeReturn: Float64Array;
  readonly #episodeLength: Int32Array;
  #doneReturns: number[] = [];
  #doneLengths: number[] = [];
  #ready = false;

  /** @param maxEpisodeSteps overrides the registered time limit (as `makeEnv`'s option does). */
  constructor(id: EnvId, numEnvs: number, seed: number, options: { maxEpisodeSteps?: number } = {}) {
    if (!Number.isInteger(numEnvs) || numEnvs < 1) {
      throw new Error(`VectorEnv: numEnvs must be a positive integer, got ${numEnvs}`);
    }
    if (!Number.isInteger(seed)) throw new Error(`VectorEnv: seed must be an integer, got ${seed}`);
    const spec = envSpec(id);
    this.#core = makeEnvCore(id);
    this.id = id;
    this.numEnvs = numEnvs;
    this.#seed = seed;
    this.obsDim = spec.obsDim;
    this.actDim = spec.actDim;
    this.observationSpace = spec.observationSpace;
    this.actionSpace = spec.actionSpace;
    this.#discreteN = spec.actionSpace.kind === 'discrete' ? spec.actionSpace.n : 0;
    this.maxEpisodeSteps = checkMaxEpisodeSteps(id, options.maxEpisodeSteps ?? spec.maxEpisodeSteps);
    this.obs = new Float32Array(numEnvs * this.obsDim);
    this.finalObs = new Float32Array(numEnvs * this.obsDim);
    this.rewards = new Float32Array(numEnvs);
    this.terminated = new Uint8Array(numEnvs);
    this.truncated = new Uint8Array(numEnvs);
    this.#slotSize = this.#core.slotSize;
    this.#state = new Float64Array(numEnvs * this.#slotSize);
    this.#rngs = Array.from({ length: numEnvs }, (_, i) => new Rng(seed + i));
    this.#elapsed = new Int32Array(numEnvs);
    this.#rewards64 = new Float64Array(numEnvs);
    this.#episodeReturn = new Float64Array(numEnvs);
    this.#episodeLength = new Int32Array(numEnvs);
  }

  /** The seed copy 0 was created with (copy i uses seed + i). */
  get seed(): number {
    return this.#seed;
  }

  /**
   * Resets every copy and returns `obs`. With a seed, copy i is reseeded with `seed + i`; without one each
   * copy's Rng stream continues (the first reset after construction uses the constructor's seed).
   * Unfinished episodes are discarded from the statistics.
   */
  reset(seed?: number): Float32Array {
    if (seed !== undefined && !Number.isInteger(seed)) throw new Error(`VectorEnv.reset: seed must be an integer, got ${seed}`);
    for (let i = 0; i < this.numEnvs; i++) {
      if (seed !== undefined) this.#rngs[i].seed(seed + i);
      this.#core.reset(this.#state, i * this.#slotSize, this.#rngs[i]);
      this.#core.observe(this.#state, i * this.#slotSize, this.obs, i * this.obsDim);
    }
    this.#elapsed.fill(0);
    this.rewards.fill(0);
    this.terminated.fill(0);
    this.truncated.fill(0);
    this.#episodeReturn.fill(0);
    this.#episodeLength.fill(0);
    this.#ready = true;
    return this.obs;
  }

  /**
   * Steps every copy. Discrete: one integer per copy (Int32Array, or integral Float32Array values);
   * Box: `actDim` floats per copy, row-major (values outside the bounds are clipped by the env, as in Gymnasium).
   * Every action is validated before any copy moves, so a bad batch leaves the vector env untouched.
   */
  step(actions: Int32Array | Float32Array): void {
    if (!this.#ready) throw new Error(`VectorEnv(${this.id}): call reset() before step()`);
    const n = this.numEnvs;
    const actDim = this.actDim;
    const nActions = this.#discreteN;
    if (!(actions instanceof Int32Array || actions instanceof Float32Array) || actions.length !== n * actDim) this.#badBatch(actions);
    // Validate every action before any copy moves (a tight loop; messages are built only on failure).
    for (let i = 0; i < actions.length; i++) {
      const a = actions[i];
      if (nActions > 0 ? !(a >= 0 && a < nActions && (a | 0) === a) : a - a !== 0) throw this.#badAction(i, a);
    }
    const core = this.#core;
    const state = this.#state;
    const slot = this.#slotSize;
    const rngs = this.#rngs;
    const obs = this.obs;
    const finalObs = this.finalObs;
    const obsDim = this.obsDim;
    const rewards = this.rewards;
    const rewards64 = this.#rewards64;
    const terminated = this.terminated;
    const truncated = this.truncated;
    const elapsed = this.#elapsed;
    const maxSteps = this.maxEpisodeSteps;
    const epReturn = this.#episodeReturn;
    const epLength = this.#episodeLength;
    for (let i = 0; i < n; i++) {
      const s = i * slot;
      const o = i * obsDim;
      const term = core.step(state, s, actions, i * actDim, obs, o, rewards64, i, rngs[i]);
      const reward = rewards64[i];
      rewards[i] = reward;
      epReturn[i] += reward;
      epLength[i] += 1;
      const trunc = ++elapsed[i] >= maxSteps ? 1 : 0;
      terminated[i] = term;
      truncated[i] = trunc;
      if ((term | trunc) !== 0) {
        for (let k = 0; k < obsDim; k++) finalObs[o + k] = obs[o + k];
        this.#doneReturns.push(epReturn[i]);
        this.#doneLengths.push(epLength[i]);
        epReturn[i] = 0;
        epLength[i] = 0;
        elapsed[i] = 0;
        core.reset(state, s, rngs[i]);
        core.observe(state, s, obs, o);
      }
    }
  }

  /** Returns and lengths of the episodes completed since the last drain (oldest first), and forgets them. */
  drainEpisodes(): EpisodeStats {
    const stats = { returns: this.#doneReturns, lengths: this.#doneLengths };
    this.#doneReturns = [];
    this.#doneLengths = [];
    return stats;
  }

  /** Physics states of every copy (Gymnasium's `env.unwrapped.state` layout). */
  getStates(): number[][] {
    const size = this.#core.stateSize;
    return Array.from({ length: this.numEnvs }, (_, i) =>
      Array.from(this.#state.subarray(i * this.#slotSize, i * this.#slotSize + size)),
    );
  }

  /** Every copy's snapshot, with the running return/length of its unfinished episode. JSON-serialisable. */
  snapshot(): VectorEnvCopySnapshot[] {
    if (!this.#ready) throw new Error(`VectorEnv(${this.id}): call reset() before snapshot()`);
    return Array.from({ length: this.numEnvs }, (_, i) => ({
      ...snapshotSlot(this.#core, this.#state, i * this.#slotSize, this.#elapsed[i], this.#rngs[i].getState()),
      episodeReturn: this.#episodeReturn[i],
      episodeLength: this.#episodeLength[i],
    }));
  }

  /**
   * Restores every copy from `snapshot()` output (or plain `EnvSnapshot`s, whose episode statistics start at 0)
   * and recomputes `obs`. Step flags and rewards are cleared; completed episodes not yet drained are kept.
   * Everything is validated first, so a bad snapshot leaves the vector env untouched.
   */
  restore(snapshots: readonly (EnvSnapshot | VectorEnvCopySnapshot)[]): void {
    const where = `VectorEnv(${this.id}).restore`;
    if (!Array.isArray(snapshots) || snapshots.length !== this.numEnvs) {
      throw new Error(`${where}: needs ${this.numEnvs} snapshots, got ${Array.isArray(snapshots) ? snapshots.length : String(snapshots)}`);
    }
    const parsed = snapshots.map((snap: VectorEnvCopySnapshot, i) => {
      const ret = snap?.episodeReturn ?? 0;
      const len = snap?.episodeLength ?? 0;
      if (!Number.isFinite(ret) || !Number.isInteger(len) || len < 0) {
        throw new Error(`${where}: snapshot ${i} has a bad episodeReturn/episodeLength (${ret}, ${len})`);
      }
      try {
        return { ...parseSnapshot(this.#core, snap), ret, len };
      } catch (error) {
        throw new Error(`${where}: snapshot ${i}: ${(error as Error).message}`, { cause: error });
      }
    });
    parsed.forEach((p, i) => {
      this.#state.set(p.slot, i * this.#slotSize);
      p.installWorld?.(i * this.#slotSize);
      this.#elapsed[i] = p.elapsedSteps;
      this.#rngs[i].setState(p.rng);
      this.#episodeReturn[i] = p.ret;
      this.#episodeLength[i] = p.len;
      this.#core.observe(this.#state, i * this.#slotSize, this.obs, i * this.obsDim);
    });
    this.rewards.fill(0);
    this.terminated.fill(0);
    this.truncated.fill(0);
    this.#ready = true;
  }

  #badBatch(actions: unknown): never {
    const expected = this.numEnvs * this.actDim;
    const got = ArrayBuffer.isView(actions) ? `${actions.constructor.name} of length ${(actions as Int32Array).length}` : typeof actions;
    throw new Error(
      `VectorEnv(${this.id}).step: actions must be an Int32Array or Float32Array of length ${expected} (numEnvs ${this.numEnvs} × ${this.actDim}), got ${got}`,
    );
  }

  #badAction(index: number, value: number): Error {
    const where = `VectorEnv(${this.id}).step`;
    if (this.#discreteN > 0) return new Error(`${where}: env ${index}: ${discreteActionMessage(this.id, this.#discreteN, value)}`);
    const env = Math.floor(index / this.actDim);
    return new Error(`${where}: env ${env}: action[${index - env * this.actDim}] must be a finite number, got ${value}`);
  }
}
