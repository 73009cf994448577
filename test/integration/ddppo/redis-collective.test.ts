/**
 * The redis transport against a real redis-server (test/helpers/redis-server.ts: a private one on a loopback port):
 * several rank PROCESSES all-reduce to the mean in rank order with identical bits; the counter; rank claims; bounded
 * waits with errors that name the rank, the operation and the URL; a failure reported by one rank stops the others;
 * a rank that dies is noticed; Redis restarted mid-run fails every rank clearly, and a new session then works.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { meanInRankOrder } from '../../../core/collective/collective.js';
import { RedisCollective, RedisCollectiveAborted, redactUrl } from '../../../core/collective/redis.js';
import { contribution } from '../../helpers/redis-collective-child.js';
import { skipWithReason, startRedis } from '../../helpers/redis-server.js';

const redis = await startRedis();
const skip = skipWithReason(redis, 'redis transport tests');
const server = 'skip' in redis ? null : redis;
afterAll(async () => server?.stop());

const CHILD = join(process.cwd(), 'test/helpers/redis-collective-child.ts');
let keyCounter = 0;
const newKey = (): string => `test-${process.pid}-${keyCounter++}`;

interface ChildOut {
  code: number | null;
  stdout: string;
  stderr: string;
}

interface Started {
  done: Promise<ChildOut>;
  kill(): void;
}

function startRank(job: Record<string, unknown>): Started {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, JSON.stringify(job)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<ChildOut>((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
  return { done, kill: () => child.kill('SIGKILL') };
}

describe.skipIf(skip)('RedisCollective across processes', () => {
  const url = server?.url ?? '';

  it('3 rank processes: every all-reduce is the mean of the inputs, bit-identical on every rank; counterAdd is atomic', { timeout: 120_000 }, async () => {
    const N = 3;
    const rounds = 4;
    const length = 5000;
    const runKey = newKey();
    const outs = await Promise.all(Array.from({ length: N }, (_, rank) => startRank({ url, runKey, rank, worldSize: N, timeoutMs: 60_000, rounds, length }).done));
    for (const o of outs) expect(o.code, o.stderr).toBe(0);
    const results = outs.map((o) => JSON.parse(o.stdout.trim().split('\n').at(-1)!) as { rank: number; worldSize: number; reduced: number[][]; adds: number[]; counter: number });
    expect(results.map((r) => r.rank)).toEqual([0, 1, 2]);
    expect(results.map((r) => r.worldSize)).toEqual([N, N, N]);
    for (let k = 0; k < rounds; k++) {
      for (const [slot, round, len] of [
        [2 * k, k, length],
        [2 * k + 1, k + 1000, 3],
      ] as const) {
        const inputs = Array.from({ length: N }, (_, r) => contribution(r, round, len));
        const expected = new Float32Array(len);
        meanInRankOrder(inputs, expected);
        for (const r of results) expect(Float32Array.from(r.reduced[slot])).toEqual(expected);
        // And it is the mean (float64 reference), not just some agreed value.
        for (let i = 0; i < len; i += 97) {
          const mean64 = inputs.reduce((a, v) => a + v[i], 0) / N;
          expect(Math.abs(results[0].reduced[slot][i] - mean64)).toBeLessThan(1e-6 * (1 + Math.abs(mean64)));
        }
      }
    }
    // INCRBY is atomic: the N·rounds adds returned every value 1..N·rounds exactly once, and the counter ends there.
    const adds = results.flatMap((r) => r.adds).sort((a, b) => a - b);
    expect(adds).toEqual(Array.from({ length: N * rounds }, (_, i) => i + 1));
    for (const r of results) expect(r.counter).toBe(N * rounds);
  });

  it('Redis restarted mid-run: every rank fails with an error naming its rank, the operation and the URL; a new session then works', { timeout: 120_000 }, async () => {
    const N = 2;
    const runKey = newKey();
    const ranks = Array.from({ length: N }, (_, rank) => startRank({ url, runKey, rank, worldSize: N, timeoutMs: 30_000, rounds: 100_000, length: 100, pauseMs: 20 }));
    // Wait until the run is under way (the counter is moving), then restart Redis under it.
    const probe = await RedisCollective.connect({ url, runKey: `${runKey}-probe`, rank: 0, worldSize: 1, timeoutMs: 5000 });
    const { Redis } = await import('ioredis');
    const raw = new Redis(url);
    for (let i = 0; i < 600; i++) {
      const session = await raw.get(`${runKey}:session`);
      const n = session ? Number(await raw.get(`${runKey}:${session}:num_done`)) : 0;
      if (n >= 2 * N) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    raw.disconnect();
    await server!.restart();
    const outs = await Promise.all(ranks.map((r) => r.done));
    outs.forEach((o, rank) => {
      expect(o.code).toBe(1);
      expect(o.stderr).toMatch(new RegExp(`^error: DD-PPO rank ${rank}: (allReduceMean|barrier|counterAdd|counterGet)[^\\n]* on Redis at redis://127\\.0\\.0\\.1:${server!.port} failed: lost the connection to Redis`, 'm'));
    });
    // The in-process collective that was connected across the restart fails the same way, at once.
    await expect(probe.counterAdd(1)).rejects.toThrow(/DD-PPO rank 0: counterAdd on Redis at redis:\/\/127\.0\.0\.1:\d+ failed: lost the connection to Redis/);
    await probe.close();
    // The restarted (empty) server takes a new session of the same run key: a resumed run starts cleanly.
    const again = await Promise.all(Array.from({ length: N }, (_, rank) => startRank({ url, runKey, rank, worldSize: N, timeoutMs: 30_000, rounds: 2, length: 10 }).done));
    for (const o of again) expect(o.code, o.stderr).toBe(0);
  });

  it('a rank process that dies is noticed by the others through its lapsed lease (not only by the timeout)', { timeout: 60_000 }, async () => {
    const runKey = newKey();
    const rank0 = await RedisCollective.connect({ url, runKey, rank: 0, worldSize: 2, timeoutMs: 4000 });
    await rank0.publishSpec({ rounds: 1000, length: 10 });
    // Rank 1 joins and then dies (SIGKILL: no close, no abort report) while rank 0 has not yet reached the all-reduce.
    const rank1 = startRank({ url, runKey, rank: 1, worldSize: 2, timeoutMs: 4000, rounds: 1000, length: 10, startDelayMs: 60_000 });
    const { Redis } = await import('ioredis');
    const raw = new Redis(url);
    while ((await raw.exists(`${runKey}:${rank0.session}:rank:1`)) === 0) await new Promise((r) => setTimeout(r, 20));
    raw.disconnect();
    rank1.kill();
    await rank1.done;
    const err = await rank0.allReduceMean(new Float32Array(10)).then(
      () => null,
      (e: Error) => e,
    );
    // The lease (timeoutMs / 2 = 2 s) lapses before rank 0's 4 s wait runs out.
    expect(err?.message).toMatch(/^DD-PPO rank 0: allReduceMean \(operation 0\) on Redis at redis:\/\/127\.0\.0\.1:\d+ failed: rank\(s\) 1 stopped \(their lease on Redis lapsed/);
    await rank0.close();
  });
});

describe.skipIf(skip)('RedisCollective in one process', () => {
  const url = server?.url ?? '';
  const opened: RedisCollective[] = [];
  afterAll(async () => Promise.all(opened.map((c) => c.close())));
  const connect = async (o: { runKey: string; rank: number; worldSize?: number; timeoutMs?: number; joinTimeoutMs?: number }): Promise<RedisCollective> => {
    const c = await RedisCollective.connect({ url, timeoutMs: 5000, ...o });
    opened.push(c);
    return c;
  };

  it('counter: counterAdd returns the value after the add, counterGet reads it (0 before any add), counterSet replaces it', async () => {
    const runKey = newKey();
    const a = await connect({ runKey, rank: 0, worldSize: 2 });
    await a.publishSpec({});
    const b = await connect({ runKey, rank: 1 });
    await b.fetchSpec();
    expect(await b.counterGet()).toBe(0);
    expect(await a.counterAdd(1)).toBe(1);
    expect(await b.counterAdd(3)).toBe(4);
    expect(await a.counterGet()).toBe(4);
    await a.counterSet(0);
    expect(await b.counterGet()).toBe(0);
    expect(await b.counterAdd(-2)).toBe(-2);
    await expect(a.counterAdd(0.5)).rejects.toThrow('counterAdd: delta must be an integer, got 0.5');
  });

  it('workers learn the world size and the spec from rank 0; a duplicate rank, a second rank 0, a wrong world size and a rank outside it are refused clearly', async () => {
    const runKey = newKey();
    const r0 = await connect({ runKey, rank: 0, worldSize: 3 });
    await r0.publishSpec({ env: 'CartPole-v1', seed: 4 });
    const r1 = await connect({ runKey, rank: 1 });
    expect(() => r1.worldSize).toThrow('DD-PPO rank 1: the world size is known once fetchSpec() has joined the run');
    expect(await r1.fetchSpec()).toEqual({ env: 'CartPole-v1', seed: 4 });
    expect(r1.worldSize).toBe(3);
    const dup = await connect({ runKey, rank: 1 });
    await expect(dup.fetchSpec()).rejects.toThrow(/^DD-PPO rank 1: rank 1 of run "test-\d+-\d+" is already taken by [^:]+:\d+; each rank must be started once/);
    await expect(connect({ runKey, rank: 0, worldSize: 3 })).rejects.toThrow(/^DD-PPO rank 0: run key "test-\d+-\d+" on redis:\/\/127\.0\.0\.1:\d+ is held by another live rank 0/);
    const wrongSize = await connect({ runKey, rank: 2, worldSize: 4 });
    await expect(wrongSize.fetchSpec()).rejects.toThrow('DD-PPO rank 2: started with worldSize 4, but run');
    const outside = await connect({ runKey, rank: 5 });
    await expect(outside.fetchSpec()).rejects.toThrow('rank 5 does not exist');
    // Rank 2 can still join: the refused claims took nothing.
    const r2 = await connect({ runKey, rank: 2 });
    await r2.fetchSpec();
    const xs = [new Float32Array([3]), new Float32Array([6]), new Float32Array([0])];
    await Promise.all([r0.allReduceMean(xs[0]), r1.allReduceMean(xs[1]), r2.allReduceMean(xs[2])]);
    expect(xs.map((x) => x[0])).toEqual([3, 3, 3]);
  });

  it('bad options are refused before connecting', async () => {
    await expect(RedisCollective.connect({ url: 'localhost:6379', runKey: 'k', rank: 0, worldSize: 1 })).rejects.toThrow('redis url must look like redis://host:port, got "localhost:6379"');
    await expect(RedisCollective.connect({ url, runKey: 'a b', rank: 0, worldSize: 1 })).rejects.toThrow('runKey must be 1–200 characters');
    await expect(RedisCollective.connect({ url, runKey: 'k', rank: -1 })).rejects.toThrow('rank must be a non-negative integer, got -1');
    await expect(RedisCollective.connect({ url, runKey: 'k', rank: 0 })).rejects.toThrow('rank 0 must be given worldSize');
    await expect(RedisCollective.connect({ url, runKey: 'k', rank: 2, worldSize: 2 })).rejects.toThrow('rank must be in [0, 2) for worldSize 2, got 2');
    expect(redactUrl('redis://:s3cret@host:6379/0')).toBe('redis://***@host:6379/0');
  });

  it('waits are bounded: no rank 0, a rank that never joins, and no Redis at all each end in an error naming rank, operation and URL', async () => {
    const lone = await connect({ runKey: newKey(), rank: 1, timeoutMs: 300, joinTimeoutMs: 300 });
    await expect(lone.fetchSpec()).rejects.toThrow(/^DD-PPO rank 1: no run "test-\d+-\d+" was published on Redis at redis:\/\/127\.0\.0\.1:\d+ within 300 ms \(no rank 0 is running\)/);
    const r0 = await connect({ runKey: newKey(), rank: 0, worldSize: 2, timeoutMs: 600, joinTimeoutMs: 600 });
    await r0.publishSpec({});
    await expect(r0.barrier()).rejects.toThrow(
      /^DD-PPO rank 0: barrier \(operation 0\) on Redis at redis:\/\/127\.0\.0\.1:\d+ failed: timed out after 600 ms waiting for the other ranks \(1 of 2 arrived; never joined: rank\(s\) 1\)/,
    );
    // A port nothing listens on (the private server's port + 1 is not guaranteed free, so use a closed one: 1).
    await expect(RedisCollective.connect({ url: 'redis://:pw@127.0.0.1:1', runKey: 'k', rank: 3, timeoutMs: 300 })).rejects.toThrow(
      /^DD-PPO rank 3: cannot connect to Redis at redis:\/\/\*\*\*@127\.0\.0\.1:1 within 300 ms: .*ECONNREFUSED/,
    );
  });

  it('a rank that joins late is waited for up to joinTimeoutMs, longer than timeoutMs', async () => {
    const runKey = newKey();
    const r0 = await connect({ runKey, rank: 0, worldSize: 2, timeoutMs: 300, joinTimeoutMs: 60_000 });
    await r0.publishSpec({ late: true });
    const first = r0.allReduceMean(Float32Array.of(2, 4));
    await new Promise((r) => setTimeout(r, 900)); // three timeouts' worth: rank 0 is still waiting for rank 1 to join
    const r1 = await connect({ runKey, rank: 1, timeoutMs: 300 });
    expect(await r1.fetchSpec()).toEqual({ late: true });
    const y = Float32Array.of(4, 8);
    await Promise.all([first, r1.allReduceMean(y)]);
    expect([...y]).toEqual([3, 6]);
  });

  it("a failure one rank reports stops the ranks waiting on it with that rank's message", async () => {
    const runKey = newKey();
    const r0 = await connect({ runKey, rank: 0, worldSize: 2 });
    await r0.publishSpec({});
    const r1 = await connect({ runKey, rank: 1 });
    await r1.fetchSpec();
    const waiting = r0.allReduceMean(new Float32Array(4)).then(
      () => null,
      (e: unknown) => e,
    );
    await r1.abort('env step 17 returned NaN');
    const err = await waiting;
    expect(err).toBeInstanceOf(RedisCollectiveAborted);
    expect((err as RedisCollectiveAborted).message).toBe('DD-PPO worker 1 failed: env step 17 returned NaN');
    expect((err as RedisCollectiveAborted).failedRank).toBe(1);
  });

  it('all ranks gone: the last to close deletes the session’s keys; rank 0 gives the run key back', async () => {
    const runKey = newKey();
    const r0 = await RedisCollective.connect({ url, runKey, rank: 0, worldSize: 2, timeoutMs: 5000 });
    await r0.publishSpec({});
    const r1 = await RedisCollective.connect({ url, runKey, rank: 1, timeoutMs: 5000 });
    await r1.fetchSpec();
    const x = [new Float32Array(8).fill(1), new Float32Array(8).fill(3)];
    await Promise.all([r0.allReduceMean(x[0]), r1.allReduceMean(x[1])]);
    await Promise.all([r0.counterAdd(1), r1.barrier(), r0.barrier()]);
    const { Redis } = await import('ioredis');
    const raw = new Redis(url);
    expect((await raw.keys(`${runKey}:*`)).length).toBeGreaterThan(0);
    await r0.close();
    expect(await raw.get(`${runKey}:session`)).toBeNull();
    await r1.close();
    expect(await raw.keys(`${runKey}:*`)).toEqual([]);
    raw.disconnect();
  });
});
