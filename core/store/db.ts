/**
 * RunStore: the run index (db.json, lowdb) plus one run.json per run folder.
 *
 * - Exactly one process opens a RunStore for a data folder at a time (the CLI process or the app's
 *   RunManager); training processes never touch db.json — they write their run folder only.
 * - Every mutation changes the in-memory index synchronously, then joins one write queue. A write
 *   that has not started yet absorbs later mutations, so bursts of updates cost one or two writes.
 * - db.json goes through lowdb's DataFile → steno Writer, which writes `.db.json.tmp` and renames it
 *   over db.json (atomic: readers and crashes see the old or the new file, never a torn one).
 *   Compact JSON, because the whole file is rewritten on every change (see test/bench/store.ts).
 * - runs/<id>/run.json holds the same record, written atomically after db.json; it is what lets a
 *   corrupt or missing db.json be rebuilt (index-file.ts).
 */
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Low } from 'lowdb';
import { DataFile } from 'lowdb/node';
import { ZodError } from 'zod';
import { StoreError, isNodeError } from './errors.js';
import { assertJsonValue, writeFileAtomic } from './fs-utils.js';
import { assertRunId, newRunId } from './ids.js';
import {
  DB_FILE,
  loadIndex,
  type RebuildDatasets,
  RUN_FILE,
  RUNS_DIR,
  type StoreMigration,
  type StoreRecovery,
} from './index-file.js';
import { MetricReader } from './metric-reader.js';
import {
  CreateRunInputSchema,
  type CreateRunInput,
  type DatasetIndexEntry,
  DatasetIndexEntrySchema,
  type DbData,
  describeZodError,
  type RunFile,
  type RunPatch,
  RunPatchSchema,
  type RunRecord,
  type RunStatus,
  SCHEMA_VERSION,
  TERMINAL_STATUSES,
} from './schema.js';

export interface OpenOptions {
  /** Rebuilds the datasets index from datasets/ when db.json has to be rebuilt (datasets issue). */
  rebuildDatasets?: RebuildDatasets;
}

/** `runs/<id>` under a data folder, for processes that do not open the store (training workers). */
export function runDirFor(home: string, id: string): string {
  assertRunId(id);
  return join(home, RUNS_DIR, id);
}

/** True if a process with this pid exists (EPERM means it exists but belongs to someone else). */
export function defaultIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return isNodeError(e) && e.code === 'EPERM';
  }
}

/** Finishes deletions a crash interrupted (see deleteRun). */
async function removeTrash(home: string): Promise<void> {
  const entries = await readdir(join(home, RUNS_DIR));
  await Promise.all(
    entries.filter((n) => n.startsWith('.trash-')).map((n) => rm(join(home, RUNS_DIR, n), { recursive: true, force: true })),
  );
}

function invalid(e: unknown, root: string): never {
  if (e instanceof ZodError) throw new StoreError('INVALID_INPUT', describeZodError(e, root), { cause: e });
  if (e instanceof TypeError) throw new StoreError('INVALID_INPUT', e.message, { cause: e });
  throw e;
}

export class RunStore {
  readonly home: string;
  readonly dbPath: string;
  /** Set when db.json was unusable or missing at open and the index was rebuilt from run folders. */
  readonly recovery: StoreRecovery | null;
  /** Set when db.json was migrated from an older schemaVersion at open. */
  readonly migration: StoreMigration | null;
  /** Runs found on disk but missing from db.json at open (added back to the index). */
  readonly adoptedRunIds: readonly string[];

  readonly #db: Low<DbData>;
  readonly #byId = new Map<string, RunRecord>();
  readonly #dirtyRuns = new Set<string>();
  #queued: Promise<void> | null = null;
  #chain: Promise<void> = Promise.resolve();
  #closed = false;

