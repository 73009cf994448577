/**
 * A whole DD-PPO run on the redis transport as a person starts it: `policylab train --algo ddppo --transport redis`
 * (rank 0, which owns the run in the data folder) and one `policylab ddppo-worker` process (rank 1), against a
 * private redis-server on loopback. The run reaches its end; Redis restarted mid-run fails the run (status failed,
 * the error naming the URL) and the worker; `--resume` with a new worker then finishes it from its checkpoint.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ALGO_IDS, algoSpec } from '../../../core/algos/registry.js';
import { listCheckpoints, RunStore } from '../../../core/store/index.js';
import { skipWithReason, startRedis } from '../../helpers/redis-server.js';

const CLI = join(process.cwd(), 'bin/policylab.mjs');
// Rank 0 is the training run: it needs ddppo registered as a run type with transport 'redis'.
const registered = (ALGO_IDS as readonly string[]).includes('ddppo') && algoSpec('ddppo').configSchema.safeParse({ transport: 'redis', redisUrl: 'redis://127.0.0.1:6379' }).success;
if (!registered) console.warn("[skipped] DD-PPO train over redis: ddppo is not a registered run type with transport 'redis' yet");
const redis = registered ? await startRedis() : { skip: 'ddppo is not registered' };
const skip = !registered || skipWithReason(redis, 'DD-PPO train over redis');
const server = 'skip' in redis ? null : redis;
const homes: string[] = [];
afterAll(async () => {
  await server?.stop();
  homes.forEach((h) => rmSync(h, { recursive: true, force: true }));
});

interface Proc {
  child: ChildProcess;
  out: () => string;
  err: () => string;
  done: Promise<number | null>;
}

function start(args: string[], home: string): Proc {
  const env: NodeJS.ProcessEnv = { ...process.env, POLICYLAB_HOME: home };
  for (const k of ['RANK', 'JOB_COMPLETION_INDEX', 'POLICYLAB_REDIS_URL', 'POLICYLAB_RUN_KEY', 'WORLD_SIZE']) delete env[k];
  const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  return { child, out: () => stdout, err: () => stderr, done: new Promise((resolve) => child.on('exit', (code) => resolve(code))) };
}

async function until(what: string, cond: () => boolean | Promise<boolean>, ms = 120_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function runIdOf(train: Proc): Promise<string> {
  await until('the run id on stdout', () => /^run (\S+):/m.test(train.out()) || train.child.exitCode !== null);
  const m = /^run (\S+):/m.exec(train.out());
  if (!m) throw new Error(`train exited before printing its run id: ${train.err()}`);
  return m[1];
}

async function readRun(home: string, id: string) {
  const store = await RunStore.open(home);
  try {
    return await store.readRun(id);
  } finally {
    await store.close();
  }
}

const FLAGS = ['--algo', 'ddppo', '--env', 'CartPole-v1', '--seed', '2', '--workers', '2', '--num-envs', '2', '--num-steps', '32', '--num-minibatches', '2', '--update-epochs', '1', '--eval-interval', '0', '--no-progress'];

describe.skipIf(skip)('policylab train --algo ddppo --transport redis with a ddppo-worker process', () => {
  const url = server?.url ?? '';

  it('reaches the end of the run: both processes exit 0, the run is finished at its total steps', { timeout: 240_000 }, async () => {
    const home = mkdtempSync(join(tmpdir(), 'policylab-ddppo-train-'));
    homes.push(home);
    const train = start(['train', ...FLAGS, '--transport', 'redis', '--redis-url', url, '--total-steps', '1280'], home);
    const id = await runIdOf(train);
    const worker = start(['ddppo-worker', '--redis-url', url, '--run-key', id, '--rank', '1'], home);
    const [trainCode, workerCode] = await Promise.all([train.done, worker.done]);
    expect(trainCode, train.err()).toBe(0);
    expect(workerCode, worker.err()).toBe(0);
    expect(worker.out()).toContain(`rank 1 of 2 joined run ${id}`);
    const run = await readRun(home, id);
    expect(run.status).toBe('finished');
    expect(run.step).toBeGreaterThanOrEqual(1280);
  });

  it('--launch-workers local: rank 0 starts ranks 1 and 2 itself, their output is in its log, and none is left after the run', { timeout: 240_000 }, async () => {
    const home = mkdtempSync(join(tmpdir(), 'policylab-ddppo-launch-'));
    homes.push(home);
    const flags = FLAGS.map((f, i) => (FLAGS[i - 1] === '--workers' ? '3' : f));
    const train = start(['train', ...flags, '--transport', 'redis', '--redis-url', url, '--launch-workers', 'local', '--total-steps', '1536'], home);
    const id = await runIdOf(train);
    const code = await train.done;
    expect(code, train.err()).toBe(0);
    const out = train.out();
    const pids = /started ranks 1 … 2 on this machine \(pids (\d+), (\d+)\)/.exec(out);
    expect(pids, out).not.toBeNull();
    expect(out).toContain(`[worker 1] rank 1 of 3 joined run ${id}`);
    expect(out).toContain(`[worker 2] rank 2 of 3 joined run ${id}`);
    for (const pid of [Number(pids![1]), Number(pids![2])]) expect(() => process.kill(pid, 0), `worker pid ${pid} still alive`).toThrow();
    const run = await readRun(home, id);
    expect(run.status).toBe('finished');
    expect(run.step).toBeGreaterThanOrEqual(1536);
  });

  it('Redis restarted mid-run: the run fails naming the URL, the worker too; --resume with a new worker finishes it', { timeout: 300_000 }, async () => {
    const home = mkdtempSync(join(tmpdir(), 'policylab-ddppo-train-'));
    homes.push(home);
    const train = start(['train', ...FLAGS, '--transport', 'redis', '--redis-url', url, '--total-steps', '200000', '--checkpoint-interval', '256'], home);
    const id = await runIdOf(train);
    const worker = start(['ddppo-worker', '--redis-url', url, '--run-key', id, '--rank', '1'], home);
    const runDir = join(home, 'runs', id);
    await until('a first checkpoint', async () => (await listCheckpoints(runDir).catch(() => [])).length > 0 || train.child.exitCode !== null);
    await server!.restart();
    const [trainCode, workerCode] = await Promise.all([train.done, worker.done]);
    expect(trainCode).toBe(1);
    expect(train.err()).toMatch(new RegExp(`DD-PPO rank 0: .* on Redis at redis://127\\.0\\.0\\.1:${server!.port} failed: lost the connection to Redis`));
    expect(workerCode).toBe(1);
    expect(worker.err()).toMatch(/^error: DD-PPO rank 1: .* failed: lost the connection to Redis/m);
    const failed = await readRun(home, id);
    expect(failed.status).toBe('failed');
    expect(failed.error?.message).toContain('lost the connection to Redis');

    // Resume (a new session on the restarted Redis) with a new worker, to a nearer end.
    const resumed = start(['train', '--resume', id, '--total-steps', String(failed.step + 1024), '--no-progress'], home);
    await until('the resumed run', () => /resuming from step/.test(resumed.out()) || resumed.child.exitCode !== null);
    const worker2 = start(['ddppo-worker', '--redis-url', url, '--run-key', id, '--rank', '1'], home);
    const [c1, c2] = await Promise.all([resumed.done, worker2.done]);
    expect(c1, resumed.err()).toBe(0);
    expect(c2, worker2.err()).toBe(0);
    const run = await readRun(home, id);
    expect(run.status).toBe('finished');
    expect(run.step).toBeGreaterThanOrEqual(failed.step + 1024);
  });
});
