/**
 * MetricWriter: appends one record per logged step to runs/<id>/metrics.jsonl (and its column
 * sidecar), from the training process. `append` is synchronous and cheap — it validates, builds the
 * JSON line from cached key fragments and encodes it into a reusable byte chunk — and the bytes go
 * to disk asynchronously in batches: when ~1 MiB is pending, at most `flushIntervalMs` (0.5 s) after the
 * first pending record, and on flush()/close(). A process killed in between loses at most that
 * interval plus the time a synchronous update holds the event loop (well under the 1 s promised); a line it tore is skipped by readers, and the next writer starts on a fresh line.
 */
import { type FileHandle, mkdir, open } from 'node:fs/promises';
import { join } from 'node:path';
import { errorMessage, StoreError } from './errors.js';
import { writeAll } from './fs-utils.js';
import { ColumnFiles } from './metric-index.js';
import { assertMetricKey, METRICS_FILE, PointBuffer } from './metric-format.js';

export interface MetricWriterOptions {
  /** Longest time a record waits in memory before its write starts (ms). Default 500 (half the 1 s of metrics a killed run may lose, leaving room for a loaded machine). */
  flushIntervalMs?: number;
  /** Pending bytes that start a write right away. Default 1 MiB. */
  chunkBytes?: number;
  /** fdatasync metrics.jsonl at most this often (ms), so a power cut loses little. Default 5000. */
  fsyncIntervalMs?: number;
}

export class MetricWriter {
  readonly path: string;
  readonly #runDir: string;
  readonly #flushIntervalMs: number;
  readonly #chunkBytes: number;
  readonly #fsyncIntervalMs: number;
  /** `,"key":` per key, built once: serialising a record is then only number-to-string work. */
  readonly #fragments = new Map<string, string>();
  /**
   * Lines are encoded straight into reusable byte chunks instead of being kept as strings: strings
   * held until the next write survive young-generation GCs and end in old space, whose collection
   * pauses the event loop for several ms. Filled chunks wait in #full; written chunks become spares.
   */
  #chunk: Buffer;
  #chunkLen = 0;
  #full: Buffer[] = [];
  #pendingBytes = 0;
  #spareChunks: Buffer[] = [];
  #pendingRecords = 0;
  #pendingPoints = new Map<string, PointBuffer>();
  #sparePoints: Map<string, PointBuffer> | null = null;
  #firstPendingAt = 0;
  #timer: NodeJS.Timeout | null = null;
  #ready: Promise<{ fh: FileHandle; cols: ColumnFiles }> | null = null;
  #writing: Promise<void> | null = null;
  #failure: Error | null = null;
  #closed = false;
  #lastSync = 0;
  #recordsWritten = 0;

  constructor(runDir: string, options: MetricWriterOptions = {}) {
    if (typeof runDir !== 'string' || runDir === '') {
      throw new StoreError('INVALID_PATH', `MetricWriter needs a run folder, got ${JSON.stringify(runDir)}`);
    }
    this.#runDir = runDir;
    this.path = join(runDir, METRICS_FILE);
    this.#flushIntervalMs = options.flushIntervalMs ?? 500;
    this.#chunkBytes = options.chunkBytes ?? 1 << 20;
    this.#fsyncIntervalMs = options.fsyncIntervalMs ?? 5000;
    this.#chunk = Buffer.allocUnsafe(this.#chunkBytes);
  }

  /** Records written to disk so far by this writer. */
  get recordsWritten(): number {
    return this.#recordsWritten;
  }

  /** Records appended but not yet written. */
  get pendingRecords(): number {
    return this.#pendingRecords;
  }

