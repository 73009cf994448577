/**
 * RunManager: the app's only writer of db.json. Starts one training process per run (never training in the
 * UI/server process), queues runs beyond a concurrency limit, stops them gracefully (the loop saves a
 * checkpoint), resumes, deletes with files, marks a process that dies without reporting as `crashed`,
 * and fans every event out to subscribers (the IPC gate, WebSocket clients, tests).
 */
import { cpus } from 'node:os';
import type { ApiEvent, RunInfo } from '../api/contract.js';
import { ApiFailure } from '../api/contract.js';
import {
  currentOwner,
  describeOwner,
  ensureOverviews,
  isCurrentProcess,
  isRunOwnerAlive,
  listCheckpoints,
  loadableCheckpoints,
  MetricReader,
  processStartTime,
  type RunOwner,
  type RunPatch,
  type RunRecord,
  type RunStore,
  setAsideForRestart,
  TERMINAL_STATUSES,
} from '../store/index.js';
import { mapStoreError } from './errors.js';
import { FolderWatch } from './folder-watch.js';
import { RunLogs } from './logs.js';
import { endOfRun } from './run-end.js';
import { toRunInfo } from './run-info.js';
import { removeStopRequest, stopRequestPending, takeStopRequest, writeStopRequest } from './stop-request.js';
import { defaultWorkerPath, forkWorker, type SpawnWorker } from './spawn.js';
import { TrainingProcess, type Outcome } from './training-process.js';

export interface RunManagerOptions {
  store: RunStore;
  /** Most training processes at once; more runs wait in the queue. Default: CPU cores − 1, at least 1, at most 4. */
  maxConcurrent?: number;
  spawn?: SpawnWorker;
  /** Module the training process runs (default: worker.ts/worker.js next to this file). */
  workerPath?: string;
  /** How long a stopping run may take to checkpoint and exit before it is killed. */
  stopTimeoutMs?: number;
  /** Environment of training processes (default: this process's). */
  env?: NodeJS.ProcessEnv;
  /** How often the data folder is polled for other processes' runs (default FOLDER_POLL_MS). */
  folderPollMs?: number;
  /** Who this process is in the runs it owns: the app (default), or a `policylab sweep` command. */
  ownerKind?: RunOwner['kind'];
}

export interface NewRun {
  algo: string;
  env: string;
  config: Record<string, unknown>;
  seed: number;
  totalSteps: number;
  name?: string;
  tags?: string[];
  notes?: string;
}

/** How long a stop request may wait for the owning process to take it before the stop is refused. */
const STOP_REQUEST_WAIT_MS = 5_000;

/** Steps and summaries are written to db.json at most this often while a run trains (plus on every status change). */
const PERSIST_INTERVAL_MS = 2_000;

export function defaultConcurrency(): number {
  return Math.max(1, Math.min(4, cpus().length - 1));
}

/** The concurrency limit from POLICYLAB_MAX_RUNS, or undefined when unset; a bad value is an error naming it. */
export function concurrencyFromEnv(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const text = env.POLICYLAB_MAX_RUNS;
  if (text === undefined || text === '') return undefined;
  if (!/^[1-9][0-9]*$/.test(text) || Number(text) > 64) throw new Error(`POLICYLAB_MAX_RUNS must be an integer in [1, 64], got ${JSON.stringify(text)}`);
  return Number(text);
}

function checkConcurrency(n: number): number {
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new ApiFailure('invalid_request', `maxConcurrent must be an integer in [1, 64], got ${n}`);
  return n;
}

export class RunManager {
  readonly store: RunStore;
  #maxConcurrent: number;
  readonly #spawn: SpawnWorker;
  readonly #workerPath: string;
  readonly #stopTimeoutMs: number;
  readonly #env: NodeJS.ProcessEnv;
  readonly #ownerKind: RunOwner['kind'];
  readonly #active = new Map<string, TrainingProcess>();
  /** When each active run last wrote its step/summary to db.json. */
  readonly #lastPersist = new Map<string, number>();
  readonly #queue: { id: string; restart: boolean }[] = [];
  /** Runs other processes train that this app asked to stop (SIGINT sent; their record still says running). */
  readonly #externalStopping = new Set<string>();
  readonly #watch: FolderWatch;
  /** Per active run: resolves when its end has been recorded. */
  readonly #finishing = new Map<string, Promise<void>>();
  /** Runs taken off the queue whose process is being prepared (they hold a slot). */
  readonly #launching = new Map<string, { cancelled: boolean }>();
  /** File work on a stopped run's folder (writing its chart overviews); a launch or delete waits for it. */
  readonly #maintenance = new Map<string, Promise<void>>();
  readonly #listeners = new Set<(event: ApiEvent) => void>();
  readonly #logs: RunLogs;
  #closing = false;

