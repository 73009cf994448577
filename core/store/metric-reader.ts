/**
 * MetricReader: reads a run's metric stream — from the column sidecar where it can (fast), from
 * metrics.jsonl for the part written since the sidecar's index (or for all of it when there is no
 * usable sidecar). Safe to use while the training process is appending: it reads only whole lines.
 * Every column and overview read is checked against its checksum in the index; a damaged one is never returned —
 * the reader takes those points from metrics.jsonl instead (see metric-format.ts).
 */
import { open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isNodeError, StoreError } from './errors.js';
import { checksummer } from './checksum.js';
import { columnVerdict, fileSize, parseRange, readColumn, readMetricIndex, readOverviews, scanLines } from './metric-index.js';
import {
  METRIC_INDEX_DIR,
  type MetricIndex,
  type MetricRecord,
  METRICS_FILE,
  OVERVIEW_FLOATS,
  parseLines,
  PointBuffer,
  toMetricRecord,
} from './metric-format.js';
import {
  assertMaxPoints,
  assertStepRange,
  downsampleChunks,
  type DownsampledPoint,
  type DownsampledSeries,
  type SeriesPoint,
} from './downsample.js';
import type { MetricSummary } from './schema.js';

export interface ReadFromResult {
  /** Whole records after the offset, in file order. */
  records: MetricRecord[];
  /** Pass this to the next readFrom (it stops before a line still being written). */
  nextOffset: number;
  /** True when the offset was past the end of the file (it was rewritten): read restarted at 0. */
  reset: boolean;
  /** Malformed lines skipped (a line torn by a killed writer). */
  skippedLines: number;
  /**
   * Identity of the file read (device and inode). Pass it back with the next offset: if the file
   * was replaced meanwhile (truncateMetrics on a resume), reading restarts at 0 with `reset`.
   */
  fileId: string | null;
}

export class MetricReader {
  readonly runDir: string;
  readonly path: string;

  constructor(runDir: string) {
    if (typeof runDir !== 'string' || runDir === '') {
      throw new StoreError('INVALID_PATH', `MetricReader needs a run folder, got ${JSON.stringify(runDir)}`);
    }
    this.runDir = runDir;
    this.path = join(runDir, METRICS_FILE);
  }

  /** Every metric key logged so far, sorted. */
  async keys(): Promise<string[]> {
    const size = await fileSize(this.path);
    if (size === null) return [];
    const index = await readMetricIndex(this.runDir);
    const keys = new Set<string>();
    let from = 0;
    if (index && index.jsonlBytes <= size) {
      for (const k of index.keys) if (k.count > 0) keys.add(k.key);
      from = index.jsonlBytes;
    }
    const tail = new Map<string, PointBuffer>();
    await parseRange(this.path, from, size, tail);
    for (const k of tail.keys()) keys.add(k);
    return [...keys].sort();
  }

