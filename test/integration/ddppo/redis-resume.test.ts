/**
 * Exact resume on the redis transport: every worker process leaves its own state (envs, streams, normalisers) in
 * Redis when a checkpoint is due, rank 0 stores it in the checkpoint, and a resume hands each new worker its state
 * with the spec. So a run stopped and resumed (new worker processes, started by rank 0 with launchWorkers 'local')
 * repeats an uninterrupted run's every learned number and its final weights — fixed N, syncFraction 1, against a
 * private redis-server on loopback.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { DdppoCheckpointState } from '../../../core/algos/ddppo/train.js';
import { trainRun } from '../../../core/algos/loop.js';
import { loadCheckpoint } from '../../../core/store/index.js';
import { expectSameRun } from './records.js';
import { skipWithReason, startRedis } from '../../helpers/redis-server.js';

const redis = await startRedis();
const skip = skipWithReason(redis, 'DD-PPO resume over redis');
const server = 'skip' in redis ? null : redis;
const dirs: string[] = [];
const tmp = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'policylab-ddppo-redis-resume-'));
  dirs.push(d);
  return d;
};
afterAll(async () => {
  await server?.stop();
  dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
});

describe.skipIf(skip)('DD-PPO resume over the redis transport', () => {
  it('stop, resume with new worker processes: every learned number and the final weights equal an uninterrupted run', { timeout: 300_000 }, async () => {
    const config = {
      workers: 2, numEnvs: 2, numSteps: 32, numMinibatches: 2, updateEpochs: 2, syncFraction: 1, evalInterval: 256, evalEpisodes: 2, checkpointInterval: 256,
      transport: 'redis', redisUrl: server!.url, launchWorkers: 'local',
    }; // prettier-ignore
    const base = { algo: 'ddppo' as const, env: 'CartPole-v1' as const, config, seed: 5, totalSteps: 1024 };
    const whole = tmp();
    const done = await trainRun({ ...base, runId: `rr-whole-${process.pid}`, runDir: whole, signal: new AbortController().signal });
    expect(done.status).toBe('finished');

    const split = tmp();
    const runId = `rr-split-${process.pid}`;
    const stop = new AbortController();
    const first = await trainRun({ ...base, runId, runDir: split, signal: stop.signal, events: { metrics: (step) => step >= 384 && stop.abort() } });
    expect(first.status).toBe('stopped');
    expect(first.step).toBeLessThan(1024);
    // The stop's checkpoint holds rank 1's state, sent through Redis.
    const mid = await loadCheckpoint<DdppoCheckpointState>(split, 'latest');
    expect(mid.state!.ranks).toHaveLength(2);
    expect(mid.state!.ranks[1]).not.toBeNull();
    expect(mid.state!.ranks[1]!.venv).toHaveLength(2);
    const logs: string[] = [];
    const second = await trainRun({ ...base, runId, runDir: split, resume: true, signal: new AbortController().signal, events: { log: (l) => logs.push(l) } });
    expect(second.status).toBe('finished');
    expect(logs.join('\n')).toContain('rank 1: resuming its envs from the checkpoint');
    expect(logs.join('\n')).not.toContain("state did not arrive");

    await expectSameRun(split, whole, 1024);
  });
});
