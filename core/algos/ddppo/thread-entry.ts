/** One DD-PPO worker thread (started by threads.ts): runs the worker over the shared-memory collective. */
import { parentPort, workerData } from 'node:worker_threads';
import { CollectiveAborted, LocalCollective } from '../../collective/local.js';
import { runDdppoWorker } from './ddppo.js';
import type { ThreadMessage } from './threads.js';

const d = workerData as {
  shared: SharedArrayBuffer;
  rank: number;
  worldSize: number;
  env: Parameters<typeof runDdppoWorker>[1]['env'];
  config: Parameters<typeof runDdppoWorker>[1]['config'];
  seed: number;
  totalSteps: number;
  faults: Parameters<typeof runDdppoWorker>[1]['faults'];
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
    onIteration: (iteration, globalStep, metrics) => post({ kind: 'iteration', iteration, globalStep, metrics }),
  });
  post({ kind: 'done', result });
} catch (e) {
  // A worker stopped because another failed reports nothing: the first failure is the run's error.
  if (!(e instanceof CollectiveAborted)) post({ kind: 'error', error: { message: e instanceof Error ? e.message : String(e), stack: e instanceof Error ? e.stack : undefined } });
}
