/**
 * The process that samples pairs for the curation view (forked by core/store/datasets-service.ts), so generation
 * never blocks the app. Reads the job from POLICYLAB_PAIR_JOB (JSON), reports
 *   {type: 'progress', done, total} … then {type: 'pairs', pairs} or {type: 'error', message}
 * over the IPC channel, and exits.
 */
import { samplePairs, type PairJob } from './sample-pairs.js';

const send = (m: unknown): Promise<void> => new Promise((resolve) => (process.send ? process.send(m, () => resolve()) : resolve()));

try {
  const job = JSON.parse(process.env.POLICYLAB_PAIR_JOB ?? 'null') as PairJob | null;
  if (!job) throw new Error('POLICYLAB_PAIR_JOB is not set');
  const pairs = await samplePairs(job, (done, total) => void send({ type: 'progress', done, total }));
  await send({ type: 'pairs', pairs });
} catch (e) {
  await send({ type: 'error', message: e instanceof Error ? e.message : String(e) });
  process.exitCode = 1;
}
process.disconnect?.();
