/**
 * Metric streams: runs/<id>/metrics.jsonl plus its column sidecar (format in metric-format.ts).
 * The training process appends through MetricWriter; everyone else reads through MetricReader.
 */
import { open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { StoreError } from './errors.js';
import { fsyncDir, tempPathFor, writeAll } from './fs-utils.js';
import { ColumnFiles, fileSize, readMetricIndex, scanLines } from './metric-index.js';
import { METRIC_INDEX_DIR, METRICS_FILE, OVERVIEW_POINTS, parseLines } from './metric-format.js';

export { MetricWriter, type MetricWriterOptions } from './metric-writer.js';
export { MetricReader, readMetricSummary, type ReadFromResult } from './metric-reader.js';
export type { DownsampledPoint, DownsampledSeries, SeriesPoint } from './downsample.js';
export { METRICS_FILE, METRIC_INDEX_DIR, type MetricRecord } from './metric-format.js';

/**
 * Writes the chart overviews of a stream that lacks them: a run written before they existed, or one whose writer
 * was killed before its close. Returns whether it wrote any (false when they exist or no key has more points than
 * the smallest overview). Only while no MetricWriter has the run open.
 */
export async function ensureOverviews(runDir: string): Promise<boolean> {
  const size = await fileSize(join(runDir, METRICS_FILE));
  if (size === null) return false;
  const index = await readMetricIndex(runDir);
  if (index && index.jsonlBytes === size) {
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
 * Drops every record with `step > afterStep` (and malformed lines), for resuming a run from a
 * checkpoint at `afterStep`: the resumed run re-logs those steps. Rewrites metrics.jsonl atomically
 * (kept lines byte for byte) and rebuilds the sidecar. Only while no MetricWriter has the run open.
 */
export async function truncateMetrics(runDir: string, afterStep: number): Promise<{ kept: number; removed: number }> {
  if (typeof afterStep !== 'number' || Number.isNaN(afterStep)) {
    throw new StoreError('INVALID_INPUT', `truncateMetrics afterStep must be a number, got ${String(afterStep)}`);
  }
  const path = join(runDir, METRICS_FILE);
  const size = await fileSize(path);
  if (size === null) return { kept: 0, removed: 0 };
  const tmp = tempPathFor(path);
  let kept = 0;
  let removed = 0;
  try {
    const out = await open(tmp, 'w');
    try {
      await scanLines(path, 0, size, async (text) => {
        const lines = text.split('\n');
        const parsed = parseLines(text);
        let chunk = '';
        parsed.forEach((r, i) => {
          if (r && (r.step as number) <= afterStep) {
            chunk += `${lines[i]}\n`;
            kept++;
          } else removed++;
        });
        if (chunk) await writeAll(out, Buffer.from(chunk, 'utf8'));
      });
      await out.sync();
    } finally {
      await out.close();
    }
    // Readers and the sidecar must never pair the new jsonl with the old index: drop it first.
    await rm(join(runDir, METRIC_INDEX_DIR), { recursive: true, force: true });
    await rename(tmp, path);
    await fsyncDir(runDir);
  } catch (e) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw e;
  }
  await rebuildMetricIndex(runDir);
  return { kept, removed };
}
