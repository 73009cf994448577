/**
 * N copies of a differentiable env, stepped together, with the bookkeeping of core/envs/vector.ts: copy i owns an
 * `Rng` seeded `seed + i` (so copy i starts exactly where `VectorEnv` copy i and `makeEnv(id)` seeded `seed + i`
 * start), a step counter for the time limit, and the running return of its episode; same-step autoreset.
 *
 * After `step(actions)`: `next` holds every copy's state after the step (the state that ENDED the episode where one
 * ended: a truncated copy bootstraps from it), `states` the state to act on next (already reset where an episode
 * ended), `rewards`/`terminated`/`truncated`/`reset` describe the step. The caller differentiates through `next`,
 * never through a reset (a fresh state does not depend on the policy).
 */
import { Rng, type RngState } from '../../common/rng.js';
import type { DiffEnv } from './diff-env.js';

export interface DiffEnvCopySnapshot {
  state: number[];
  elapsedSteps: number;
  rng: RngState;
  episodeReturn: number;
  episodeLength: number;
}

export class DiffVectorEnv {
  readonly numEnvs: number;
  readonly stateSize: number;
  /** [numEnvs × stateSize] the states to act on. */
  readonly states: Float64Array;
  /** [numEnvs × stateSize] the states the last step produced, before any reset. */
  readonly next: Float64Array;
  readonly rewards: Float64Array;
  readonly terminated: Uint8Array;
  readonly truncated: Uint8Array;
  /** 1 where the copy was reset after the last step (terminated | truncated). */
  readonly reset: Uint8Array;
  readonly #rngs: Rng[];
  readonly #elapsed: Int32Array;
  readonly #episodeReturn: Float64Array;
  readonly #episodeLength: Int32Array;
  #doneReturns: number[] = [];
  #doneLengths: number[] = [];

  constructor(
    readonly env: DiffEnv,
    numEnvs: number,
    seed: number,
    readonly maxEpisodeSteps = env.maxEpisodeSteps,
  ) {
    if (!Number.isInteger(numEnvs) || numEnvs < 1) throw new Error(`DiffVectorEnv(${env.id}): numEnvs must be a positive integer, got ${numEnvs}`);
    if (!Number.isInteger(seed)) throw new Error(`DiffVectorEnv(${env.id}): seed must be an integer, got ${seed}`);
    if (!Number.isInteger(maxEpisodeSteps) || maxEpisodeSteps < 1) {
      throw new Error(`DiffVectorEnv(${env.id}): maxEpisodeSteps must be a positive integer, got ${maxEpisodeSteps}`);
    }
    this.numEnvs = numEnvs;
    this.stateSize = env.stateSize;
    this.states = new Float64Array(numEnvs * env.stateSize);
    this.next = new Float64Array(numEnvs * env.stateSize);
    this.rewards = new Float64Array(numEnvs);
    this.terminated = new Uint8Array(numEnvs);
    this.truncated = new Uint8Array(numEnvs);
    this.reset = new Uint8Array(numEnvs);
    this.#rngs = Array.from({ length: numEnvs }, (_, i) => new Rng(seed + i));
    this.#elapsed = new Int32Array(numEnvs);
    this.#episodeReturn = new Float64Array(numEnvs);
    this.#episodeLength = new Int32Array(numEnvs);
  }

  /** Resets every copy (re-seeding copy i with seed + i when a seed is given). */
  resetAll(seed?: number): void {
    for (let i = 0; i < this.numEnvs; i++) {
      if (seed !== undefined) this.#rngs[i].seed(seed + i);
      this.#resetCopy(i);
    }
  }

  #resetCopy(i: number): void {
    this.env.reset(this.states, i * this.stateSize, this.#rngs[i]);
    this.#elapsed[i] = 0;
    this.#episodeReturn[i] = 0;
    this.#episodeLength[i] = 0;
  }

  /** Steps every copy with `actions` ([numEnvs × actDim], env units). Returns whether any episode ended. */
  step(actions: ArrayLike<number>): boolean {
    const n = this.numEnvs;
    this.env.step(this.states, actions, n, this.next, this.rewards, this.terminated);
    this.states.set(this.next);
    let anyDone = false;
    for (let i = 0; i < n; i++) {
      this.#elapsed[i]++;
      this.#episodeReturn[i] += this.rewards[i];
      this.#episodeLength[i]++;
      const truncated = this.#elapsed[i] >= this.maxEpisodeSteps ? 1 : 0;
      this.truncated[i] = truncated;
      const done = this.terminated[i] | truncated;
      this.reset[i] = done;
      if (!done) continue;
      anyDone = true;
      this.#doneReturns.push(this.#episodeReturn[i]);
      this.#doneLengths.push(this.#episodeLength[i]);
      this.#resetCopy(i);
    }
    return anyDone;
  }

  /** Returns and lengths of the episodes finished since the last drain (in the order they finished), forgotten after. */
  drainEpisodes(): { returns: number[]; lengths: number[] } {
    const out = { returns: this.#doneReturns, lengths: this.#doneLengths };
    this.#doneReturns = [];
    this.#doneLengths = [];
    return out;
  }

  snapshot(): DiffEnvCopySnapshot[] {
    const S = this.stateSize;
    return Array.from({ length: this.numEnvs }, (_, i) => ({
      state: Array.from(this.states.subarray(i * S, (i + 1) * S)),
      elapsedSteps: this.#elapsed[i],
      rng: this.#rngs[i].getState(),
      episodeReturn: this.#episodeReturn[i],
      episodeLength: this.#episodeLength[i],
    }));
  }

  /** Restores `snapshot()` output; validates everything first, so a bad snapshot changes nothing. */
  restore(snapshots: readonly DiffEnvCopySnapshot[]): void {
    const where = `DiffVectorEnv(${this.env.id}).restore`;
    const S = this.stateSize;
    if (!Array.isArray(snapshots) || snapshots.length !== this.numEnvs) {
      throw new Error(`${where}: needs ${this.numEnvs} snapshots, got ${Array.isArray(snapshots) ? snapshots.length : String(snapshots)}`);
    }
    snapshots.forEach((s, i) => {
      if (!Array.isArray(s?.state) || s.state.length !== S || !s.state.every(Number.isFinite)) {
        throw new Error(`${where}: snapshot ${i} needs a state of ${S} finite numbers`);
      }
      if (!Number.isInteger(s.elapsedSteps) || s.elapsedSteps < 0 || !Number.isInteger(s.episodeLength) || !Number.isFinite(s.episodeReturn)) {
        throw new Error(`${where}: snapshot ${i} has bad counters (elapsedSteps ${s.elapsedSteps}, episode ${s.episodeReturn}/${s.episodeLength})`);
      }
      new Rng().setState(s.rng); // validates
    });
    snapshots.forEach((s, i) => {
      this.states.set(s.state, i * S);
      this.#elapsed[i] = s.elapsedSteps;
      this.#rngs[i].setState(s.rng);
      this.#episodeReturn[i] = s.episodeReturn;
      this.#episodeLength[i] = s.episodeLength;
    });
  }
}
