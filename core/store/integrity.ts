/**
 * What is damaged in a run's folder, for the run log, the run view and `policylab runs`:
 *   metrics.jsonl  lines that are not records (a torn last line excepted: that is what a killed writer leaves),
 *                  with their line numbers, and the quarantine files earlier rewrites moved such lines to;
 *   metrics.idx/   whether the column index matches its checksums (a damaged one is read around and rebuilt);
 *   checkpoints/   damaged checkpoints (file and reason), those a resume moved aside, and those written before
 *                  checksums existed (unverified).
 * Quarantine: before metrics.jsonl is rewritten (truncateMetrics, on a resume) its unreadable lines are copied byte for
 * byte to `metrics.jsonl.quarantine-<time>`, with a note `metrics.jsonl.quarantine-<time>.json` giving each line's
 * number in the file it came from, why it was unreadable, and where its bytes are — never dropped silently.
 */
import { open, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { type DamagedCheckpoint, listSetAsideCheckpoints, type SetAsideCheckpoint, verifyCheckpoints } from './checkpoints.js';
import { isNodeError } from './errors.js';
import { fileTimestamp, fsyncDir, writeAll, writeFileAtomic } from './fs-utils.js';
import { type IndexProblem, type IndexStatus, SCAN_CHUNK_BYTES, scanLines, verifyMetricIndex } from './metric-index.js';
import { lineProblem, METRICS_FILE, parseLines } from './metric-format.js';
import { type ChecksumState, type Checksummer, checksummer } from './checksum.js';
import { type CachedLineScan, type IntegrityCache, lineScanKey, processIntegrityCache } from './integrity-cache.js';

/** Most bad lines a report lists one by one (the count is always complete). */
export const MAX_REPORTED_LINES = 1_000;

export interface BadLine {
  /** 1-based line number in the file it was read from. */
  line: number;
  reason: string;
}

export interface Quarantine {
  /** The quarantine file (the lines' original bytes, one per line). */
  path: string;
  createdAt: string;
  /** Why the lines were moved (what rewrote metrics.jsonl). */
  why: string;
  lines: BadLine[];
}

export interface MetricsIntegrity {
  /** Unreadable lines of metrics.jsonl as it is now (at most MAX_REPORTED_LINES of them). */
  badLines: BadLine[];
  badLineCount: number;
  /** Bytes after the last newline: a line a killed writer tore (tolerated: the next writer ends it). */
  tornTailBytes: number;
  /** The newest quarantine file, or null when lines were never quarantined. */
  quarantine: string | null;
  /** Every quarantine, oldest first. */
  quarantines: Quarantine[];
  /** The column index (metrics.idx/): its state and what is wrong with it. */
  index: { status: IndexStatus; problems: IndexProblem[] };
}

export interface CheckpointIntegrity {
  /** Damaged checkpoints still in place (every file checked), oldest step first. */
  damaged: DamagedCheckpoint[];
  /** Damaged checkpoints a resume moved aside. */
  setAside: SetAsideCheckpoint[];
  /** Steps of intact checkpoints written before checksums existed (loadable, not verifiable). */
  unverified: number[];
}

export interface RunIntegrity {
  metrics: MetricsIntegrity;
  checkpoints: CheckpointIntegrity;
  /** Whether anything needs the user's attention (bad lines, quarantines, a damaged index or checkpoint). */
  problems: boolean;
}

const QUARANTINE_NOTE = /^metrics\.jsonl\.quarantine-[0-9TZ.]+(?:-\d+)?\.json$/;

/** Unreadable lines of metrics.jsonl (line numbers and reasons), its quarantines, and the column index's state. */
export async function metricsIntegrity(runDir: string, options: IntegrityOptions = {}): Promise<MetricsIntegrity> {
  const cache = options.cache ?? processIntegrityCache;
  const [lines, quarantines, index] = await Promise.all([scanBadLines(runDir, cache, options.pace), listQuarantines(runDir), verifyMetricIndex(runDir, options)]);
  return { ...lines, quarantine: quarantines.at(-1)?.path ?? null, quarantines, index };
}

/** The checksum state of bytes [0, end) of a file (what an incremental scan checks is unchanged before going on). */
async function prefixState(path: string, end: number, sum: Checksummer): Promise<ChecksumState> {
  let state = sum.start();
  if (end === 0) return state;
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(Math.min(end, SCAN_CHUNK_BYTES));
    for (let pos = 0; pos < end; ) {
      const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, end - pos), pos);
      if (bytesRead === 0) break; // shorter than `end`: the digest cannot match
      state = sum.extend(state, buf.subarray(0, bytesRead));
      pos += bytesRead;
    }
    return state;
  } finally {
    await fh.close();
  }
}

const NEWLINE = new Uint8Array([10]);

