/**
 * RunStore: the run index (db.json, lowdb) plus one run.json per run folder — for many processes on one folder.
 *
 * Any number of processes may open a RunStore on the same data folder at once (the app, CLI trainings,
 * `policylab runs`, a second app). The rules that keep them from losing each other's changes:
 * - **run.json is the truth for its run.** A change to a run is a read-modify-write of its run.json under that
 *   run's inter-process lock (locks/<id>.lock, proper-lockfile): the patch applies to what is on disk now, so a
 *   rename from the app and a step update from the CLI training the run both land. Only the process that owns a
 *   running run (`owner`: the CLI training it, or the app whose child trains it) writes its progress and end.
 * - **db.json is an index (a cache) of the run.json files.** It is written under the index lock
 *   (db.json.lock): re-read db.json, replace the entries of the runs this process changed by their run.json as
 *   it is on disk at that moment, apply dataset changes, write atomically (lowdb → steno: temp file + rename).
 *   Because entries are re-read from run.json under the lock, an index write never puts back an older record.
 * - **Readers refresh.** `refresh()` re-reads db.json when its stat signature changed and keeps, per run, the
 *   newer of the cached and the indexed record; the app polls it, so a CLI run appears in an open window.
 * - **Liveness.** A queued/running record names its owner (pid + process start time + host); `reconcile()`
 *   marks runs whose owner is gone `crashed` (running) or `stopped` (queued) — in any process, so a killed CLI
 *   run is resumable from the CLI without opening the app, and a reused pid does not keep it "running".
 */
import { mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Low } from 'lowdb';
import { DataFile } from 'lowdb/node';
import { ZodError } from 'zod';
import { errorMessage, isNodeError, StoreError } from './errors.js';
import { assertJsonValue, fileTimestamp, writeFileAtomic } from './fs-utils.js';
import { assertRunId, newRunId } from './ids.js';
import { DB_FILE, loadIndex, type RebuildDatasets, readRunFile, RUN_FILE, RUNS_DIR, type StoreMigration, type StoreRecovery } from './index-file.js';
import { describeOwner, isCurrentProcess, ownerLiveness, pidExists, processStartTime } from './liveness.js';
import { withFileLock } from './lock.js';
import { MetricReader } from './metric-reader.js';
import { applyPatch, byCreation, endSession, runFileText } from './run-record.js';
import { clearReserve, ensureReserve, readReserve, RESERVE_FILE, writeReserve } from './status-reserve.js';
import { cleanStaleTemps, removeTrash } from './upkeep.js';
import {
  CreateRunInputSchema,
  type CreateRunInput,
  type DatasetIndexEntry,
  DatasetIndexEntrySchema,
  type DbData,
  DbDataSchema,
  describeZodError,
  type RunPatch,
  RunPatchSchema,
  type RunRecord,
  type RunStatus,
  type SweepRecord,
  SweepRecordSchema,
} from './schema.js';
import { SWEEPS_DIR, writeSweepFile } from './sweeps.js';
import { rebuildDatasetIndex } from './datasets.js';

export interface OpenOptions {
  /** Rebuilds the datasets index when db.json has to be rebuilt (default: from datasets/<id>.json, datasets.ts). */
  rebuildDatasets?: RebuildDatasets;
  /** Mark runs whose owner process is gone as crashed/stopped at open (default true). */
  reconcile?: boolean;
}

/** Something the store repaired or set aside that the user should hear about (UI banner, CLI line). */
export interface StoreNotice {
  kind: 'index-rebuilt' | 'index-pruned' | 'run-file-corrupt' | 'run-repaired' | 'settings-reset';
  message: string;
  time: string;
  /** The run concerned, for run-file-corrupt and run-repaired. */
  runId?: string;
}

/** What changed on disk since the last refresh (runs other processes created, changed or deleted). */
export interface RefreshResult {
  changed: RunRecord[];
  removed: string[];
}

