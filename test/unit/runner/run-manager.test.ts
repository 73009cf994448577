/**
 * RunManager lifecycle with real child processes (the fake worker speaks the real protocol and writes real
 * metrics/checkpoints through core/store), driven through the same invoke() the transports use.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { CheckpointInfo, LogLine, MetricsQueryResult, RunInfo } from '../../../core/api/contract.js';
import type { AppBackend } from '../../../core/runner/service.js';
import { call, EventLog, openFake, tempHome } from './helpers.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(options: { maxConcurrent?: number; stopTimeoutMs?: number } = {}) {
  const { home, cleanup } = tempHome();
  const backend = await openFake(home, options);
  cleanups.push(cleanup, () => backend.close());
  return { home, backend, log: new EventLog(backend) };
}

async function startOne(backend: AppBackend, config: Record<string, unknown> = {}, totalSteps = 100_000): Promise<RunInfo> {
  const [run] = await call<RunInfo[]>(backend, 'runs:start', { algo: 'fake', env: 'CartPole-v1', seeds: [7], config, totalSteps });
  return run!;
}

describe('RunManager with real processes', () => {
  it('runs to the end: status events, streamed metrics, summary, checkpoint, logs', async () => {
    const { backend, log } = await setup();
    const run = await startOne(backend, {}, 100);
    expect(run.status).toBe('queued');
    const done = await log.status(run.id, 'finished');
    expect(done.step).toBe(100);
    expect(done.backend?.name).toBe('fake');
    expect(done.summary.lastReturn).toBe(10);
    expect(done.summary.bestReturn).toBe(10);
    expect(log.of('run:status', run.id).map((r) => r.status)).toEqual(expect.arrayContaining(['queued', 'running', 'finished']));
    const streamed = log.of('run:metrics', run.id).flatMap((m) => m.records);
    expect(streamed.map((r) => r.step)).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
    expect(log.of('run:progress', run.id).length).toBeGreaterThan(0);

    const metrics = await call<MetricsQueryResult>(backend, 'metrics:query', { id: run.id, maxPoints: 4 });
    expect(metrics.keys).toEqual(['rollout/episodeReturn', 'train/loss']);
    const ret = metrics.series.find((s) => s.key === 'rollout/episodeReturn')!;
    expect(ret.totalPoints).toBe(10);
    expect(ret.steps.length).toBeLessThanOrEqual(4);
    expect(Math.max(...ret.maxs)).toBe(10);
    const tail = await call<{ records: unknown[]; nextOffset: number }>(backend, 'metrics:tail', { id: run.id, offset: 0 });
    expect(tail.records).toHaveLength(10);
    expect(tail.nextOffset).toBe(metrics.offset);

    const ckpts = await call<CheckpointInfo[]>(backend, 'checkpoints:list', { id: run.id });
    expect(ckpts.map((c) => c.step)).toEqual([100]);
    const lines = await call<LogLine[]>(backend, 'runs:logs', { id: run.id });
    expect(lines.map((l) => l.text)).toEqual(expect.arrayContaining(['starting', 'finished at step 100']));
    expect(backend.store.getRun(run.id)).toMatchObject({ status: 'finished', step: 100, pid: null });
  });

  it('stops gracefully with a checkpoint, then resumes from it', async () => {
    const { backend, log } = await setup();
    const run = await startOne(backend);
    await log.wait('run:metrics', (m) => m.id === run.id && m.records.some((r) => r.step >= 50));
    const stopping = await call<RunInfo>(backend, 'runs:stop', { id: run.id });
    expect(stopping.status).toBe('stopping');
    const stopped = await log.status(run.id, 'stopped');
    const ckpts = await call<CheckpointInfo[]>(backend, 'checkpoints:list', { id: run.id });
    expect(ckpts.at(-1)!.step).toBe(stopped.step);
    expect(stopped.step).toBeGreaterThanOrEqual(50);

    const before = log.events.length;
    const resumed = await call<RunInfo>(backend, 'runs:resume', { id: run.id });
    expect(resumed.status).toBe('queued');
    await log.wait('run:metrics', (m) => m.id === run.id && m.records.some((r) => r.step > stopped.step));
    const after = log.events.slice(before).filter((e) => e.event === 'run:metrics').flatMap((e) => (e.payload as { records: { step: number }[] }).records);
    expect(after[0]!.step).toBe(stopped.step + 10);
    const lines = log.of('run:log', run.id).flatMap((l) => l.lines.map((x) => x.text));
    expect(lines).toContain(`resuming from the checkpoint at step ${stopped.step}`);
    expect(lines).toContain(`fake worker resumed at ${stopped.step}`);
    await call(backend, 'runs:stop', { id: run.id });
    await log.wait('run:status', (r) => r.id === run.id && r.status === 'stopped' && r.step > stopped.step);
    // Metrics were truncated to the checkpoint on resume, so every step appears once.
    const tail = await call<{ records: { step: number }[] }>(backend, 'metrics:tail', { id: run.id, offset: 0 });
    const steps = tail.records.map((r) => r.step);
    expect(new Set(steps).size).toBe(steps.length);
  });

  it('marks a process that dies without reporting as crashed, with the reason', async () => {
    const { backend, log } = await setup();
    const run = await startOne(backend, { mode: 'crash' });
    const crashed = await log.status(run.id, 'crashed');
    expect(crashed.error).toMatch(/exited with code 3 without reporting: fake worker: simulated segfault/);
    expect(backend.store.getRun(run.id).pid).toBeNull();
  });

  it('marks a run whose training threw as failed, with the message', async () => {
    const { backend, log } = await setup();
    const run = await startOne(backend, { mode: 'fail' });
    const failed = await log.status(run.id, 'failed');
    expect(failed.error).toBe('loss became NaN at step 10');
  });

  it('kills a run that does not stop within the timeout and says so', async () => {
    const { backend, log } = await setup({ stopTimeoutMs: 300 });
    const run = await startOne(backend, { mode: 'hang' });
    await log.wait('run:metrics', (m) => m.id === run.id);
    await call(backend, 'runs:stop', { id: run.id });
    const crashed = await log.status(run.id, 'crashed');
    expect(crashed.error).toMatch(/did not stop within 0 s and was killed/);
  });

  it('queues beyond the concurrency limit and starts the next when a slot frees', async () => {
    const { backend, log } = await setup({ maxConcurrent: 1 });
    const runs = await call<RunInfo[]>(backend, 'runs:start', { algo: 'fake', env: 'CartPole-v1', seeds: [1, 2, 3], totalSteps: 100_000 });
    expect(runs.map((r) => r.seed)).toEqual([1, 2, 3]);
    await log.status(runs[0]!.id, 'running');
    expect(backend.manager.info(runs[1]!.id).status).toBe('queued');
    expect(backend.manager.info(runs[2]!.id).status).toBe('queued');
    // Stopping a queued run takes it out of the queue without a process.
    expect((await call<RunInfo>(backend, 'runs:stop', { id: runs[2]!.id })).status).toBe('stopped');
    await call(backend, 'runs:stop', { id: runs[0]!.id });
    await log.status(runs[0]!.id, 'stopped');
    await log.status(runs[1]!.id, 'running');
    expect(backend.manager.info(runs[2]!.id).status).toBe('stopped');
    await call(backend, 'runs:stop', { id: runs[1]!.id });
    await log.status(runs[1]!.id, 'stopped');
  });

  it('deletes a running run with its files', async () => {
    const { backend, log } = await setup();
    const run = await startOne(backend);
    await log.wait('run:metrics', (m) => m.id === run.id);
    const dir = backend.store.runDir(run.id);
    expect(existsSync(join(dir, 'logs.jsonl'))).toBe(true);
    expect(await call(backend, 'runs:delete', { id: run.id })).toEqual({ id: run.id, deleted: true });
    expect(existsSync(dir)).toBe(false);
    expect(log.of('run:deleted')).toEqual([{ id: run.id }]);
    const gone = await backend.invoke('runs:get', { id: run.id });
    expect(gone.ok || gone.error.code).toBe('not_found');
  });

  it('rejects invalid configs per field and conflicting actions with clear errors', async () => {
    const { backend } = await setup();
    const bad = await backend.invoke('runs:start', { algo: 'fake', env: 'CartPole-v1', seeds: [1], config: { tickMs: 0, bogus: 1 } });
    expect(bad.ok).toBe(false);
    if (bad.ok) return;
    expect(bad.error.code).toBe('invalid_request');
    expect(bad.error.issues).toEqual(
      expect.arrayContaining([
        { path: 'config.tickMs', message: 'must be ≥ 1, got 0' },
        { path: 'config', message: 'has unknown field(s) bogus' },
      ]),
    );
    const unknownAlgo = await backend.invoke('runs:start', { algo: 'dqn', env: 'CartPole-v1', seeds: [1] });
    expect(unknownAlgo.ok || unknownAlgo.error.message).toMatch(/unknown algorithm "dqn"; known: fake/);
    const unknownEnv = await backend.invoke('runs:start', { algo: 'fake', env: 'Hopper-v4', seeds: [1] });
    expect(unknownEnv.ok || unknownEnv.error.message).toMatch(/unknown environment "Hopper-v4"/);
    const missing = await backend.invoke('runs:stop', { id: 'nope' });
    expect(missing.ok || missing.error.code).toBe('not_found');
    const run = await startOne(backend, {}, 50);
    const again = await backend.invoke('runs:resume', { id: run.id });
    expect(again.ok || again.error.code).toBe('conflict');
  });

  it('applies presets and their run length; renames, tags and notes runs', async () => {
    const { backend, log } = await setup();
    const [run] = await call<RunInfo[]>(backend, 'runs:start', { algo: 'fake', env: 'CartPole-v1', preset: 'CartPole-v1', seeds: [3], name: 'mine' });
    expect(run!.config).toEqual({ mode: 'train', tickMs: 10, stepsPerTick: 10 });
    expect(run!.totalSteps).toBe(300);
    expect(run!.name).toBe('mine');
    const updated = await call<RunInfo>(backend, 'runs:update', { id: run!.id, name: 'renamed', tags: ['a', 'b'], notes: 'hello' });
    expect(updated).toMatchObject({ name: 'renamed', tags: ['a', 'b'], notes: 'hello' });
    await log.status(run!.id, 'finished');
    expect(backend.manager.info(run!.id).name).toBe('renamed');
  });

  it('keeps history across reopen; close stops running runs gracefully', async () => {
    const { home, cleanup } = tempHome();
    cleanups.push(cleanup);
    const first = await openFake(home);
    const log = new EventLog(first);
    const run = await startOne(first);
    await log.wait('run:metrics', (m) => m.id === run.id);
    await first.close();
    const second = await openFake(home);
    cleanups.push(() => second.close());
    const info = await call<RunInfo>(second, 'runs:get', { id: run.id });
    expect(info.status).toBe('stopped');
    expect(info.step).toBeGreaterThan(0);
    expect((await call<CheckpointInfo[]>(second, 'checkpoints:list', { id: run.id })).at(-1)!.step).toBe(info.step);
  });
});
