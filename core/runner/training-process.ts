/**
 * One training process, from spawn to exit: sends `start` once the worker is ready, turns worker messages into
 * hook calls, stops gracefully (killing after a timeout), keeps the live step/summary, and resolves `exited`
 * with what happened. The RunManager turns that outcome into the run's final status.
 */
import type { BackendInfo, EventPayloads, LogLine, MetricRecord } from '../api/contract.js';
import type { MetricSummary } from '../store/index.js';
import { isWorkerMessage, type StartMessage, type WorkerMessage } from './protocol.js';
import type { SpawnWorker, WorkerProcess } from './spawn.js';

export type Outcome =
  | { kind: 'done'; status: 'finished' | 'stopped'; step: number; backend: BackendInfo; episodes?: number }
  | { kind: 'failed'; message: string; stack?: string }
  /** Stopped before training began: nothing to checkpoint. */
  | { kind: 'cancelled' }
  | { kind: 'killed-after-timeout'; timeoutMs: number }
  | { kind: 'died'; code: number | null; signal: string | null; lastStderr: string | null }
  | { kind: 'deleted' };

export interface TrainingHooks {
  log(stream: LogLine['stream'], text: string): void;
  started(backend: BackendInfo): void;
  progress(p: Omit<EventPayloads['run:progress'], 'id'>): void;
  metrics(records: MetricRecord[]): void;
  checkpoint(step: number): void;
}

export interface TrainingProcessOptions {
  spawn: SpawnWorker;
  workerPath: string;
  env: NodeJS.ProcessEnv;
  /** Sent once the worker says it is ready; built late so it carries the run's current totalSteps. */
  start: () => StartMessage;
  stopTimeoutMs: number;
  summary: Record<string, MetricSummary>;
  step: number;
  hooks: TrainingHooks;
}

/** Folds metric records into last/min/max/count per key. */
export function updateSummary(summary: Record<string, MetricSummary>, records: readonly MetricRecord[]): void {
  for (const { step, values } of records) {
    for (const [key, v] of Object.entries(values)) {
      const s = summary[key];
      if (!s) summary[key] = { last: v, lastStep: step, min: v, max: v, count: 1 };
      else {
        s.last = v;
        s.lastStep = step;
        if (v < s.min) s.min = v;
        if (v > s.max) s.max = v;
        s.count++;
      }
    }
  }
}

export class TrainingProcess {
  readonly exited: Promise<Outcome>;
  readonly summary: Record<string, MetricSummary>;
  step: number;
  sps: number | null = null;
  stopRequested = false;
  readonly #proc: WorkerProcess;
  readonly #opts: TrainingProcessOptions;
  #startSent = false;
  #deleting = false;
  #killedAfterTimeout = false;
  #stopTimer: ReturnType<typeof setTimeout> | null = null;
  #result: Extract<WorkerMessage, { type: 'done' }> | null = null;
  #failure: Extract<WorkerMessage, { type: 'failed' }> | null = null;
  #stderrTail: string[] = [];

  constructor(opts: TrainingProcessOptions) {
    this.#opts = opts;
    this.summary = structuredClone(opts.summary);
    this.step = opts.step;
    this.#proc = opts.spawn(opts.workerPath, opts.env, { priority: 'background' });
    this.#proc.onOutput((stream, line) => {
      if (stream === 'stderr') this.#stderrTail = [...this.#stderrTail.slice(-19), line];
      opts.hooks.log(stream, line);
    });
    this.#proc.onMessage((msg) => {
      if (isWorkerMessage(msg)) this.#onMessage(msg);
    });
    this.exited = new Promise((resolve) => {
      this.#proc.onExit((code, signal) => {
        if (this.#stopTimer) clearTimeout(this.#stopTimer);
        resolve(this.#outcome(code, signal));
      });
    });
  }

  get pid(): number | undefined {
    return this.#proc.pid;
  }

  /** Graceful stop: the loop finishes its iteration, checkpoints and returns; killed after the timeout. */
  stop(): void {
    if (this.stopRequested) return;
    this.stopRequested = true;
    if (this.#startSent) this.#proc.send({ type: 'stop' });
    else this.#proc.kill(); // nothing trained yet: no checkpoint to save
    this.#stopTimer = setTimeout(() => {
      this.#killedAfterTimeout = true;
      this.#proc.kill();
    }, this.#opts.stopTimeoutMs);
  }

  /** Immediate kill for deletion (the run's files go anyway). */
  kill(): void {
    this.#deleting = true;
    this.#proc.kill();
  }

  #onMessage(msg: WorkerMessage): void {
    const hooks = this.#opts.hooks;
    switch (msg.type) {
      case 'ready':
        if (this.stopRequested || this.#deleting) return;
        this.#startSent = true;
        this.#proc.send(this.#opts.start());
        return;
      case 'started':
        hooks.started(msg.backend);
        return;
      case 'progress':
        this.step = msg.step;
        this.sps = msg.sps;
        hooks.progress({ step: msg.step, totalSteps: msg.totalSteps, sps: msg.sps, etaSeconds: msg.etaSeconds, recentReturn: msg.recentReturn });
        return;
      case 'metrics':
        updateSummary(this.summary, msg.records);
        for (const r of msg.records) if (r.step > this.step) this.step = r.step;
        hooks.metrics(msg.records);
        return;
      case 'log':
        for (const line of msg.lines) hooks.log('log', line);
        return;
      case 'checkpoint':
        hooks.checkpoint(msg.step);
        return;
      case 'episode':
        return;
      case 'done':
        this.#result = msg;
        return;
      case 'failed':
        this.#failure = msg;
        hooks.log('stderr', msg.stack ?? msg.message);
        return;
    }
  }

  #outcome(code: number | null, signal: string | null): Outcome {
    if (this.#deleting) return { kind: 'deleted' };
    if (this.#result) {
      const { status, step, backend, episodes } = this.#result;
      return { kind: 'done', status, step, backend, ...(episodes !== undefined ? { episodes } : {}) };
    }
    if (this.#failure) return { kind: 'failed', message: this.#failure.message, ...(this.#failure.stack ? { stack: this.#failure.stack } : {}) };
    if (this.stopRequested && !this.#startSent) return { kind: 'cancelled' };
    if (this.#killedAfterTimeout) return { kind: 'killed-after-timeout', timeoutMs: this.#opts.stopTimeoutMs };
    return { kind: 'died', code, signal, lastStderr: this.#stderrTail.at(-1) ?? null };
  }
}