/** Whether a run's owning process is still alive; the default checks pid + start time (liveness.ts). */
export type LivenessCheck = (run: RunRecord) => boolean;

/** Folder of the inter-process lock directories (one per run, plus the index's beside db.json). */
export const LOCKS_DIR = 'locks';
/** A write that failed for lack of space is retried this often until it succeeds (see #unwritten). */
const REPAIR_INTERVAL_MS = 1_000;

/** `runs/<id>` under a data folder, for processes that do not open the store (training workers). */
export function runDirFor(home: string, id: string): string {
  assertRunId(id);
  return join(home, RUNS_DIR, id);
}

/** True if a process with this pid exists (EPERM means it exists but belongs to someone else). */
export const defaultIsAlive = pidExists;

/** Is the process that owns this queued/running record alive? Records without an owner fall back to their pid. */
export function isRunOwnerAlive(run: RunRecord): boolean {
  if (run.owner && ownerLiveness(run.owner) !== 'dead') return true;
  // The app died but its child may still be saving its last checkpoint (it stops when its parent goes): the run
  // is not crashed until that process, identified by pid and start time, is gone too.
  if (run.owner && run.pid !== null && run.pid !== run.owner.pid && run.pidStartTime) {
    return pidExists(run.pid) && processStartTime(run.pid) === run.pidStartTime;
  }
  if (run.owner) return false;
  return run.status === 'running' && run.pid !== null && pidExists(run.pid);
}

function invalid(e: unknown, root: string): never {
  if (e instanceof ZodError) throw new StoreError('INVALID_INPUT', describeZodError(e, root), { cause: e });
  if (e instanceof TypeError) throw new StoreError('INVALID_INPUT', e.message, { cause: e });
  throw e;
}

/** ENOSPC / EDQUOT become a DISK_FULL StoreError naming what could not be written; other errors pass through. */
function diskError(e: unknown, what: string): unknown {
  if (isNodeError(e) && (e.code === 'ENOSPC' || e.code === 'EDQUOT')) {
    return new StoreError('DISK_FULL', `the disk is full: could not write ${what} (${e.code})`, { cause: e });
  }
  return e;
}

function isDiskFull(e: unknown): boolean {
  return e instanceof StoreError && e.code === 'DISK_FULL';
}