async function scanBadLines(runDir: string, cache: IntegrityCache, pace?: () => Promise<void>): Promise<Omit<MetricsIntegrity, 'quarantine' | 'quarantines' | 'index'>> {
  const path = join(runDir, METRICS_FILE);
  let signature: string;
  let file: string;
  let size: number;
  try {
    const s = await stat(path, { bigint: true });
    file = `${s.dev}:${s.ino}`;
    size = Number(s.size);
    signature = `${file}:${s.size}:${s.mtimeNs}`;
  } catch (e) {
    if (isNodeError(e) && e.code === 'ENOENT') return { badLines: [], badLineCount: 0, tornTailBytes: 0 };
    throw e;
  }
  const key = lineScanKey(runDir);
  const cached = cache.get(key, signature);
  const report = (r: CachedLineScan) => ({ badLines: r.badLines, badLineCount: r.badLineCount, tornTailBytes: r.tornTailBytes });
  if (cached?.kind === 'lines') return report(cached);
  // The same file grown (a live run appending): parse only what follows the last scan, if every byte before its end
  // is the one it read (checked by checksum: reading and hashing costs a small part of parsing). A rewrite (a
  // resume's truncateMetrics) is a new file; anything else is scanned afresh.
  const sum = await checksummer();
  const before = cache.peek(key)?.value;
  let state = sum.start();
  let resume: CachedLineScan | null = null;
  if (before?.kind === 'lines' && before.file === file && before.end <= size) {
    state = await prefixState(path, before.end, sum);
    if (sum.digest(state) === before.guard) resume = before;
    else state = sum.start();
  }
  const badLines: BadLine[] = resume ? [...resume.badLines] : [];
  let badLineCount = resume?.badLineCount ?? 0;
  let line = resume?.lines ?? 0;
  const end = await scanLines(path, resume?.end ?? 0, size, async (text, _offset, bytes) => {
    state = sum.extend(sum.extend(state, bytes), NEWLINE);
    const parsed = parseLines(text);
    if (parsed.includes(null)) {
      const texts = text.split('\n');
      parsed.forEach((r, i) => {
        if (r) return;
        badLineCount++;
        if (badLines.length < MAX_REPORTED_LINES) badLines.push({ line: line + i + 1, reason: lineProblem(texts[i] ?? '') ?? 'unreadable' });
      });
    }
    line += parsed.length;
    await pace?.();
  });
  const scan: CachedLineScan = { kind: 'lines', file, end, lines: line, guard: sum.digest(state), badLines, badLineCount, tornTailBytes: size - end };
  cache.set(key, signature, scan);
  return report(scan);
}

/** Every quarantine of a run's metrics, oldest first (from the notes written with them). */
export async function listQuarantines(runDir: string): Promise<Quarantine[]> {
  const names = await readdir(runDir).catch(() => [] as string[]);
  const out: Quarantine[] = [];
  for (const n of names.filter((x) => QUARANTINE_NOTE.test(x))) {
    const note = await readFile(join(runDir, n), 'utf8').then((t) => JSON.parse(t) as Partial<QuarantineNote>, () => null);
    out.push({
      path: join(runDir, n.slice(0, -'.json'.length)),
      createdAt: typeof note?.createdAt === 'string' ? note.createdAt : '',
      why: typeof note?.why === 'string' ? note.why : 'unknown (its note is unreadable)',
      lines: Array.isArray(note?.lines) ? note.lines.map((l) => ({ line: Number(l.line), reason: String(l.reason) })) : [],
    });
  }
  return out.sort((a, b) => a.path.localeCompare(b.path));
}

interface QuarantineNote {
  source: string;
  createdAt: string;
  why: string;
  /** Each line: its number in the source, why it was unreadable, and where its bytes are in the quarantine file. */
  lines: { line: number; reason: string; offset: number; length: number }[];
}

/** An unreadable line on its way to quarantine: its number, reason and original bytes. */
export interface QuarantinedLine extends BadLine {
  bytes: Uint8Array;
}

/**
 * Copies unreadable lines, byte for byte, to `metrics.jsonl.quarantine-<time>` (fsynced, with its note) before
 * the caller rewrites metrics.jsonl without them. Returns what was written.
 */
