/**
 * The process that runs one policy comparison (started by core/prefs-eval/service.ts with the app's SpawnWorker: a
 * Node fork, or Electron's utilityProcess), so sampling never blocks the app or its window. Reads the job from
 * POLICYLAB_PREFS_JOB (JSON: compare.ts's CompareJob), reports
 *   {type: 'progress', stage, done, total} … then {type: 'result', result} or {type: 'error', message}
 * to its parent, and exits.
 */
import { comparePolicies, type CompareJob } from './compare.js';

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
  const job = JSON.parse(process.env.POLICYLAB_PREFS_JOB ?? 'null') as CompareJob | null;
  if (!job) throw new Error('POLICYLAB_PREFS_JOB is not set');
  const result = await comparePolicies(job, (stage, done, total) => void send({ type: 'progress', stage, done, total }));
  await send({ type: 'result', result });
} catch (e) {
  await send({ type: 'error', message: e instanceof Error ? e.message : String(e) });
  process.exitCode = 1;
}
// A utility process may be kept alive by its port: leave after the last message had time to go out.
if (parentPort) setTimeout(() => process.exit(), 200);
else process.disconnect?.();
