/**
 * What the integrity scan (integrity.ts) found per run folder, kept across restarts in the data folder's
 * `integrity-cache.json` (a PersistedCache): with 20 runs of 1M records the scan reads 1.6 GB of metrics.jsonl and
 * parses every line (25–40 s on a 2-core machine) and re-hashes every metrics.idx/ column, which every app start
 * repeated behind `system:info`. Each entry is valid only while the files it describes are the very files it was
 * computed from (device, inode, size and mtime), so any write — an append, a resume's rewrite, a damaged byte
 * written through the filesystem — makes it miss and the folder is checked again. A metrics.jsonl that only grew
 * (same inode, every byte before the old end unchanged, checked against their stored checksum) is parsed from where
 * the last scan ended.
 */
import { join } from 'node:path';
import type { IndexProblem, IndexStatus } from './metric-index.js';
import { PersistedCache } from './persisted-cache.js';

export const INTEGRITY_CACHE_FILE = 'integrity-cache.json';
const VERSION = 1;

/** The line scan of one metrics.jsonl, up to `end` (the offset after its last newline when it was scanned). */
export interface CachedLineScan {
  kind: 'lines';
  /** `dev:ino` of the file scanned (an incremental scan needs the same file). */
  file: string;
  end: number;
  /** Lines before `end`. */
  lines: number;
  /** Checksum of bytes [0, end): an incremental scan first checks they are unchanged. */
  guard: string;
  badLines: { line: number; reason: string }[];
  badLineCount: number;
  tornTailBytes: number;
}

/** verifyMetricIndex's verdict on one metrics.idx/. */
export interface CachedIndexCheck {
  kind: 'index';
  status: IndexStatus;
  problems: IndexProblem[];
}

export type IntegrityCacheValue = CachedLineScan | CachedIndexCheck;
export type IntegrityCache = PersistedCache<IntegrityCacheValue>;

const isCount = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
const isProblem = (p: unknown): p is IndexProblem =>
  typeof p === 'object' && p !== null && typeof (p as IndexProblem).file === 'string' && typeof (p as IndexProblem).reason === 'string';

function isValue(v: unknown): v is IntegrityCacheValue {
  if (typeof v !== 'object' || v === null) return false;
  const x = v as Partial<CachedLineScan> & Partial<CachedIndexCheck>;
  if (x.kind === 'index') {
    return (['ok', 'unverified', 'missing', 'damaged'] as unknown[]).includes(x.status) && Array.isArray(x.problems) && x.problems.every(isProblem);
  }
  return (
    x.kind === 'lines' && typeof x.file === 'string' && isCount(x.end) && isCount(x.lines) && typeof x.guard === 'string' &&
    isCount(x.badLineCount) && isCount(x.tornTailBytes) && Array.isArray(x.badLines) &&
    x.badLines.every((l) => typeof l === 'object' && l !== null && isCount(l.line) && typeof l.reason === 'string')
  );
}

const OPTIONS = { version: VERSION, isValue };

/** The data folder's integrity cache (empty when its file is missing or unusable; see PersistedCache). */
export function openIntegrityCache(home: string): Promise<IntegrityCache> {
  return PersistedCache.open(join(home, INTEGRITY_CACHE_FILE), OPTIONS);
}

/** The cache used when the caller has none (in memory, as many folders as a session checks). */
export const processIntegrityCache: IntegrityCache = PersistedCache.inMemory({ ...OPTIONS, maxEntries: 512 });

export const lineScanKey = (runDir: string) => `lines\u0000${runDir}`;
export const indexCheckKey = (runDir: string) => `index\u0000${runDir}`;
