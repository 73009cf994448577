/**
 * The `local` transport's launcher: N worker threads of this process, one LocalCollective over one
 * SharedArrayBuffer. A worker that throws fails the run with its own error (the collective is aborted so every other
 * worker stops at its next collective call, and the threads are terminated) — the run never continues with fewer.
 */
import type { Worker } from 'node:worker_threads';
import { coreModuleUrl, startWorker } from '../../collective/thread.js';
import { envSpec, type EnvId } from '../../envs/index.js';
import { abortLocal, createLocalShared } from '../../collective/local.js';
import { ActorCritic } from '../model.js';
import { Rng } from '../../common/rng.js';
import type { DdppoConfig } from './config.js';
import type { RankState, WorkerFaults, WorkerResult } from './ddppo.js';

export interface LocalRunOptions {
  env: EnvId;
  config: DdppoConfig;
  seed: number;
  totalSteps: number;
  /** Faults per rank (tests and the bench). */
  faults?: Record<number, WorkerFaults>;
  onIteration?(rank: number, iteration: number, globalStep: number, metrics: Record<string, number>): void;
}

export interface ThreadMessage {
  kind: 'iteration' | 'done' | 'error' | 'state';
  iteration?: number;
  state?: RankState;
  globalStep?: number;
  metrics?: Record<string, number>;
  result?: WorkerResult;
  error?: { message: string; stack?: string };
}

/** The parameter count of the policy (the all-reduce's vector length). */
export function paramCount(env: EnvId, c: DdppoConfig): number {
  const spec = envSpec(env);
  return ActorCritic.create(
    { obsDim: spec.obsDim, actionSpace: spec.actionSpace, hiddenSizes: c.hiddenSizes, activation: c.activation, logStdInit: c.logStdInit },
    new Rng(0),
  ).params.length;
}

export function workerUrl(): URL {
  return coreModuleUrl(import.meta.url, 'algos/ddppo/thread-entry');
}

/** Runs every worker to the end; resolves with each rank's result, rejects with the first failing worker's error. */
export function runLocal(opts: LocalRunOptions): Promise<WorkerResult[]> {
  const N = opts.config.workers;
  const shared = createLocalShared(N, paramCount(opts.env, opts.config));
  const url = workerUrl();
  return new Promise((resolve, reject) => {
    const results: (WorkerResult | null)[] = Array.from({ length: N }, () => null);
    const workers: Worker[] = [];
    let settled = false;
    const fail = (rank: number, message: string): void => {
      if (settled) return;
      settled = true;
      abortLocal(shared);
      for (const w of workers) void w.terminate();
      reject(new Error(`DD-PPO worker ${rank} failed: ${message}`));
    };
    for (let rank = 0; rank < N; rank++) {
      const w = startWorker(url, { shared, rank, worldSize: N, env: opts.env, config: opts.config, seed: opts.seed, totalSteps: opts.totalSteps, faults: opts.faults?.[rank] ?? {} });
      workers.push(w);
      w.on('message', (m: ThreadMessage) => {
        if (m.kind === 'iteration') opts.onIteration?.(rank, m.iteration!, m.globalStep!, m.metrics!);
        else if (m.kind === 'error') fail(rank, m.error!.message);
        else if (m.kind === 'done') {
          results[rank] = m.result!;
          if (!settled && results.every((r) => r !== null)) {
            settled = true;
            resolve(results as WorkerResult[]);
          }
        }
      });
      w.on('error', (e) => fail(rank, e.message));
      w.on('exit', (code) => {
        if (results[rank] === null) fail(rank, `exited with code ${code} before finishing`);
      });
    }
  });
}