export async function quarantineLines(runDir: string, lines: readonly QuarantinedLine[], why: string, now = new Date()): Promise<Quarantine> {
  const base = `${METRICS_FILE}.quarantine-${fileTimestamp(now)}`;
  let name = base;
  let fh: import('node:fs/promises').FileHandle | null = null;
  for (let i = 2; fh === null; i++) {
    try {
      fh = await open(join(runDir, name), 'wx');
    } catch (e) {
      if (!(isNodeError(e) && e.code === 'EEXIST') || i > 100) throw e;
      name = `${base}-${i}`;
    }
  }
  const note: QuarantineNote = { source: METRICS_FILE, createdAt: now.toISOString(), why, lines: [] };
  try {
    let offset = 0;
    const newline = new Uint8Array([10]);
    for (const l of lines) {
      await writeAll(fh, l.bytes);
      await writeAll(fh, newline);
      note.lines.push({ line: l.line, reason: l.reason, offset, length: l.bytes.byteLength });
      offset += l.bytes.byteLength + 1;
    }
    await fh.sync();
  } finally {
    await fh.close();
  }
  await writeFileAtomic(join(runDir, `${name}.json`), JSON.stringify(note, null, 2), { fsync: true });
  await fsyncDir(runDir);
  return { path: join(runDir, name), createdAt: note.createdAt, why, lines: lines.map(({ line, reason }) => ({ line, reason })) };
}

export interface IntegrityOptions {
  /**
   * Where scans are kept: the data folder's integrity-cache.json for the app and `policylab runs`; in memory for the
   * process when omitted.
   */
  cache?: IntegrityCache;
  /**
   * Awaited between chunks of a scan (each MB of metrics.jsonl parsed, each column hashed): the app's background scan
   * waits there while requests are being answered, so a scan that misses its cache does not compete with them.
   */
  pace?: () => Promise<void>;
}

/** The whole integrity report of one run folder. */
export async function runIntegrity(runDir: string, options: IntegrityOptions = {}): Promise<RunIntegrity> {
  const [metrics, checked, setAside] = await Promise.all([metricsIntegrity(runDir, options), verifyCheckpoints(runDir), listSetAsideCheckpoints(runDir)]);
  const checkpoints: CheckpointIntegrity = { damaged: checked.damaged, setAside, unverified: checked.unverified };
  const problems =
    metrics.badLineCount > 0 || metrics.quarantines.length > 0 || metrics.index.status === 'damaged' ||
    checkpoints.damaged.length > 0 || checkpoints.setAside.length > 0;
  return { metrics, checkpoints, problems };
}


/** What is damaged in a run, in one line (`policylab runs`, system:info), or null when nothing is. */
export function summarizeIntegrity(report: RunIntegrity): string | null {
  if (!report.problems) return null;
  const parts: string[] = [];
  const { metrics, checkpoints } = report;
  const listLines = (lines: readonly BadLine[], total: number): string => {
    const shown = lines.slice(0, 5).map((l) => l.line).join(', ');
    return `line${total === 1 ? '' : 's'} ${shown}${total > 5 ? `, … (${total} in all)` : ''}`;
  };
  if (metrics.badLineCount > 0) {
    parts.push(`${metrics.badLineCount} unreadable metrics.jsonl line${metrics.badLineCount === 1 ? '' : 's'} (${listLines(metrics.badLines, metrics.badLineCount)})`);
  }
  const quarantined = metrics.quarantines.reduce((n, q) => n + q.lines.length, 0);
  if (metrics.quarantines.length > 0) {
    parts.push(`${quarantined} line${quarantined === 1 ? '' : 's'} quarantined in ${metrics.quarantines.length} file${metrics.quarantines.length === 1 ? '' : 's'} (newest ${metrics.quarantine})`);
  }
  if (metrics.index.status === 'damaged') parts.push('metrics index damaged (rebuilt from metrics.jsonl when read)');
  if (checkpoints.damaged.length > 0) {
    parts.push(`damaged checkpoint${checkpoints.damaged.length === 1 ? '' : 's'} at step ${checkpoints.damaged.map((c) => c.step).join(', ')}`);
  }
  if (checkpoints.setAside.length > 0) {
    parts.push(`checkpoint${checkpoints.setAside.length === 1 ? '' : 's'} at step ${checkpoints.setAside.map((c) => c.step).join(', ')} moved aside as damaged`);
  }
  return parts.join('; ');
}

/** The integrity figures `policylab runs --json` adds to each record. */
export function integrityCounts(report: RunIntegrity): {
  problems: boolean;
  badLineCount: number;
  badLines: number[];
  quarantinedLines: number;
  quarantines: string[];
  indexStatus: IndexStatus;
  damagedCheckpoints: number[];
  setAsideCheckpoints: number[];
} {
  return {
    problems: report.problems,
    badLineCount: report.metrics.badLineCount,
    badLines: report.metrics.badLines.map((l) => l.line),
    quarantinedLines: report.metrics.quarantines.reduce((n, q) => n + q.lines.length, 0),
    quarantines: report.metrics.quarantines.map((q) => q.path),
    indexStatus: report.metrics.index.status,
    damagedCheckpoints: report.checkpoints.damaged.map((c) => c.step),
    setAsideCheckpoints: report.checkpoints.setAside.map((c) => c.step),
  };
}
