/**
 * The redis transport's counterPeek(): DD-PPO's collector asks "how many workers are done?" after every env step,
 * synchronously, so the answer cannot be a Redis round trip. A worker thread with its own ioredis connection GETs the
 * counter key in a loop and stores the value in shared memory; the main thread reads it with Atomics.
 *
 * Shared Int32 layout: [0] lock (0 free, 1 held)  [1] epoch  [2] value  [3] stop.
 * The main thread stores what its own counterAdd / counterGet / counterSet learnt and bumps the epoch; the watcher
 * notes the epoch before each GET and stores the reply only if the epoch is unchanged, under the lock. So a GET that
 * was in flight when the main thread learnt a newer value (e.g. rank 0's reset to 0 after an update) never
 * overwrites it: a reply's value is older than anything the main thread learnt after the GET was sent.
 * Read errors are swallowed (the value just stops moving): the main connection's own operations report a lost Redis.
 */
import { isMainThread, workerData, type Worker } from 'node:worker_threads';
import { setTimeout as sleep } from 'node:timers/promises';
import { coreModuleUrl, startWorker } from './thread.js';

const LOCK = 0;
const EPOCH = 1;
const VALUE = 2;
const STOP = 3;
const KIND = 'policylab-counter-watch';
/** Pause between two GETs: a few hundred reads a second per rank at most, a small load on Redis. */
const POLL_MS = 2;

interface WatchData {
  kind: typeof KIND;
  shared: SharedArrayBuffer;
  url: string;
  key: string;
}

function lock(h: Int32Array): void {
  while (Atomics.compareExchange(h, LOCK, 0, 1) !== 0) {
    // Held for a few instructions by the other side.
  }
}

function unlock(h: Int32Array): void {
  Atomics.store(h, LOCK, 0);
}

function moduleUrl(): URL {
  return coreModuleUrl(import.meta.url, 'collective/counter-watch');
}

export class CounterWatch {
  readonly #h: Int32Array;
  readonly #worker: Worker;
  #stopped = false;

  private constructor(shared: SharedArrayBuffer, worker: Worker) {
    this.#h = new Int32Array(shared);
    this.#worker = worker;
  }

  /** Starts the watcher thread on `key` (its value is `initial` until a read or set() says otherwise). */
  static start(url: string, key: string, initial = 0): CounterWatch {
    if (!Number.isInteger(initial)) throw new Error(`CounterWatch: initial value must be an integer, got ${initial}`);
    const shared = createWatchShared(initial);
    const data: WatchData = { kind: KIND, shared, url, key };
    const worker = startWorker(moduleUrl(), data);
    worker.unref(); // never keeps a finished process alive
    worker.on('error', () => {
      // A failed watcher leaves the last value in place; the collective's own operations report Redis failures.
    });
    return new CounterWatch(shared, worker);
  }

  /** The latest value known (Atomics.load; no I/O). */
  peek(): number {
    return Atomics.load(this.#h, VALUE);
  }

  /** Records a value the main thread learnt from Redis; drops any read that was in flight before it. */
  set(value: number): void {
    if (!Number.isInteger(value)) throw new Error(`CounterWatch: value must be an integer, got ${value}`);
    recordValue(this.#h.buffer as SharedArrayBuffer, value);
  }

  /** Stops the thread and its connection. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    stopWatch(this.#h.buffer as SharedArrayBuffer);
    await this.#worker.terminate();
  }
}

/**
 * The watcher's loop over any reader of the key (the thread passes an ioredis GET; a test passes its own):
 * reads until `shared`'s stop flag is set, keeping a reply only if no newer value was recorded while it was in flight.
 */
export async function watchLoop(shared: SharedArrayBuffer, get: () => Promise<string | null>, pollMs = POLL_MS): Promise<void> {
  const h = new Int32Array(shared);
  while (Atomics.load(h, STOP) === 0) {
    lock(h);
    const epoch = Atomics.load(h, EPOCH);
    unlock(h);
    let text: string | null | undefined;
    try {
      text = await get();
    } catch {
      text = undefined;
    }
    if (text !== undefined) {
      const v = text === null ? 0 : Number(text);
      if (Number.isInteger(v)) {
        lock(h);
        if (Atomics.load(h, EPOCH) === epoch) Atomics.store(h, VALUE, v);
        unlock(h);
      }
    }
    await sleep(text === undefined ? 100 : pollMs);
  }
}

/** The shared memory of a watch (exported for tests of the loop): [lock, epoch, value, stop]. */
export function createWatchShared(initial = 0): SharedArrayBuffer {
  const shared = new SharedArrayBuffer(4 * 4);
  Atomics.store(new Int32Array(shared), VALUE, initial);
  return shared;
}

/** Records a value the main thread learnt (bumps the epoch under the lock). */
export function recordValue(shared: SharedArrayBuffer, value: number): void {
  const h = new Int32Array(shared);
  lock(h);
  Atomics.store(h, VALUE, value);
  Atomics.add(h, EPOCH, 1);
  unlock(h);
}

export function peekValue(shared: SharedArrayBuffer): number {
  return Atomics.load(new Int32Array(shared), VALUE);
}

export function stopWatch(shared: SharedArrayBuffer): void {
  Atomics.store(new Int32Array(shared), STOP, 1);
}

/** The watcher thread: its own ioredis connection. */
async function watch(d: WatchData): Promise<void> {
  const { Redis } = await import('ioredis');
  const client = new Redis(d.url, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, connectTimeout: 10_000 });
  client.on('error', () => {
    // Retried by the loop (ioredis reconnects); the main connection reports lost Redis to the run.
  });
  try {
    await client.connect();
  } catch {
    // Reconnects on its own; reads fail until then.
  }
  await watchLoop(d.shared, () => client.get(d.key));
  client.disconnect();
}

if (!isMainThread && (workerData as Partial<WatchData> | null)?.kind === KIND) void watch(workerData as WatchData);
