/**
 * The `local` transport: worker threads of one process sharing one SharedArrayBuffer.
 * Layout (Int32 header, then worldSize float32 slots of `slotLength`):
 *   [0] counter (num_done)   [1] barrier arrivals   [2] barrier generation   [3] abort flag (1: a rank failed)
 * The barrier is a generation barrier on Atomics.wait/notify; waits wake every 50 ms to look at the abort flag, so a
 * failed rank (or the coordinator) stops every other rank instead of leaving it blocked.
 */
import { isMainThread } from 'node:worker_threads';
import { meanInRankOrder, type Collective } from './collective.js';

const HEADER_INTS = 4;
const COUNTER = 0;
const ARRIVALS = 1;
const GENERATION = 2;
const ABORT = 3;
const WAIT_SLICE_MS = 50;
/** Atomics.waitAsync (Node ≥ 16; in TypeScript's lib from es2024). */
const waitAsync = (Atomics as unknown as { waitAsync(a: Int32Array, i: number, v: number, ms: number): { async: boolean; value: Promise<string> | string } }).waitAsync;

export class CollectiveAborted extends Error {
  constructor() {
    super('collective aborted: another worker failed');
    this.name = 'CollectiveAborted';
  }
}

/** The shared memory of a local collective (created once by the coordinator, handed to every worker). */
export function createLocalShared(worldSize: number, slotLength: number): SharedArrayBuffer {
  if (!Number.isInteger(worldSize) || worldSize < 1) throw new Error(`worldSize must be a positive integer, got ${worldSize}`);
  if (!Number.isInteger(slotLength) || slotLength < 0) throw new Error(`slotLength must be a non-negative integer, got ${slotLength}`);
  return new SharedArrayBuffer(HEADER_INTS * 4 + worldSize * slotLength * 4);
}

/** Marks the collective failed and wakes every waiting rank. */
export function abortLocal(shared: SharedArrayBuffer): void {
  const h = new Int32Array(shared, 0, HEADER_INTS);
  Atomics.store(h, ABORT, 1);
  Atomics.notify(h, GENERATION);
}

export class LocalCollective implements Collective {
  readonly #header: Int32Array;
  readonly #slots: Float32Array[];
  readonly #slotLength: number;

  /**
   * Whether the Promise-based calls block the thread in Atomics.wait (a worker thread: fastest) or wait with
   * Atomics.waitAsync (the main thread, default there: its event loop keeps running — messages of the other ranks'
   * threads, timers, signals — while it waits for them).
   */
  readonly #blocking: boolean;

  constructor(
    shared: SharedArrayBuffer,
    readonly rank: number,
    readonly worldSize: number,
    options: { blocking?: boolean } = {},
  ) {
    this.#blocking = options.blocking ?? !isMainThread;
    if (!Number.isInteger(rank) || rank < 0 || rank >= worldSize) throw new Error(`rank must be an integer in [0, ${worldSize}), got ${rank}`);
    this.#slotLength = (shared.byteLength - HEADER_INTS * 4) / 4 / worldSize;
    if (!Number.isInteger(this.#slotLength)) throw new Error(`shared buffer of ${shared.byteLength} bytes does not fit worldSize ${worldSize}`);
    this.#header = new Int32Array(shared, 0, HEADER_INTS);
    this.#slots = Array.from({ length: worldSize }, (_, r) => new Float32Array(shared, HEADER_INTS * 4 + r * this.#slotLength * 4, this.#slotLength));
  }

  // Sync internals (threads block in Atomics.wait), wrapped in the Promise-based interface every transport shares.
  counterAdd(delta: number): Promise<number> {
    return attempt(() => this.counterAddSync(delta));
  }

  counterGet(): Promise<number> {
    return attempt(() => this.counterPeek());
  }

  counterSet(value: number): Promise<void> {
    return attempt(() => {
      this.#check();
      Atomics.store(this.#header, COUNTER, value);
    });
  }

  /** The shared counter itself (Atomics.load: always the current value). */
  counterPeek(): number {
    this.#check();
    return Atomics.load(this.#header, COUNTER);
  }

  allReduceMean(x: Float32Array): Promise<void> {
    if (this.#blocking) return attempt(() => this.allReduceMeanSync(x));
    return this.#allReduceMeanAsync(x);
  }

  barrier(): Promise<void> {
    if (this.#blocking) return attempt(() => this.barrierSync());
    return this.#barrierAsync();
  }

  async #allReduceMeanAsync(x: Float32Array): Promise<void> {
    this.#writeSlot(x);
    await this.#barrierAsync(); // every slot written
    this.#readMean(x);
    await this.#barrierAsync(); // every slot read before any rank writes its next vector
  }

  /** Any length up to the slot size (gradients, then a few statistics); every rank must pass the same length. */
  #writeSlot(x: Float32Array): void {
    if (x.length > this.#slotLength) throw new Error(`allReduceMean: length ${x.length} exceeds the collective's slot of ${this.#slotLength}`);
    this.#slots[this.rank].set(x);
  }

  #readMean(x: Float32Array): void {
    meanInRankOrder(
      this.#slots.map((s) => s.subarray(0, x.length)),
      x,
    );
  }

  async #barrierAsync(): Promise<void> {
    const gen = this.#arrive();
    const h = this.#header;
    while (gen !== null && Atomics.load(h, GENERATION) === gen) {
      this.#check();
      const r = waitAsync(h, GENERATION, gen, WAIT_SLICE_MS);
      if (r.async) await r.value;
    }
    this.#check();
  }

  /**
   * Counts this rank in at the barrier: the last to arrive opens it (returns null); the others get the generation
   * to wait past (the sync and async barriers differ only in how they wait).
   */
  #arrive(): number | null {
    this.#check();
    const h = this.#header;
    const gen = Atomics.load(h, GENERATION);
    if (Atomics.add(h, ARRIVALS, 1) === this.worldSize - 1) {
      Atomics.store(h, ARRIVALS, 0);
      Atomics.add(h, GENERATION, 1);
      Atomics.notify(h, GENERATION);
      return null;
    }
    return gen;
  }

  counterAddSync(delta: number): number {
    this.#check();
    return Atomics.add(this.#header, COUNTER, delta) + delta;
  }

  allReduceMeanSync(x: Float32Array): void {
    this.#writeSlot(x);
    this.barrierSync(); // every slot written
    this.#readMean(x);
    this.barrierSync(); // every slot read before any rank writes its next vector
  }

  barrierSync(): void {
    const gen = this.#arrive();
    const h = this.#header;
    while (gen !== null && Atomics.load(h, GENERATION) === gen) {
      this.#check();
      Atomics.wait(h, GENERATION, gen, WAIT_SLICE_MS);
    }
    this.#check();
  }


  #check(): void {
    if (Atomics.load(this.#header, ABORT) !== 0) throw new CollectiveAborted();
  }
}

/** A sync call as a Promise (its throw a rejection, never a synchronous throw from an async-looking method). */
function attempt<T>(fn: () => T): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (e) {
    return Promise.reject(e instanceof Error ? e : new Error(String(e)));
  }
}
