/**
 * Export runs for analysis elsewhere:
 * - CSV, the one long format (core/api/metrics-csv.ts): `run_id,run,key,step,wall_time,value`, one row per
 *   metric value, the same columns the app's Export CSV and per-chart CSV write.
 * - JSON: `{ format, version, exportedAt, runs: [{ run: <record incl. config>, metrics: [{step, wallTime, values}] }] }`.
 * Every id and the path are checked before anything is written; the file is written to a temp
 * file beside the target and renamed into place, so a failed export leaves nothing behind.
 */
import { type FileHandle, open, rm, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { errorMessage, isNodeError, StoreError } from './errors.js';
import { renameWithRetry, tempPathFor, writeAll } from './fs-utils.js';
import { MetricReader } from './metric-reader.js';
import { METRICS_CSV_HEADER_ROW, metricsCsvRow } from './csv.js';
import type { RunRecord } from './schema.js';

/** What export needs from a store (RunStore fits). */
export interface ExportSource {
  getRun(id: string): RunRecord;
  runDir(id: string): string;
}

export interface ExportResult {
  path: string;
  runs: number;
  /** CSV: data rows; JSON: metric records. */
  rows: number;
}

async function checkTarget(path: unknown): Promise<string> {
  if (typeof path !== 'string' || path.trim() === '') {
    throw new StoreError('INVALID_PATH', `export path must be a file path, got ${JSON.stringify(path)}`);
  }
  const target = resolve(path);
  const dir = dirname(target);
  try {
    if (!(await stat(dir)).isDirectory()) throw new StoreError('INVALID_PATH', `export path ${target}: ${dir} is not a folder`);
  } catch (e) {
    if (e instanceof StoreError) throw e;
    throw new StoreError('INVALID_PATH', `export path ${target}: folder ${dir} does not exist`, { cause: e });
  }
  try {
    if ((await stat(target)).isDirectory()) throw new StoreError('INVALID_PATH', `export path ${target} is a folder; give a file name`);
  } catch (e) {
    if (e instanceof StoreError) throw e;
    if (!(isNodeError(e) && e.code === 'ENOENT')) throw new StoreError('INVALID_PATH', `export path ${target}: ${errorMessage(e)}`);
  }
  return target;
}

function checkRuns(source: ExportSource, ids: unknown): RunRecord[] {
  if (!Array.isArray(ids) || ids.length === 0) throw new StoreError('INVALID_INPUT', 'export needs at least one run id');
  return ids.map((id) => source.getRun(id as string)); // throws UNKNOWN_RUN naming the id
}

/** Buffered writes into a temp file that becomes `target` only if everything succeeds. */
async function writeVia(target: string, body: (write: (s: string) => Promise<void>) => Promise<void>): Promise<void> {
  const tmp = tempPathFor(target);
  let fh: FileHandle | null = null;
  try {
    fh = await open(tmp, 'wx');
    const out = fh;
    let pending: string[] = [];
    let size = 0;
    const drain = async () => {
      if (pending.length === 0) return;
      const s = pending.join('');
      pending = [];
      size = 0;
      await writeAll(out, Buffer.from(s, 'utf8'));
    };
    await body(async (s) => {
      pending.push(s);
      size += s.length;
      if (size >= 1 << 20) await drain();
    });
    await drain();
    await fh.close();
    fh = null;
    await renameWithRetry(tmp, target);
  } catch (e) {
    await fh?.close().catch(() => undefined);
    await rm(tmp, { force: true }).catch(() => undefined);
    throw e;
  }
}

export async function exportRunsCsv(source: ExportSource, ids: readonly string[], path: string): Promise<ExportResult> {
  const runs = checkRuns(source, ids);
  const target = await checkTarget(path);
  let rows = 0;
  await writeVia(target, async (write) => {
    await write(METRICS_CSV_HEADER_ROW);
    for (const run of runs) {
      for await (const records of new MetricReader(source.runDir(run.id)).records()) {
        let chunk = '';
        for (const r of records) {
          for (const key in r.values) {
            // wallTime is stored in seconds; the format's wall_time is ISO 8601 from ms.
            chunk += metricsCsvRow(run.id, run.name, key, r.step, r.wallTime * 1000, r.values[key]!);
            rows++;
          }
        }
        await write(chunk);
      }
    }
  });
  return { path: target, runs: runs.length, rows };
}

export async function exportRunsJson(source: ExportSource, ids: readonly string[], path: string): Promise<ExportResult> {
  const runs = checkRuns(source, ids);
  const target = await checkTarget(path);
  let rows = 0;
  await writeVia(target, async (write) => {
    await write(`{"format":"policylab-runs","version":1,"exportedAt":${JSON.stringify(new Date().toISOString())},"runs":[\n`);
    for (let i = 0; i < runs.length; i++) {
      await write(`${i > 0 ? ',\n' : ''}{"run":${JSON.stringify(runs[i])},"metrics":[`);
      let first = true;
      for await (const records of new MetricReader(source.runDir(runs[i].id)).records()) {
        let chunk = '';
        for (const r of records) {
          chunk += `${first ? '\n' : ',\n'}${JSON.stringify(r)}`;
          first = false;
          rows++;
        }
        await write(chunk);
      }
      await write(']}');
    }
    await write('\n]}\n');
  });
  return { path: target, runs: runs.length, rows };
}
