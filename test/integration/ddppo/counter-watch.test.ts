/**
 * counterPeek's background reader (core/collective/counter-watch.ts): the loop drops a read that was in flight when
 * the main thread recorded a newer value (deterministic, with a controlled reader), and the real watcher thread
 * follows the Redis key and stops with close().
 */
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { CounterWatch, createWatchShared, peekValue, recordValue, stopWatch, watchLoop } from '../../../core/collective/counter-watch.js';
import { RedisCollective } from '../../../core/collective/redis.js';
import { skipWithReason, startRedis } from '../../helpers/redis-server.js';

describe('counter watch loop', () => {
  it('a reply from before a recorded value never overwrites it; later replies are kept', async () => {
    const shared = createWatchShared(0);
    const pending: ((v: string | null) => void)[] = [];
    const loop = watchLoop(shared, () => new Promise((resolve) => pending.push(resolve)), 0);
    await vi.waitFor(() => expect(pending.length).toBe(1));
    pending[0]('4'); // read before any record: kept
    await vi.waitFor(() => expect(peekValue(shared)).toBe(4));
    await vi.waitFor(() => expect(pending.length).toBe(2));
    recordValue(shared, 0); // the main thread learnt a reset while read 2 was in flight
    pending[1]('4'); // stale: dropped
    await vi.waitFor(() => expect(pending.length).toBe(3));
    expect(peekValue(shared)).toBe(0);
    pending[2]('1'); // issued after the record: kept
    await vi.waitFor(() => expect(peekValue(shared)).toBe(1));
    await vi.waitFor(() => expect(pending.length).toBe(4));
    pending[3](null); // a missing key reads as 0
    await vi.waitFor(() => expect(peekValue(shared)).toBe(0));
    stopWatch(shared);
    await vi.waitFor(() => expect(pending.length).toBe(5));
    pending[4]('2');
    await loop; // ends at the stop flag
  });
});

const redis = await startRedis();
const skip = skipWithReason(redis, 'counter watch over redis');
const server = 'skip' in redis ? null : redis;
afterAll(async () => server?.stop());

describe.skipIf(skip)('counter watch thread over redis', () => {
  it('follows the key written by another client; RedisCollective.counterPeek sees other ranks’ adds without I/O of its own', { timeout: 30_000 }, async () => {
    const other = new Redis(server!.url);
    const watch = CounterWatch.start(server!.url, 'cw-test:key', 0);
    await other.set('cw-test:key', '7');
    await vi.waitFor(() => expect(watch.peek()).toBe(7), { timeout: 10_000 });
    watch.set(9);
    expect(watch.peek()).toBe(9);
    await watch.stop();

    const runKey = `cw-${process.pid}`;
    const r0 = await RedisCollective.connect({ url: server!.url, runKey, rank: 0, worldSize: 2 });
    await r0.publishSpec({});
    const r1 = await RedisCollective.connect({ url: server!.url, runKey, rank: 1 });
    await r1.fetchSpec();
    expect(await r0.counterAdd(1)).toBe(1);
    expect(r0.counterPeek()).toBe(1); // its own add, at once
    await r1.counterAdd(2);
    await vi.waitFor(() => expect(r0.counterPeek()).toBe(3), { timeout: 10_000 });
    await r0.counterSet(0);
    expect(r0.counterPeek()).toBe(0);
    await Promise.all([r0.close(), r1.close()]);
    other.disconnect();
  });
});