  /** Raw points of one key with `from <= step <= to`, in logged order. */
  async range(key: string, from = -Infinity, to = Infinity): Promise<SeriesPoint[]> {
    assertStepRange(from, to);
    const chunks = (await this.#load([key])).get(key) ?? [];
    const out: SeriesPoint[] = [];
    for (const c of chunks) {
      for (let i = 0; i < c.length; i += 3) {
        const step = c[i];
        if (step >= from && step <= to) out.push({ step, wallTime: c[i + 1], value: c[i + 2] });
      }
    }
    return out;
  }

  /** At most `maxPoints` points per key (see downsample.ts); unknown keys give empty series. */
  async downsample(
    keys: readonly string[],
    maxPoints: number,
    options: { from?: number; to?: number } = {},
  ): Promise<Record<string, DownsampledSeries>> {
    if (!Array.isArray(keys) || keys.some((k) => typeof k !== 'string')) {
      throw new StoreError('INVALID_INPUT', 'downsample keys must be an array of metric key strings');
    }
    const from = options.from ?? -Infinity;
    const to = options.to ?? Infinity;
    assertStepRange(from, to);
    assertMaxPoints(maxPoints);
    const out: Record<string, DownsampledSeries> = {};
    // A whole finished run at an overview size: the writer's precomputed buckets (identical to computing them).
    const snapshot = await this.#snapshot();
    const overviews =
      from === -Infinity && to === Infinity && snapshot.index && snapshot.size !== null
        ? await readOverviews(join(this.runDir, METRIC_INDEX_DIR), snapshot.index, snapshot.size, keys, maxPoints)
        : null;
    for (const [key, { data, total }] of overviews ?? []) {
      const points: DownsampledPoint[] = new Array(data.length / OVERVIEW_FLOATS);
      for (let i = 0, j = 0; i < points.length; i++, j += OVERVIEW_FLOATS) {
        points[i] = { step: data[j], wallTime: data[j + 1], value: data[j + 2], min: data[j + 3], max: data[j + 4], count: data[j + 5] };
      }
      out[key] = { key, points, totalPoints: total, downsampled: points.length < total, fromOverview: true };
    }
    const rest = keys.filter((k) => !out[k]);
    const data = rest.length > 0 ? await this.#load(rest, snapshot) : new Map<string, Float64Array[]>();
    for (const key of rest) {
      const { points, total } = downsampleChunks(data.get(key) ?? [], maxPoints, from, to);
      out[key] = { key, points, totalPoints: total, downsampled: points.length < total };
    }
    return out;
  }

  /**
   * Raw points per key as float64 triples (step, wallTime, value) in logged order, in one or more chunks (the indexed
   * column, then what was logged since); every key when `keys` is omitted. No per-point objects: for callers that
   * scan long series (the runs table's summaries of 1M-point runs).
   */
  async chunks(keys?: readonly string[]): Promise<Map<string, Float64Array[]>> {
    return this.#load(keys ?? null);
  }

  /** Last (in logged order), min, max and count per key. */
  async summary(keys?: readonly string[]): Promise<Record<string, MetricSummary>> {
    const data = await this.#load(keys ?? null);
    const out: Record<string, MetricSummary> = {};
    for (const [key, chunks] of [...data].sort(([a], [b]) => a.localeCompare(b))) {
      let count = 0;
      let min = Infinity;
      let max = -Infinity;
      let last = NaN;
      let lastStep = NaN;
      for (const c of chunks) {
        for (let i = 0; i < c.length; i += 3) {
          const v = c[i + 2];
          if (v < min) min = v;
          if (v > max) max = v;
          count++;
        }
        if (c.length > 0) {
          lastStep = c[c.length - 3];
          last = c[c.length - 1];
        }
      }
      if (count > 0) out[key] = { last, lastStep, min, max, count };
    }
    return out;
  }

  /**
   * Whole records from byte `offset` (0 or a previous `nextOffset`) for live tailing. Reads at most
   * about `maxBytes` per call; call again with `nextOffset` for more.
   */
  async readFrom(offset = 0, options: { maxBytes?: number; fileId?: string | null } = {}): Promise<ReadFromResult> {
    if (!Number.isSafeInteger(offset) || offset < 0) {
      throw new StoreError('INVALID_INPUT', `readFrom offset must be an integer >= 0, got ${String(offset)}`);
    }
    const maxBytes = Math.max(1024, options.maxBytes ?? 8 << 20);
    let size: number;
    let fileId: string;
    try {
      const st = await stat(this.path, { bigint: true });
      size = Number(st.size);
      fileId = `${st.dev}:${st.ino}`;
    } catch (e) {
      if (isNodeError(e) && e.code === 'ENOENT') return { records: [], nextOffset: 0, reset: offset > 0, skippedLines: 0, fileId: null };
      throw e;
    }
    let reset = false;
    if (offset > 0 && options.fileId != null && options.fileId !== fileId) {
      offset = 0;
      reset = true;
    } else if (offset > size) {
      offset = 0;
      reset = true;
    } else if (offset > 0 && !(await this.#isLineStart(offset))) {
      throw new StoreError('INVALID_INPUT', `readFrom offset ${offset} is not at the start of a line in ${this.path}`);
    }
    const records: MetricRecord[] = [];
    let skippedLines = 0;
    const take = (text: string) => {
      for (const r of parseLines(text)) {
        if (r) records.push(toMetricRecord(r));
        else skippedLines++;
      }
    };
    let next = await scanLines(this.path, offset, Math.min(size, offset + maxBytes), take);
    if (next === offset && offset + maxBytes < size) next = await scanLines(this.path, offset, size, take); // one huge line
    return { records, nextOffset: next, reset, skippedLines, fileId };
  }

  /** Every whole record, in chunks (for export). */
  async *records(): AsyncGenerator<MetricRecord[]> {
    let offset = 0;
    let fileId: string | null = null;
    for (;;) {
      const { records, nextOffset, fileId: id, reset } = await this.readFrom(offset, { fileId });
      if (reset) throw new StoreError('INVALID_INPUT', `${this.path} was replaced while it was being read`);
      fileId = id;
      if (nextOffset === offset) return;
      if (records.length > 0) yield records;
      offset = nextOffset;
    }
  }

  async #isLineStart(offset: number): Promise<boolean> {
    const fh = await open(this.path, 'r');
    try {
      const b = Buffer.alloc(1);
      await fh.read(b, 0, 1, offset - 1);
      return b[0] === 10;
    } finally {
      await fh.close();
    }
  }

  /** Point chunks per key (all keys when `keys` is null). */
  /** The sidecar index and the jsonl's size, read in that order: the index never claims bytes the file lacks. */
  async #snapshot(): Promise<{ index: MetricIndex | null; size: number | null }> {
    const index = await readMetricIndex(this.runDir);
    return { index, size: await fileSize(this.path) };
  }