  private constructor(home: string, loaded: Awaited<ReturnType<typeof loadIndex>>) {
    this.home = home;
    this.dbPath = join(home, DB_FILE);
    this.recovery = loaded.recovery;
    this.migration = loaded.migration;
    this.adoptedRunIds = loaded.adoptedRunIds;
    const adapter = new DataFile<DbData>(this.dbPath, { parse: JSON.parse, stringify: (d) => JSON.stringify(d) });
    this.#db = new Low<DbData>(adapter, loaded.data);
    for (const run of loaded.data.runs) this.#byId.set(run.id, run);
  }

  /** Opens (creating if needed) the data folder `home`: reads, migrates or recovers db.json. */
  static async open(home: string, options: OpenOptions = {}): Promise<RunStore> {
    if (typeof home !== 'string' || home.trim() === '') {
      throw new StoreError('INVALID_PATH', `data folder must be a non-empty path, got ${JSON.stringify(home)}`);
    }
    await mkdir(join(home, RUNS_DIR), { recursive: true });
    await removeTrash(home);
    const loaded = await loadIndex(home, options.rebuildDatasets);
    const store = new RunStore(home, loaded);
    if (loaded.dirty) {
      // Rebuilt or adopted runs already have run.json; migrated ones need theirs rewritten.
      const rewrite = loaded.migration ? loaded.data.runs.map((r) => r.id) : [];
      await store.#persist(rewrite);
    }
    return store;
  }

