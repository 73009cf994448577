/**
 * DD-PPO itself over the redis transport: rank 0 in this process (RedisCollective + runDdppoWorker, as the training
 * process drives it), the other ranks `policylab ddppo-worker` PROCESSES, a private redis-server on loopback.
 * - With syncFraction = 1 nothing depends on timing, so the run must equal the local transport's (worker threads)
 *   bit for bit: the same all-reduce order (meanInRankOrder), the same seeds.
 * - With rank 0 slowed (an injected per-step delay) and syncFraction 0.5, rank 0's rollouts are cut once the other
 *   worker is done (habitat-lab's num_done, here Redis INCR), never below minRolloutFraction · numSteps.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ddppoConfigSchema } from '../../../core/algos/ddppo/config.js';
import { runDdppoWorker, type WorkerFaults } from '../../../core/algos/ddppo/ddppo.js';
import { runLocal } from '../../../core/algos/ddppo/threads.js';
import { RedisCollective } from '../../../core/collective/redis.js';
import { skipWithReason, startRedis } from '../../helpers/redis-server.js';

const CLI = join(process.cwd(), 'bin/policylab.mjs');
// The async worker (issue 14's Collective with Promise-returning operations) is what a network transport can drive.
const asyncWorker = runDdppoWorker.constructor.name === 'AsyncFunction';
if (!asyncWorker) console.warn('[skipped] DD-PPO over redis: runDdppoWorker is not async yet (the Collective interface must be Promise-based)');
const redis = asyncWorker ? await startRedis() : { skip: 'runDdppoWorker is not async' };
const skip = !asyncWorker || skipWithReason(redis, 'DD-PPO over redis');
const server = 'skip' in redis ? null : redis;
afterAll(async () => server?.stop());

function startWorker(url: string, runKey: string, rank: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env = { ...process.env };
  for (const k of ['RANK', 'JOB_COMPLETION_INDEX', 'POLICYLAB_REDIS_URL', 'POLICYLAB_RUN_KEY']) delete env[k];
  const child = spawn(process.execPath, [CLI, 'ddppo-worker', '--redis-url', url, '--run-key', runKey, '--rank', String(rank), '--timeout-ms', '60000'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
}

async function runOverRedis(runKey: string, config: ReturnType<typeof ddppoConfigSchema.parse>, totalSteps: number, faults: WorkerFaults = {}) {
  const url = server!.url;
  const coll = await RedisCollective.connect({ url, runKey, rank: 0, worldSize: config.workers, timeoutMs: 60_000 });
  try {
    await coll.publishSpec({ env: 'CartPole-v1', config, seed: 3, totalSteps });
    const workers = Array.from({ length: config.workers - 1 }, (_, i) => startWorker(url, runKey, i + 1));
    const result = await runDdppoWorker(coll, { env: 'CartPole-v1', config, seed: 3, totalSteps, faults });
    return { result, workers: await Promise.all(workers) };
  } finally {
    await coll.close();
  }
}

describe.skipIf(skip)('DD-PPO over the redis transport', () => {
  it('3 workers (rank 0 here, ranks 1 and 2 ddppo-worker processes), syncFraction 1: bit-identical to the local transport', { timeout: 240_000 }, async () => {
    const config = ddppoConfigSchema.parse({ workers: 3, numEnvs: 2, numSteps: 32, numMinibatches: 2, updateEpochs: 2, syncFraction: 1, checksumInterval: 2, evalInterval: 0, checkpointInterval: 0 });
    const totalSteps = 3 * 2 * 32 * 5;
    const { result, workers } = await runOverRedis(`ddppo-equal-${process.pid}`, config, totalSteps);
    workers.forEach((w, i) => {
      expect(w.code, w.stderr).toBe(0);
      expect(w.stdout).toContain(`rank ${i + 1} of 3 joined run ddppo-equal-${process.pid}`);
      expect(w.stdout).toMatch(new RegExp(`rank ${i + 1}: run ddppo-equal-\\d+ finished at step ${totalSteps.toLocaleString('en-US')} after 5 updates`));
    });
    const local = await runLocal({ env: 'CartPole-v1', config, seed: 3, totalSteps });
    expect(result.iterations).toBe(5);
    expect(result.globalStep).toBe(local[0].globalStep);
    expect(result.rolloutSteps).toEqual(local[0].rolloutSteps);
    expect(result.params).toEqual(local[0].params);
    // And training moved the parameters (the comparison is not between two untouched initialisations).
    expect(local[0].params).not.toEqual((await runLocal({ env: 'CartPole-v1', config, seed: 3, totalSteps: 1 })).map((r) => r.params)[0]);
  });

  it('rank 0 slowed, syncFraction 0.5: its rollouts are cut through the Redis counter, never below the minimum', { timeout: 240_000 }, async () => {
    const config = ddppoConfigSchema.parse({ workers: 2, numEnvs: 2, numSteps: 64, numMinibatches: 2, updateEpochs: 1, syncFraction: 0.5, minRolloutFraction: 0.25, evalInterval: 0, checkpointInterval: 0 });
    const { result, workers } = await runOverRedis(`ddppo-preempt-${process.pid}`, config, 2 * 2 * 64 * 6, { stepDelayMs: 2 });
    expect(workers[0].code, workers[0].stderr).toBe(0);
    const cut = result.rolloutSteps.filter((s) => s < config.numSteps);
    expect(cut.length).toBeGreaterThan(0);
    for (const s of result.rolloutSteps) expect(s).toBeGreaterThanOrEqual(Math.ceil(0.25 * config.numSteps));
  });
});
