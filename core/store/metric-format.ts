/**
 * The metric stream format, shared by writer and reader.
 *
 * runs/<id>/metrics.jsonl — the truth. One JSON object per logged step and newline:
 *   {"step":2048,"wallTime":1712345678.123,"rollout/episodeReturn":21.5,"train/policyLoss":-0.012}
 * `step` is the environment step, `wallTime` seconds since the Unix epoch, every other key a finite
 * number. Lines are only ever appended whole; a line torn by a killed process is skipped on read.
 *
 * runs/<id>/metrics.idx/ — a column sidecar that makes reads fast (parsing 1M JSON lines takes
 * ~0.7 s; reading a column takes ~15 ms): `<n>.f64` holds one key's points as little-endian float64
 * triples (step, wallTime, value), and `index.json` says how many points of each column and how many
 * bytes of metrics.jsonl they cover. The index is written after the data it describes, so after a
 * crash it is stale but true: readers take the indexed points from the columns and parse only the
 * jsonl bytes after `jsonlBytes`. A missing or inconsistent sidecar is rebuilt from the jsonl.
 *
 * metrics.idx/overviews-<jsonlBytes>.f64 — written when the writer closes: each key downsampled (downsample.ts) to every
 * size in OVERVIEW_POINTS smaller than its point count, as float64 sextuples (step, wallTime, value, min, max,
 * count). `index.overviews` locates them and names the jsonl size they were computed from; any later append
 * rewrites the index without them, so a reader uses them only while they describe the whole file.
 *
 * Checksums (checksum.ts, xxhash64): each column entry of the index carries the checksum of its first `count` points,
 * each overview entry the checksum of its points, and index.json its own (`checksum`, of its other fields). Readers
 * verify what they read and never chart a mismatch: a damaged index, column or overview is read around (the points
 * come from metrics.jsonl, the truth) and rebuilt by the next writer open, `ensureOverviews` or `rebuildMetricIndex`.
 * An index written before checksums existed has none: it is read as before (unverified) and rebuilt by the next writer.
 */
import { isChecksum } from './checksum.js';
import { StoreError } from './errors.js';

export const METRICS_FILE = 'metrics.jsonl';
export const METRIC_INDEX_DIR = 'metrics.idx';
export const METRIC_INDEX_FILE = 'index.json';
export const METRIC_INDEX_VERSION = 1;
/** Bytes per point in a column file: step, wallTime, value as float64. */
export const POINT_BYTES = 24;
/** The overview file for a jsonl of `jsonlBytes` (named by size, so a reader never mixes two generations). */
export const overviewFile = (jsonlBytes: number): string => `overviews-${jsonlBytes}.f64`;
export const OVERVIEW_FILE_PATTERN = /^overviews-\d+\.f64$/;
/** Float64 values per overview point: step, wallTime, value, min, max, count. */
export const OVERVIEW_FLOATS = 6;
export { OVERVIEW_POINTS } from '../api/contract.js';

export interface OverviewEntry {
  key: string;
  /** The maxPoints this overview answers. */
  size: number;
  /** Byte offset in overviews.f64 and number of points (at most `size`). */
  offset: number;
  count: number;
  /** Checksum of the entry's `count` points (absent in indexes written before checksums). */
  checksum?: string;
}

export interface ColumnEntry {
  key: string;
  file: string;
  count: number;
  /** Checksum of the column file's first `count` points (absent in indexes written before checksums). */
  checksum?: string;
}

export interface MetricIndex {
  version: number;
  /** Bytes of metrics.jsonl (a whole number of lines) that the columns cover. */
  jsonlBytes: number;
  /** Valid records in those bytes. */
  records: number;
  keys: ColumnEntry[];
  /** Present from a clean writer close until the next append. */
  overviews?: { jsonlBytes: number; file: string; entries: OverviewEntry[] };
  /** Checksum of the index's other fields (absent in indexes written before checksums). */
  checksum?: string;
}

/** One logged record as read back. */
export interface MetricRecord {
  step: number;
  wallTime: number;
  values: Record<string, number>;
}

const RESERVED = new Set(['step', 'wallTime', '__proto__', 'constructor', 'prototype']);
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

/** Metric keys are namespaced strings like `train/policyLoss`; see core/common/metrics.ts. */
export function assertMetricKey(key: string): void {
  if (key.length === 0 || key.length > 256 || CONTROL.test(key) || RESERVED.has(key) || key.trim() !== key) {
    throw new StoreError(
      'INVALID_INPUT',
      `invalid metric key ${JSON.stringify(key)}: expected 1-256 printable characters without surrounding ` +
        `spaces, and not one of ${[...RESERVED].join(', ')}`,
    );
  }
}

