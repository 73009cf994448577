/**
 * Inter-process locks for the data folder, over proper-lockfile (an atomic `mkdir` of `<file>.lock`, with its
 * mtime refreshed while held, so the lock of a process that was killed goes stale and is taken over).
 *
 * Locks are held only around short file operations (read → merge → write of db.json or one run.json), never
 * across training. Within one process, callers of the same lock queue on a promise chain first, so a process
 * never waits on its own lock file.
 */
import lockfile from 'proper-lockfile';
import { StoreError, errorMessage } from './errors.js';

/** A lock whose holder stopped refreshing it for this long is considered abandoned (killed holder). */
export const LOCK_STALE_MS = 5_000;

const chains = new Map<string, Promise<unknown>>();

/** Counts lock acquisitions and the time spent waiting for them (the bench reads it). */
export const lockStats = { acquired: 0, waitedMs: 0 };

/**
 * Runs `fn` while holding the inter-process lock for `path` (the lock is the directory `<path>.lock`;
 * `path` itself need not exist). Throws a StoreError naming the file when the lock cannot be had in ~30 s.
 */
export function withFileLock<T>(path: string, fn: () => Promise<T>): Promise<T> {
  const previous = chains.get(path) ?? Promise.resolve();
  const run = previous.then(
    () => lockedCall(path, fn),
    () => lockedCall(path, fn),
  );
  const tail = run.catch(() => undefined);
  chains.set(path, tail);
  void tail.then(() => {
    if (chains.get(path) === tail) chains.delete(path);
  });
  return run;
}

async function lockedCall<T>(path: string, fn: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(path, {
      realpath: false,
      stale: LOCK_STALE_MS,
      update: LOCK_STALE_MS / 5,
      retries: { retries: 400, factor: 1.3, minTimeout: 2, maxTimeout: 100, randomize: true },
      // A compromised lock (its directory removed or taken over after we stalled) must not crash the process:
      // the write it guarded is atomic anyway; the next locked write re-reads and merges.
      onCompromised: () => undefined,
    });
  } catch (e) {
    throw new StoreError('LOCKED', `could not lock ${path}.lock: ${errorMessage(e)}`, { cause: e });
  }
  lockStats.acquired++;
  lockStats.waitedMs += performance.now() - t0;
  try {
    return await fn();
  } finally {
    await release().catch(() => undefined);
  }
}
