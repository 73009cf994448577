/**
 * `policylab ddppo-worker` and `policylab train --algo ddppo --transport redis`, as a person runs them on several
 * machines (worker processes stand in for machines; a private redis-server on loopback): flags are checked with
 * clear messages; a run with one worker process reaches its end; Redis restarted mid-run fails the run and the
 * worker clearly, and the run then resumes from its checkpoint with a new worker.
 */
import { spawn, spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { skipWithReason, startRedis } from '../../helpers/redis-server.js';

const CLI = join(process.cwd(), 'bin/policylab.mjs');
const redis = await startRedis();
const skip = skipWithReason(redis, 'ddppo-worker CLI tests');
const server = 'skip' in redis ? null : redis;
const homes: string[] = [];
afterAll(async () => {
  await server?.stop();
  homes.forEach((h) => rmSync(h, { recursive: true, force: true }));
});


/** The worker's environment without the variables it reads (the test machine's own must not leak in). */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of ['RANK', 'JOB_COMPLETION_INDEX', 'POLICYLAB_REDIS_URL', 'POLICYLAB_RUN_KEY']) delete env[k];
  return { ...env, ...extra };
}

function cliSync(args: string[], env: Record<string, string> = {}): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { env: cleanEnv(env), encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('policylab ddppo-worker: flags', () => {
  it('missing or malformed flags exit 2 with one clear message; an unreachable Redis exits 1 naming rank and URL', () => {
    const a = cliSync(['ddppo-worker']);
    expect(a.code).toBe(2);
    expect(a.stderr).toContain('error: --redis-url is required (or set POLICYLAB_REDIS_URL)');
    const b = cliSync(['ddppo-worker', '--redis-url', 'redis://127.0.0.1:1', '--run-key', 'k']);
    expect(b.code).toBe(2);
    expect(b.stderr).toContain('error: --rank is required (or set RANK, or run as a Kubernetes Indexed Job: rank = JOB_COMPLETION_INDEX + 1)');
    const c = cliSync(['ddppo-worker', '--redis-url', 'redis://127.0.0.1:1', '--run-key', 'k'], { JOB_COMPLETION_INDEX: 'x' });
    expect(c.code).toBe(2);
    expect(c.stderr).toContain('error: JOB_COMPLETION_INDEX must be a decimal integer');
    const d = cliSync(['ddppo-worker', '--redis-url', 'redis://127.0.0.1:1', '--run-key', 'k', '--rank', '0']);
    expect(d.code).toBe(2);
    expect(d.stderr).toContain('error: rank 0 is the training run itself');
    const e = cliSync(['ddppo-worker', '--run-key', 'k', '--rank', '1', '--timeout-ms', '300'], { POLICYLAB_REDIS_URL: 'redis://:secret@127.0.0.1:1' });
    expect(e.code).toBe(1);
    expect(e.stderr).toMatch(/^error: DD-PPO rank 1: cannot connect to Redis at redis:\/\/\*\*\*@127\.0\.0\.1:1 within 300 ms/m);
    expect(e.stderr).not.toContain('secret');
  });
});

describe.skipIf(skip)('policylab ddppo-worker against a real Redis', () => {
  const url = server?.url ?? '';

  it('no rank 0 on the run key: the worker gives up after --join-timeout-ms, saying so', () => {
    const r = cliSync(['ddppo-worker', '--redis-url', url, '--run-key', 'nobody-here', '--rank', '1', '--join-timeout-ms', '400']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: DD-PPO rank 1: no run "nobody-here" was published on Redis at redis:\/\/127\.0\.0\.1:\d+ within 400 ms \(no rank 0 is running\)/m);
  });

  it('a spec that is not a DD-PPO run is refused (validated, never trusted), and rank 0 hears why', async () => {
    const { RedisCollective, RedisCollectiveAborted } = await import('../../../core/collective/redis.js');
    const coll = await RedisCollective.connect({ url, runKey: 'bad-spec', rank: 0, worldSize: 2, timeoutMs: 20_000 });
    await coll.publishSpec({ env: 'Pong-v5', config: {}, seed: 1, totalSteps: 10 });
    const worker = spawn(process.execPath, [CLI, 'ddppo-worker', '--redis-url', url, '--run-key', 'bad-spec', '--rank', '1'], { env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    worker.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => worker.on('exit', resolve));
    expect(code).toBe(1);
    expect(stderr).toMatch(/^error: DD-PPO rank 1: the spec of run bad-spec on redis:\/\/127\.0\.0\.1:\d+ is not a DD-PPO run: env: /m);
    // The worker reported its failure: rank 0, waiting in its first all-reduce, stops with the worker's message.
    const err = await coll.barrier().then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RedisCollectiveAborted);
    expect((err as Error).message).toMatch(/^DD-PPO worker 1 failed: the spec of run bad-spec .* is not a DD-PPO run: env: .*\(host [^)]+\)$/);
    await coll.close();
  });
});

