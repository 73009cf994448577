/**
 * Entry point of a training process: one run per process, started by the RunManager.
 * Waits for `start`, runs `trainRun` (which writes the run's metrics/checkpoints under runDir, never db.json),
 * forwards its events in batches, turns `stop` into an abort (the loop checkpoints and returns `stopped`),
 * and exits when training returns. Anything thrown is reported as `failed` before a non-zero exit.
 */
import { trainRun, type TrainRunOptions } from '../algos/loop.js';
import { describeBackend, initBackend } from '../tensor/backend.js';
import type { StartMessage } from './protocol.js';
import { connectToParent, EventBatcher } from './worker-port.js';

const port = connectToParent();
const controller = new AbortController();
let started = false;

async function fail(err: unknown): Promise<never> {
  const e = err instanceof Error ? err : new Error(String(err));
  await port.post({ type: 'failed', message: e.message, stack: e.stack });
  process.exit(1);
}

async function run(msg: StartMessage): Promise<void> {
  const batcher = new EventBatcher(port);
  await initBackend();
  await port.post({ type: 'started', backend: describeBackend() });
  const result = await trainRun({
    runDir: msg.runDir,
    runId: msg.runId,
    algo: msg.algo as TrainRunOptions['algo'],
    env: msg.env as TrainRunOptions['env'],
    config: msg.config,
    seed: msg.seed,
    totalSteps: msg.totalSteps,
    resume: msg.resume,
    signal: controller.signal,
    events: {
      metrics: (step, values) => batcher.metrics(step, values),
      progress: (p) => batcher.progress(p),
      log: (line) => void port.post({ type: 'log', lines: [line] }),
      checkpoint: ({ step }) => void port.post({ type: 'checkpoint', step }),
      episode: ({ step }) => void port.post({ type: 'episode', step }),
    },
  });
  await batcher.close();
  await port.post({ type: 'done', status: result.status, step: result.step, backend: result.backend, episodes: result.episodes });
  process.exit(0);
}

// A Ctrl-C in a terminal signals the whole process group: the parent (`policylab sweep`, `serve`) turns it into a
// `stop` message, so the run saves its checkpoint instead of dying here.
process.on('SIGINT', () => undefined);
process.on('uncaughtException', (err) => void fail(err));
process.on('unhandledRejection', (err) => void fail(err));
port.onDisconnect(() => {
  // Parent gone: stop training; nobody is left to report to.
  controller.abort();
  setTimeout(() => process.exit(0), 5_000).unref();
});
port.onMessage((msg) => {
  if (msg.type === 'stop') {
    controller.abort();
  } else if (msg.type === 'probe' && !started) {
    started = true;
    initBackend()
      .then(() => port.post({ type: 'started', backend: describeBackend() }))
      .then(() => process.exit(0), fail);
  } else if (msg.type === 'start' && !started) {
    started = true;
    run(msg).catch(fail);
  }
});
void port.post({ type: 'ready', pid: process.pid });
