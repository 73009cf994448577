/**
 * Metric streams: runs/<id>/metrics.jsonl plus its column sidecar (format in metric-format.ts).
 * The training process appends through MetricWriter; everyone else reads through MetricReader.
 */
import { open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { StoreError } from './errors.js';
import { fsyncDir, tempPathFor, writeAll } from './fs-utils.js';
import { type Quarantine, type QuarantinedLine, quarantineLines } from './integrity.js';
import { ColumnFiles, fileSize, type IndexProblem, readMetricIndex, scanLines, verifyMetricIndex } from './metric-index.js';
import { lineProblem, METRIC_INDEX_DIR, METRICS_FILE, OVERVIEW_POINTS, parseLines } from './metric-format.js';

export { MetricWriter, type MetricWriterOptions } from './metric-writer.js';
export { MetricReader, readMetricSummary, type ReadFromResult } from './metric-reader.js';
export type { DownsampledPoint, DownsampledSeries, SeriesPoint } from './downsample.js';
export { METRICS_FILE, METRIC_INDEX_DIR, type MetricRecord } from './metric-format.js';

/**
 * Writes the chart overviews of a stream that lacks them: a run written before they existed, or one whose writer
 * was killed before its close — and rebuilds a sidecar that fails its checksums (verifyMetricIndex). Returns whether
 * it wrote anything (false when all is in place or no key has more points than the smallest overview). Only while
 * no MetricWriter has the run open.
 */
export async function ensureOverviews(runDir: string): Promise<boolean> {
  const size = await fileSize(join(runDir, METRICS_FILE));
  if (size === null) return false;
  const index = await readMetricIndex(runDir);
  const damaged = (await verifyMetricIndex(runDir)).status === 'damaged';
  if (index && index.jsonlBytes === size && !damaged) {
    if (index.overviews?.jsonlBytes === size) return false;
    if (!index.keys.some((k) => k.count > OVERVIEW_POINTS[0])) return false;
  }
  const cols = await ColumnFiles.open(runDir, size);
  await cols.close();
  await cols.writeOverviews();
  return true;
}

/** Rebuilds metrics.idx/ (columns and overviews) from metrics.jsonl. Only while no MetricWriter has the run open. */
export async function rebuildMetricIndex(runDir: string): Promise<void> {
  const size = await fileSize(join(runDir, METRICS_FILE));
  await rm(join(runDir, METRIC_INDEX_DIR), { recursive: true, force: true });
  if (size === null) return;
  const cols = await ColumnFiles.open(runDir, size);
  await cols.close();
  await cols.writeOverviews();
}

/**
 * Drops every record with `step > afterStep`, for resuming a run from a checkpoint at `afterStep`: the resumed run
 * re-logs those steps. Unreadable lines are not dropped silently: their original bytes go to a quarantine file first
 * (integrity.ts), returned with their line numbers. Rewrites metrics.jsonl atomically (kept lines byte for byte) and
 * rebuilds the sidecar, returning what was damaged in the old one. Only while no MetricWriter has the run open.
 */
export async function truncateMetrics(
  runDir: string,
  afterStep: number,
): Promise<{ kept: number; removed: number; quarantine: Quarantine | null; indexProblems: IndexProblem[] }> {
  if (typeof afterStep !== 'number' || Number.isNaN(afterStep)) {
    throw new StoreError('INVALID_INPUT', `truncateMetrics afterStep must be a number, got ${String(afterStep)}`);
  }
  const path = join(runDir, METRICS_FILE);
  const size = await fileSize(path);
  if (size === null) return { kept: 0, removed: 0, quarantine: null, indexProblems: [] };
  // The sidecar is rebuilt below either way; what was wrong with it is said, not silently replaced.
  const indexProblems = (await verifyMetricIndex(runDir)).problems;
  const tmp = tempPathFor(path);
  let kept = 0;
  let removed = 0;
  let line = 0;
  const bad: QuarantinedLine[] = [];
  let quarantine: Quarantine | null = null;
  try {
    const out = await open(tmp, 'w');
    try {
      await scanLines(path, 0, size, async (text, _offset, bytes) => {
        const ends = lineEnds(bytes);
        let parsed = parseLines(text);
        // One record per line of bytes (a newline byte never sits inside a UTF-8 sequence); re-parse per line if not.
        if (parsed.length !== ends.length) parsed = ends.map((end, i) => parseLines(bytes.toString('utf8', i === 0 ? 0 : ends[i - 1]! + 1, end))[0] ?? null);
        // Kept lines are copied as runs of consecutive lines (usually one run per chunk), not one write per line.
        let runStart = -1;
        let runEnd = -1;
        const runs: [number, number][] = [];
        let start = 0;
        parsed.forEach((r, i) => {
          const end = ends[i]!;
          line++;
          if (r && (r.step as number) <= afterStep) {
            if (runEnd !== start) {
              if (runStart >= 0) runs.push([runStart, runEnd]);
              runStart = start;
            }
            runEnd = end + 1;
            kept++;
          } else {
            removed++;
            if (!r) {
              const raw = bytes.subarray(start, end);
              bad.push({ line, reason: lineProblem(raw.toString('utf8')) ?? 'unreadable', bytes: Uint8Array.from(raw) });
            }
          }
          start = end + 1;
        });
        if (runStart >= 0) runs.push([runStart, runEnd]);
        for (const [a, b] of runs) {
          await writeAll(out, bytes.subarray(a, Math.min(b, bytes.length)));
          if (b > bytes.length) await writeAll(out, NEWLINE); // the chunk's last line lost its newline to the scan
        }
      });
      await out.sync();
    } finally {
      await out.close();
    }
    if (bad.length > 0) quarantine = await quarantineLines(runDir, bad, `metrics.jsonl was cut back to step ${afterStep} for a resume`);
    // Readers and the sidecar must never pair the new jsonl with the old index: drop it first.
    await rm(join(runDir, METRIC_INDEX_DIR), { recursive: true, force: true });
    await rename(tmp, path);
    await fsyncDir(runDir);
  } catch (e) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw e;
  }
  await rebuildMetricIndex(runDir);
  return { kept, removed, quarantine, indexProblems };
}

const NEWLINE = new Uint8Array([10]);

/** Offsets of each line's end in a chunk of whole lines without its final newline (the last one: the length). */
function lineEnds(bytes: Buffer): number[] {
  const ends: number[] = [];
  for (let i = bytes.indexOf(10); i >= 0; i = bytes.indexOf(10, i + 1)) ends.push(i);
  ends.push(bytes.length);
  return ends;
}
