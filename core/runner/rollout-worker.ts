/**
 * Entry point of a live-rollout process (one episode per process, started by the RolloutManager): loads a
 * checkpoint's policy, rolls it out on a fresh env with the chosen seed, and streams `getState()` after reset
 * and after every step, paced at `fps` (the env's render rate by default) so the UI can draw frames as they
 * come. Frames are posted in batches at most every FLUSH_MS. `stop` ends the episode early; the process exits
 * when the episode is over. The UI/server process never steps envs or loads models.
 */
import type { RolloutFrame } from '../api/contract.js';
import { Rng } from '../common/rng.js';
import { makeEnv, prepareEnv } from '../envs/index.js';
import { initBackend } from '../tensor/backend.js';
import { loadPolicy } from './policy-loader.js';
import type { RolloutMessage, WorkerMessage } from './protocol.js';
import { connectToParent, WakeableSleep } from './worker-port.js';

/** Longest a computed frame waits before it is posted (keeps ≤ 20 messages per second). */
const FLUSH_MS = 50;
/** Most frames in one message when streaming as fast as possible. */
const MAX_BATCH = 256;

const port = connectToParent();
let started = false;
let stopRequested = false;
/** Frame pacing; a stop request wakes it. */
const pacing = new WakeableSleep();

async function fail(err: unknown): Promise<never> {
  const e = err instanceof Error ? err : new Error(String(err));
  await port.post({ type: 'failed', message: e.message, stack: e.stack });
  process.exit(1);
}


async function rollout(msg: RolloutMessage): Promise<void> {
  await initBackend();
  const policy = await loadPolicy({ runDir: msg.runDir, env: msg.env, config: msg.config, step: msg.checkpointStep });
  if (!msg.deterministic && !policy.canSample) {
    throw new Error(`the checkpoint at step ${policy.step} cannot sample continuous actions (no log-std); use deterministic`);
  }
  await port.post({ type: 'rollout-started', envId: policy.envId, checkpointStep: policy.step });

  await prepareEnv(policy.envId);
  const env = makeEnv(policy.envId, { seed: msg.seed });
  const rng = new Rng(msg.seed);
  let obs: ArrayLike<number> = env.reset(msg.seed).obs;
  let ret = 0;
  let step = 0;
  let pending: RolloutFrame[] = [{ step: 0, state: env.getState(), action: null, reward: null, return: 0, done: false }];
  let lastFlush = performance.now();
  const flush = async (): Promise<void> => {
    if (pending.length === 0) return;
    const frames = pending;
    pending = [];
    lastFlush = performance.now();
    await port.post({ type: 'frames', frames });
  };
  await flush();

  const frameMs = msg.fps > 0 ? 1000 / msg.fps : 0;
  const t0 = performance.now();
  let reason: Extract<WorkerMessage, { type: 'rollout-done' }>['reason'] = 'stopped';
  for (;;) {
    if (stopRequested) break;
    if (msg.maxSteps !== null && step >= msg.maxSteps) {
      reason = 'max-steps';
      break;
    }
    // Frame k is due at t0 + k / fps: a fixed schedule, so pacing does not drift.
    if (frameMs > 0) await pacing.sleep(t0 + (step + 1) * frameMs - performance.now());
    if (stopRequested) break;
    const action = policy.act(obs, msg.deterministic, rng);
    const result = env.step(action);
    step++;
    ret += result.reward;
    const done = result.terminated || result.truncated;
    pending.push({ step, state: env.getState(), action, reward: result.reward, return: ret, done });
    obs = result.obs;
    if (done) {
      reason = result.terminated ? 'terminated' : 'truncated';
      break;
    }
    if (performance.now() - lastFlush >= FLUSH_MS || pending.length >= MAX_BATCH) await flush();
  }
  await flush();
  policy.dispose();
  await port.post({ type: 'rollout-done', reason, steps: step, return: ret });
  process.exit(0);
}

process.on('uncaughtException', (err) => void fail(err));
process.on('unhandledRejection', (err) => void fail(err));
port.onDisconnect(() => process.exit(0));
port.onMessage((msg) => {
  if (msg.type === 'stop') {
    stopRequested = true;
    pacing.wake();
  } else if (msg.type === 'rollout' && !started) {
    started = true;
    rollout(msg).catch(fail);
  }
});
void port.post({ type: 'ready', pid: process.pid });
