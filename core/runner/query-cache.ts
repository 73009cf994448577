/**
 * A small LRU of downsampled metric series, so reopening a compare view of finished runs does not re-read and
 * re-bucket every series (20 runs × 100k points is ~100 ms of reading and bucketing per visit). An entry is
 * valid only while the run's metrics file is the very file it was computed from (same inode, size and mtime):
 * a live run's growing file, or one rewritten by a resume, always misses.
 */
import { stat } from 'node:fs/promises';

/** Most entries kept, and the largest value (in points) worth keeping. */
const MAX_ENTRIES = 512;
const MAX_POINTS = 20_000;

export class QueryCache<T extends { points: number }> {
  readonly #entries = new Map<string, { signature: string; value: T }>();
  hits = 0;
  misses = 0;

  /** Identity of a file's current contents (null when it does not exist). */
  static async signature(path: string): Promise<string | null> {
    try {
      const s = await stat(path, { bigint: true });
      return `${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}`;
    } catch {
      return null;
    }
  }

  /** The value stored under `key` if it was computed from a file with `signature`. */
  get(key: string, signature: string | null): T | undefined {
    const hit = signature === null ? undefined : this.#entries.get(key);
    if (!hit || hit.signature !== signature) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    // Re-insert: Map order is the LRU order.
    this.#entries.delete(key);
    this.#entries.set(key, hit);
    return hit.value;
  }

  set(key: string, signature: string | null, value: T): void {
    if (signature === null || value.points > MAX_POINTS) return;
    this.#entries.delete(key);
    this.#entries.set(key, { signature, value });
    while (this.#entries.size > MAX_ENTRIES) this.#entries.delete(this.#entries.keys().next().value!);
  }

  /** Forgets every entry whose key starts with `prefix` (a deleted run's). */
  forget(prefix: string): void {
    for (const key of this.#entries.keys()) if (key.startsWith(prefix)) this.#entries.delete(key);
  }
}
