/**
 * Import other libraries' runs into the index as read-only external runs: TensorBoard event files (CleanRL, SB3,
 * anything written with torch.utils.tensorboard / tensorboardX / TF) and SB3 `monitor.csv` files.
 *
 * All or nothing: every source is read and checked first (a malformed one is refused with its record or line
 * number, and nothing is written); then each run folder is written complete under a dot-prefixed temp name in
 * runs/ (which the store never lists), renamed to runs/<id> in one step and indexed. If any step fails, every folder
 * written so far is removed.
 */
import { readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { METRIC } from '../common/metrics.js';
import { MetricWriter, newRunId, readMetricSummary, RUN_FILE, RUNS_DIR, type RunRecord, type RunStore } from '../store/index.js';
import { runFileText } from '../store/run-record.js';
import { writeFileAtomic } from '../store/fs-utils.js';
import { type Crc32c, crc32c } from './crc32c.js';
import { ImportError } from './errors.js';
import { mapTag } from './map-keys.js';
import { parseMonitorCsv } from './sb3-monitor.js';
import { parseEventFile, parseHyperparameterTable, type ScalarEvent } from './tensorboard.js';

export { ImportError } from './errors.js';

export type ExternalFormat = 'tensorboard' | 'sb3-monitor';

/** A file to import, already in memory (a path on disk, or an upload in browser mode). */
export interface SourceFile {
  /** Path relative to the source (the file's name when the source is the file). */
  rel: string;
  bytes: Uint8Array;
}

/** What becomes one run: the event files of one folder, or one monitor.csv. */
export interface SourceGroup {
  format: ExternalFormat;
  /** As the user gave it (absolute path, or the upload's name). */
  path: string;
  /** The folder (or file) name the run is named after. */
  label: string;
  files: SourceFile[];
}

export interface ParsedRun {
  group: SourceGroup;
  library: string;
  name: string;
  algo: string;
  env: string;
  seed: number;
  config: Record<string, unknown>;
  /** Records in step order, at most one value per key each. */
  records: { step: number; wallTime: number; values: Record<string, number> }[];
  episodes: number;
  skipped: number;
}

export interface ImportOptions {
  /** Run name (one run), or the prefix of every name (`<name>/<label>`) when several runs are imported. */
  name?: string;
}

const EVENT_FILE = /^events\.out\.tfevents\./;
const MONITOR_FILE = /(^|\.)monitor\.csv$/;
/** CleanRL's run_name: f"{env_id}__{exp_name}__{seed}__{int(time.time())}". */
const CLEANRL_NAME = /^(.+?)__(.+?)__(-?\d+)__(\d+)$/;
const STALE_TEMP_MS = 60 * 60 * 1000;
const TEMP_PREFIX = '.import-';

/** Finds the runs under `paths`: a monitor.csv file, an event file, or a folder searched for both. */
export async function collectSources(paths: readonly string[]): Promise<SourceGroup[]> {
  if (paths.length === 0) throw new ImportError('nothing to import: give one or more event files, monitor.csv files or folders');
  const groups: SourceGroup[] = [];
  for (const given of paths) {
    const abs = resolve(given);
    const s = await stat(abs).catch(() => null);
    if (!s) throw new ImportError(`${given}: no such file or folder`, given);
    if (s.isFile()) {
      const name = basename(abs);
      const format: ExternalFormat | null = EVENT_FILE.test(name) ? 'tensorboard' : MONITOR_FILE.test(name) ? 'sb3-monitor' : null;
      if (!format) throw new ImportError(`${given}: neither a TensorBoard event file (events.out.tfevents.*) nor an SB3 monitor.csv`, given);
      groups.push({ format, path: abs, label: labelOf(abs), files: [{ rel: name, bytes: await readFile(abs) }] });
      continue;
    }
    const before = groups.length;
    await walk(abs, groups);
    if (groups.length === before) throw new ImportError(`${given}: no event files (events.out.tfevents.*) or monitor.csv files in this folder`, given);
  }
  return groups;
}

/** A run is named after its folder (CleanRL's run_name), or after the prefix of `<prefix>.monitor.csv`. */
export function labelOf(filePath: string): string {
  const name = basename(filePath);
  const prefix = MONITOR_FILE.test(name) ? name.replace(/\.?monitor\.csv$/, '') : '';
  return prefix !== '' ? prefix : basename(dirname(filePath));
}

async function walk(dir: string, out: SourceGroup[]): Promise<void> {
  const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
  const events = entries.filter((e) => e.isFile() && EVENT_FILE.test(e.name));
  if (events.length > 0) {
    const files = await Promise.all(events.map(async (e) => ({ rel: e.name, bytes: await readFile(join(dir, e.name)) })));
    out.push({ format: 'tensorboard', path: dir, label: basename(dir), files });
  }
  for (const e of entries) {
    if (e.isFile() && MONITOR_FILE.test(e.name)) {
      const path = join(dir, e.name);
      out.push({ format: 'sb3-monitor', path, label: labelOf(path), files: [{ rel: e.name, bytes: await readFile(path) }] });
    } else if (e.isDirectory() && !e.name.startsWith('.')) {
      await walk(join(dir, e.name), out);
    }
  }
}

/** Scalars → records in step order: a key already in the record at that step starts the next record. */
function toRecords(scalars: readonly ScalarEvent[]): ParsedRun['records'] {
  const sorted = scalars.map((s, i) => ({ s, i })).sort((a, b) => a.s.step - b.s.step || a.s.wallTime - b.s.wallTime || a.i - b.i);
  const out: ParsedRun['records'] = [];
  let open: ParsedRun['records'] = [];
  let openStep = -1;
  for (const { s } of sorted) {
    if (s.step !== openStep) {
      open = [];
      openStep = s.step;
    }
    const { keys, scale = 1 } = mapTag(s.tag);
    const value = s.value * scale;
    if (!Number.isFinite(value)) continue;
    let rec = open.find((r) => keys.every((k) => !(k in r.values)));
    if (!rec) {
      rec = { step: s.step, wallTime: s.wallTime, values: {} };
      open.push(rec);
      out.push(rec);
    }
    for (const k of keys) rec.values[k] = value;
  }
  return out;
}

function parseTensorboard(group: SourceGroup, crc: Crc32c): ParsedRun {
  const scalars: ScalarEvent[] = [];
  let skipped = 0;
  let config: Record<string, unknown> = {};
  for (const f of group.files) {
    const where = group.files.length === 1 && group.path.endsWith(f.rel) ? group.path : join(group.path, f.rel);
    const c = parseEventFile(f.bytes, crc, where);
    scalars.push(...c.scalars);
    skipped += c.skipped;
    const hp = c.texts.get('hyperparameters/text_summary') ?? c.texts.get('hyperparameters');
    if (hp) config = parseHyperparameterTable(hp);
  }
  if (scalars.length === 0) throw new ImportError(`${group.path}: no scalar values in ${group.files.length} event file(s)`, group.path);
  const tags = new Set(scalars.map((s) => s.tag));
  const m = CLEANRL_NAME.exec(group.label);
  const library = m || tags.has('charts/episodic_return') ? 'CleanRL' : tags.has('rollout/ep_rew_mean') || tags.has('time/fps') ? 'Stable-Baselines3' : 'TensorBoard';
  const exp = m?.[2] ?? (typeof config.exp_name === 'string' ? config.exp_name : null);
  const seed = m ? Number(m[3]) : Number.isInteger(config.seed) ? (config.seed as number) : 0;
  const env = m?.[1] ?? (typeof config.env_id === 'string' && config.env_id !== '' ? config.env_id : 'unknown');
  const records = toRecords(scalars);
  return {
    group,
    library,
    name: group.label,
    algo: `${library.toLowerCase().replace(/[^a-z0-9]+/g, '')}${exp ? `:${exp}` : ''}`,
    env,
    seed,
    config,
    records,
    episodes: scalars.filter((s) => s.tag === 'charts/episodic_return').length,
    skipped,
  };
}

function parseMonitor(group: SourceGroup): ParsedRun {
  const f = group.files[0]!;
  const text = new TextDecoder('utf-8', { fatal: false }).decode(f.bytes);
  const m = parseMonitorCsv(text, group.path);
  return {
    group,
    library: 'Stable-Baselines3',
    name: group.label,
    algo: 'sb3',
    env: m.envId ?? 'unknown',
    seed: 0,
    config: { t_start: m.tStart, ...(m.envId ? { env_id: m.envId } : {}) },
    records: m.episodes.map((e) => ({
      step: e.step,
      wallTime: e.wallTime,
      values: { [METRIC.episodicReturn]: e.return, [METRIC.episodicLength]: e.length, [METRIC.episodeReturn]: e.return, [METRIC.episodeLength]: e.length },
    })),
    episodes: m.episodes.length,
    skipped: 0,
  };
}

/** Reads and checks every group; the first malformed one is refused (ImportError naming file and record/line). */
export async function parseSources(groups: readonly SourceGroup[], opts: ImportOptions = {}): Promise<ParsedRun[]> {
  const crc = await crc32c();
  const runs = groups.map((g) => (g.format === 'tensorboard' ? parseTensorboard(g, crc) : parseMonitor(g)));
  if (opts.name !== undefined) {
    const name = opts.name.trim();
    if (name === '' || name.length > 200) throw new ImportError('--name must be 1 to 200 characters');
    for (const r of runs) r.name = runs.length === 1 ? name : `${name}/${r.name}`;
  }
  return runs;
}

function iso(seconds: number): string | null {
  return Number.isFinite(seconds) && seconds > 0 ? new Date(seconds * 1000).toISOString() : null;
}

/** Writes one run folder complete under `tmp` (metrics, then run.json last). */
async function writeRunFolder(tmp: string, id: string, run: ParsedRun, importedAt: string): Promise<void> {
  const writer = new MetricWriter(tmp);
  try {
    for (const r of run.records) writer.append(r.step, r.values, r.wallTime);
  } finally {
    await writer.close();
  }
  const summary = await readMetricSummary(tmp);
  const first = run.records[0]!;
  const last = run.records.at(-1)!;
  let firstWall = Infinity;
  let lastWall = -Infinity;
  for (const r of run.records) {
    firstWall = Math.min(firstWall, r.wallTime);
    lastWall = Math.max(lastWall, r.wallTime);
  }
  const record: RunRecord = {
    id,
    name: run.name,
    algo: run.algo,
    env: run.env,
    config: run.config,
    seed: run.seed,
    status: 'finished',
    backend: null,
    createdAt: importedAt,
    updatedAt: importedAt,
    startedAt: iso(firstWall),
    endedAt: iso(lastWall),
    activeMs: Number.isFinite(lastWall - firstWall) ? Math.max(0, Math.round((lastWall - firstWall) * 1000)) : 0,
    runningSince: null,
    step: Math.max(first.step, last.step),
    // The run is complete: its length is the steps it reached (so it shows as done, never as resumable).
    totalSteps: Math.max(first.step, last.step),
    episodes: run.episodes,
    tags: ['external', run.library],
    notes: '',
    summary,
    error: null,
    pid: null,
    owner: null,
    external: {
      format: run.group.format,
      library: run.library,
      path: run.group.path,
      files: run.group.files.map((f) => f.rel),
      importedAt,
    },
  };
  await writeFileAtomic(join(tmp, RUN_FILE), runFileText(record));
}

/** Removes import temp folders a killed import left (older than an hour: a live import renames within seconds). */
async function removeStaleImports(runsDir: string): Promise<void> {
  const names = await readdir(runsDir).catch(() => [] as string[]);
  const now = Date.now();
  for (const n of names.filter((x) => x.startsWith(TEMP_PREFIX))) {
    const s = await stat(join(runsDir, n)).catch(() => null);
    if (s && now - s.mtimeMs > STALE_TEMP_MS) await rm(join(runsDir, n), { recursive: true, force: true }).catch(() => undefined);
  }
}

/** Writes the parsed runs into the store, all or nothing. Returns the new records. */
export async function writeRuns(store: RunStore, runs: readonly ParsedRun[]): Promise<RunRecord[]> {
  const runsDir = join(store.home, RUNS_DIR);
  await removeStaleImports(runsDir);
  const importedAt = new Date().toISOString();
  const placed: string[] = [];
  const temps: string[] = [];
  const adopted: RunRecord[] = [];
  try {
    const ids: string[] = [];
    for (const run of runs) {
      let id = newRunId();
      while (store.findRun(id) || ids.includes(id)) id = newRunId();
      ids.push(id);
      const tmp = join(runsDir, `${TEMP_PREFIX}${id}`);
      temps.push(tmp);
      await writeRunFolder(tmp, id, run, importedAt);
    }
    for (let i = 0; i < ids.length; i++) {
      await rename(temps[i]!, join(runsDir, ids[i]!));
      placed.push(ids[i]!);
    }
    for (const id of ids) adopted.push(await store.adoptRun(id));
    return adopted;
  } catch (e) {
    // Folders not yet indexed go first: an index write (deleteRun's) could otherwise adopt them as orphans.
    for (const t of temps) await rm(t, { recursive: true, force: true }).catch(() => undefined);
    for (const id of placed) if (!adopted.some((r) => r.id === id)) await rm(join(runsDir, id), { recursive: true, force: true }).catch(() => undefined);
    for (const r of adopted) await store.deleteRun(r.id).catch(() => undefined);
    throw e;
  }
}

/** `policylab import` and the app's import: collect, check, write. */
export async function importPaths(store: RunStore, paths: readonly string[], opts: ImportOptions = {}): Promise<{ runs: RunRecord[]; parsed: ParsedRun[] }> {
  const parsed = await parseSources(await collectSources(paths), opts);
  return { runs: await writeRuns(store, parsed), parsed };
}
