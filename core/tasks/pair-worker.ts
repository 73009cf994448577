/**
 * The process that samples pairs for the curation view (started by core/store/datasets-service.ts with the app's
 * SpawnWorker: a Node fork, or Electron's utilityProcess), so generation never blocks the app. Reads the job from
 * POLICYLAB_PAIR_JOB (JSON), reports
 *   {type: 'progress', done, total} … then {type: 'pairs', pairs} or {type: 'error', message}
 * to its parent, and exits.
 */
import { samplePairs, type PairJob } from './sample-pairs.js';

/** Electron's utility-process port (typed here so core/ needs no electron import). */
interface ParentPort {
  postMessage(message: unknown): void;
}
const parentPort = (process as unknown as { parentPort?: ParentPort }).parentPort;

function send(m: unknown): Promise<void> {
  if (parentPort) {
    parentPort.postMessage(m);
    return Promise.resolve();
  }
  return new Promise((resolve) => (process.send && process.connected ? process.send(m, undefined, {}, () => resolve()) : resolve()));
}

try {
  const job = JSON.parse(process.env.POLICYLAB_PAIR_JOB ?? 'null') as PairJob | null;
  if (!job) throw new Error('POLICYLAB_PAIR_JOB is not set');
  const pairs = await samplePairs(job, (done, total) => void send({ type: 'progress', done, total }));
  await send({ type: 'pairs', pairs });
} catch (e) {
  await send({ type: 'error', message: e instanceof Error ? e.message : String(e) });
  process.exitCode = 1;
}
// A utility process may be kept alive by its port: leave after the last message had time to go out.
if (parentPort) setTimeout(() => process.exit(), 200);
else process.disconnect?.();
