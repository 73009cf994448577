/**
 * The RunManager with the real training process (worker.ts → trainRun, PPO on CartPole, tfjs backend of this
 * machine): start, stream, finish, stop with checkpoint, exact-resume continuity, and a killed process.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckpointInfo, MetricsQueryResult, RunInfo, SystemInfo } from '../../../core/api/contract.js';
import { openAppBackend, type AppBackend } from '../../../core/runner/service.js';
import { call, EventLog, tempHome } from '../../unit/runner/helpers.js';

let backend: AppBackend;
let log: EventLog;
let cleanup: () => void;
const RETURN = 'rollout/episodeReturn';

beforeAll(async () => {
  const t = tempHome();
  cleanup = t.cleanup;
  backend = await openAppBackend({ home: t.home, transport: 'browser', maxConcurrent: 2 });
  log = new EventLog(backend);
});

afterAll(async () => {
  await backend?.close();
  cleanup?.();
});

async function startPpo(totalSteps: number, name: string): Promise<RunInfo> {
  const [run] = await call<RunInfo[]>(backend, 'runs:start', { algo: 'ppo', env: 'CartPole-v1', preset: 'CartPole-v1', seeds: [3], totalSteps, name });
  return run!;
}

describe('real training processes', () => {
  it('reports the backend training uses (probed in a training process)', async () => {
    const info = await call<SystemInfo>(backend, 'system:info');
    expect(info.backendError).toBeNull();
    expect(['wasm', 'cpu', 'tensorflow', 'tensorflow-gpu']).toContain(info.backend?.name);
    expect(info.versions.tfjs).toMatch(/^\d+\.\d+\.\d+/);
    expect(info.versions.node).toBe(process.versions.node);
  });

  it('trains PPO on CartPole to the end, streaming metrics and recording the result', async () => {
    const run = await startPpo(512, 'short');
    const done = await log.status(run.id, 'finished');
    expect(done.step).toBe(512);
    expect(done.backend?.name).toBeTruthy();
    expect(done.summary.lastReturn).toBeGreaterThan(0);
    const streamed = log.of('run:metrics', run.id).flatMap((m) => m.records);
    expect(streamed.some((r) => RETURN in r.values)).toBe(true);
    expect(streamed.some((r) => 'train/policyLoss' in r.values)).toBe(true);
    const q = await call<MetricsQueryResult>(backend, 'metrics:query', { id: run.id });
    expect(q.keys).toEqual(expect.arrayContaining([RETURN, 'train/policyLoss', 'train/approxKl', 'time/sps']));
    const ckpts = await call<CheckpointInfo[]>(backend, 'checkpoints:list', { id: run.id });
    expect(ckpts.at(-1)!.step).toBe(512);
    expect(backend.store.getRun(run.id).episodes).toBeGreaterThan(0);
  });

  it('stops with a checkpoint and resumes from it, continuing the step count', async () => {
    const run = await startPpo(1_000_000, 'long');
    await log.wait('run:metrics', (m) => m.id === run.id && m.records.some((r) => r.step >= 512 && RETURN in r.values));
    await call(backend, 'runs:stop', { id: run.id });
    const stopped = await log.status(run.id, 'stopped');
    const ckpts = await call<CheckpointInfo[]>(backend, 'checkpoints:list', { id: run.id });
    expect(ckpts.at(-1)!.step).toBe(stopped.step);

    const mark = log.events.length;
    await call(backend, 'runs:resume', { id: run.id });
    await log.wait('run:metrics', (m) => m.id === run.id && m.records.some((r) => r.step > stopped.step));
    const firstAfter = log.events
      .slice(mark)
      .filter((e) => e.event === 'run:metrics' && e.payload.id === run.id)
      .flatMap((e) => (e.payload as { records: { step: number }[] }).records)[0]!;
    expect(firstAfter.step).toBeGreaterThan(stopped.step);
    const lines = log.of('run:log', run.id).flatMap((l) => l.lines.map((x) => x.text));
    expect(lines).toContain(`resuming from the checkpoint at step ${stopped.step}`);
    await call(backend, 'runs:stop', { id: run.id });
    await log.wait('run:status', (r) => r.id === run.id && r.status === 'stopped' && r.step > stopped.step);
  });

  it('marks a training process killed from outside as crashed', async () => {
    const run = await startPpo(1_000_000, 'killed');
    await log.wait('run:metrics', (m) => m.id === run.id);
    const metricsFile = join(backend.store.runDir(run.id), 'metrics.jsonl');
    while (!existsSync(metricsFile) || statSync(metricsFile).size === 0) await new Promise((r) => setTimeout(r, 20));
    const pid = backend.store.getRun(run.id).pid;
    expect(pid).toBeGreaterThan(0);
    process.kill(pid!, 'SIGKILL');
    const crashed = await log.status(run.id, 'crashed');
    expect(crashed.error).toMatch(/the training process was killed by SIGKILL without reporting/);
    // No checkpoint yet: a plain resume is refused (never a silent restart); restart: true starts from step 0 and
    // keeps the earlier metrics aside.
    const dir = backend.store.runDir(run.id);
    const before = readFileSync(metricsFile, 'utf8');
    expect(before.length).toBeGreaterThan(0);
    const hadCheckpoint = (await call<CheckpointInfo[]>(backend, 'checkpoints:list', { id: run.id })).length > 0;
    if (!hadCheckpoint) await expect(call(backend, 'runs:resume', { id: run.id })).rejects.toThrow(/no intact checkpoint.*kept aside/);
    await call(backend, 'runs:resume', { id: run.id, restart: !hadCheckpoint });
    await log.wait('run:metrics', (m) => m.id === run.id && log.of('run:status', run.id).at(-1)?.status === 'running');
    if (!hadCheckpoint) {
      const aside = readdirSync(dir).filter((n) => n.startsWith('metrics.jsonl.before-restart-'));
      expect(aside).toHaveLength(1);
      expect(readFileSync(join(dir, aside[0]), 'utf8')).toBe(before);
    }
    await call(backend, 'runs:stop', { id: run.id });
    await log.wait('run:status', (r) => r.id === run.id && r.status === 'stopped');
  });
});