  async #load(keys: readonly string[] | null, snapshot?: { index: MetricIndex | null; size: number | null }): Promise<Map<string, Float64Array[]>> {
    const out = new Map<string, Float64Array[]>();
    const wanted = keys ? new Set(keys) : null;
    let { index, size } = snapshot ?? (await this.#snapshot());
    if (size === null) return out;
    let columns = await this.#columns(index, size, wanted);
    if (columns === 'damaged') {
      // A column that fails its checksum may only mean the sidecar was rebuilt between our index read and the
      // column read: look once more at a fresh index before reading everything from metrics.jsonl.
      const again = await this.#snapshot();
      if (again.size !== null && again.index !== null && again.index.checksum !== index?.checksum) {
        ({ index, size } = again);
        columns = await this.#columns(index, again.size, wanted);
      }
    }
    let from = 0;
    if (columns !== null && columns !== 'damaged') {
      for (const [key, c] of columns) out.set(key, [c]);
      from = index!.jsonlBytes;
    }
    const tail = new Map<string, PointBuffer>();
    await parseRange(this.path, from, size!, tail);
    for (const [key, buf] of tail) {
      if (wanted && !wanted.has(key)) continue;
      const chunks = out.get(key);
      if (chunks) chunks.push(buf.view());
      else out.set(key, [buf.view()]);
    }
    return out;
  }

  /**
   * The indexed points of the wanted keys, each verified against its checksum; null when the index cannot be used
   * (none, or it covers more than the file has, or a column is short), 'damaged' when a column fails its checksum.
   */
  async #columns(index: MetricIndex | null, size: number, wanted: Set<string> | null): Promise<Map<string, Float64Array> | 'damaged' | null> {
    if (!index || index.jsonlBytes > size) return null;
    const dir = join(this.runDir, METRIC_INDEX_DIR);
    const sum = await checksummer();
    const entries = index.keys.filter((k) => !wanted || wanted.has(k.key));
    const cols = await Promise.all(entries.map((k) => readColumn(join(dir, k.file), k.count)));
    if (cols.some((c) => c === null)) return null;
    const out = new Map<string, Float64Array>();
    for (let i = 0; i < entries.length; i++) {
      if (columnVerdict(sum, cols[i]!, entries[i]!) === 'mismatch') return 'damaged';
      out.set(entries[i]!.key, cols[i]!);
    }
    return out;
  }
}

/** Last/min/max per key of a run's metrics (empty when nothing was logged). */
export function readMetricSummary(runDir: string): Promise<Record<string, MetricSummary>> {
  return new MetricReader(runDir).summary();
}
