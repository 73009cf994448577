/**
 * Preference datasets: one lowdb file per dataset, `datasets/<id>.json`, registered in db.json's datasets index, plus
 * its labelling journal `datasets/<id>.journal.jsonl` (datasets-journal.ts).
 *
 * Human labels must never be lost or half-written, by this process or any other on the same folder:
 * - **Every change is a read-modify-write under the dataset's inter-process lock** (proper-lockfile on
 *   `datasets/<id>.json.lock`): the change applies to the dataset as it is on disk at that moment (the file re-read
 *   when its stat signature changed, the journal from where this process last read it), so the app and a CLI
 *   labelling the same dataset both land.
 * - **A label (or an undo) is one appended journal line**; any other change rewrites the file atomically (temp file +
 *   rename), folding the journal in. A reader, or a process killed mid-write, sees the old file or the new one and a
 *   journal whose torn last line is ignored: kill -9 while labelling loses at most the label in flight.
 * - **A label is on disk when its promise resolves**: a change starts its write at once; changes made while a write is
 *   in flight join the next one. `npm run bench -- datasets` measures it on a 10k-row dataset.
 * - **The index entry is rewritten under the same lock**, so db.json never ends up with an older summary.
 * - **Every read is validated** (datasets-schema.ts, datasets-journal.ts); a file that fails is left in place
 *   untouched and reported (StoreError CORRUPT naming the file and field or line), never overwritten.
 * - Deleting a row keeps it in `deleted` (recoverable until the dataset is exported or a day passes); deleting a
 *   dataset moves its files to `datasets/.deleted/`.
 */
import { mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Low, type Adapter } from 'lowdb';
import { ZodError } from 'zod';
import { errorMessage, isNodeError, StoreError } from './errors.js';
import { assertRunId, newRunId } from './ids.js';
import { writeFileAtomic } from './fs-utils.js';
import { withFileLock } from './lock.js';
import { appendJournal, applyEntry, COMPACT_AT, type JournalEntry, type JournalOp, readJournal, removeJournal } from './datasets-journal.js';
import type { RunStore } from './db.js';
import { describeZodError } from './schema.js';
import {
  DATASET_FILE_VERSION,
  DATASET_FORMAT,
  type DatasetFile,
  DatasetFileSchema,
  type DatasetSummary,
  DatasetSummarySchema,
  type Label,
  LABELS,
  MAX_TEXT_CHARS,
  type OracleInfo,
  type PendingPair,
  PendingPairSchema,
  type PreferenceRow,
  PreferenceRowSchema,
  summarize,
} from './datasets-schema.js';

export const DATASETS_DIR = 'datasets';
/** Where deleted dataset files are kept aside. */
export const DELETED_DATASETS_DIR = '.deleted';
/** Deleted rows stay recoverable this long (or until the dataset is exported). */
export const RECOVERABLE_MS = 24 * 60 * 60 * 1000;

export function datasetPath(home: string, id: string): string {
  assertDatasetId(id);
  return join(home, DATASETS_DIR, `${id}.json`);
}

function assertDatasetId(id: unknown): asserts id is string {
  try {
    assertRunId(id);
  } catch {
    throw new StoreError('NOT_FOUND', `invalid dataset id ${JSON.stringify(id)}: expected lower-case letters, digits, '-' or '_'`);
  }
}

/** The labelling journal beside a dataset's file (datasets-journal.ts). */
export function journalPath(home: string, id: string): string {
  return datasetPath(home, id).replace(/\.json$/, '.journal.jsonl');
}

/** A dataset as it is on disk: its file with its labelling journal applied (validated; null when missing). */
export async function readDataset(home: string, id: string): Promise<DatasetFile | null> {
  const data = await readDatasetFile(datasetPath(home, id));
  if (!data) return null;
  const jp = journalPath(home, id);
  for (const e of (await readJournal(jp)).entries) applyEntry(data, e, jp);
  return data;
}

/** Parses and validates a dataset file's text; errors name the file and the field. */
export function parseDatasetFile(text: string, where: string): DatasetFile {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new StoreError('CORRUPT', `${where} is not valid JSON (${errorMessage(e)}); it was left in place`, { cause: e });
  }
  const parsed = DatasetFileSchema.safeParse(json);
  if (!parsed.success) {
    throw new StoreError('CORRUPT', `${where} is not a valid dataset file: ${describeZodError(parsed.error, 'dataset')}; it was left in place`, {
      cause: parsed.error,
    });
  }
  return parsed.data;
}

