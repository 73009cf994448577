/**
 * The column sidecar (metrics.idx/) and chunked jsonl scanning. See metric-format.ts for the layout.
 * `ColumnFiles` is the writer's side: it verifies the sidecar against its checksums and metrics.jsonl on open
 * (rebuilding what fails), and appends column data + a fresh index after each metrics batch, extending each
 * column's running checksum as it goes. Readers verify what they read (readColumn + columnVerdict, readOverviews).
 */
import { type FileHandle, mkdir, open, readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { type Checksummer, type ChecksumState, checksummer, MISMATCH, selfVerdict, verdict, withSelfChecksum } from './checksum.js';
import { errorMessage, isNodeError } from './errors.js';
import { downsampleChunks } from './downsample.js';
import { writeAll, writeFileAtomic } from './fs-utils.js';
import { indexCheckKey, type IntegrityCache, processIntegrityCache } from './integrity-cache.js';
import {
  type ColumnEntry,
  forEachValue,
  isMetricIndex,
  METRIC_INDEX_DIR,
  METRIC_INDEX_FILE,
  METRIC_INDEX_VERSION,
  type MetricIndex,
  METRICS_FILE,
  OVERVIEW_FILE_PATTERN,
  OVERVIEW_FLOATS,
  OVERVIEW_POINTS,
  overviewFile,
  type OverviewEntry,
  parseLines,
  POINT_BYTES,
  PointBuffer,
} from './metric-format.js';

export const SCAN_CHUNK_BYTES = 1 << 20;

/** A problem found in metrics.idx/: the file's full path and what was wrong. */
export interface IndexProblem {
  file: string;
  reason: string;
}

export interface IndexRead {
  /** The index, or null when there is none, it is damaged, or another PolicyLab version wrote it. */
  index: MetricIndex | null;
  /** What is wrong with index.json (null: nothing found). */
  problem: IndexProblem | null;
  /** Whether its own checksum matched (false: written before checksums, or no index). */
  verified: boolean;
}

/** Reads and checks metrics.idx/index.json (its structure and its own checksum). */
export async function readMetricIndexChecked(runDir: string): Promise<IndexRead> {
  const path = join(runDir, METRIC_INDEX_DIR, METRIC_INDEX_FILE);
  const damaged = (reason: string): IndexRead => ({ index: null, problem: { file: path, reason }, verified: false });
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if (isNodeError(e) && e.code === 'ENOENT') return { index: null, problem: null, verified: false };
    return damaged(`cannot be read (${errorMessage(e)})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return damaged('not valid JSON');
  }
  if (!isMetricIndex(parsed)) {
    const version = (parsed as { version?: unknown } | null)?.version;
    // A newer (or older) format is not damage: it is ignored here and rebuilt by the next writer.
    if (typeof version === 'number' && version !== METRIC_INDEX_VERSION) return { index: null, problem: null, verified: false };
    return damaged('is not a metrics index (its fields have the wrong shape)');
  }
  const check = selfVerdict(await checksummer(), parsed as unknown as Record<string, unknown>);
  if (check === 'mismatch') return damaged(MISMATCH);
  return { index: parsed, problem: null, verified: check === 'ok' };
}

/** The index if it is usable (present, well-formed, its checksum matching or absent), else null. */
export async function readMetricIndex(runDir: string): Promise<MetricIndex | null> {
  return (await readMetricIndexChecked(runDir)).index;
}

/** Whether a column's points match its index entry's checksum ('unverified' when the entry has none). */
export function columnVerdict(sum: Checksummer, data: Float64Array, entry: Pick<ColumnEntry, 'checksum'>): 'ok' | 'mismatch' | 'unverified' {
  if (entry.checksum === undefined) return 'unverified';
  return verdict(entry.checksum, sum.of(new Uint8Array(data.buffer, data.byteOffset, data.byteLength)));
}

export async function fileSize(path: string): Promise<number | null> {
  try {
    return (await stat(path)).size;
  } catch (e) {
    if (isNodeError(e) && e.code === 'ENOENT') return null;
    throw e;
  }
}

/**
 * Reads bytes [from, to) of a file in chunks of whole lines and calls `onChunk(text, offset)`
 * with each chunk's text (no final newline) and its start offset. Stops at the last newline:
 * a torn final line is left unread. Returns the offset just after the last newline read.
 */
export async function scanLines(
  path: string,
  from: number,
  to: number,
  /** `bytes`: the chunk's raw bytes (no final newline), valid until the returned promise settles. */
  onChunk: (text: string, offset: number, bytes: Buffer) => void | Promise<void>,
  chunkBytes = SCAN_CHUNK_BYTES,
): Promise<number> {
  if (to <= from) return from;
  const fh = await open(path, 'r');
  try {
    let pos = from;
    let buf = Buffer.allocUnsafe(Math.min(chunkBytes, to - from));
    let carry = 0; // bytes at the start of buf kept from the previous read (a partial line)
    while (pos + carry < to) {
      if (carry === buf.length) {
        // One line longer than the buffer: grow it.
        const bigger = Buffer.allocUnsafe(buf.length * 2);
        buf.copy(bigger, 0, 0, carry);
        buf = bigger;
      }
      const want = Math.min(buf.length - carry, to - pos - carry);
      const { bytesRead } = await fh.read(buf, carry, want, pos + carry);
      if (bytesRead === 0) break;
      const filled = carry + bytesRead;
      const nl = buf.lastIndexOf(10, filled - 1);
      if (nl < 0) {
        carry = filled;
        continue;
      }
      await onChunk(buf.toString('utf8', 0, nl), pos, buf.subarray(0, nl));
      pos += nl + 1;
      carry = filled - (nl + 1);
      buf.copy(buf, 0, nl + 1, filled);
    }
    return pos;
  } finally {
    await fh.close();
  }
}

/** Opens a file for reading; null when it does not exist. */
async function openIfExists(path: string): Promise<FileHandle | null> {
  try {
    return await open(path, 'r');
  } catch (e) {
    if (isNodeError(e) && e.code === 'ENOENT') return null;
    throw e;
  }
}

/**
 * The overviews of `keys` at `size` points, or null unless the index's overviews describe exactly the columns
 * it indexes, for a jsonl of `jsonlSize` bytes, and every wanted key (with more than `size` points) has one,
 * and every one read matches its checksum (a mismatch is passed to `onDamage`).
 */
export async function readOverviews(
  dir: string,
  index: MetricIndex,
  jsonlSize: number,
  keys: readonly string[],
  size: number,
  onDamage?: (problem: IndexProblem) => void,
): Promise<Map<string, { data: Float64Array; total: number }> | null> {
  const ov = index.overviews;
  if (!ov || ov.jsonlBytes !== index.jsonlBytes || index.jsonlBytes !== jsonlSize) return null;
  const wanted = keys.map((key) => ({ key, column: index.keys.find((k) => k.key === key), entry: ov.entries.find((e) => e.key === key && e.size === size) }));
  if (wanted.some(({ column, entry }) => column !== undefined && column.count > size && entry === undefined)) return null;
  const fh = await openIfExists(join(dir, ov.file)); // gone: replaced by a newer generation meanwhile
  if (!fh) return null;
  const out = new Map<string, { data: Float64Array; total: number }>();
  const sum = await checksummer();
  try {
    for (const { key, column, entry } of wanted) {
      if (!column || !entry) continue; // unknown key, or few enough points to be read raw
      const data = new Float64Array(entry.count * OVERVIEW_FLOATS);
      const bytes = new Uint8Array(data.buffer);
      const { bytesRead } = await fh.read(bytes, 0, data.byteLength, entry.offset);
      if (bytesRead !== data.byteLength) {
        onDamage?.({ file: join(dir, ov.file), reason: `ends before the overview of ${key} at ${size} points` });
        return null;
      }
      if (verdict(entry.checksum, sum.of(bytes)) === 'mismatch') {
        onDamage?.({ file: join(dir, ov.file), reason: `the overview of ${key} at ${size} points: ${MISMATCH}` });
        return null;
      }
      out.set(key, { data, total: column.count });
    }
  } finally {
    await fh.close();
  }
  return out;
}

/** Reads the first `count` points of a column file, or null if it holds fewer (a stale index). */
export async function readColumn(path: string, count: number): Promise<Float64Array | null> {
  if (count === 0) return new Float64Array(0);
  const fh = await openIfExists(path);
  if (!fh) return null;
  try {
    const out = new Float64Array(count * 3);
    const bytes = new Uint8Array(out.buffer);
    let done = 0;
    while (done < bytes.length) {
      const { bytesRead } = await fh.read(bytes, done, bytes.length - done, done);
      if (bytesRead === 0) return null;
      done += bytesRead;
    }
    return out;
  } finally {
    await fh.close();
  }
}

/** Parses jsonl bytes [from, to) into per-key point buffers. Returns records parsed and the end offset. */
export async function parseRange(
  path: string,
  from: number,
  to: number,
  into: Map<string, PointBuffer>,
  onChunkDone?: () => Promise<void>,
): Promise<{ records: number; end: number }> {
  let records = 0;
  const end = await scanLines(path, from, to, async (text) => {
    for (const r of parseLines(text)) {
      if (!r) continue; // an unreadable line: counted and reported by metricsIntegrity (integrity.ts)
      records++;
      const step = r.step as number;
      const wallTime = r.wallTime as number;
      forEachValue(r, (key, value) => {
        let buf = into.get(key);
        if (!buf) into.set(key, (buf = new PointBuffer()));
        buf.push(step, wallTime, value);
      });
    }
    await onChunkDone?.();
  });
  return { records, end };
}

/** The writer's handle on metrics.idx/. One per run, owned by the run's single metrics writer. */
export class ColumnFiles {
  readonly #dir: string;
  readonly #runDir: string;
  readonly #columns = new Map<string, { file: string; count: number; fh: FileHandle | null; state: ChecksumState }>();
  readonly #sum: Checksummer;
  #nextFile = 0;
  #jsonlBytes = 0;
  #records = 0;
  /** What open() found damaged and rebuilt (empty when the sidecar was sound, missing or from before checksums). */
  readonly repaired: IndexProblem[] = [];

  private constructor(runDir: string, sum: Checksummer) {
    this.#runDir = runDir;
    this.#dir = join(runDir, METRIC_INDEX_DIR);
    this.#sum = sum;
  }

  get jsonlBytes(): number {
    return this.#jsonlBytes;
  }

  /**
   * Brings the sidecar in line with metrics.jsonl up to `jsonlSize`: keeps what a valid index
   * covers (cutting columns back to their indexed length), parses the jsonl after it, and writes
   * a fresh index. A missing, damaged or inconsistent index — or one without checksums, whose columns
   * cannot be verified — means a full rebuild from the jsonl.
   */
  static async open(runDir: string, jsonlSize: number): Promise<ColumnFiles> {
    const cols = new ColumnFiles(runDir, await checksummer());
    const read = await readMetricIndexChecked(runDir);
    if (read.problem) cols.repaired.push(read.problem);
    const index = read.verified ? read.index : null;
    let from = 0;
    if (index && index.jsonlBytes > jsonlSize) {
      cols.repaired.push({ file: join(cols.#dir, METRIC_INDEX_FILE), reason: `covers ${index.jsonlBytes} bytes, but ${METRICS_FILE} has ${jsonlSize}` });
    }
    if (index && index.jsonlBytes <= jsonlSize && (await cols.#adopt(index))) {
      from = index.jsonlBytes;
      cols.#records = index.records;
    } else {
      await rm(cols.#dir, { recursive: true, force: true });
      cols.#columns.clear();
      cols.#nextFile = 0;
    }
    await mkdir(cols.#dir, { recursive: true });
    // Temp files of index writes a killed writer left behind, and overviews the fresh index no longer names.
    for (const n of await readdir(cols.#dir)) {
      if (n.endsWith('.tmp') || OVERVIEW_FILE_PATTERN.test(n)) await rm(join(cols.#dir, n), { force: true });
    }
    const pending = new Map<string, PointBuffer>();
    const { records, end } = await parseRange(join(runDir, METRICS_FILE), from, jsonlSize, pending, async () => {
      // Bound memory on a full rebuild of a long stream: write columns every ~1M points.
      let points = 0;
      for (const b of pending.values()) points += b.length;
      if (points > 1_000_000) await cols.#appendColumns(pending);
    });
    await cols.#appendColumns(pending);
    cols.#records += records;
    cols.#jsonlBytes = Math.max(from, end);
    await cols.#writeIndex();
    return cols;
  }

  /** Appends buffered points (then clears them) and records that the jsonl now has `jsonlBytes`. */
  async append(pending: Map<string, PointBuffer>, jsonlBytes: number, records: number): Promise<void> {
    await this.#appendColumns(pending);
    this.#jsonlBytes = jsonlBytes;
    this.#records += records;
    await this.#writeIndex();
  }

  /**
   * Downsamples every key to each OVERVIEW_POINTS size below its point count, from the columns as they stand,
   * writes the results to one overview file and names it in the index (see metric-format.ts). Called by the
   * writer's close, after its last append; the next append drops them from the index.
   */
  async writeOverviews(): Promise<void> {
    const entries: OverviewEntry[] = [];
    const parts: Float64Array[] = [];
    let offset = 0;
    for (const [key, c] of this.#columns) {
      const sizes = OVERVIEW_POINTS.filter((n) => n < c.count);
      if (sizes.length === 0) continue;
      const column = await readColumn(join(this.#dir, c.file), c.count);
      if (!column) continue; // a column shorter than its count: readers fall back to the raw points
      for (const size of sizes) {
        // One size at a time, yielding between them: a long stream's buckets take milliseconds each, and the
        // writer's process (a training loop) keeps answering meanwhile.
        await new Promise<void>((resolve) => setImmediate(resolve));
        const { points } = downsampleChunks([column], size);
        const out = new Float64Array(points.length * OVERVIEW_FLOATS);
        let j = 0;
        for (const p of points) {
          out[j++] = p.step;
          out[j++] = p.wallTime;
          out[j++] = p.value;
          out[j++] = p.min;
          out[j++] = p.max;
          out[j++] = p.count;
        }
        entries.push({ key, size, offset, count: points.length, checksum: this.#sum.of(new Uint8Array(out.buffer)) });
        parts.push(out);
        offset += out.byteLength;
      }
    }
    if (entries.length === 0) return;
    const bytes = new Uint8Array(offset);
    let at = 0;
    for (const p of parts) {
      bytes.set(new Uint8Array(p.buffer, p.byteOffset, p.byteLength), at);
      at += p.byteLength;
    }
    const file = overviewFile(this.#jsonlBytes);
    await writeFileAtomic(join(this.#dir, file), bytes);
    await this.#writeIndex({ jsonlBytes: this.#jsonlBytes, file, entries });
  }

  async close(): Promise<void> {
    for (const c of this.#columns.values()) {
      await c.fh?.close();
      c.fh = null;
    }
  }

  /** Takes over a verified index's columns after checking each against its checksum; false: rebuild instead. */
  async #adopt(index: MetricIndex): Promise<boolean> {
    for (const k of index.keys) {
      const path = join(this.#dir, k.file);
      if (k.checksum === undefined) return false;
      const size = await fileSize(path);
      const data = size === null || size < k.count * POINT_BYTES ? null : await readColumn(path, k.count);
      if (data === null) {
        this.repaired.push({ file: path, reason: size === null ? 'the file is missing' : `holds fewer than the ${k.count} points index.json names` });
        return false;
      }
      const state = this.#sum.extend(this.#sum.start(), new Uint8Array(data.buffer));
      if (this.#sum.digest(state) !== k.checksum) {
        this.repaired.push({ file: path, reason: MISMATCH });
        return false;
      }
      if (size !== null && size > k.count * POINT_BYTES) {
        // Points written after the index was: they are re-read from the jsonl tail.
        const fh = await open(path, 'r+');
        try {
          await fh.truncate(k.count * POINT_BYTES);
        } finally {
          await fh.close();
        }
      }
      this.#columns.set(k.key, { file: k.file, count: k.count, fh: null, state });
      this.#nextFile = Math.max(this.#nextFile, Number.parseInt(k.file, 10) + 1);
    }
    return true;
  }

  async #appendColumns(pending: Map<string, PointBuffer>): Promise<void> {
    const writes: Promise<void>[] = [];
    for (const [key, buf] of pending) {
      if (buf.length === 0) continue;
      let col = this.#columns.get(key);
      if (!col) {
        col = { file: `${this.#nextFile++}.f64`, count: 0, fh: null, state: this.#sum.start() };
        this.#columns.set(key, col);
      }
      const c = col;
      const view = buf.view();
      const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
      const n = buf.length;
      writes.push(
        (async () => {
          c.fh ??= await open(join(this.#dir, c.file), 'a');
          await writeAll(c.fh, bytes);
          c.count += n;
          c.state = this.#sum.extend(c.state, bytes);
        })(),
      );
    }
    await Promise.all(writes);
    for (const buf of pending.values()) buf.clear();
  }

  async #writeIndex(overviews?: MetricIndex['overviews']): Promise<void> {
    const index: MetricIndex = {
      version: METRIC_INDEX_VERSION,
      jsonlBytes: this.#jsonlBytes,
      records: this.#records,
      keys: [...this.#columns].map(([key, c]) => ({ key, file: c.file, count: c.count, checksum: this.#sum.digest(c.state) })),
      ...(overviews ? { overviews } : {}),
    };
    await writeFileAtomic(join(this.#dir, METRIC_INDEX_FILE), withSelfChecksum(this.#sum, { ...index }));
  }

  get runDir(): string {
    return this.#runDir;
  }
}

export type IndexStatus = 'ok' | 'unverified' | 'missing' | 'damaged';

/**
 * Checks all of metrics.idx/ against its checksums: index.json, every column's indexed points and every overview.
 * 'unverified': written before checksums (readable as before); 'missing': no index (readers parse metrics.jsonl).
 * Results are kept (in `cache`: see integrity-cache.ts) while the files' sizes and times stay the same, so asking again
 * costs a stat per file.
 */
export async function verifyMetricIndex(runDir: string, options: { cache?: IntegrityCache; pace?: () => Promise<void> } = {}): Promise<{ status: IndexStatus; problems: IndexProblem[] }> {
  const cache = options.cache ?? processIntegrityCache;
  const dir = join(runDir, METRIC_INDEX_DIR);
  const read = await readMetricIndexChecked(runDir);
  if (read.problem) return { status: 'damaged', problems: [read.problem] };
  const index = read.index;
  if (!index) return { status: 'missing', problems: [] };
  const files = [METRIC_INDEX_FILE, ...index.keys.map((k) => k.file), ...(index.overviews ? [index.overviews.file] : [])];
  const stats = await Promise.all(files.map((f) => stat(join(dir, f)).then((s) => `${f}:${s.size}:${s.mtimeMs}:${s.ino}`, () => `${f}:-`)));
  const jsonlSize = await fileSize(join(runDir, METRICS_FILE));
  const signature = `${stats.join('|')}|${jsonlSize}`;
  const cached = cache.get(indexCheckKey(runDir), signature);
  if (cached?.kind === 'index') return { status: cached.status, problems: cached.problems };

  const sum = await checksummer();
  const problems: IndexProblem[] = [];
  let complete = read.verified;
  if (index.jsonlBytes > (jsonlSize ?? 0)) {
    problems.push({ file: join(dir, METRIC_INDEX_FILE), reason: `covers ${index.jsonlBytes} bytes, but ${METRICS_FILE} has ${jsonlSize ?? 0}` });
  }
  for (const k of index.keys) {
    await options.pace?.();
    const path = join(dir, k.file);
    const data = await readColumn(path, k.count);
    if (data === null) problems.push({ file: path, reason: `holds fewer than the ${k.count} points index.json names` });
    else {
      const v = columnVerdict(sum, data, k);
      if (v === 'mismatch') problems.push({ file: path, reason: MISMATCH });
      if (v === 'unverified') complete = false;
    }
  }
  if (index.overviews) {
    const path = join(dir, index.overviews.file);
    const bytes = await readFile(path).catch(() => null);
    if (!bytes) problems.push({ file: path, reason: 'the file is missing' });
    else {
      for (const e of index.overviews.entries) {
        const length = e.count * OVERVIEW_FLOATS * 8;
        if (e.offset + length > bytes.length) {
          problems.push({ file: path, reason: `ends before the overview of ${e.key} at ${e.size} points` });
          break;
        }
        const v = verdict(e.checksum, sum.of(bytes.subarray(e.offset, e.offset + length)));
        if (v === 'mismatch') problems.push({ file: path, reason: `the overview of ${e.key} at ${e.size} points: ${MISMATCH}` });
        if (v === 'unverified') complete = false;
      }
    }
  }
  const result = { status: problems.length > 0 ? 'damaged' : complete ? 'ok' : 'unverified', problems } as const;
  cache.set(indexCheckKey(runDir), signature, { kind: 'index', status: result.status, problems });
  return { status: result.status, problems };
}
