/**
 * Checksums of the store's binary and derived files (checkpoint arrays and weights, metrics.idx/ columns and
 * overviews, and the JSON manifests that name them), from hash-wasm (a maintained WebAssembly build).
 *
 * xxhash64, not CRC32C: measured on a 1 MB Float32Array (Node 20, this project's 2-core machine; test/bench/store.ts
 * prints it again) hash-wasm's xxhash64 runs at ~10 GB/s and its crc32c at ~2 GB/s, so xxhash64 costs a fifth as
 * much per byte verified. Values are stored as `xxh64:<16 hex digits>`, so a reader can tell a checksum of an
 * algorithm it does not know (unverified) from one that does not match (damaged).
 *
 * After the one asynchronous start-up (`checksummer()`), hashing is synchronous: no other code runs between an
 * `init` and its `digest`, so one hasher serves the whole process.
 */
import { createXXHash64, type IHasher } from 'hash-wasm';
import { StoreError } from './errors.js';

export const CHECKSUM_PREFIX = 'xxh64:';

/** What comparing a stored checksum with the data gives. */
export type ChecksumVerdict = 'ok' | 'mismatch' | 'unverified';

/** A running checksum's state (a hash-wasm `save()`), extended as an append-only file grows. */
export type ChecksumState = Uint8Array;

export interface Checksummer {
  /** The checksum of `pieces` concatenated. */
  of(...pieces: Uint8Array[]): string;
  /** The state of an empty running checksum. */
  start(): ChecksumState;
  /** `state` extended by `bytes` (a new state; the old one stays valid). */
  extend(state: ChecksumState, bytes: Uint8Array): ChecksumState;
  /** The checksum of everything a running state has seen. */
  digest(state: ChecksumState): string;
}

let shared: Promise<Checksummer> | null = null;

/** The process's checksummer (the WebAssembly module is compiled on the first call). */
export function checksummer(): Promise<Checksummer> {
  shared ??= createXXHash64().then(wrap, (e: unknown) => {
    shared = null;
    throw e;
  });
  return shared;
}

function wrap(h: IHasher): Checksummer {
  return {
    of(...pieces) {
      h.init();
      for (const p of pieces) h.update(p);
      return CHECKSUM_PREFIX + h.digest('hex');
    },
    start() {
      h.init();
      return h.save();
    },
    extend(state, bytes) {
      h.load(state);
      h.update(bytes);
      return h.save();
    },
    digest(state) {
      h.load(state);
      return CHECKSUM_PREFIX + h.digest('hex');
    },
  };
}

/** Compares a stored checksum with the one computed: no stored value, or one of another algorithm, is unverified. */
export function verdict(stored: unknown, actual: string): ChecksumVerdict {
  if (typeof stored !== 'string' || !stored.startsWith(CHECKSUM_PREFIX)) return 'unverified';
  return stored === actual ? 'ok' : 'mismatch';
}

export function isChecksum(x: unknown): x is string {
  return typeof x === 'string' && /^[a-z0-9]+:[0-9a-f]{1,64}$/.test(x);
}

/**
 * A JSON manifest that carries its own checksum in `checksum`: the checksum of the compact JSON of every other
 * field (re-serialising a parsed JSON.stringify output gives the same text, so the reader can recompute it).
 */
export function withSelfChecksum(sum: Checksummer, value: Record<string, unknown>, indent?: number): string {
  const { checksum: _old, ...rest } = value;
  const checksum = sum.of(Buffer.from(JSON.stringify(rest), 'utf8'));
  return JSON.stringify({ ...rest, checksum }, null, indent);
}

/** Checks the self-checksum of a parsed manifest written by `withSelfChecksum` (none: unverified). */
export function selfVerdict(sum: Checksummer, parsed: Record<string, unknown>): ChecksumVerdict {
  const { checksum, ...rest } = parsed;
  if (checksum === undefined) return 'unverified';
  return verdict(checksum, sum.of(Buffer.from(JSON.stringify(rest), 'utf8')));
}

/**
 * A store file that failed its check: unreadable, unparsable, the wrong length, or its checksum does not match.
 * `file` is its full path and `reason` what was wrong; the message says both.
 */
export class DamagedFileError extends StoreError {
  constructor(
    readonly file: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super('CORRUPT', `${file} is damaged: ${reason}`, options);
  }
}

/** The reason for a checksum mismatch, worded once. */
export const MISMATCH = 'checksum mismatch (its bytes changed after they were written)';
