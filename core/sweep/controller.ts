/**
 * SweepController: launches a planned sweep's runs through the RunManager (so they queue under its "Runs at once"
 * limit like any other run), follows their statuses, records the sweep in the index, and stops it as a whole
 * (queued runs first, so none starts in a slot a stopping run frees, then the running ones, which checkpoint).
 *
 * One process owns a sweep while it runs: the app, or a `policylab sweep` command. Another process asking to stop
 * it sends the CLI owner SIGINT (its stop-the-sweep signal), and marks a sweep whose owner is gone `stopped`.
 */
import { ApiFailure, type ApiEvent, type RunInfo } from '../api/contract.js';
import type { AlgoCatalog } from '../runner/catalog.js';
import type { NewRun } from '../runner/run-manager.js';
import { currentOwner, isCurrentProcess, newRunId, ownerLiveness, type RunStore, type SweepRecord } from '../store/index.js';
import { planSweep, type SweepPlan } from './plan.js';

/** What the controller needs of a RunManager. */
export interface SweepLauncher {
  start(run: NewRun): Promise<RunInfo>;
  stop(id: string): Promise<RunInfo>;
  subscribe(listener: (event: ApiEvent) => void): () => void;
}

export interface SweepControllerOptions {
  store: RunStore;
  manager: SweepLauncher;
  catalog: Pick<AlgoCatalog, 'describe' | 'resolve'>;
  /** Who owns the sweeps this controller starts. */
  ownerKind: 'app' | 'cli';
}

/** Run statuses a run does not leave on its own. */
const ENDED = new Set(['stopped', 'finished', 'failed', 'crashed']);

/** The tags every run of a sweep carries: the sweep's id and the index of its configuration. */
export function sweepTags(sweepId: string, point: number): string[] {
  return [`sweep:${sweepId}`, `sweep-point:${point}`];
}

interface ActiveSweep {
  record: SweepRecord;
  stopRequested: boolean;
  /** True once every planned run has been created (or creation stopped). */
  launched: boolean;
  launching: Promise<void>;
  /** Writes of the record, one after another. */
  saving: Promise<unknown>;
  done: Promise<SweepRecord>;
  resolve: (r: SweepRecord) => void;
}

export class SweepController {
  readonly #store: RunStore;
  readonly #manager: SweepLauncher;
  readonly #catalog: SweepControllerOptions['catalog'];
  readonly #ownerKind: 'app' | 'cli';
  readonly #active = new Map<string, ActiveSweep>();
  readonly #listeners = new Set<(sweep: SweepRecord) => void>();
  readonly #off: () => void;