async function statSignature(path: string): Promise<string | null> {
  try {
    const s = await stat(path);
    return `${s.ino}:${s.size}:${s.mtimeMs}`;
  } catch {
    return null;
  }
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
  readonly #rebuildDatasets: RebuildDatasets | undefined;
  readonly #byId = new Map<string, RunRecord>();
  #datasets: DatasetIndexEntry[];
  #sweeps: SweepRecord[];
  /** Runs whose index entry must be refreshed from their run.json at the next index write. */
  readonly #dirtyRuns = new Set<string>();
  /** Changes to the index itself (datasets), applied to the freshly read index under the lock. */
  readonly #mutators: ((data: DbData) => void)[] = [];
  /** Stat signature of db.json as this process last read or wrote it (refresh skips an unchanged file). */
  #indexSignature: string | null = null;
  /** Other processes' changes absorbed during this process's own index writes, reported by the next refresh(). */
  #unreported: RefreshResult = { changed: [], removed: [] };
  /** Patches that could not be written (disk full), retried until a write succeeds. */
  readonly #unwritten = new Map<string, RunPatch>();
  #repairTimer: NodeJS.Timeout | null = null;
  readonly #notices: StoreNotice[] = [];
  readonly #noticeListeners = new Set<(n: StoreNotice) => void>();
  #upkeep: Promise<void> = Promise.resolve();
  #queued: Promise<void> | null = null;
  #chain: Promise<void> = Promise.resolve();
  #closed = false;

  private constructor(home: string, loaded: Awaited<ReturnType<typeof loadIndex>>, rebuildDatasets: RebuildDatasets | undefined) {
    this.home = home;
    this.dbPath = join(home, DB_FILE);
    this.recovery = loaded.recovery;
    this.migration = loaded.migration;
    this.adoptedRunIds = loaded.adoptedRunIds;
    this.#rebuildDatasets = rebuildDatasets;
    const adapter = new DataFile<DbData>(this.dbPath, { parse: JSON.parse, stringify: (d) => JSON.stringify(d) });
    this.#db = new Low<DbData>(adapter, loaded.data);
    for (const run of loaded.data.runs) this.#byId.set(run.id, run);
    this.#datasets = loaded.data.datasets;
    this.#sweeps = loaded.data.sweeps;
    if (loaded.recovery) this.#notice('index-rebuilt', loaded.recovery.message);
    this.#noticePruned(loaded.prunedRunIds);
  }

  /** Opens (creating if needed) the data folder `home`: reads, migrates or recovers db.json, reconciles dead owners. */
  static async open(home: string, options: OpenOptions = {}): Promise<RunStore> {
    if (typeof home !== 'string' || home.trim() === '') {
      throw new StoreError('INVALID_PATH', `data folder must be a non-empty path, got ${JSON.stringify(home)}`);
    }
    await mkdir(join(home, RUNS_DIR), { recursive: true });
    await mkdir(join(home, LOCKS_DIR), { recursive: true });
    await removeTrash(home);
    const dbPath = join(home, DB_FILE);
    // Loading may move a corrupt db.json aside and rebuild it: one process at a time.
    const store = await withFileLock(dbPath, async () => {
      const loaded = await loadIndex(home, options.rebuildDatasets ?? rebuildDatasetIndex);
      const s = new RunStore(home, loaded, options.rebuildDatasets ?? rebuildDatasetIndex);
      if (loaded.dirty) {
        // Rebuilt or adopted runs already have run.json; migrated ones need theirs rewritten.
        if (loaded.migration) {
          for (const run of loaded.data.runs) await writeFileAtomic(join(runDirFor(home, run.id), RUN_FILE), runFileText(run));
        }
        await s.#db.write();
      }
      s.#indexSignature = await statSignature(dbPath);
      return s;
    });
    store.#upkeep = cleanStaleTemps(home).catch(() => undefined);
    if (options.reconcile !== false) await store.reconcile();
    return store;
  }

  /** What the store repaired or set aside since it opened (the UI shows them as dismissible banners). */
  get notices(): readonly StoreNotice[] {
    return this.#notices;
  }

  onNotice(listener: (n: StoreNotice) => void): () => void {
    this.#noticeListeners.add(listener);
    return () => this.#noticeListeners.delete(listener);
  }

  /** Reports a repair of another file of the data folder (settings.json) through the store's notices. */
  report(kind: 'settings-reset', message: string): void {
    this.#notice(kind, message);
  }

  #notice(kind: StoreNotice['kind'], message: string, runId?: string): void {
    const n: StoreNotice = { kind, message, time: new Date().toISOString(), ...(runId ? { runId } : {}) };
    this.#notices.push(n);
    for (const l of this.#noticeListeners) {
      try {
        l(n);
      } catch {
        /* a failing listener must not break the store */
      }
    }
  }

  #noticePruned(ids: readonly string[]): void {
    if (ids.length === 0) return;
    this.#notice('index-pruned', `removed ${ids.length} index entr${ids.length === 1 ? 'y' : 'ies'} whose run folder is gone (${ids.join(', ')})`);
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
      name: parsed.name ?? this.#uniqueDefaultName(`${parsed.algo}-${parsed.env}-s${parsed.seed}`),
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
      owner: parsed.owner ?? null,
    };
    const dir = runDirFor(this.home, id);
    // A start that cannot be written leaves nothing behind: no folder, no index entry (no ghost `queued` run).
    try {
      await mkdir(dir, { recursive: true });
      await writeFileAtomic(join(dir, RUN_FILE), runFileText(run));
      this.#byId.set(id, run);
      await this.#persist([id]);
    } catch (e) {
      this.#byId.delete(id);
      this.#dirtyRuns.delete(id);
      await rm(dir, { recursive: true, force: true }).catch(() => undefined);
      throw diskError(e, `the new run's record in ${dir}`);
    }
    return structuredClone(run);
  }

  /**
   * A default name no indexed run has yet: `ppo-CartPole-v1-s1`, then `…-s1-2`, `…-s1-3` (three runs all called
   * `ppo-CartPole-v1-s1` cannot be told apart in a table or a legend). Names the user gives are kept as given.
   * Checked against this process's view of the index, which a CLI store reads fresh when it opens.
   */
  #uniqueDefaultName(base: string): string {
    const taken = new Set<string>();
    for (const r of this.#byId.values()) taken.add(r.name);
    if (!taken.has(base)) return base;
    let n = 2;
    while (taken.has(`${base}-${n}`)) n++;
    return `${base}-${n}`;
  }

  /**
   * Indexes a complete run folder that was written elsewhere and renamed into runs/<id> in one step (an import,
   * core/import): its run.json is the record. A run already indexed is refused.
   */
  async adoptRun(id: string): Promise<RunRecord> {
    this.#assertOpen();
    assertRunId(id);
    if (this.#byId.has(id)) throw new StoreError('INVALID_INPUT', `run ${id} is already in the index`);
    let run: RunRecord;
    try {
      run = await readRunFile(this.home, id);
    } catch (e) {
      throw new StoreError('CORRUPT', `run folder ${runDirFor(this.home, id)} cannot be indexed: ${errorMessage(e)}`, { cause: e });
    }
    this.#byId.set(id, run);
    try {
      await this.#persist([id]);
    } catch (e) {
      this.#byId.delete(id);
      this.#dirtyRuns.delete(id);
      throw diskError(e, `the index entry of run ${id}`);
    }
    return structuredClone(run);
  }

  /** The run (cached index entry), or a StoreError('UNKNOWN_RUN'). Returns a copy: change runs through updateRun. */
  getRun(id: string): RunRecord {
    return structuredClone(this.#get(id));
  }

  findRun(id: string): RunRecord | undefined {
    const run = this.#byId.get(id);
    return run && structuredClone(run);
  }

  /** The run as its run.json says now (the truth, newer than the index when another process just changed it). */
  async readRun(id: string): Promise<RunRecord> {
    this.#assertOpen();
    this.#get(id);
    try {
      const run = await readRunFile(this.home, id);
      this.#byId.set(id, run);
      return structuredClone(run);
    } catch (e) {
      if (isNodeError(e) && e.code === 'ENOENT') {
        this.#byId.delete(id);
        throw new StoreError('UNKNOWN_RUN', `run ${id} was deleted (its folder is gone)`);
      }
      return this.getRun(id); // a damaged run.json: the index's copy (updateRun moves the file aside)
    }
  }

  /** All runs, oldest first, optionally only those with the given status(es). */
  listRuns(filter: { status?: RunStatus | readonly RunStatus[] } = {}): RunRecord[] {
    const wanted = filter.status === undefined ? null : new Set(Array.isArray(filter.status) ? filter.status : [filter.status]);
    return [...this.#byId.values()]
      .filter((r) => !wanted || wanted.has(r.status))
      .sort(byCreation)
      .map((r) => structuredClone(r));
  }

  /**
   * Changes a run: a read-modify-write of its run.json under the run's lock, then an index write. Besides the
   * fields given: `updatedAt` is set; entering `running` sets `startedAt` (first time only) and clears `endedAt`
   * and `error`; entering a terminal status sets `endedAt` and clears `pid` and `owner` — unless the patch sets
   * those fields itself. When the disk is full the change is kept and retried until a write succeeds.
   */
  async updateRun(id: string, patch: RunPatch): Promise<RunRecord> {
    this.#assertOpen();
    this.#get(id);
    let p: RunPatch;
    try {
      p = RunPatchSchema.parse(patch);
    } catch (e) {
      invalid(e, `updateRun(${id})`);
    }
    try {
      const run = await this.#patchRunFile(id, p);
      this.#unwritten.delete(id);
      await this.#persist([id]);
      return structuredClone(run);
    } catch (e) {
      const err = diskError(e, `runs/${id}/${RUN_FILE}`);
      if (isDiskFull(err)) {
        this.#keepUnwritten(id, p);
        // In place, so that it survives this process exiting before space is back (see status-reserve.ts).
        if (p.status !== undefined) await writeReserve(this.runDir(id, false), p);
      }
      throw err;
    }
  }

  async #patchRunFile(id: string, p: RunPatch): Promise<RunRecord> {
    const path = join(runDirFor(this.home, id), RUN_FILE);
    return withFileLock(this.#runLock(id), async () => {
      let run: RunRecord;
      try {
        run = await readRunFile(this.home, id);
      } catch (e) {
        if (isNodeError(e) && e.code === 'ENOENT') {
          this.#byId.delete(id);
          this.#dirtyRuns.add(id);
          void this.#persist([]).catch(() => undefined);
          throw new StoreError('UNKNOWN_RUN', `run ${id} was deleted (its folder is gone)`);
        }
        // Damaged run.json: keep it aside, continue from the index's copy.
        const aside = `${path}.corrupt-${fileTimestamp()}`;
        await rename(path, aside).catch(() => undefined);
        this.#notice('run-file-corrupt', `runs/${id}/${RUN_FILE} was damaged (${errorMessage(e)}); moved aside to ${aside} and rewritten from the index`, id);
        run = structuredClone(this.#get(id));
      }
      applyPatch(run, p, new Date().toISOString());
      await writeFileAtomic(path, runFileText(run));
      this.#byId.set(id, run);
      if (p.status === 'running') await ensureReserve(this.runDir(id, false));
      return run;
    });
  }

  /** Remembers a patch the disk refused and retries it every second (and at close) until it is written. */
  #keepUnwritten(id: string, p: RunPatch): void {
    this.#unwritten.set(id, { ...this.#unwritten.get(id), ...p });
    if (this.#repairTimer) return;
    this.#repairTimer = setInterval(() => void this.#retryUnwritten(), REPAIR_INTERVAL_MS);
    this.#repairTimer.unref();
  }

  async #retryUnwritten(): Promise<void> {
    for (const [id, p] of [...this.#unwritten]) {
      if (!this.#byId.has(id)) {
        this.#unwritten.delete(id);
        continue;
      }
      try {
        await this.#patchRunFile(id, p);
        this.#unwritten.delete(id);
        await clearReserve(this.runDir(id, false));
        await this.#persist([id]);
        this.#notice('run-repaired', `run ${id}: a change the full disk refused is now written (status ${this.#byId.get(id)?.status})`, id);
      } catch {
        /* still full: try again later */
      }
    }
    if (this.#unwritten.size === 0 && this.#repairTimer) {
      clearInterval(this.#repairTimer);
      this.#repairTimer = null;
    }
  }

  /** Changes not yet on disk because it was full (the CLI says so before exiting). */
  get unwrittenRuns(): string[] {
    return [...this.#unwritten.keys()];
  }

  /**
   * Removes a run from the index and deletes its folder. The folder is first renamed to a dot-prefixed trash
   * name, so a crash midway never leaves a half-deleted run that a rebuild would bring back. Refuses a run whose
   * owner process is alive (`isAlive` overrides the check: the app passes one after killing its own process).
   */
  async deleteRun(id: string, isAlive: LivenessCheck = (r) => isRunOwnerAlive(r)): Promise<void> {
    this.#assertOpen();
    this.#get(id);
    await withFileLock(this.#runLock(id), async () => {
      const run = await readRunFile(this.home, id).catch(() => this.#get(id));
      if ((run.status === 'running' || run.status === 'queued') && isAlive(run)) {
        throw new StoreError('RUN_ACTIVE', `run ${id} is ${run.status} in ${describeOwner(run)}; stop it before deleting it`);
      }
      const trash = join(this.home, RUNS_DIR, `.trash-${id}-${Date.now().toString(36)}`);
      let trashed = true;
      try {
        await rename(this.runDir(id), trash);
      } catch (e) {
        if (!(isNodeError(e) && e.code === 'ENOENT')) throw e;
        trashed = false;
      }
      this.#byId.delete(id);
      this.#unwritten.delete(id);
      await this.#persist([id]);
      if (trashed) await rm(trash, { recursive: true, force: true });
    });
  }

  /**
   * Marks runs whose owner process is gone: `running` → `crashed` (step and summary brought up to what its metric
   * stream holds, so the last logged step is kept), `queued` → `stopped`. Every process does this (CLI listings,
   * `--resume`, the app). Runs owned by this process are left to it. Returns the runs it changed.
   */
  async reconcile(isAlive: LivenessCheck = (r) => isRunOwnerAlive(r)): Promise<RunRecord[]> {
    this.#assertOpen();
    const changed: RunRecord[] = [];
    for (const cached of this.listRuns({ status: ['running', 'queued'] })) {
      if ((cached.owner && isCurrentProcess(cached.owner)) || isAlive(cached)) continue;
      try {
        const run = await withFileLock(this.#runLock(cached.id), async () => {
          const current = await readRunFile(this.home, cached.id);
          if (!(current.status === 'running' || current.status === 'queued') || isAlive(current)) return null;
          return this.#markOrphaned(current);
        });
        if (run) {
          this.#byId.set(run.id, run);
          this.#dirtyRuns.add(run.id);
          changed.push(run);
        }
      } catch {
        // A run folder deleted or damaged meanwhile: the next index write prunes or reports it.
      }
    }
    if (changed.length > 0) await this.#persist([]);
    return changed.map((r) => structuredClone(r));
  }

  async #markOrphaned(run: RunRecord): Promise<RunRecord> {
    const now = new Date().toISOString();
    const who = run.owner ? `${run.owner.kind === 'cli' ? 'CLI' : 'app'} process (pid ${run.owner.pid})` : `training process${run.pid === null ? '' : ` (pid ${run.pid})`}`;
    if (run.status === 'queued') {
      run.status = 'stopped';
      run.error = null;
    } else {
      const reserved = await readReserve(this.runDir(run.id, false));
      if (reserved && reserved.writtenAt >= run.updatedAt && reserved.patch.status !== undefined && reserved.patch.status !== 'running') {
        // The process recorded its outcome in the reserve while the disk was full, then exited: that is the truth.
        applyPatch(run, reserved.patch, reserved.writtenAt);
        if (run.error) run.error = { ...run.error, message: `${run.error.message} (recorded in ${RESERVE_FILE} while the disk was full)` };
        run.pid = null;
        run.owner = null;
        run.pidStartTime = null;
        run.updatedAt = now;
        await writeFileAtomic(join(runDirFor(this.home, run.id), RUN_FILE), runFileText(run));
        await clearReserve(this.runDir(run.id, false));
        return run;
      }
      let lastStep = run.step;
      try {
        const summary = await new MetricReader(this.runDir(run.id, false)).summary();
        for (const s of Object.values(summary)) lastStep = Math.max(lastStep, s.lastStep);
        if (Object.keys(summary).length > 0) run.summary = summary;
      } catch {
        // An unreadable stream must not stop the listing; the record keeps its own step.
      }
      run.status = 'crashed';
      run.step = Math.max(0, Math.floor(lastStep));
      run.error = { message: `the ${who} exited without reporting; marked crashed at step ${run.step}` };
      // The process died unseen: its session ends at the record's last update (its last sign of life).
      endSession(run, run.updatedAt);
    }
    run.pid = null;
    run.owner = null;
    run.pidStartTime = null;
    run.endedAt = now;
    run.updatedAt = now;
    await writeFileAtomic(join(runDirFor(this.home, run.id), RUN_FILE), runFileText(run));
    return run;
  }

  /**
   * Re-reads db.json if another process changed it since this process last read or wrote it. Per run, the newer of
   * the cached and the indexed record is kept (a change of ours not yet indexed is not undone). Returns what changed.
   */
  async refresh(): Promise<RefreshResult> {
    this.#assertOpen();
    const signature = await statSignature(this.dbPath);
    if (signature === null || signature === this.#indexSignature) return this.#takeUnreported({ changed: [], removed: [] });
    let data: DbData | null = null;
    try {
      const parsed = DbDataSchema.safeParse(JSON.parse(await readFile(this.dbPath, 'utf8')));
      if (parsed.success) data = parsed.data;
    } catch {
      /* torn or damaged: the locked path below moves it aside and rebuilds */
    }
    if (!data) {
      await this.#persist([]);
      return this.refresh();
    }
    this.#indexSignature = signature;
    return this.#takeUnreported(this.#absorb(data));
  }

  /** `fresh` plus what earlier index writes absorbed, latest record per run, each change reported once. */
  #takeUnreported(fresh: RefreshResult): RefreshResult {
    const { changed, removed } = this.#unreported;
    this.#unreported = { changed: [], removed: [] };
    if (changed.length === 0 && removed.length === 0) return fresh;
    const byId = new Map<string, RunRecord>();
    for (const r of [...changed, ...fresh.changed]) byId.set(r.id, r);
    const gone = new Set([...removed, ...fresh.removed]);
    for (const id of gone) byId.delete(id);
    return {
      changed: [...byId.values()].filter((r) => this.#byId.has(r.id)),
      removed: [...gone].filter((id) => !this.#byId.has(id)),
    };
  }

  #absorb(data: DbData): RefreshResult {
    const changed: RunRecord[] = [];
    const seen = new Set<string>();
    for (const disk of data.runs) {
      seen.add(disk.id);
      const cached = this.#byId.get(disk.id);
      if (cached && (this.#dirtyRuns.has(disk.id) || cached.updatedAt > disk.updatedAt)) continue;
      if (cached && cached.updatedAt === disk.updatedAt && JSON.stringify(cached) === JSON.stringify(disk)) continue;
      this.#byId.set(disk.id, disk);
      changed.push(structuredClone(disk));
    }
    const removed: string[] = [];
    for (const id of [...this.#byId.keys()]) {
      if (seen.has(id) || this.#dirtyRuns.has(id)) continue;
      this.#byId.delete(id);
      removed.push(id);
    }
    this.#datasets = data.datasets;
    this.#sweeps = data.sweeps;
    return { changed, removed };
  }

  /** The run's folder (`<home>/runs/<id>`); the run must exist. */
  runDir(id: string, mustExist = true): string {
    if (mustExist) this.#get(id);
    return runDirFor(this.home, id);
  }

  /** The datasets index (copy). Its entries are defined by the preference-datasets code. */
  listDatasets(): DatasetIndexEntry[] {
    return structuredClone(this.#datasets);
  }

  /** Replaces the datasets index through `fn`, applied to the index as it is on disk (under the index lock). */
  async updateDatasets(fn: (entries: DatasetIndexEntry[]) => DatasetIndexEntry[]): Promise<void> {
    this.#assertOpen();
    let failure: unknown = null;
    this.#mutators.push((data) => {
      try {
        data.datasets = fn(structuredClone(data.datasets)).map((e, i) => {
          assertJsonValue(e, `datasets[${i}]`);
          return DatasetIndexEntrySchema.parse(e);
        });
      } catch (e) {
        failure = e;
      }
    });
    await this.#persist([]);
    if (failure) invalid(failure, 'datasets');
  }

  /** The sweeps index (copies), oldest first. */
  listSweeps(): SweepRecord[] {
    return structuredClone(this.#sweeps);
  }

  findSweep(id: string): SweepRecord | undefined {
    const sweep = this.#sweeps.find((s) => s.id === id);
    return sweep && structuredClone(sweep);
  }

  /**
   * Writes a sweep's record: sweeps/<id>.json (atomic), then its entry in db.json under the index lock (added, or
   * replacing the entry with its id). Only the sweep's owner calls this while the sweep runs (core/sweep).
   */
  async saveSweep(record: SweepRecord): Promise<SweepRecord> {
    this.#assertOpen();
    let sweep: SweepRecord;
    try {
      sweep = SweepRecordSchema.parse(record);
      assertJsonValue(sweep.spec, 'saveSweep.spec');
    } catch (e) {
      invalid(e, 'saveSweep');
    }
    await mkdir(join(this.home, SWEEPS_DIR), { recursive: true });
    try {
      await writeSweepFile(this.home, sweep);
    } catch (e) {
      throw diskError(e, `sweeps/${sweep.id}.json`);
    }
    const put = (list: SweepRecord[]): SweepRecord[] => {
      const next = list.filter((s) => s.id !== sweep.id);
      next.push(structuredClone(sweep));
      return next.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
    };
    this.#sweeps = put(this.#sweeps);
    this.#mutators.push((data) => {
      data.sweeps = put(data.sweeps);
    });
    await this.#persist([]);
    return structuredClone(sweep);
  }

  /** Resolves when every change made so far is on disk. */
  async flush(): Promise<void> {
    if (this.#queued) await this.#queued;
    await this.#chain;
  }

  /** Flushes (one last try for changes a full disk refused) and refuses further changes. */
  async close(): Promise<void> {
    if (this.#unwritten.size > 0) await this.#retryUnwritten();
    if (this.#repairTimer) clearInterval(this.#repairTimer);
    this.#repairTimer = null;
    await this.flush();
    await this.#upkeep;
    this.#closed = true;
  }

  #runLock(id: string): string {
    return join(this.home, LOCKS_DIR, id);
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

  /** One index write: under the index lock, re-read db.json, refresh our runs' entries from run.json, write. */
  async #writeNow(): Promise<void> {
    this.#queued = null; // changes from here on need another write
    const ids = [...this.#dirtyRuns];
    this.#dirtyRuns.clear();
    const mutators = this.#mutators.splice(0);
    try {
      await withFileLock(this.dbPath, async () => {
        const loaded = await loadIndex(this.home, this.#rebuildDatasets);
        if (loaded.recovery) this.#notice('index-rebuilt', loaded.recovery.message);
        this.#noticePruned(loaded.prunedRunIds);
        const data = loaded.data;
        const at = new Map(data.runs.map((r, i) => [r.id, i] as const));
        for (const id of ids) {
          let run: RunRecord | null;
          try {
            run = await readRunFile(this.home, id);
          } catch (e) {
            run = isNodeError(e) && e.code === 'ENOENT' ? null : (this.#byId.get(id) ?? null);
          }
          const i = at.get(id);
          if (run && i !== undefined) data.runs[i] = run;
          else if (run) data.runs.push(run);
          else if (i !== undefined) data.runs[i] = null as unknown as RunRecord;
        }
        data.runs = data.runs.filter(Boolean).sort(byCreation);
        for (const m of mutators) m(data);
        this.#db.data = data;
        await this.#db.write();
        this.#indexSignature = await statSignature(this.dbPath);
        const absorbed = this.#absorb(data);
        this.#unreported.changed.push(...absorbed.changed);
        this.#unreported.removed.push(...absorbed.removed);
      });
    } catch (e) {
      for (const id of ids) this.#dirtyRuns.add(id);
      throw diskError(e, DB_FILE);
    }
  }
}
