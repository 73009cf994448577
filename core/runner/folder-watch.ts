/**
 * The app as the tracker for every run in its data folder, not only those it trains. Other processes (CLI
 * trainings, `policylab runs`, a second app) change the folder; this watcher polls it and turns what they did
 * into the same events the app's own runs produce:
 * - db.json changed (stat signature) → re-read it; new/changed runs → `run:status`, deleted → `run:deleted`;
 * - a queued/running run whose owner process is gone → marked crashed/stopped (store.reconcile) → `run:status`;
 * - a run another process is training → its metrics.jsonl is tailed → `run:metrics` and `run:progress`.
 * Polling (not fs.watch) because it behaves the same on every OS and network folder; one stat per poll when idle.
 */
import { join } from 'node:path';
import type { ApiEvent, RunInfo } from '../api/contract.js';
import { isRunOwnerAlive, lineAlignedSize, METRICS_FILE, MetricReader, type RunRecord, type RunStore } from '../store/index.js';

/** How often the folder is polled: a CLI run appears in an open window within this (plus a render). */
export const FOLDER_POLL_MS = 300;
/** Liveness of other processes' runs is checked this often (a kill(0) and a /proc read per live run). */
const LIVENESS_EVERY_MS = 1_000;
const RETURN_KEY = 'rollout/episodeReturn';

interface Tail {
  offset: number;
  fileId: string | null;
  lastStep: number;
  lastWallTime: number | null;
  sps: number;
}

export interface FolderWatchOptions {
  store: RunStore;
  /** True for runs this app trains itself (their events come from their processes). */
  isLocal: (id: string) => boolean;
  info: (record: RunRecord) => RunInfo;
  emit: (event: ApiEvent) => void;
  /** Runs at the end of every poll (the RunManager takes other processes' stop requests for its runs here). */
  afterPoll?: () => Promise<void>;
  pollMs?: number;
}

export class FolderWatch {
  readonly #o: FolderWatchOptions;
  readonly #tails = new Map<string, Tail>();
  #timer: NodeJS.Timeout | null = null;
  #busy: Promise<void> | null = null;
  #lastLiveness = 0;

  constructor(options: FolderWatchOptions) {
    this.#o = options;
  }

  start(): void {
    this.#timer ??= setInterval(() => void this.poll(), this.#o.pollMs ?? FOLDER_POLL_MS);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    await this.#busy;
  }

  /** Last known steps per second of a run another process trains (from its tailed metrics). */
  externalSps(id: string): number | null {
    return this.#tails.get(id)?.sps ?? null;
  }

  /** One poll (also called by tests); overlapping calls share the one in progress. */
  poll(): Promise<void> {
    this.#busy ??= this.#poll().finally(() => (this.#busy = null));
    return this.#busy;
  }

  async #poll(): Promise<void> {
    const { store, isLocal, info, emit } = this.#o;
    try {
      const { changed, removed } = await store.refresh();
      for (const r of changed) if (!isLocal(r.id)) emit({ event: 'run:status', payload: info(r) });
      for (const id of removed) {
        this.#tails.delete(id);
        emit({ event: 'run:deleted', payload: { id } });
      }
      const now = Date.now();
      if (now - this.#lastLiveness >= LIVENESS_EVERY_MS) {
        this.#lastLiveness = now;
        for (const r of await store.reconcile((run) => isLocal(run.id) || isRunOwnerAlive(run))) {
          emit({ event: 'run:status', payload: info(r) });
        }
      }
      const external = store.listRuns({ status: 'running' }).filter((r) => !isLocal(r.id));
      const live = new Set(external.map((r) => r.id));
      for (const id of this.#tails.keys()) if (!live.has(id)) this.#tails.delete(id);
      for (const r of external) await this.#tail(r);
    } catch {
      // A poll that failed (a file mid-replace, a full disk) is simply retried at the next tick.
    }
    await this.#o.afterPoll?.().catch(() => undefined);
  }

  async #tail(run: RunRecord): Promise<void> {
    const reader = new MetricReader(this.#o.store.runDir(run.id, false));
    let tail = this.#tails.get(run.id);
    if (!tail) {
      // First sight: start at the end; the run view loads what came before through metrics:query.
      const file = join(this.#o.store.runDir(run.id, false), METRICS_FILE);
      const head = await reader.readFrom(0, { maxBytes: 1024 });
      tail = { offset: await lineAlignedSize(file), fileId: head.fileId, lastStep: run.step, lastWallTime: null, sps: 0 };
      this.#tails.set(run.id, tail);
      return;
    }
    const r = await reader.readFrom(tail.offset, { maxBytes: 1 << 20, fileId: tail.fileId });
    tail.offset = r.nextOffset;
    tail.fileId = r.fileId;
    if (r.records.length === 0) return;
    const records = r.records.map((m) => ({ step: m.step, wallTime: m.wallTime, values: m.values }));
    this.#o.emit({ event: 'run:metrics', payload: { id: run.id, records } });
    const last = records.at(-1)!;
    if (tail.lastWallTime !== null && last.wallTime > tail.lastWallTime) {
      tail.sps = (last.step - tail.lastStep) / (last.wallTime - tail.lastWallTime);
    }
    tail.lastStep = last.step;
    tail.lastWallTime = last.wallTime;
    const recent = [...records].reverse().find((m) => m.values[RETURN_KEY] !== undefined)?.values[RETURN_KEY] ?? null;
    const totalSteps = run.totalSteps ?? 0;
    const eta = tail.sps > 0 && totalSteps > last.step ? (totalSteps - last.step) / tail.sps : null;
    this.#o.emit({
      event: 'run:progress',
      payload: { id: run.id, step: last.step, totalSteps, sps: tail.sps, etaSeconds: eta, recentReturn: recent },
    });
  }
}