  constructor(options: SweepControllerOptions) {
    this.#store = options.store;
    this.#manager = options.manager;
    this.#catalog = options.catalog;
    this.#ownerKind = options.ownerKind;
    this.#off = this.#manager.subscribe((e) => {
      if (e.event === 'run:status' || e.event === 'run:deleted') {
        for (const a of this.#active.values()) if (a.record.runs.some((r) => r.runId === e.payload.id)) this.#check(a);
      }
    });
  }

  /** Hears every change of a sweep this process runs. */
  onChange(listener: (sweep: SweepRecord) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Checks the spec (SweepSpecError naming the bad key), records the sweep and queues its runs. */
  async start(input: unknown): Promise<SweepRecord> {
    const plan = planSweep(input, this.#catalog);
    const now = new Date().toISOString();
    let id = newRunId();
    while (this.#store.findSweep(id)) id = newRunId();
    const record: SweepRecord = {
      id,
      name: plan.name,
      spec: plan.spec as unknown as Record<string, unknown>,
      status: 'running',
      points: plan.points,
      runs: [],
      plannedRuns: plan.runs.length,
      createdAt: now,
      updatedAt: now,
      endedAt: null,
      owner: currentOwner(this.#ownerKind),
      error: null,
    };
    await this.#store.saveSweep(record);
    let resolve!: (r: SweepRecord) => void;
    const done = new Promise<SweepRecord>((r) => (resolve = r));
    const active: ActiveSweep = { record, stopRequested: false, launched: false, launching: Promise.resolve(), saving: Promise.resolve(), done, resolve };
    this.#active.set(id, active);
    active.launching = this.#launchAll(active, plan);
    return structuredClone(record);
  }

  async #launchAll(active: ActiveSweep, plan: SweepPlan): Promise<void> {
    const { record } = active;
    try {
      for (const run of plan.runs) {
        if (active.stopRequested) break;
        const info = await this.#manager.start({
          algo: plan.spec.algo,
          env: plan.spec.env,
          config: run.config,
          seed: run.seed,
          totalSteps: plan.totalSteps,
          name: `${record.name} #${run.point} s${run.seed}`,
          tags: sweepTags(record.id, run.point),
        });
        record.runs.push({ runId: info.id, point: run.point, seed: run.seed });
      }
    } catch (err) {
      record.error = `could not create run ${record.runs.length + 1} of ${record.plannedRuns}: ${err instanceof Error ? err.message : String(err)}`;
      active.stopRequested = true;
      await this.#stopRuns(record);
    }
    active.launched = true;
    await this.#save(active);
    this.#check(active);
  }

  /** The sweep as this process knows it: the live record of one it runs, else the index's. */
  get(id: string): SweepRecord {
    const active = this.#active.get(id);
    if (active) return structuredClone(active.record);
    const stored = this.#store.findSweep(id);
    if (!stored) throw new ApiFailure('not_found', `unknown sweep id ${JSON.stringify(id)}`);
    return stored;
  }

  list(): SweepRecord[] {
    return this.#store.listSweeps().map((s) => (this.#active.has(s.id) ? structuredClone(this.#active.get(s.id)!.record) : s));
  }

  /** Resolves with the sweep's final record once every run of it has ended (a sweep this process runs). */
  done(id: string): Promise<SweepRecord> {
    const active = this.#active.get(id);
    return active ? active.done : Promise.resolve(this.get(id));
  }

  /**
   * Stops a sweep as a whole: no further run is created, queued runs become `stopped` without starting, running
   * ones stop (checkpoint and exit). Resolves once the stop requests are out (done() resolves when they ended).
   */
  async stop(id: string): Promise<SweepRecord> {
    const active = this.#active.get(id);
    if (!active) return this.#stopElsewhere(id);
    if (active.record.status === 'running') {
      active.stopRequested = true;
      active.record.status = 'stopping';
      await this.#save(active);
    }
    await this.#stopRuns(active.record);
    await active.launching;
    await this.#stopRuns(active.record); // a run created while the first pass went out
    this.#check(active);
    return structuredClone(active.record);
  }

  async #stopRuns(record: SweepRecord): Promise<void> {
    const statusOf = (runId: string) => this.#store.findRun(runId)?.status;
    for (const wanted of ['queued', 'running'] as const) {
      for (const { runId } of record.runs) {
        if (statusOf(runId) === wanted) await this.#manager.stop(runId).catch(() => undefined);
      }
    }
  }

  async #stopElsewhere(id: string): Promise<SweepRecord> {
    await this.#store.refresh();
    const record = this.get(id);
    if (record.status === 'stopped' || record.status === 'finished') throw new ApiFailure('conflict', `sweep ${id} is already ${record.status}`);
    const owner = record.owner;
    if (!owner || ownerLiveness(owner) === 'dead') {
      const [fixed] = await this.reconcile([record]);
      return fixed ?? record;
    }
    if (owner.kind === 'cli' && ownerLiveness(owner) === 'alive' && !isCurrentProcess(owner)) {
      // `policylab sweep` stops the whole sweep on SIGINT, as on Ctrl-C.
      process.kill(owner.pid, 'SIGINT');
      return { ...record, status: 'stopping' };
    }
    throw new ApiFailure('conflict', `sweep ${id} is run by a PolicyLab app (pid ${owner.pid}); stop it there`);
  }

  /** Sweeps left running or stopping by a process that is gone become `stopped` (their runs are reconciled by the store). */
  async reconcile(candidates: SweepRecord[] = this.#store.listSweeps()): Promise<SweepRecord[]> {
    const fixed: SweepRecord[] = [];
    for (const s of candidates) {
      if (this.#active.has(s.id) || (s.status !== 'running' && s.status !== 'stopping')) continue;
      if (s.owner && ownerLiveness(s.owner) !== 'dead') continue;
      const now = new Date().toISOString();
      const who = s.owner ? `${s.owner.kind === 'cli' ? 'the policylab sweep command' : 'the app'} (pid ${s.owner.pid})` : 'its process';
      const next: SweepRecord = { ...s, status: 'stopped', owner: null, endedAt: now, updatedAt: now, error: s.error ?? `${who} exited before the sweep ended` };
      fixed.push(await this.#store.saveSweep(next));
    }
    return fixed;
  }

  #save(active: ActiveSweep): Promise<unknown> {
    active.record.updatedAt = new Date().toISOString();
    const snapshot = structuredClone(active.record);
    active.saving = active.saving.then(() => this.#store.saveSweep(snapshot)).catch(() => undefined);
    for (const l of this.#listeners) {
      try {
        l(structuredClone(snapshot));
      } catch {
        /* a failing listener must not break the sweep */
      }
    }
    return active.saving;
  }

  /** Ends the sweep once every run it created has ended and no more will be created. */
  #check(active: ActiveSweep): void {
    const { record } = active;
    if (!active.launched || record.status === 'stopped' || record.status === 'finished') return;
    const ended = record.runs.every((r) => {
      const status = this.#store.findRun(r.runId)?.status;
      return status === undefined || ENDED.has(status);
    });
    if (!ended) return;
    record.status = active.stopRequested ? 'stopped' : 'finished';
    record.endedAt = new Date().toISOString();
    record.owner = null;
    this.#active.delete(record.id);
    void this.#save(active).then(() => active.resolve(structuredClone(record)));
  }

  /**
   * Before the manager closes (which stops every run): the sweeps this process runs end as `stopped`, not
   * `finished`, and create no more runs.
   */
  beginClose(): void {
    for (const a of this.#active.values()) {
      a.stopRequested = true;
      if (a.record.status === 'running') a.record.status = 'stopping';
    }
  }

  /** After the manager closed: records the end of every sweep this process ran, waits for the writes, stops listening. */
  async close(): Promise<void> {
    this.beginClose();
    const open = [...this.#active.values()];
    await Promise.all(open.map((a) => a.launching));
    for (const a of open) this.#check(a);
    await Promise.all(open.map((a) => a.saving));
    this.#off();
  }
}
