/**
 * The page's side of the statistics worker: one worker per panel, the newest request wins (an answer to an older
 * one is dropped), `dispose()` terminates it.
 */
import type { GroupScores, GroupStatsOptions, GroupStatsResult } from '../../../core/stats/compare.js';
import type { StatsReply, StatsRequest } from './stats-messages.js';

export class StatsClient {
  #worker: Worker | null = null;
  #next = 0;
  #pending: { id: number; resolve: (r: { result: GroupStatsResult; ms: number } | null) => void; reject: (e: Error) => void } | null = null;

  #ensure(): Worker {
    if (this.#worker) return this.#worker;
    const w = new Worker(new URL('./stats-worker.ts', import.meta.url), { type: 'module' });
    w.onmessage = (e: MessageEvent<StatsReply>) => {
      const p = this.#pending;
      if (!p || p.id !== e.data.id) return;
      this.#pending = null;
      if (e.data.ok) p.resolve({ result: e.data.result, ms: e.data.ms });
      else p.reject(new Error(e.data.error));
    };
    w.onerror = (e) => {
      const p = this.#pending;
      this.#pending = null;
      p?.reject(new Error(e.message || 'the statistics worker failed'));
    };
    this.#worker = w;
    return w;
  }

  /** Resolves with the result, or null when a newer request replaced this one. */
  compute(groups: GroupScores[], options: GroupStatsOptions): Promise<{ result: GroupStatsResult; ms: number } | null> {
    const worker = this.#ensure();
    this.#pending?.resolve(null);
    const id = ++this.#next;
    return new Promise((resolve, reject) => {
      this.#pending = { id, resolve, reject };
      const request: StatsRequest = { id, groups, options };
      worker.postMessage(request);
    });
  }

  dispose(): void {
    this.#pending?.resolve(null);
    this.#pending = null;
    this.#worker?.terminate();
    this.#worker = null;
  }
}
