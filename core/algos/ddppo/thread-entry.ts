/**
 * One DD-PPO worker thread (started by threads.ts or train.ts): runs the worker over the shared-memory collective.
 * When a checkpoint is due it posts its own state (envs, streams, normalisers) for rank 0 to store.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { abortLocal, CollectiveAborted, LocalCollective } from '../../collective/local.js';
import { runDdppoWorker, type RankState, type WorkerOptions } from './ddppo.js';
import type { ThreadMessage } from './threads.js';

const d = workerData as {
  shared: SharedArrayBuffer;
  rank: number;
  worldSize: number;
  env: WorkerOptions['env'];
  config: WorkerOptions['config'];
  seed: number;
  totalSteps: number;
  faults: WorkerOptions['faults'];
  resumeRank?: RankState;
  /** Post each checkpoint's rank state to the parent (train.ts). */
  postStates?: boolean;
};
const post = (m: ThreadMessage): void => parentPort!.postMessage(m);
try {
  const coll = new LocalCollective(d.shared, d.rank, d.worldSize);
  const result = await runDdppoWorker(coll, {
    env: d.env,
    config: d.config,
    seed: d.seed,
    totalSteps: d.totalSteps,
    faults: d.faults,
    resumeRank: d.resumeRank,
    onIteration: (iteration, globalStep, metrics) => post({ kind: 'iteration', iteration, globalStep, metrics }),
    onCheckpoint: d.postStates ? (due) => post({ kind: 'state', iteration: due.iteration, globalStep: due.globalStep, state: due.rankState }) : undefined,
  });
  post({ kind: 'done', result });
} catch (e) {
  // A worker stopped because another failed reports nothing: the first failure is the run's error.
  if (!(e instanceof CollectiveAborted)) {
    post({ kind: 'error', error: { message: e instanceof Error ? e.message : String(e), stack: e instanceof Error ? e.stack : undefined } });
    // Stop every other rank now (rank 0 may be the coordinator's own thread, blocked in a barrier).
    abortLocal(d.shared);
  }
}
