/**
 * The back end's compare/replay channels over a fake training process: wall times on queried points and on
 * live metric events, step-range queries (a zoomed chart's refetch), and recorded episodes listed and loaded.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { EpisodeData, EpisodeInfo, MetricsQueryResult, RunInfo } from '../../../core/api/contract.js';
import { appendFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QueryCache } from '../../../core/runner/query-cache.js';
import { saveEpisode } from '../../../core/store/index.js';
import { call, EventLog, openFake, tempHome } from './helpers.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function finishedRun() {
  const { home, cleanup } = tempHome();
  const backend = await openFake(home);
  cleanups.push(cleanup, () => backend.close());
  const log = new EventLog(backend);
  const before = Date.now() / 1000;
  const [run] = await call<RunInfo[]>(backend, 'runs:start', { algo: 'fake', env: 'CartPole-v1', seeds: [1], totalSteps: 200 });
  await log.status(run!.id, 'finished');
  return { backend, log, id: run!.id, before, after: Date.now() / 1000 };
}

describe('metrics for the compare view', () => {
  it('carries wall times on live events and on queried points', async () => {
    const { backend, log, id, before, after } = await finishedRun();
    const streamed = log.of('run:metrics', id).flatMap((m) => m.records);
    expect(streamed).toHaveLength(20);
    for (const r of streamed) {
      expect(r.wallTime).toBeGreaterThanOrEqual(before);
      expect(r.wallTime).toBeLessThanOrEqual(after);
    }
    const q = await call<MetricsQueryResult>(backend, 'metrics:query', { id, keys: ['rollout/episodeReturn'] });
    const s = q.series[0]!;
    expect(s.steps).toEqual(streamed.map((r) => r.step));
    expect(s.wallTimes).toHaveLength(20);
    expect([...s.wallTimes].sort((a, b) => a - b)).toEqual(s.wallTimes);
    // The file's time and the event's time are stamped a moment apart by the same clock.
    s.wallTimes.forEach((t, i) => expect(Math.abs(t - streamed[i]!.wallTime)).toBeLessThan(5));
    const tail = await call<{ records: { wallTime: number }[] }>(backend, 'metrics:tail', { id, offset: 0 });
    expect(tail.records.map((r) => r.wallTime)).toEqual(s.wallTimes);
  });

  it('answers a step range at full resolution where the whole run is downsampled, and says when the run began logging', async () => {
    const { backend, id } = await finishedRun();
    const whole = await call<MetricsQueryResult>(backend, 'metrics:query', { id, keys: ['rollout/episodeReturn'], maxPoints: 4 });
    expect(whole.series[0]!.steps.length).toBeLessThanOrEqual(4);
    expect(whole.series[0]!.totalPoints).toBe(20);
    const zoomed = await call<MetricsQueryResult>(backend, 'metrics:query', { id, keys: ['rollout/episodeReturn'], maxPoints: 4, from: 50, to: 80 });
    const z = zoomed.series[0]!;
    expect(z.totalPoints).toBe(4);
    expect(z.steps).toEqual([50, 60, 70, 80]);
    expect(z.values).toEqual([5, 6, 7, 8]);
    expect(z.mins).toEqual(z.values);
    expect(z.maxs).toEqual(z.values);
    const keysOnly = await call<MetricsQueryResult>(backend, 'metrics:query', { id, keys: [] });
    expect(keysOnly).toMatchObject({ keys: ['rollout/episodeReturn', 'train/loss'], series: [] });
    const tail = await call<{ records: { wallTime: number }[] }>(backend, 'metrics:tail', { id, offset: 0 });
    expect(keysOnly.firstWallTime).toBe(tail.records[0]!.wallTime);
  });
});

describe('query cache', () => {
  it('serves a value only while the file it came from is unchanged', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'policylab-cache-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const file = join(dir, 'metrics.jsonl');
    const cache = new QueryCache<{ points: number; text: string }>();
    expect(await QueryCache.signature(file)).toBeNull();
    await writeFile(file, '{"step":1}\n');
    const first = await QueryCache.signature(file);
    cache.set('a', first, { points: 1, text: 'one' });
    expect(cache.get('a', first)?.text).toBe('one');
    await appendFile(file, '{"step":2}\n');
    const grown = await QueryCache.signature(file);
    expect(grown).not.toBe(first);
    expect(cache.get('a', grown)).toBeUndefined();
    cache.set('b', null, { points: 1, text: 'no file' });
    expect(cache.get('b', null)).toBeUndefined();
    cache.set('c', grown, { points: 1e6, text: 'too big' });
    expect(cache.get('c', grown)).toBeUndefined();
    cache.set('run1\u0000x', grown, { points: 1, text: 'x' });
    cache.forget('run1\u0000');
    expect(cache.get('run1\u0000x', grown)).toBeUndefined();
    expect([cache.hits, cache.misses]).toEqual([1, 4]);
  });
});

describe('recorded episodes', () => {
  it('lists episodes by step and loads one, and names what is missing', async () => {
    const { backend, id } = await finishedRun();
    expect(await call<EpisodeInfo[]>(backend, 'episodes:list', { id })).toEqual([]);
    const runDir = backend.store.runDir(id);
    const episode = { envId: 'CartPole-v1', seed: 5, states: [[0, 0, 0.01, 0], [0.01, 0.2, 0.01, -0.3], [0.02, 0.4, 0.0, -0.6]], actions: [1, 1], rewards: [1, 1], return: 2 };
    await saveEpisode(runDir, 100, episode);
    await saveEpisode(runDir, 20, { ...episode, seed: 4 });
    expect(await call<EpisodeInfo[]>(backend, 'episodes:list', { id })).toEqual([
      { step: 20, envId: 'CartPole-v1', seed: 4, return: 2, length: 2 },
      { step: 100, envId: 'CartPole-v1', seed: 5, return: 2, length: 2 },
    ]);
    expect(await call<EpisodeData>(backend, 'episodes:get', { id, step: 100 })).toEqual({ step: 100, length: 2, ...episode });
    const missing = await backend.invoke('episodes:get', { id, step: 30 });
    expect(!missing.ok && missing.error).toMatchObject({ code: 'not_found', message: expect.stringMatching(/step 30/) });
    const noRun = await backend.invoke('episodes:list', { id: 'nope' });
    expect(!noRun.ok && noRun.error.code).toBe('not_found');
  });
});