/** Reads and validates one dataset file (null when it does not exist). */
export async function readDatasetFile(path: string): Promise<DatasetFile | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if (isNodeError(e) && e.code === 'ENOENT') return null;
    throw new StoreError('CORRUPT', `could not read ${path}: ${errorMessage(e)}`, { cause: e });
  }
  return parseDatasetFile(text, path);
}

/** The lowdb adapter of a dataset file: validated reads, atomic writes with unique temp names. */
export class DatasetFileAdapter implements Adapter<DatasetFile> {
  constructor(readonly path: string) {}
  read(): Promise<DatasetFile | null> {
    return readDatasetFile(this.path);
  }
  write(data: DatasetFile): Promise<void> {
    return writeFileAtomic(this.path, JSON.stringify(data));
  }
}

/** Summaries of every valid dataset file under `home` (for rebuilding db.json); unreadable files are skipped. */
export async function rebuildDatasetIndex(home: string): Promise<DatasetSummary[]> {
  const names = await readdir(join(home, DATASETS_DIR)).catch(() => [] as string[]);
  const out: DatasetSummary[] = [];
  for (const n of names.filter((x) => x.endsWith('.json') && !x.startsWith('.')).sort()) {
    const id = n.slice(0, -'.json'.length);
    const d = await readDataset(home, id).catch(() => null);
    if (d && d.id === id) out.push(summarize(d));
  }
  return out.sort(byCreation);
}

function byCreation(a: DatasetSummary, b: DatasetSummary): number {
  return a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id);
}

async function statSignature(path: string): Promise<string | null> {
  try {
    const s = await stat(path);
    return `${s.ino}:${s.size}:${s.mtimeMs}`;
  } catch {
    return null;
  }
}

function invalid(message: string): StoreError {
  return new StoreError('INVALID_INPUT', message);
}

function validRow(row: unknown, where: string): PreferenceRow {
  const parsed = PreferenceRowSchema.safeParse(row);
  if (!parsed.success) throw invalid(describeZodError(parsed.error, where));
  return parsed.data;
}

/** Builds a row's chosen/rejected from its label and responses. */
export function pairFields(label: Label, responseA: string, responseB: string): { chosen: string | null; rejected: string | null } {
  if (label === 'a') return { chosen: responseA, rejected: responseB };
  if (label === 'b') return { chosen: responseB, rejected: responseA };
  return { chosen: null, rejected: null };
}

/**
 * A change to a dataset, applied to the dataset as it is on disk under the lock. Throw (before mutating) to refuse.
 * A change that is exactly a label or an undo reports it with `journal` and is appended to the journal; any other
 * change makes the write a rewrite of the file (folding the journal in).
 */
export type DatasetChange<T> = (d: DatasetFile, now: string, journal: (op: JournalOp) => void) => T;

export interface CreateDatasetInput {
  name: string;
  description?: string;
  task?: string | null;
}

export interface LabelInput {
  /** The pending pair labelled. */
  pairId: string;
  label: Label;
  labeller: string | null;
  shownAt: string | null;
  answeredAt?: string;
  /** Edited texts (E in the curation view); the row is marked edited when they differ from the shown ones. */
  responseA?: string;
  responseB?: string;
  note?: string;
}

export interface RowPatch {
  label?: Label;
  responseA?: string;
  responseB?: string;
  note?: string;
}

interface Queued {
  change: DatasetChange<unknown>;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

/**
 * Preference datasets of one data folder, for one process. Open several (in several processes) on one folder freely.
 */
export class DatasetStore {
  readonly home: string;
  readonly #runs: RunStore;
  /** Per dataset: its file's stat signature, how far its journal was applied, and the materialised dataset. */
  readonly #cache = new Map<string, { signature: string | null; journalOffset: number; journalEntries: number; data: DatasetFile }>();
  readonly #waiting = new Map<string, Queued[]>();
  readonly #writing = new Map<string, Promise<void>>();

  readonly #compactAt: number;

