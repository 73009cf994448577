/**
 * A cache of results derived from a run's files (the integrity scan, runs-table rows), kept in memory and, when it
 * has a path, in one JSON file of the data folder, so a restarted app does not recompute what the files still hold.
 * An entry is used only while its signature (the source files' identity: device, inode, size, mtime) matches.
 * The file is written atomically, carries its own checksum and a version, and every entry is checked by the caller's
 * `isValue` when read: a file that does not parse, has another version, fails its checksum or holds a malformed
 * entry is ignored (`problem` says why) and replaced on the next write. A cache never holds the only copy of anything:
 * losing it costs a recomputation.
 */
import { readFile } from 'node:fs/promises';
import { checksummer, selfVerdict, withSelfChecksum } from './checksum.js';
import { errorMessage, isNodeError } from './errors.js';
import { writeFileAtomic } from './fs-utils.js';

export interface PersistedCacheOptions<T> {
  /** The file's format version: a file of another version is ignored. */
  version: number;
  /** Whether a value read from the file has the right shape (a malformed one makes the whole file ignored). */
  isValue: (value: unknown) => value is T;
  /** Most entries kept (oldest use dropped first). */
  maxEntries?: number;
  /** How long after a change the file is written (changes in between are written together). */
  writeDelayMs?: number;
}

interface Entry<T> {
  signature: string;
  value: T;
}

export class PersistedCache<T> {
  readonly #entries = new Map<string, Entry<T>>();
  readonly #path: string | null;
  readonly #version: number;
  readonly #maxEntries: number;
  readonly #writeDelayMs: number;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #writing: Promise<void> = Promise.resolve();
  #dirty = false;
  /** What was wrong with the file when it was read (null: it was sound, or there was none). */
  problem: string | null = null;

  private constructor(path: string | null, options: PersistedCacheOptions<T>) {
    this.#path = path;
    this.#version = options.version;
    this.#maxEntries = options.maxEntries ?? 10_000;
    this.#writeDelayMs = options.writeDelayMs ?? 1_000;
  }

  /** A cache kept in memory only. */
  static inMemory<T>(options: PersistedCacheOptions<T>): PersistedCache<T> {
    return new PersistedCache<T>(null, options);
  }

  /** The cache stored at `path` (empty when the file is missing or unusable). */
  static async open<T>(path: string, options: PersistedCacheOptions<T>): Promise<PersistedCache<T>> {
    const cache = new PersistedCache<T>(path, options);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (e) {
      if (!(isNodeError(e) && e.code === 'ENOENT')) cache.problem = `cannot be read (${errorMessage(e)})`;
      return cache;
    }
    cache.problem = await cache.#load(text, options.isValue);
    if (cache.problem) cache.#entries.clear();
    return cache;
  }

  async #load(text: string, isValue: (value: unknown) => value is T): Promise<string | null> {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return 'not valid JSON';
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return 'not a JSON object';
    const file = parsed as { version?: unknown; entries?: unknown };
    if (file.version !== this.#version) return `version ${String(file.version)}, not ${this.#version}`;
    if (selfVerdict(await checksummer(), parsed as Record<string, unknown>) !== 'ok') return 'checksum missing or mismatched';
    if (!Array.isArray(file.entries)) return 'no entries list';
    for (const e of file.entries as unknown[]) {
      const [key, signature, value] = Array.isArray(e) ? (e as unknown[]) : [];
      if (typeof key !== 'string' || typeof signature !== 'string' || !isValue(value)) return 'an entry has the wrong shape';
      this.#entries.set(key, { signature, value });
    }
    return null;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The value stored under `key` if it was computed from files with `signature`. */
  get(key: string, signature: string): T | undefined {
    const hit = this.#entries.get(key);
    return hit && hit.signature === signature ? hit.value : undefined;
  }

  /** The entry under `key` whatever its signature (for incremental updates: the caller checks what still holds). */
  peek(key: string): Entry<T> | undefined {
    return this.#entries.get(key);
  }

  set(key: string, signature: string, value: T): void {
    const old = this.#entries.get(key);
    if (old && old.signature === signature && old.value === value) return;
    this.#entries.delete(key);
    this.#entries.set(key, { signature, value });
    while (this.#entries.size > this.#maxEntries) this.#entries.delete(this.#entries.keys().next().value!);
    this.#changed();
  }

  delete(key: string): void {
    if (this.#entries.delete(key)) this.#changed();
  }

  /** Drops every entry whose key `keep` rejects (runs that no longer exist). */
  retain(keep: (key: string) => boolean): void {
    let changed = false;
    for (const key of [...this.#entries.keys()]) {
      if (!keep(key)) {
        this.#entries.delete(key);
        changed = true;
      }
    }
    if (changed) this.#changed();
  }

  #changed(): void {
    if (!this.#path) return;
    this.#dirty = true;
    if (this.#timer) return;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      void this.flush().catch(() => undefined); // a failed write only costs a recomputation after a restart
    }, this.#writeDelayMs);
    this.#timer.unref?.();
  }

  /** Writes pending changes now (atomically: readers see the old file or the new one). */
  async flush(): Promise<void> {
    if (this.#timer) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
    const path = this.#path;
    if (!path) return;
    this.#writing = this.#writing
      .catch(() => undefined)
      .then(async () => {
        if (!this.#dirty) return;
        this.#dirty = false;
        const entries = [...this.#entries].map(([key, e]) => [key, e.signature, e.value]);
        try {
          await writeFileAtomic(path, withSelfChecksum(await checksummer(), { version: this.#version, entries }));
        } catch (e) {
          this.#dirty = true;
          throw e;
        }
      });
    return this.#writing;
  }
}