  private constructor(options: RunManagerOptions) {
    this.store = options.store;
    this.#maxConcurrent = options.maxConcurrent ?? concurrencyFromEnv() ?? defaultConcurrency();
    if (!Number.isInteger(this.#maxConcurrent) || this.#maxConcurrent < 1) {
      throw new Error(`maxConcurrent must be an integer ≥ 1, got ${this.#maxConcurrent}`);
    }
    this.#spawn = options.spawn ?? forkWorker;
    this.#ownerKind = options.ownerKind ?? 'app';
    this.#workerPath = options.workerPath ?? defaultWorkerPath();
    this.#stopTimeoutMs = options.stopTimeoutMs ?? 60_000;
    this.#env = options.env ?? process.env;
    this.#logs = new RunLogs((id) => this.store.runDir(id, false), (id, lines) => this.#emit({ event: 'run:log', payload: { id, lines } }));
    this.#watch = new FolderWatch({
      store: this.store,
      isLocal: (id) => this.#isLocal(id),
      info: (r) => this.#info(r),
      emit: (e) => {
        if (e.event === 'run:status' && e.payload.status !== 'running') this.#externalStopping.delete(e.payload.id);
        this.#emit(e);
      },
      afterPoll: () => this.#takeStopRequests(),
      ...(options.folderPollMs !== undefined ? { pollMs: options.folderPollMs } : {}),
    });
    this.store.onNotice((n) => {
      this.#emit({ event: 'system:notice', payload: { kind: n.kind, message: n.message, time: n.time } });
      const repaired = n.runId ? this.store.findRun(n.runId) : undefined;
      if (repaired) this.#emitStatus(repaired);
    });
  }

  get maxConcurrent(): number {
    return this.#maxConcurrent;
  }

  /** Changes how many runs train at once; queued runs start at once if the limit grew. */
  setMaxConcurrent(n: number): void {
    this.#maxConcurrent = checkConcurrency(n);
    this.#pump();
    this.#emitQueue();
  }

  /** True for runs this app trains, launches or holds in its queue. */
  #isLocal(id: string): boolean {
    return this.#active.has(id) || this.#launching.has(id) || this.#queue.some((q) => q.id === id);
  }

  /** Polls the data folder once for other processes' changes (the watcher also does this every ~300 ms). */
  pollFolder(): Promise<void> {
    return this.#watch.poll();
  }

  /**
   * Opens a manager on a store: runs left `running` by a previous process that is gone become `crashed`,
   * runs left `queued` become `stopped` (resume them to run).
   */
  static async open(options: RunManagerOptions): Promise<RunManager> {
    const manager = new RunManager(options);
    // Runs whose owner is gone (this app's previous process, a killed CLI) become crashed (running) or stopped
    // (queued); runs another live process owns are left to it.
    await options.store.reconcile();
    manager.#watch.start();
    return manager;
  }

  subscribe(listener: (event: ApiEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #emit(event: ApiEvent): void {
    for (const l of this.#listeners) {
      try {
        l(event);
      } catch {
        // A failing subscriber (closed socket) must not break the others or the run.
      }
    }
  }

  info(id: string): RunInfo {
    try {
      return this.#info(this.store.getRun(id));
    } catch (err) {
      throw mapStoreError(err);
    }
  }

  list(): RunInfo[] {
    return this.store.listRuns().map((r) => this.#info(r));
  }

  #info(record: RunRecord): RunInfo {
    const active = this.#active.get(record.id);
    const info = toRunInfo(
      record,
      active
        ? { stopping: active.stopRequested, summary: active.summary, step: active.step, sps: active.sps }
        : record.status === 'running'
          ? { stopping: this.#externalStopping.has(record.id), summary: record.summary, step: record.step, sps: this.#watch.externalSps(record.id) }
          : null,
    );
    const at = this.#queue.findIndex((q) => q.id === record.id);
    if (at >= 0 && record.status === 'queued') {
      const busy = this.#active.size + this.#launching.size;
      info.queue = {
        position: at + 1,
        reason: `waiting for a free slot: ${busy} of ${this.#maxConcurrent} run${this.#maxConcurrent === 1 ? '' : 's'} at once in use` + (at > 0 ? `, ${at} queued ahead` : ''),
      };
    } else if (record.status === 'running' && !active && record.owner && !isCurrentProcess(record.owner)) {
      info.owner = { kind: record.owner.kind, pid: record.owner.pid };
    }
    return info;
  }

  /** Queue positions shift whenever the queue moves: tell subscribers about every queued run. */
  #emitQueue(): void {
    for (const { id } of this.#queue) {
      const r = this.store.findRun(id);
      if (r) this.#emitStatus(r);
    }
  }

  #emitStatus(record: RunRecord): void {
    this.#emit({ event: 'run:status', payload: this.#info(record) });
  }

  async #update(id: string, patch: RunPatch): Promise<RunRecord> {
    const record = await this.store.updateRun(id, patch);
    this.#emitStatus(record);
    return record;
  }

  /** Creates a run (status `queued`) and starts it when a slot is free. */
  async start(input: NewRun): Promise<RunInfo> {
    if (this.#closing) throw new ApiFailure('conflict', 'the app is shutting down; no new runs');
    const record = await this.store.createRun({
      owner: currentOwner(this.#ownerKind),
      algo: input.algo,
      env: input.env,
      config: input.config,
      seed: input.seed,
      totalSteps: input.totalSteps,
      ...(input.name !== undefined ? { name: input.name } : {}),
      ...(input.tags !== undefined ? { tags: input.tags } : {}),
      ...(input.notes !== undefined ? { notes: input.notes } : {}),
    });
    this.#emitStatus(record);
    this.#queue.push({ id: record.id, restart: false });
    this.#pump();
    return this.info(record.id);
  }

  /** Graceful stop: a queued run leaves the queue; a running one checkpoints and exits (killed after the timeout). */
  async stop(id: string): Promise<RunInfo> {
    const record = this.#isLocal(id) ? this.#get(id) : await this.#read(id);
    const queued = this.#queue.findIndex((q) => q.id === id);
    if (queued >= 0) {
      this.#queue.splice(queued, 1);
      await this.#update(id, { status: 'stopped' });
      return this.info(id);
    }
    const active = this.#active.get(id);
    const launching = this.#launching.get(id);
    if (!active && launching) {
      // Not spawned yet: #launch sees the flag before it spawns and records `stopped`.
      launching.cancelled = true;
      return { ...this.info(id), status: 'stopping' };
    }
    if (!active) return this.#stopExternal(record);
    if (!active.stopRequested) {
      this.#logs.append(id, 'system', 'stop requested: saving a checkpoint');
      active.stop();
      this.#emitStatus(record);
    }
    return this.info(id);
  }

  /**
   * A run another process trains. A `policylab train` process gets SIGINT (it checkpoints and stops, as with
   * Ctrl-C). A run another RunManager holds — a `policylab sweep` command's (SIGINT would stop its whole sweep) or a
   * second app's — gets a stop request (stop-request.ts) that its owner takes at its next folder poll; refused, saying
   * where to stop it, if the owner does not take it in time. One whose owner is gone is marked crashed.
   */
  async #stopExternal(record: RunRecord): Promise<RunInfo> {
    const { id, owner } = record;
    if (record.status === 'running' || record.status === 'queued') {
      if (!isRunOwnerAlive(record)) {
        await this.store.reconcile();
        throw new ApiFailure('conflict', `run ${id} was ${record.status} in a process that is gone; marked ${this.#get(id).status}`);
      }
      const sweep = this.#sweepOwning(record);
      if (owner?.kind === 'cli' && !sweep) {
        process.kill(owner.pid, 'SIGINT');
        this.#externalStopping.add(id);
        this.#emitStatus(record);
        return this.#info(record);
      }
      if (owner) {
        await this.#requestStop(record, owner, sweep);
        this.#externalStopping.add(id);
        this.#emitStatus(record);
        return this.#info(record);
      }
      throw new ApiFailure('conflict', `run ${id} is trained by ${describeOwner(record)}; stop it there`);
    }
    throw new ApiFailure('conflict', `run ${id} is ${record.status}, not running; nothing to stop`);
  }

  /** The sweep a run belongs to when that sweep's owner is the run's owner (a `policylab sweep` command or an app). */
  #sweepOwning(record: RunRecord): { id: string; name: string } | null {
    const tag = record.tags.find((t) => t.startsWith('sweep:'));
    const sweep = tag ? this.store.findSweep(tag.slice('sweep:'.length)) : undefined;
    const same = sweep?.owner && record.owner && sweep.owner.pid === record.owner.pid && sweep.owner.host === record.owner.host;
    return sweep && same ? { id: sweep.id, name: sweep.name } : null;
  }

  async #requestStop(record: RunRecord, owner: RunOwner, sweep: { id: string; name: string } | null): Promise<void> {
    const dir = this.store.runDir(record.id, false);
    await writeStopRequest(dir, { target: { pid: owner.pid, startTime: owner.startTime, host: owner.host }, from: currentOwner(this.#ownerKind), at: new Date().toISOString() });
    const until = Date.now() + STOP_REQUEST_WAIT_MS;
    while (await stopRequestPending(dir)) {
      if (Date.now() > until) {
        await removeStopRequest(dir);
        const where = sweep
          ? `run ${record.id} belongs to sweep ${sweep.id} ("${sweep.name}"), run by ${describeOwner(record)}, which did not take the stop request within ${STOP_REQUEST_WAIT_MS / 1000} s; ` +
            `stop it there (Ctrl-C in its terminal stops the whole sweep), or stop the whole sweep from the Sweeps view`
          : `run ${record.id} is trained by ${describeOwner(record)}, which did not take the stop request within ${STOP_REQUEST_WAIT_MS / 1000} s; stop it there`;
        throw new ApiFailure('conflict', where);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Stop requests other processes left for runs this process holds (folder poll): each such run is stopped here. */
  async #takeStopRequests(): Promise<void> {
    const ids = new Set([...this.#active.keys(), ...this.#launching.keys(), ...this.#queue.map((q) => q.id)]);
    const self = currentOwner(this.#ownerKind);
    for (const id of ids) {
      const request = await takeStopRequest(this.store.runDir(id, false), self);
      if (!request || !this.#isLocal(id)) continue;
      this.#logs.append(id, 'system', `stop requested by ${describeOwner({ owner: request.from, pid: request.from.pid })}`);
      await this.stop(id).catch(() => undefined);
    }
  }

  /** The run as its run.json says now (another process may have changed it since the last poll). */
  async #read(id: string): Promise<RunRecord> {
    try {
      return await this.store.readRun(id);
    } catch (err) {
      throw mapStoreError(err);
    }
  }

  /**
   * Continues a stopped/crashed/failed (or finished, with a larger totalSteps) run from its newest intact
   * checkpoint. A run with none (killed before its first checkpoint) restarts from step 0 only when `restart`
   * is set — the UI asks first — and its earlier metrics are kept aside, never deleted.
   */
  async resume(id: string, totalSteps?: number, restart = false): Promise<RunInfo> {
    if (this.#isLocal(id)) throw new ApiFailure('conflict', `run ${id} is already ${this.#get(id).status}`);
    let record = await this.#read(id);
    if (record.external) throw new ApiFailure('conflict', `run ${id} was imported from ${record.external.library} (${record.external.path}); imported runs are read-only and cannot be resumed`);
    if (record.status === 'running' || record.status === 'queued') {
      if (isRunOwnerAlive(record)) {
        throw new ApiFailure('conflict', `run ${id} is being trained by ${describeOwner(record)}; stop it before resuming it here`);
      }
      await this.store.reconcile();
      record = this.#get(id);
    }
    if (!restart) {
      // Every file of a checkpoint is checked: one whose weights are damaged cannot be resumed from either.
      const loadable = await loadableCheckpoints(this.store.runDir(id));
      if (loadable.intact.length === 0) {
        const why = loadable.damaged.length > 0 ? ` (every checkpoint is damaged: ${loadable.damaged.map((d) => `step ${d.step}: ${d.reason}`).join('; ')})` : '';
        throw new ApiFailure(
          'conflict',
          `run ${id} has no intact checkpoint to resume from${why}; restart it from step 0 instead (its earlier metrics are kept aside, not deleted)`,
        );
      }
    }
    if (this.#closing) throw new ApiFailure('conflict', 'the app is shutting down; no new runs');
    const target = totalSteps ?? record.totalSteps ?? 0;
    if (record.status === 'finished' && target <= record.step) {
      throw new ApiFailure('conflict', `run ${id} finished at step ${record.step}; pass a larger totalSteps to continue it`);
    }
    await this.#update(id, { status: 'queued', error: null, owner: currentOwner(this.#ownerKind), ...(totalSteps !== undefined ? { totalSteps } : {}) });
    this.#queue.push({ id, restart });
    this.#pump();
    return this.info(id);
  }

  /**
   * Writes the chart overviews of a run that is not training and lacks them (written before overviews existed,
   * or its process was killed), in the background; resolves when done. A resume or delete of the run waits for it.
   */
  prepareOverviews(id: string): Promise<void> {
    if (this.#closing || this.#active.has(id) || this.#launching.has(id) || this.#queue.some((q) => q.id === id)) return Promise.resolve();
    // Only a run that has ended (a `running` record may belong to a CLI process writing this folder right now).
    const status = this.store.findRun(id)?.status;
    if (!status || !TERMINAL_STATUSES.includes(status)) return Promise.resolve();
    const pending = this.#maintenance.get(id);
    if (pending) return pending;
    const work = ensureOverviews(this.store.runDir(id))
      .then(() => undefined, (err: unknown) => this.#logs.append(id, 'system', `could not write chart overviews: ${err instanceof Error ? err.message : String(err)}`))
      .finally(() => this.#maintenance.delete(id));
    this.#maintenance.set(id, work);
    return work;
  }

  /** Deletes a run and its files; a live process is killed first (the UI asks for confirmation). */
  async delete(id: string): Promise<void> {
    this.#get(id);
    if (!this.#isLocal(id)) {
      // Another process's run: the store refuses it while its owner lives.
      try {
        await this.store.deleteRun(id);
      } catch (err) {
        throw mapStoreError(err);
      }
      this.#emit({ event: 'run:deleted', payload: { id } });
      return;
    }
    const queued = this.#queue.findIndex((q) => q.id === id);
    if (queued >= 0) this.#queue.splice(queued, 1);
    const launching = this.#launching.get(id);
    if (launching) launching.cancelled = true;
    const active = this.#active.get(id);
    if (active) {
      active.kill();
      await active.exited;
      await this.#settled(id);
    }
    await this.#logs.close(id);
    await this.#maintenance.get(id);
    try {
      await this.store.deleteRun(id, () => false);
    } catch (err) {
      throw mapStoreError(err);
    }
    this.#emit({ event: 'run:deleted', payload: { id } });
  }

  async update(id: string, patch: { name?: string; tags?: string[]; notes?: string }): Promise<RunInfo> {
    this.#get(id);
    const record = await this.#update(id, patch);
    return this.#info(record);
  }

  logs(id: string, limit: number) {
    this.#get(id);
    return this.#logs.tail(id, limit);
  }

  /** Stops every run gracefully and waits for the processes to exit; queued runs become `stopped`. */
  async close(): Promise<void> {
    this.#closing = true;
    await this.#watch.stop();
    for (const { id } of this.#queue.splice(0)) await this.#update(id, { status: 'stopped' });
    while (this.#launching.size > 0) await new Promise((r) => setTimeout(r, 10));
    await Promise.all(
      [...this.#active].map(async ([id, a]) => {
        if (!a.stopRequested) await this.stop(id).catch(() => undefined);
        await a.exited;
        await this.#settled(id);
      }),
    );
    await Promise.all(this.#maintenance.values());
    await this.#logs.closeAll();
    await this.store.flush();
  }

  #get(id: string): RunRecord {
    try {
      return this.store.getRun(id);
    } catch (err) {
      throw mapStoreError(err);
    }
  }

  #pump(): void {
    let moved = false;
    while (!this.#closing && this.#active.size + this.#launching.size < this.#maxConcurrent && this.#queue.length > 0) {
      const { id, restart } = this.#queue.shift()!;
      moved = true;
      const slot = { cancelled: false };
      this.#launching.set(id, slot);
      this.#launch(id, slot, restart)
        .catch((err: unknown) => this.#failLaunch(id, err))
        .finally(() => {
          this.#launching.delete(id);
          // While it launched, this run counted as launching and (once spawned) active: a start() in that window
          // saw one slot too few and left its run queued. Pump again now that the count is right.
          this.#pump();
        });
    }
    if (moved) this.#emitQueue();
  }

  async #failLaunch(id: string, err: unknown): Promise<void> {
    this.#active.delete(id);
    if (!this.store.findRun(id)) return; // deleted while it was being launched
    const message = `could not start the training process: ${err instanceof Error ? err.message : String(err)}`;
    this.#logs.append(id, 'system', message);
    if (this.store.findRun(id)) await this.#update(id, { status: 'crashed', error: { message } }).catch(() => undefined);
    this.#pump();
  }

  /** Resolves once the manager has recorded the end of run `id`'s process. */
  #settled(id: string): Promise<void> {
    return this.#finishing.get(id) ?? Promise.resolve();
  }

  async #launch(id: string, slot: { cancelled: boolean }, restart: boolean): Promise<void> {
    await this.#maintenance.get(id); // the training process is about to write this folder
    let record = this.store.getRun(id);
    const runDir = this.store.runDir(id);
    // Resume from the newest checkpoint when there is one; otherwise (never started, or a restart the user
    // confirmed) start from step 0 with whatever an earlier attempt logged kept aside.
    const checkpoints = restart ? [] : await listCheckpoints(runDir);
    const resume = checkpoints.length > 0;
    if (!resume && !slot.cancelled && !this.#closing) {
      const aside = await setAsideForRestart(runDir);
      if (aside.metrics || aside.episodes) {
        this.#logs.append(id, 'system', `restarting from step 0; the earlier metrics are kept in ${aside.metrics ?? aside.episodes}`);
        record = await this.#update(id, { step: 0, summary: {}, episodes: 0 });
      }
    }
    if (slot.cancelled || this.#closing) {
      if (this.store.findRun(id)) await this.#update(id, { status: 'stopped' });
      return;
    }
    const emit = this.#emit.bind(this);
    const proc = new TrainingProcess({
      spawn: this.#spawn,
      workerPath: this.#workerPath,
      env: this.#env,
      stopTimeoutMs: this.#stopTimeoutMs,
      summary: record.summary,
      step: record.step,
      start: () => ({
        type: 'start',
        runId: id,
        runDir,
        algo: record.algo,
        env: record.env,
        config: record.config,
        seed: record.seed,
        totalSteps: this.store.findRun(id)?.totalSteps ?? record.totalSteps ?? 0,
        resume,
      }),
      hooks: {
        log: (stream, text) => this.#logs.append(id, stream, text),
        started: (backend) => {
          this.#logs.append(id, 'system', `training on backend ${backend.name}`);
          void this.#update(id, { backend }).catch(() => undefined);
        },
        progress: (p) => {
          emit({ event: 'run:progress', payload: { id, ...p } });
          this.#persistProgress(id, proc);
        },
        metrics: (records) => {
          emit({ event: 'run:metrics', payload: { id, records } });
          this.#persistProgress(id, proc);
        },
        checkpoint: (step) => emit({ event: 'run:checkpoint', payload: { id, step } }),
      },
    });
    this.#active.set(id, proc);
    this.#lastPersist.set(id, Date.now());
    this.#logs.append(id, 'system', resume ? `resuming from the checkpoint at step ${checkpoints.at(-1)!.step}` : 'starting');
    this.#finishing.set(
      id,
      proc.exited
        .then((outcome) => this.#finish(id, proc, outcome))
        .catch((err: unknown) => this.#logs.append(id, 'system', `could not record the end of the run: ${String(err)}`))
        .finally(() => {
          this.#active.delete(id);
          this.#finishing.delete(id);
          this.#lastPersist.delete(id);
          this.#pump();
        }),
    );
    await this.#update(id, { status: 'running', ...(proc.pid ? { pid: proc.pid, pidStartTime: processStartTime(proc.pid) } : {}) });
  }

  #persistProgress(id: string, proc: TrainingProcess): void {
    const now = Date.now();
    if (now - (this.#lastPersist.get(id) ?? 0) < PERSIST_INTERVAL_MS) return;
    this.#lastPersist.set(id, now);
    void this.#update(id, { step: proc.step, summary: proc.summary }).catch(() => undefined);
  }

  /** Records how the process ended: the run's final status, step, summary (re-read from its metrics file). */
  async #finish(id: string, proc: TrainingProcess, outcome: Outcome): Promise<void> {
    if (outcome.kind === 'deleted' || !this.store.findRun(id)) return;
    let summary = proc.summary;
    try {
      const fromFile = await new MetricReader(this.store.runDir(id)).summary();
      if (Object.keys(fromFile).length > 0) summary = fromFile;
    } catch {
      /* keep the live summary */
    }
    const step = outcome.kind === 'done' ? outcome.step : proc.step;
    // Free the slot before the final status goes out, so a resume right after it is not refused.
    this.#active.delete(id);
    const { patch, log } = endOfRun(outcome, step);
    if (log) this.#logs.append(id, 'system', log);
    await this.#update(id, { step, summary, pid: null, ...patch });
  }
}