  /** `compactAt`: journal entries that trigger a fold (default COMPACT_AT; tests use fewer). */
  constructor(runs: RunStore, options: { compactAt?: number } = {}) {
    this.#runs = runs;
    this.home = runs.home;
    this.#compactAt = options.compactAt ?? COMPACT_AT;
    if (!Number.isInteger(this.#compactAt) || this.#compactAt < 1) throw invalid(`compactAt must be a positive integer, got ${options.compactAt}`);
  }

  /** The datasets index (summaries), oldest first. Entries in an unknown shape (another version) are left out. */
  list(): DatasetSummary[] {
    const out: DatasetSummary[] = [];
    for (const e of this.#runs.listDatasets()) {
      const parsed = DatasetSummarySchema.safeParse(e);
      if (parsed.success) out.push(parsed.data);
    }
    return out.sort(byCreation);
  }

  /** Creates an empty dataset and registers it in the index. */
  async create(input: CreateDatasetInput): Promise<DatasetSummary> {
    const name = typeof input?.name === 'string' ? input.name.trim() : '';
    if (name.length === 0 || name.length > 200) throw invalid(`dataset name must be 1–200 characters, got ${JSON.stringify(input?.name)}`);
    const now = new Date().toISOString();
    const data: DatasetFile = {
      format: DATASET_FORMAT,
      version: DATASET_FILE_VERSION,
      id: newRunId(),
      name,
      description: input.description ?? '',
      task: input.task ?? null,
      createdAt: now,
      updatedAt: now,
      exportedAt: null,
      oracle: null,
      trainedRunIds: [],
      rows: [],
      pending: [],
      deleted: [],
      journalSeq: 0,
    };
    const checked = DatasetFileSchema.safeParse(data);
    if (!checked.success) throw invalid(describeZodError(checked.error, 'createDataset'));
    const path = datasetPath(this.home, data.id);
    await mkdir(join(this.home, DATASETS_DIR), { recursive: true });
    await withFileLock(path, async () => {
      await new Low(new DatasetFileAdapter(path), checked.data).write();
      this.#cache.set(data.id, { signature: await statSignature(path), journalOffset: 0, journalEntries: 0, data: checked.data });
      await this.#index(checked.data);
    });
    return summarize(checked.data);
  }

  /** The dataset as it is on disk now (its file and journal, validated; a copy). */
  async read(id: string): Promise<DatasetFile> {
    return structuredClone((await this.#materialize(id)).data);
  }

  /**
   * Runs `fn` on the dataset as it is on disk now without copying it (a page of a 100k-row dataset should not cost a
   * copy of all of it). `fn` must not keep or change what it is given; what it returns should be new objects.
   */
  async view<T>(id: string, fn: (d: Readonly<DatasetFile>) => T): Promise<T> {
    return fn((await this.#materialize(id)).data);
  }

  /**
   * The dataset with every journal entry on disk applied: the file is re-read only when its signature changed, the
   * journal only from where this process last read it. Returns the torn tail's offset, if any (the writer cuts it).
   */
  async #materialize(id: string): Promise<{ data: DatasetFile; tornAt: number | null; journalEntries: number }> {
    const path = datasetPath(this.home, id);
    const jp = journalPath(this.home, id);
    try {
      const signature = await statSignature(path);
      let cached = this.#cache.get(id);
      if (!cached || signature === null || cached.signature !== signature) {
        const data = await readDatasetFile(path);
        if (!data) throw new StoreError('NOT_FOUND', `unknown dataset ${JSON.stringify(id)} (no ${path})`);
        cached = { signature, journalOffset: 0, journalEntries: 0, data };
        this.#cache.set(id, cached);
      }
      const j = await readJournal(jp, cached.journalOffset);
      for (const e of j.entries) applyEntry(cached.data, e, jp);
      if (j.size >= cached.journalOffset) {
        cached.journalEntries += j.entries.length;
        cached.journalOffset = j.size;
      }
      return { data: cached.data, tornAt: j.torn > 0 ? j.size : null, journalEntries: cached.journalEntries };
    } catch (e) {
      this.#cache.delete(id);
      throw e;
    }
  }

  /**
   * Applies `change` to the dataset on disk and writes it; resolves with `change`'s result once the file is on disk.
   * Changes made while a write is in flight are written together by the next write.
   */
  change<T>(id: string, change: DatasetChange<T>): Promise<T> {
    try {
      datasetPath(this.home, id);
    } catch (e) {
      return Promise.reject(e);
    }
    return new Promise<T>((resolve, reject) => {
      const list = this.#waiting.get(id) ?? [];
      list.push({ change, resolve: resolve as (v: unknown) => void, reject });
      this.#waiting.set(id, list);
      if (!this.#writing.has(id)) this.#startWrite(id);
    });
  }

  #startWrite(id: string): void {
    const batch = this.#waiting.get(id) ?? [];
    this.#waiting.delete(id);
    const write = this.#writeBatch(id, batch).finally(() => {
      this.#writing.delete(id);
      if ((this.#waiting.get(id)?.length ?? 0) > 0) this.#startWrite(id);
    });
    this.#writing.set(id, write);
  }

  async #writeBatch(id: string, batch: Queued[]): Promise<void> {
    const path = datasetPath(this.home, id);
    const results: { q: Queued; ok: boolean; value: unknown }[] = [];
    try {
      await withFileLock(path, async () => {
        const { data, tornAt, journalEntries } = await this.#materialize(id);
        const now = new Date().toISOString();
        const ops: JournalOp[] = [];
        let rewrite = false;
        for (const q of batch) {
          const before = ops.length;
          try {
            results.push({ q, ok: true, value: q.change(data, now, (op) => ops.push(op)) });
            if (ops.length === before) rewrite = true;
          } catch (e) {
            ops.length = before;
            results.push({ q, ok: false, value: e instanceof ZodError ? invalid(describeZodError(e, 'dataset')) : e });
          }
        }
        if (!results.some((r) => r.ok)) return;
        data.updatedAt = now;
        const jp = journalPath(this.home, id);
        // Drop the cache first: if a write fails, the next change re-reads what is really on disk.
        this.#cache.delete(id);
        if (!rewrite) {
          const entries = ops.map((op, i): JournalEntry => ({ seq: data.journalSeq + 1 + i, at: now, ...op }));
          await appendJournal(jp, entries, tornAt);
          data.journalSeq += entries.length;
          const size = (await stat(jp)).size;
          this.#cache.set(id, { signature: await statSignature(path), journalOffset: size, journalEntries: journalEntries + entries.length, data });
          // A long journal is folded by a write of its own, after these labels are on disk and answered: at 100k
          // rows the fold takes about a second, which no key press should wait for.
          if (journalEntries + entries.length >= this.#compactAt) void this.change(id, () => undefined).catch(() => undefined);
        } else {
          // Fold: the file now holds every journal entry (journalSeq says up to which), then the journal goes.
          purgeDeleted(data, Date.parse(now));
          await new Low(new DatasetFileAdapter(path), data).write();
          await removeJournal(jp);
          this.#cache.set(id, { signature: await statSignature(path), journalOffset: 0, journalEntries: 0, data });
        }
        await this.#index(data);
      });
    } catch (e) {
      this.#cache.delete(id);
      for (const q of batch) q.reject(e);
      return;
    }
    for (const r of results) (r.ok ? r.q.resolve : r.q.reject)(r.value);
  }

  async #index(data: DatasetFile): Promise<void> {
    const summary = summarize(data);
    await this.#runs.updateDatasets((entries) => {
      const next = entries.filter((e) => e.id !== summary.id);
      next.push(summary);
      return next;
    });
  }

  /** Resolves when every change made so far is on disk. */
  async flush(): Promise<void> {
    while (this.#writing.size > 0) await Promise.allSettled([...this.#writing.values()]);
  }

  /** Adds generated pairs waiting for labels (ids unique across the dataset). */
  async addPending(id: string, pairs: PendingPair[]): Promise<number> {
    const checked = pairs.map((p, i) => {
      const r = PendingPairSchema.safeParse(p);
      if (!r.success) throw invalid(describeZodError(r.error, `pairs[${i}]`));
      return r.data;
    });
    return this.change(id, (d) => {
      assertFreshIds(d, checked.map((p) => p.id));
      d.pending.push(...checked);
      return d.pending.length;
    });
  }

  /** Labels a pending pair: it leaves `pending` and becomes a row. Returns the row. */
  async label(id: string, input: LabelInput): Promise<PreferenceRow> {
    if (!(LABELS as readonly string[]).includes(input?.label)) throw invalid(`label must be one of ${LABELS.join(', ')}, got ${JSON.stringify(input?.label)}`);
    return this.change(id, (d, now, journal) => {
      const i = d.pending.findIndex((p) => p.id === input.pairId);
      if (i < 0) throw new StoreError('NOT_FOUND', `no pending pair ${JSON.stringify(input.pairId)} in dataset ${id}`);
      const p = d.pending[i]!;
      const responseA = input.responseA ?? p.responseA;
      const responseB = input.responseB ?? p.responseB;
      const row = validRow(
        {
          id: p.id,
          prompt: p.prompt,
          ...pairFields(input.label, responseA, responseB),
          label: input.label,
          responseA,
          responseB,
          source: 'human',
          labeller: input.labeller,
          shownAt: input.shownAt,
          answeredAt: input.answeredAt ?? now,
          modelRunId: p.modelRunId,
          checkpointStep: p.checkpointStep,
          samplingParams: p.samplingParams,
          seed: p.seed,
          note: input.note ?? '',
          edited: responseA !== p.responseA || responseB !== p.responseB,
        },
        'label',
      );
      d.pending.splice(i, 1);
      d.rows.push(row);
      journal({ op: 'label', pairId: p.id, row });
      return row;
    });
  }

  /** Undo of a label: the row goes back to the front of `pending` (with its texts as labelled). */
  async unlabel(id: string, rowId: string): Promise<PendingPair> {
    return this.change(id, (d, _now, journal) => {
      const i = d.rows.findIndex((r) => r.id === rowId);
      if (i < 0) throw new StoreError('NOT_FOUND', `no row ${JSON.stringify(rowId)} in dataset ${id}`);
      const r = d.rows[i]!;
      const pair: PendingPair = {
        id: r.id,
        prompt: r.prompt,
        responseA: r.responseA,
        responseB: r.responseB,
        modelRunId: r.modelRunId,
        checkpointStep: r.checkpointStep,
        samplingParams: r.samplingParams,
        seed: r.seed,
      };
      d.rows.splice(i, 1);
      d.pending.unshift(pair);
      journal({ op: 'unlabel', rowId });
      return pair;
    });
  }

  /**
   * Queues copies of `labeller`'s rows for a second labeller (ids `<row id>.2`, A/B order re-drawn and recorded), so
   * Cohen's κ can be measured on the overlap. Rows already requeued are skipped. Returns how many were queued.
   */
  async requeueForSecondLabeller(id: string, labeller: string, limit: number): Promise<number> {
    if (!Number.isInteger(limit) || limit < 1) throw invalid(`limit must be a positive integer, got ${limit}`);
    return this.change(id, (d) => {
      const taken = new Set<string>([...d.rows.map((r) => r.id), ...d.pending.map((p) => p.id)]);
      const picked = d.rows.filter((r) => r.source === 'human' && r.labeller === labeller && !r.id.endsWith('.2') && !taken.has(`${r.id}.2`)).slice(0, limit);
      picked.forEach((r, i) => {
        // Knuth's multiplicative hash of the position: a fixed, recorded coin per pair.
        const swap = ((Math.imul(i + 1, 2654435761) >>> 0) & 1) === 1;
        d.pending.push({
          id: `${r.id}.2`,
          prompt: r.prompt,
          responseA: swap ? r.responseB : r.responseA,
          responseB: swap ? r.responseA : r.responseB,
          modelRunId: r.modelRunId,
          checkpointStep: r.checkpointStep,
          samplingParams: r.samplingParams ? { ...r.samplingParams, swapped: r.samplingParams.swapped !== swap } : null,
          seed: r.seed,
        });
      });
      return picked.length;
    });
  }

  /** Adds complete rows (import, oracle labeller): all or nothing, ids unique across the dataset. */
  async addRows(id: string, rows: PreferenceRow[], oracle?: OracleInfo): Promise<number> {
    const checked = rows.map((r, i) => validRow(r, `rows[${i}]`));
    return this.change(id, (d) => {
      assertFreshIds(d, checked.map((r) => r.id));
      for (const r of checked) d.rows.push(r);
      if (oracle) d.oracle = oracle;
      return d.rows.length;
    });
  }

  /** Fixes a row: its label, a response's text or its note. Returns the row. */
  async updateRow(id: string, rowId: string, patch: RowPatch): Promise<PreferenceRow> {
    for (const k of Object.keys(patch ?? {})) {
      if (!['label', 'responseA', 'responseB', 'note'].includes(k)) throw invalid(`updateRow: unknown field ${JSON.stringify(k)}`);
    }
    return this.change(id, (d) => {
      const i = d.rows.findIndex((r) => r.id === rowId);
      if (i < 0) throw new StoreError('NOT_FOUND', `no row ${JSON.stringify(rowId)} in dataset ${id}`);
      const old = d.rows[i]!;
      const label = patch.label ?? old.label;
      const responseA = patch.responseA ?? old.responseA;
      const responseB = patch.responseB ?? old.responseB;
      const row = validRow(
        {
          ...old,
          label,
          responseA,
          responseB,
          ...pairFields(label, responseA, responseB),
          note: patch.note ?? old.note,
          edited: old.edited || responseA !== old.responseA || responseB !== old.responseB,
        },
        `rows.${rowId}`,
      );
      d.rows[i] = row;
      return row;
    });
  }

  /** Deletes a row, recoverably (restoreRow) until the dataset is exported or a day passes. */
  async deleteRow(id: string, rowId: string): Promise<void> {
    return this.change(id, (d, now) => {
      const i = d.rows.findIndex((r) => r.id === rowId);
      if (i < 0) throw new StoreError('NOT_FOUND', `no row ${JSON.stringify(rowId)} in dataset ${id}`);
      d.deleted.push({ row: d.rows[i]!, deletedAt: now });
      d.rows.splice(i, 1);
    });
  }

  async restoreRow(id: string, rowId: string): Promise<PreferenceRow> {
    return this.change(id, (d) => {
      const i = d.deleted.findIndex((x) => x.row.id === rowId);
      if (i < 0) throw new StoreError('NOT_FOUND', `no deleted row ${JSON.stringify(rowId)} in dataset ${id} (deleted rows are kept for a day or until export)`);
      const row = d.deleted[i]!.row;
      d.deleted.splice(i, 1);
      d.rows.push(row);
      return row;
    });
  }

  /** Records an export: deleted rows stop being recoverable. */
  async markExported(id: string): Promise<void> {
    return this.change(id, (d, now) => {
      d.exportedAt = now;
      d.deleted = [];
    });
  }

  /** Records a run trained on this dataset (reward model, DPO), shown in the dataset list. */
  async addTrainedRun(id: string, runId: string): Promise<void> {
    assertRunId(runId);
    return this.change(id, (d) => {
      if (!d.trainedRunIds.includes(runId)) d.trainedRunIds.push(runId);
    });
  }

  /** Removes a dataset from the index; its file is kept aside in datasets/.deleted/. */
  async remove(id: string): Promise<string> {
    const path = datasetPath(this.home, id);
    await this.flush();
    const aside = join(this.home, DATASETS_DIR, DELETED_DATASETS_DIR, `${id}-${Date.now().toString(36)}.json`);
    await withFileLock(path, async () => {
      await mkdir(join(this.home, DATASETS_DIR, DELETED_DATASETS_DIR), { recursive: true });
      try {
        await rename(path, aside);
      } catch (e) {
        if (isNodeError(e) && e.code === 'ENOENT') throw new StoreError('NOT_FOUND', `unknown dataset ${JSON.stringify(id)}`);
        throw e;
      }
      await rename(journalPath(this.home, id), aside.replace(/\.json$/, '.journal.jsonl')).catch((e: unknown) => {
        if (!(isNodeError(e) && e.code === 'ENOENT')) throw e;
      });
      this.#cache.delete(id);
      await this.#runs.updateDatasets((entries) => entries.filter((e) => e.id !== id));
    });
    return aside;
  }

  /** Removes stale temp files a killed writer left in datasets/ (they are never a dataset's only copy). */
  async cleanTemps(olderThanMs = 60_000): Promise<void> {
    const dir = join(this.home, DATASETS_DIR);
    const now = Date.now();
    for (const n of await readdir(dir).catch(() => [] as string[])) {
      if (!/^\..+\.json\.[0-9a-f]{8}\.tmp$/.test(n)) continue;
      const s = await stat(join(dir, n)).catch(() => null);
      if (s && now - s.mtimeMs > olderThanMs) await rm(join(dir, n), { force: true });
    }
  }
}

function assertFreshIds(d: DatasetFile, ids: string[]): void {
  const seen = new Set<string>([...d.rows.map((r) => r.id), ...d.pending.map((p) => p.id), ...d.deleted.map((x) => x.row.id)]);
  for (const id of ids) {
    if (seen.has(id)) throw invalid(`duplicate id ${JSON.stringify(id)} (already in dataset ${d.id})`);
    seen.add(id);
  }
}

function purgeDeleted(d: DatasetFile, now: number): void {
  if (d.deleted.length === 0) return;
  d.deleted = d.deleted.filter((x) => now - Date.parse(x.deletedAt) < RECOVERABLE_MS);
}

export { MAX_TEXT_CHARS };
export type { DatasetFile, DatasetSummary, PendingPair, PreferenceRow };