export function isMetricIndex(x: unknown): x is MetricIndex {
  if (typeof x !== 'object' || x === null) return false;
  const i = x as MetricIndex;
  return (
    i.version === METRIC_INDEX_VERSION &&
    Number.isSafeInteger(i.jsonlBytes) &&
    i.jsonlBytes >= 0 &&
    Number.isSafeInteger(i.records) &&
    Array.isArray(i.keys) &&
    i.keys.every(
      (k) =>
        typeof k === 'object' && k !== null && typeof k.key === 'string' && typeof k.file === 'string' &&
        /^\d+\.f64$/.test(k.file) && Number.isSafeInteger(k.count) && k.count >= 0 && optionalChecksum(k.checksum),
    ) &&
    (i.overviews === undefined || isOverviews(i.overviews)) &&
    optionalChecksum(i.checksum)
  );
}

function isOverviews(o: unknown): o is NonNullable<MetricIndex['overviews']> {
  if (typeof o !== 'object' || o === null) return false;
  const { jsonlBytes, file, entries } = o as NonNullable<MetricIndex['overviews']>;
  const count = (n: unknown) => Number.isSafeInteger(n) && (n as number) >= 0;
  return (
    count(jsonlBytes) &&
    file === overviewFile(jsonlBytes) &&
    Array.isArray(entries) &&
    entries.every(
      (e) =>
        typeof e === 'object' && e !== null && typeof e.key === 'string' && count(e.size) && count(e.offset) &&
        count(e.count) && e.count <= e.size && e.offset % (OVERVIEW_FLOATS * 8) === 0 && optionalChecksum(e.checksum),
    )
  );
}

const optionalChecksum = (c: unknown): boolean => c === undefined || isChecksum(c);

/** A raw parsed line if it is a valid record (step and wallTime finite numbers), else null. */
function asRecord(x: unknown): Record<string, unknown> | null {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) return null;
  const r = x as Record<string, unknown>;
  const step = r.step;
  const wallTime = r.wallTime;
  if (typeof step !== 'number' || !Number.isFinite(step) || typeof wallTime !== 'number' || !Number.isFinite(wallTime)) {
    return null;
  }
  return r;
}

/**
 * Parses complete lines (text without its final newline). Returns one entry per line: the raw
 * record object, or null for a malformed line. One JSON.parse over the whole chunk is ~10% faster
 * than a parse per line; a chunk holding a torn line falls back to per-line parsing.
 */
export function parseLines(text: string): (Record<string, unknown> | null)[] {
  if (text.length === 0) return [];
  try {
    const all = JSON.parse(`[${text.replaceAll('\n', ',')}]`) as unknown[];
    // A blank line fails the parse; a foreign line like `1,2` would shift the alignment: check it.
    let lines = 1;
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) lines++;
    if (all.length === lines) return all.map(asRecord);
  } catch {
    // fall through to per-line parsing
  }
  return text.split('\n').map((line) => {
    try {
      return asRecord(JSON.parse(line));
    } catch {
      return null;
    }
  });
}

/** Why one line of metrics.jsonl is not a record (its text without the newline), or null when it is one. */
export function lineProblem(line: string): string | null {
  if (line.length === 0) return 'empty line';
  let x: unknown;
  try {
    x = JSON.parse(line);
  } catch {
    return 'not valid JSON';
  }
  if (typeof x !== 'object' || x === null || Array.isArray(x)) return 'not a JSON object';
  const r = x as Record<string, unknown>;
  if (typeof r.step !== 'number' || !Number.isFinite(r.step)) return '"step" is missing or not a finite number';
  if (typeof r.wallTime !== 'number' || !Number.isFinite(r.wallTime)) return '"wallTime" is missing or not a finite number';
  return null;
}

/** Calls `fn(key, value)` for each metric value of a raw record (non-numeric keys are ignored). */
export function forEachValue(r: Record<string, unknown>, fn: (key: string, value: number) => void): void {
  for (const key in r) {
    if (key === 'step' || key === 'wallTime') continue;
    const v = r[key];
    if (typeof v === 'number' && Number.isFinite(v)) fn(key, v);
  }
}

export function toMetricRecord(r: Record<string, unknown>): MetricRecord {
  const values: Record<string, number> = {};
  forEachValue(r, (k, v) => {
    values[k] = v;
  });
  return { step: r.step as number, wallTime: r.wallTime as number, values };
}

/** A growable buffer of (step, wallTime, value) float64 triples. */
export class PointBuffer {
  data: Float64Array;
  length = 0; // in points

  constructor(capacity = 64) {
    this.data = new Float64Array(capacity * 3);
  }

  push(step: number, wallTime: number, value: number): void {
    let i = this.length * 3;
    if (i + 3 > this.data.length) {
      const next = new Float64Array(Math.max(this.data.length * 2, 192));
      next.set(this.data);
      this.data = next;
    }
    const d = this.data;
    d[i++] = step;
    d[i++] = wallTime;
    d[i] = value;
    this.length++;
  }

  /** The filled part as a view (not a copy). */
  view(): Float64Array {
    return this.data.subarray(0, this.length * 3);
  }

  clear(): void {
    this.length = 0;
  }
}
