/**
 * npm run bench -- ddppo-redis: the redis transport's all-reduce against the local one, on loopback.
 *   1. One gradient all-reduce (the length of the CartPole policy's parameters) per operation, N = 2 and 4 ranks:
 *      local = worker threads over SharedArrayBuffer + Atomics; redis = one process per rank (standing in for
 *      machines) against a private redis-server on 127.0.0.1. Rank 0's time per operation: median and p90.
 *   2. Whole DD-PPO updates, 2 workers on CartPole-v1: the mean `ddppo/allReduceMs` per update (every minibatch's
 *      gradient all-reduce plus the statistics) and SPS, local (runLocal) vs redis (rank 0 here, rank 1 a
 *      `policylab ddppo-worker` process); updates 2 … 30 (the first includes starting and joining the ranks).
 * This file is also the rank code of part 1: a worker thread (workerData.role = 'local-rank') or a child process
 * (`--redis-rank <json>`).
 */
import { spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { ddppoConfigSchema } from '../../core/algos/ddppo/config.js';
import { DDPPO_METRIC, runDdppoWorker } from '../../core/algos/ddppo/ddppo.js';
import { runLocal } from '../../core/algos/ddppo/threads.js';
import { ActorCritic } from '../../core/algos/model.js';
import type { Collective } from '../../core/collective/collective.js';
import { createLocalShared, LocalCollective } from '../../core/collective/local.js';
import { RedisCollective } from '../../core/collective/redis.js';
import { startWorker } from '../../core/collective/thread.js';
import { Rng } from '../../core/common/rng.js';
import { envSpec } from '../../core/envs/index.js';
import { startRedis, type RedisServer } from '../helpers/redis-server.js';

const SELF = fileURLToPath(import.meta.url);
const WARMUP = 30;
const OPS = 400;

interface RankJob {
  rank: number;
  worldSize: number;
  length: number;
}

/** Times OPS all-reduces after WARMUP (rank 0's times are the result), with a barrier first so all start together. */
async function timeOps(coll: Collective, length: number): Promise<number[]> {
  const x = new Float32Array(length);
  const times: number[] = [];
  await coll.barrier();
  for (let i = 0; i < WARMUP + OPS; i++) {
    x.fill(coll.rank + i);
    const t = performance.now();
    await coll.allReduceMean(x);
    if (i >= WARMUP) times.push(performance.now() - t);
  }
  return times;
}

function paramCount(): number {
  const spec = envSpec('CartPole-v1');
  const c = ddppoConfigSchema.parse({});
  return ActorCritic.create({ obsDim: spec.obsDim, actionSpace: spec.actionSpace, hiddenSizes: c.hiddenSizes, activation: c.activation, logStdInit: c.logStdInit }, new Rng(0)).params.length;
}

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

async function localOps(worldSize: number, length: number): Promise<number[]> {
  const shared = createLocalShared(worldSize, length);
  const workers = Array.from({ length: worldSize }, (_, rank) => startWorker(new URL(import.meta.url), { role: 'local-rank', shared, rank, worldSize, length }));
  const results = await Promise.all(
    workers.map(
      (w) =>
        new Promise<number[]>((resolve, reject) => {
          w.once('message', (m: number[]) => resolve(m));
          w.once('error', reject);
        }),
    ),
  );
  await Promise.all(workers.map((w) => w.terminate()));
  return results[0];
}

function runChild(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
}

async function redisOps(server: RedisServer, worldSize: number, length: number, runKey: string): Promise<number[]> {
  const outs = await Promise.all(Array.from({ length: worldSize }, (_, rank) => runChild([SELF, '--redis-rank', JSON.stringify({ url: server.url, runKey, rank, worldSize, length })])));
  for (const o of outs) if (o.code !== 0) throw new Error(`redis rank failed: ${o.stderr.trim()}`);
  return JSON.parse(outs[0].stdout.trim().split('\n').at(-1)!) as number[];
}

// The transport field is the training process's choice; the worker code is the same for both.
const updateConfig = () => ddppoConfigSchema.parse({ workers: 2, numEnvs: 4, numSteps: 64, numMinibatches: 4, updateEpochs: 4, syncFraction: 1, evalInterval: 0, checkpointInterval: 0 });
const UPDATE_STEPS = 30 * 2 * 4 * 64;

/** Rank 0's updates after the first (which includes starting the other ranks and their joining). */
class Steady {
  #sum = 0;
  #n = 0;
  #t0 = 0;
  #step0 = 0;
  #t = 0;
  #step = 0;
  add(iteration: number, globalStep: number, m: Record<string, number>): void {
    this.#t = performance.now();
    this.#step = globalStep;
    if (iteration === 1) {
      this.#t0 = this.#t;
      this.#step0 = globalStep;
      return;
    }
    this.#sum += m[DDPPO_METRIC.allReduceMs] ?? 0;
    this.#n++;
  }
  result(): { allReduceMs: number; sps: number } {
    return { allReduceMs: this.#sum / this.#n, sps: (this.#step - this.#step0) / ((this.#t - this.#t0) / 1000) };
  }
}

async function localUpdates(): Promise<{ allReduceMs: number; sps: number }> {
  const steady = new Steady();
  await runLocal({
    env: 'CartPole-v1',
    config: updateConfig(),
    seed: 1,
    totalSteps: UPDATE_STEPS,
    onIteration: (rank, i, step, m) => {
      if (rank === 0) steady.add(i, step, m);
    },
  });
  return steady.result();
}

async function redisUpdates(server: RedisServer): Promise<{ allReduceMs: number; sps: number }> {
  const config = updateConfig();
  const runKey = `bench-updates-${process.pid}`;
  const coll = await RedisCollective.connect({ url: server.url, runKey, rank: 0, worldSize: 2 });
  await coll.publishSpec({ env: 'CartPole-v1', config, seed: 1, totalSteps: UPDATE_STEPS });
  const worker = runChild([join(process.cwd(), 'core/cli/policylab.ts'), 'ddppo-worker', '--redis-url', server.url, '--run-key', runKey, '--rank', '1']);
  const steady = new Steady();
  try {
    await runDdppoWorker(coll, {
      env: 'CartPole-v1',
      config,
      seed: 1,
      totalSteps: UPDATE_STEPS,
      onIteration: (i, step, m) => steady.add(i, step, m),
    });
    const out = await worker;
    if (out.code !== 0) throw new Error(`ddppo-worker failed: ${out.stderr.trim()}`);
    return steady.result();
  } finally {
    await coll.close();
  }
}

export async function bench(): Promise<void> {
  const length = paramCount();
  const server = await startRedis();
  if ('skip' in server) {
    console.log(`  skipped: ${server.skip}`);
    return;
  }
  try {
    console.log(`ddppo-redis (loopback; load ${loadavg().map((x) => x.toFixed(2)).join(' ')})`);
    console.log(`  1. one all-reduce of ${length} floats (CartPole policy), rank 0's time per operation over ${OPS} operations:`);
    for (const N of [2, 4]) {
      const local = await localOps(N, length);
      const redis = await redisOps(server, N, length, `bench-ops-${N}-${process.pid}`);
      console.log(
        `     N = ${N}: local ${quantile(local, 0.5).toFixed(3)} ms median (p90 ${quantile(local, 0.9).toFixed(3)}), redis ${quantile(redis, 0.5).toFixed(3)} ms median (p90 ${quantile(redis, 0.9).toFixed(3)}); redis/local ${(quantile(redis, 0.5) / quantile(local, 0.5)).toFixed(1)}×`,
      );
    }
    console.log(`  2. DD-PPO updates 2…30, 2 workers × 4 envs × 64 steps, 4 epochs × 4 minibatches (16 gradient all-reduces + 1 per update), seed 1:`);
    const l = await localUpdates();
    const r = await redisUpdates(server);
    console.log(`     local: all-reduce ${l.allReduceMs.toFixed(2)} ms per update, ${l.sps.toFixed(0)} SPS`);
    console.log(`     redis: all-reduce ${r.allReduceMs.toFixed(2)} ms per update, ${r.sps.toFixed(0)} SPS (redis/local all-reduce ${(r.allReduceMs / l.allReduceMs).toFixed(1)}×)`);
    console.log(`  (load after: ${loadavg().map((x) => x.toFixed(2)).join(' ')})`);
  } finally {
    await server.stop();
  }
}

// Rank code of part 1.
if (!isMainThread && (workerData as { role?: string } | null)?.role === 'local-rank') {
  const d = workerData as RankJob & { shared: SharedArrayBuffer };
  const coll = new LocalCollective(d.shared, d.rank, d.worldSize);
  void timeOps(coll, d.length).then((times) => parentPort!.postMessage(times));
} else if (isMainThread && process.argv[2] === '--redis-rank') {
  const job = JSON.parse(process.argv[3]) as RankJob & { url: string; runKey: string };
  void (async () => {
    const coll = await RedisCollective.connect({ url: job.url, runKey: job.runKey, rank: job.rank, worldSize: job.rank === 0 ? job.worldSize : undefined });
    if (job.rank === 0) await coll.publishSpec({});
    else await coll.fetchSpec();
    const times = await timeOps(coll, job.length);
    await coll.close();
    process.stdout.write(`${JSON.stringify(times)}\n`, () => process.exit(0));
  })().catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
}