  async createRun(input: CreateRunInput): Promise<RunRecord> {
    this.#assertOpen();
    let parsed;
    try {
      parsed = CreateRunInputSchema.parse(input);
      assertJsonValue(parsed.config, 'createRun.config');
    } catch (e) {
      invalid(e, 'createRun');
    }
    let id = newRunId();
    while (this.#byId.has(id)) id = newRunId();
    const now = new Date().toISOString();
    const run: RunRecord = {
      id,
      name: parsed.name ?? `${parsed.algo}-${parsed.env}-s${parsed.seed}`,
      algo: parsed.algo,
      env: parsed.env,
      config: structuredClone(parsed.config),
      seed: parsed.seed,
      status: 'queued',
      backend: parsed.backend ?? null,
      createdAt: now,
      updatedAt: now,
      startedAt: null,
      endedAt: null,
      step: 0,
      totalSteps: parsed.totalSteps ?? null,
      episodes: 0,
      tags: parsed.tags ?? [],
      notes: parsed.notes ?? '',
      summary: {},
      error: null,
      pid: null,
    };
    await mkdir(this.runDir(id, false), { recursive: true });
    this.#db.data.runs.push(run);
    this.#byId.set(id, run);
    await this.#persist([id]);
    return structuredClone(run);
  }

  /** The run, or a StoreError('UNKNOWN_RUN'). Returns a copy: change runs through updateRun. */
  getRun(id: string): RunRecord {
    return structuredClone(this.#get(id));
  }

  findRun(id: string): RunRecord | undefined {
    const run = this.#byId.get(id);
    return run && structuredClone(run);
  }

  /** All runs, oldest first, optionally only those with the given status(es). */
  listRuns(filter: { status?: RunStatus | readonly RunStatus[] } = {}): RunRecord[] {
    const wanted = filter.status === undefined ? null : new Set(Array.isArray(filter.status) ? filter.status : [filter.status]);
    return this.#db.data.runs.filter((r) => !wanted || wanted.has(r.status)).map((r) => structuredClone(r));
  }

  /**
   * Changes a run. Besides the fields given: `updatedAt` is set; entering `running` sets
   * `startedAt` (first time only) and clears `endedAt` and `error`; entering a terminal status sets
   * `endedAt` and clears `pid` — unless the patch sets those fields itself.
   */
  async updateRun(id: string, patch: RunPatch): Promise<RunRecord> {
    this.#assertOpen();
    const run = this.#get(id);
    let p;
    try {
      p = RunPatchSchema.parse(patch);
    } catch (e) {
      invalid(e, `updateRun(${id})`);
    }
    const now = new Date().toISOString();
    if (p.status !== undefined && p.status !== run.status) {
      if (p.status === 'running' || p.status === 'queued') {
        if (p.status === 'running') {
          run.startedAt ??= now;
          run.runningSince = now;
        }
        run.endedAt = null;
        run.error = null;
      } else if (TERMINAL_STATUSES.includes(p.status)) {
        endSession(run, now);
        run.endedAt = now;
        run.pid = null;
      }
    }
    for (const [key, value] of Object.entries(p)) {
      if (value !== undefined) (run as Record<string, unknown>)[key] = value;
    }
    run.updatedAt = now;
    await this.#persist([id]);
    return structuredClone(run);
  }

  /**
   * Removes a run from the index and deletes its folder. The folder is first renamed to a
   * dot-prefixed trash name, so a crash midway never leaves a half-deleted run that a rebuild
   * would bring back. Refuses a run whose training process is still alive.
   */
  async deleteRun(id: string, isAlive: (pid: number) => boolean = defaultIsAlive): Promise<void> {
    this.#assertOpen();
    const run = this.#get(id);
    if (run.status === 'running' && run.pid !== null && isAlive(run.pid)) {
      throw new StoreError('RUN_ACTIVE', `run ${id} is running (pid ${run.pid}); stop it before deleting it`);
    }
    const dir = this.runDir(id);
    const trash = join(this.home, RUNS_DIR, `.trash-${id}-${Date.now().toString(36)}`);
    let trashed = true;
    try {
      await rename(dir, trash);
    } catch (e) {
      if (!(isNodeError(e) && e.code === 'ENOENT')) throw e;
      trashed = false;
    }
    this.#db.data.runs = this.#db.data.runs.filter((r) => r.id !== id);
    this.#byId.delete(id);
    this.#dirtyRuns.delete(id);
    await this.#persist([]);
    if (trashed) await rm(trash, { recursive: true, force: true });
  }

  /**
   * Marks `running` runs whose training process is gone as `crashed` (run this on start-up).
   * The step and metric summary are brought up to what the run's metric stream holds, so the
   * last logged step is kept. Returns the runs it changed.
   */
  async reconcile(isAlive: (pid: number) => boolean = defaultIsAlive): Promise<RunRecord[]> {
    this.#assertOpen();
    const changed: RunRecord[] = [];
    for (const run of this.#db.data.runs) {
      if (run.status !== 'running' || (run.pid !== null && isAlive(run.pid))) continue;
      const reader = new MetricReader(this.runDir(run.id));
      let lastStep = run.step;
      try {
        const summary = await reader.summary();
        for (const s of Object.values(summary)) lastStep = Math.max(lastStep, s.lastStep);
        if (Object.keys(summary).length > 0) run.summary = summary;
      } catch {
        // An unreadable stream must not stop start-up; the record keeps its own step.
      }
      const now = new Date().toISOString();
      run.status = 'crashed';
      run.step = Math.max(0, Math.floor(lastStep));
      run.error = {
        message:
          `the training process${run.pid === null ? '' : ` (pid ${run.pid})`} exited without reporting; ` +
          `marked crashed at step ${run.step}`,
      };
      run.pid = null;
      // The process died unseen: its session ends at the record's last update (its last sign of life).
      endSession(run, run.updatedAt);
      run.endedAt = now;
      run.updatedAt = now;
      changed.push(run);
    }
    if (changed.length > 0) await this.#persist(changed.map((r) => r.id));
    return changed.map((r) => structuredClone(r));
  }

  /** The run's folder (`<home>/runs/<id>`); the run must exist. */
  runDir(id: string, mustExist = true): string {
    if (mustExist) this.#get(id);
    return runDirFor(this.home, id);
  }

  /** The datasets index (copy). Its entries are defined by the preference-datasets code. */
  listDatasets(): DatasetIndexEntry[] {
    return structuredClone(this.#db.data.datasets);
  }

  /** Replaces the datasets index through `fn` (validated; serialised with every other write). */
  async updateDatasets(fn: (entries: DatasetIndexEntry[]) => DatasetIndexEntry[]): Promise<void> {
    this.#assertOpen();
    const next = fn(structuredClone(this.#db.data.datasets));
    try {
      this.#db.data.datasets = next.map((e, i) => {
        assertJsonValue(e, `datasets[${i}]`);
        return DatasetIndexEntrySchema.parse(e);
      });
    } catch (e) {
      invalid(e, 'datasets');
    }
    await this.#persist([]);
  }

  /** Resolves when every change made so far is on disk. */
  async flush(): Promise<void> {
    if (this.#queued) await this.#queued;
    await this.#chain;
  }

  /** Flushes and refuses further changes. */
  async close(): Promise<void> {
    await this.flush();
    this.#closed = true;
  }

  #get(id: string): RunRecord {
    const run = typeof id === 'string' ? this.#byId.get(id) : undefined;
    if (!run) throw new StoreError('UNKNOWN_RUN', `unknown run id ${JSON.stringify(id)}`);
    return run;
  }

  #assertOpen(): void {
    if (this.#closed) throw new StoreError('CLOSED', `the run store for ${this.home} is closed`);
  }

  /** Joins the write queue; a write that has not started yet absorbs this change. */
  #persist(runIds: string[]): Promise<void> {
    for (const id of runIds) this.#dirtyRuns.add(id);
    if (this.#queued) return this.#queued;
    const write = this.#chain.then(
      () => this.#writeNow(),
      () => this.#writeNow(),
    );
    this.#queued = write;
    this.#chain = write.catch(() => undefined);
    return write;
  }

  async #writeNow(): Promise<void> {
    this.#queued = null; // changes from here on need another write
    const runs = [...this.#dirtyRuns].flatMap((id) => {
      const r = this.#byId.get(id);
      return r ? [r] : [];
    });
    this.#dirtyRuns.clear();
    try {
      // Serialise run.json bodies now, so they match the db.json snapshot taken by write().
      const bodies = runs.map((run) => {
        const file: RunFile = { schemaVersion: SCHEMA_VERSION, run };
        return { id: run.id, text: `${JSON.stringify(file, null, 2)}\n` };
      });
      await this.#db.write();
      for (let i = 0; i < bodies.length; i += 32) {
        await Promise.all(
          bodies.slice(i, i + 32).map(async ({ id, text }) => {
            if (!this.#byId.has(id)) return; // deleted meanwhile
            try {
              await writeFileAtomic(join(runDirFor(this.home, id), RUN_FILE), text);
            } catch (e) {
              // The folder is gone (deleted while this write was queued): nothing to describe.
              if (!(isNodeError(e) && e.code === 'ENOENT')) throw e;
            }
          }),
        );
      }
    } catch (e) {
      for (const r of runs) if (this.#byId.has(r.id)) this.#dirtyRuns.add(r.id);
      throw e;
    }
  }
}

/**
 * Milliseconds a run has spent running in ended sessions. Records from before `activeMs` existed count
 * startedAt → endedAt (what they showed then, paused time included).
 */
export function activeMsOf(run: Pick<RunRecord, 'activeMs' | 'startedAt' | 'endedAt'>): number {
  if (run.activeMs !== undefined) return run.activeMs;
  if (!run.startedAt || !run.endedAt) return 0;
  return Math.max(0, Date.parse(run.endedAt) - Date.parse(run.startedAt));
}

/** Closes the run's current running session at `end` (ISO time), adding its length to activeMs. */
function endSession(run: RunRecord, end: string): void {
  const since = run.runningSince ?? null;
  const ms = activeMsOf(run) + (since ? Math.max(0, Date.parse(end) - Date.parse(since)) : 0);
  run.activeMs = Math.round(ms);
  run.runningSince = null;
}
