/**
 * The worker's side of the parent link: Node's fork IPC (`process.send`) or Electron's utilityProcess
 * (`process.parentPort`), behind one small interface, plus the batcher that turns per-step training
 * events into at most 10 messages per second.
 */
import type { MetricRecord } from '../api/contract.js';
import { isParentMessage, WORKER_FLUSH_MS, type ParentMessage, type WorkerMessage } from './protocol.js';

export interface WorkerPort {
  post(message: WorkerMessage): Promise<void>;
  onMessage(listener: (message: ParentMessage) => void): void;
  /** Called when the parent goes away (the worker must then stop and exit). */
  onDisconnect(listener: () => void): void;
}

/** Electron's utility-process port (typed here so core/ needs no electron import). */
interface ParentPort {
  on(event: 'message', listener: (e: { data: unknown }) => void): void;
  postMessage(message: unknown): void;
}

export function connectToParent(): WorkerPort {
  const parentPort = (process as unknown as { parentPort?: ParentPort }).parentPort;
  if (parentPort) {
    return {
      post: async (message) => parentPort.postMessage(message),
      onMessage: (listener) =>
        parentPort.on('message', (e) => {
          if (isParentMessage(e.data)) listener(e.data);
        }),
      // A utility process is killed with its parent; nothing to watch.
      onDisconnect: () => {},
    };
  }
  if (!process.send) throw new Error('worker.ts must be started by the RunManager (no IPC channel to a parent)');
  return {
    post: (message) =>
      new Promise<void>((resolve) => {
        if (!process.connected || !process.send) return resolve();
        process.send(message, undefined, {}, () => resolve());
      }),
    onMessage: (listener) =>
      process.on('message', (m: unknown) => {
        if (isParentMessage(m)) listener(m);
      }),
    onDisconnect: (listener) => process.on('disconnect', listener),
  };
}

type Progress = Extract<WorkerMessage, { type: 'progress' }>;

/**
 * Collects metrics and progress and posts them at most every WORKER_FLUSH_MS. Flushing happens both on a timer
 * and whenever an event arrives after the interval has passed, so a busy training loop still streams.
 */
export class EventBatcher {
  #records: MetricRecord[] = [];
  #progress: Progress | null = null;
  #lastFlush = 0;
  #timer: ReturnType<typeof setInterval>;

  constructor(
    private readonly port: WorkerPort,
    private readonly intervalMs = WORKER_FLUSH_MS,
  ) {
    this.#timer = setInterval(() => void this.flush(), intervalMs);
    this.#timer.unref();
  }

  metrics(step: number, values: Record<string, number>): void {
    const clean: Record<string, number> = {};
    for (const [k, v] of Object.entries(values)) if (Number.isFinite(v)) clean[k] = v;
    // The loop appends the record to metrics.jsonl just before this event, stamped with the same clock.
    this.#records.push({ step, wallTime: Date.now() / 1000, values: clean });
    this.#maybeFlush();
  }

  progress(p: Omit<Progress, 'type'>): void {
    this.#progress = { type: 'progress', ...p };
    this.#maybeFlush();
  }

  #maybeFlush(): void {
    if (Date.now() - this.#lastFlush >= this.intervalMs) void this.flush();
  }

  async flush(): Promise<void> {
    this.#lastFlush = Date.now();
    const pending: Promise<void>[] = [];
    if (this.#records.length > 0) {
      pending.push(this.port.post({ type: 'metrics', records: this.#records }));
      this.#records = [];
    }
    if (this.#progress) {
      pending.push(this.port.post(this.#progress));
      this.#progress = null;
    }
    await Promise.all(pending);
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.flush();
  }
}

/** A sleep that a stop request can cut short: `wake()` resolves the pending `sleep` at once. */
export class WakeableSleep {
  #wake: (() => void) | null = null;

  sleep(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => ((this.#wake = null), resolve()), ms);
      this.#wake = () => {
        clearTimeout(timer);
        this.#wake = null;
        resolve();
      };
    });
  }

  wake(): void {
    this.#wake?.();
  }
}