  /**
   * Queues one record. `values` maps namespaced keys to finite numbers; anything else throws a
   * StoreError and queues nothing. `wallTime` (seconds since the epoch) defaults to now.
   */
  append(step: number, values: Record<string, number>, wallTime: number = Date.now() / 1000): void {
    if (this.#closed) throw new StoreError('CLOSED', `MetricWriter for ${this.path} is closed`);
    if (this.#failure) throw this.#failure;
    if (typeof step !== 'number' || !Number.isFinite(step) || step < 0) {
      throw new StoreError('INVALID_INPUT', `metric step must be a finite number >= 0, got ${String(step)}`);
    }
    if (typeof wallTime !== 'number' || !Number.isFinite(wallTime)) {
      throw new StoreError('INVALID_INPUT', `metric wallTime must be a finite number, got ${String(wallTime)}`);
    }
    if (typeof values !== 'object' || values === null || Array.isArray(values)) {
      throw new StoreError('INVALID_INPUT', `metric values at step ${step} must be an object of numbers`);
    }
    const keys = Object.keys(values);
    if (keys.length === 0) return;
    // Validate everything before queueing anything.
    for (const key of keys) {
      const v = values[key];
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        throw new StoreError(
          'INVALID_INPUT',
          `metric ${JSON.stringify(key)} at step ${step} must be a finite number, got ` +
            `${typeof v === 'number' ? String(v) : `${typeof v} ${JSON.stringify(v)}`}; nothing was written`,
        );
      }
      if (!this.#fragments.has(key)) {
        assertMetricKey(key);
        this.#fragments.set(key, `,${JSON.stringify(key)}:`);
      }
    }
    // JSON.stringify(number), not `'' + number`: same text, but it bypasses V8's number-string
    // cache, which keeps every converted string alive into old space and causes ~10 ms
    // mark-compact pauses at high rates (measured: test/bench/store.ts).
    let line = '{"step":' + JSON.stringify(step) + ',"wallTime":' + JSON.stringify(wallTime);
    for (const key of keys) {
      const v = values[key];
      line += this.#fragments.get(key)! + JSON.stringify(v);
      let buf = this.#pendingPoints.get(key);
      if (!buf) this.#pendingPoints.set(key, (buf = new PointBuffer()));
      buf.push(step, wallTime, v);
    }
    line += '}\n';
    if (this.#chunkLen + line.length * 3 > this.#chunk.length) this.#newChunk(line.length * 3);
    const n = this.#chunk.write(line, this.#chunkLen, 'utf8');
    this.#chunkLen += n;
    this.#pendingBytes += n;
    this.#pendingRecords++;

    if (this.#pendingRecords === 1) {
      this.#firstPendingAt = performance.now();
      if (!this.#timer && !this.#writing) {
        this.#timer = setTimeout(() => this.#kick(), this.#flushIntervalMs);
        this.#timer.unref();
      }
    }
    // Also checked here so a loop that never yields to timers still flushes on time.
    if (this.#pendingBytes >= this.#chunkBytes || performance.now() - this.#firstPendingAt >= this.#flushIntervalMs) {
      this.#kick();
    }
  }

  /** Resolves when everything appended before the call is written (not necessarily fsynced). */
  async flush(): Promise<void> {
    while ((this.#pendingRecords > 0 || this.#writing) && !this.#failure) {
      this.#kick();
      await this.#writing;
    }
    if (this.#failure) throw this.#failure;
  }

  /**
   * Flushes, fsyncs and closes the files, then precomputes the chart overviews of the finished stream
   * (metric-format.ts). Further appends throw.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    let flushed = false;
    try {
      await this.flush();
      flushed = true;
    } finally {
      this.#closed = true;
      if (this.#timer) clearTimeout(this.#timer);
      this.#timer = null;
      if (this.#ready) {
        const { fh, cols } = await this.#ready.catch(() => ({ fh: null, cols: null }));
        await fh?.datasync().catch(() => undefined);
        await fh?.close();
        await cols?.close();
        // An optimisation only: a failure here leaves readers computing the buckets themselves.
        if (flushed) await cols?.writeOverviews().catch(() => undefined);
      }
    }
  }

  /** Retires the current chunk to #full and starts another with room for at least `need` bytes. */
  #newChunk(need: number): void {
    if (this.#chunkLen > 0) this.#full.push(this.#chunk.subarray(0, this.#chunkLen));
    this.#chunk =
      need <= this.#chunkBytes ? (this.#spareChunks.pop() ?? Buffer.allocUnsafe(this.#chunkBytes)) : Buffer.allocUnsafe(need);
    this.#chunkLen = 0;
  }

  #kick(): void {
    if (this.#timer) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
    if (this.#writing || this.#pendingRecords === 0 || this.#failure) return;
    this.#writing = this.#drain().finally(() => {
      this.#writing = null;
      // Records appended during the write: keep the 1 s promise for them.
      if (this.#pendingRecords > 0 && !this.#failure && !this.#closed) {
        const wait = Math.max(0, this.#flushIntervalMs - (performance.now() - this.#firstPendingAt));
        if (wait === 0 || this.#pendingBytes >= this.#chunkBytes) this.#kick();
        else {
          this.#timer = setTimeout(() => this.#kick(), wait);
          this.#timer.unref();
        }
      }
    });
  }

  async #drain(): Promise<void> {
    try {
      const { fh, cols } = await (this.#ready ??= this.#open());
      // Take ownership of what is pending; appends from now on fill the spare buffers.
      if (this.#chunkLen > 0) this.#newChunk(0);
      const chunks = this.#full;
      const bytes = this.#pendingBytes;
      const points = this.#pendingPoints;
      const records = this.#pendingRecords;
      this.#full = [];
      this.#pendingBytes = 0;
      this.#pendingRecords = 0;
      this.#pendingPoints = this.#sparePoints ?? new Map();
      this.#sparePoints = null;
      for (const c of chunks) await writeAll(fh, c);
      this.#recordsWritten += records;
      await cols.append(points, cols.jsonlBytes + bytes, records); // clears the point buffers
      this.#sparePoints = points;
      for (const c of chunks) {
        // Keep two full-size chunks for reuse (a retired chunk is a view of its whole allocation).
        if (c.byteOffset === 0 && c.buffer.byteLength === this.#chunkBytes && this.#spareChunks.length < 2) {
          this.#spareChunks.push(Buffer.from(c.buffer, 0, this.#chunkBytes));
        }
      }
      const now = performance.now();
      if (now - this.#lastSync >= this.#fsyncIntervalMs) {
        this.#lastSync = now;
        await fh.datasync();
      }
    } catch (e) {
      this.#failure =
        e instanceof StoreError ? e : new StoreError('INVALID_PATH', `writing metrics to ${this.path} failed: ${errorMessage(e)}`, { cause: e });
    }
  }

  /** Opens metrics.jsonl for appending; ends a line torn by a killed writer; repairs the sidecar. */
  async #open(): Promise<{ fh: FileHandle; cols: ColumnFiles }> {
    await mkdir(this.#runDir, { recursive: true });
    const fh = await open(this.path, 'a+');
    try {
      let size = (await fh.stat()).size;
      if (size > 0) {
        const last = Buffer.alloc(1);
        await fh.read(last, 0, 1, size - 1);
        if (last[0] !== 10) {
          await writeAll(fh, Buffer.from('\n'));
          size++;
        }
      }
      this.#lastSync = performance.now();
      const cols = await ColumnFiles.open(this.#runDir, size);
      return { fh, cols };
    } catch (e) {
      await fh.close();
      throw e;
    }
  }
}
