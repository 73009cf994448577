import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MetricWriter, RUN_STATUSES, RunStore, StoreError, type CreateRunInput } from '../../../core/store/index.js';
import { tempDir } from './temp.js';

const input: CreateRunInput = { algo: 'ppo', env: 'CartPole-v1', config: { learningRate: 3e-4, hidden: [64, 64] }, seed: 7 };

function readDb(home: string): { schemaVersion: number; runs: { id: string; status: string; step: number }[]; datasets: unknown[] } {
  return JSON.parse(readFileSync(join(home, 'db.json'), 'utf8'));
}

async function expectStoreError(p: Promise<unknown> | (() => unknown), code: string, message: RegExp): Promise<void> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    expect(e).toBeInstanceOf(StoreError);
    expect((e as StoreError).code).toBe(code);
    expect((e as Error).message).toMatch(message);
    return;
  }
  throw new Error('expected a StoreError');
}

describe('RunStore', () => {
  it('creates a fresh index with schemaVersion, runs and a datasets placeholder', async () => {
    const home = tempDir();
    const store = await RunStore.open(home);
    expect(store.recovery).toBeNull();
    expect(store.migration).toBeNull();
    expect(readDb(home)).toEqual({ schemaVersion: 3, runs: [], datasets: [], sweeps: [] });
    expect(existsSync(join(home, 'runs'))).toBe(true);
  });

  it('creates a queued run with every field, its folder and run.json', async () => {
    const home = tempDir();
    const store = await RunStore.open(home);
    const run = await store.createRun({ ...input, tags: ['baseline'], notes: 'first', totalSteps: 50_000 });
    expect(run).toMatchObject({
      algo: 'ppo',
      env: 'CartPole-v1',
      config: input.config,
      seed: 7,
      status: 'queued',
      backend: null,
      step: 0,
      totalSteps: 50_000,
      episodes: 0,
      tags: ['baseline'],
      notes: 'first',
      summary: {},
      error: null,
      pid: null,
      startedAt: null,
      endedAt: null,
    });
    expect(run.id).toMatch(/^[0-9a-z]{9}-[0-9a-z]{8}$/);
    expect(run.name).toBe('ppo-CartPole-v1-s7');
    expect(store.runDir(run.id)).toBe(join(home, 'runs', run.id));
    const file = JSON.parse(readFileSync(join(home, 'runs', run.id, 'run.json'), 'utf8'));
    expect(file).toEqual({ schemaVersion: 3, run });
    expect(readDb(home).runs).toEqual([run]);
    expect(store.getRun(run.id)).toEqual(run);
    expect(store.listRuns()).toEqual([run]);
  });

  it('returns copies, so callers cannot change the index behind its back', async () => {
    const store = await RunStore.open(tempDir());
    const run = await store.createRun(input);
    run.status = 'finished';
    store.getRun(run.id).tags.push('x');
    expect(store.getRun(run.id)).toMatchObject({ status: 'queued', tags: [] });
  });

  it('updates status with times, pid and error bookkeeping', async () => {
    const home = tempDir();
    const store = await RunStore.open(home);
    const { id } = await store.createRun(input);
    const running = await store.updateRun(id, { status: 'running', pid: 4242, backend: { name: 'wasm', simd: true, threads: 1, tfjsVersion: '4.22.0', skipped: [] } });
    expect(running.startedAt).not.toBeNull();
    expect(running.endedAt).toBeNull();
    expect(running.pid).toBe(4242);
    const summary = { 'rollout/episodeReturn': { last: 200, lastStep: 4096, min: 9, max: 200, count: 12 } };
    await store.updateRun(id, { step: 4096, episodes: 12, summary });
    const failed = await store.updateRun(id, { status: 'failed', error: new Error('NaN in policy loss') });
    expect(failed.status).toBe('failed');
    expect(failed.endedAt).not.toBeNull();
    expect(failed.pid).toBeNull();
    expect(failed.error?.message).toBe('NaN in policy loss');
    expect(failed.error?.stack).toMatch(/NaN in policy loss/);
    expect(failed.summary).toEqual(summary);
    // A resume goes back to running: startedAt is kept, endedAt and error are cleared.
    const resumed = await store.updateRun(id, { status: 'running', pid: 4343 });
    expect(resumed.startedAt).toBe(running.startedAt);
    expect(resumed.endedAt).toBeNull();
    expect(resumed.error).toBeNull();
    // Reopened without the liveness pass (pid 4343 is not a live process here).
    const reopened = await RunStore.open(home, { reconcile: false });
    expect(reopened.getRun(id)).toEqual(resumed);
  });

  it('accepts every status of the enum and nothing else', async () => {
    const store = await RunStore.open(tempDir());
    const { id } = await store.createRun(input);
    for (const status of RUN_STATUSES) expect((await store.updateRun(id, { status })).status).toBe(status);
    await expectStoreError(store.updateRun(id, { status: 'paused' as never }), 'INVALID_INPUT', /status/);
  });

  it('rejects bad input with clear errors and writes nothing', async () => {
    const home = tempDir();
    const store = await RunStore.open(home);
    const { id } = await store.createRun(input);
    const before = readFileSync(join(home, 'db.json'), 'utf8');
    await expectStoreError(store.updateRun('nope', { step: 1 }), 'UNKNOWN_RUN', /unknown run id "nope"/);
    await expectStoreError(() => store.getRun('missing'), 'UNKNOWN_RUN', /missing/);
    await expectStoreError(() => store.runDir('../etc'), 'UNKNOWN_RUN', /\.\.\/etc/);
    await expectStoreError(store.updateRun(id, { step: -1 }), 'INVALID_INPUT', /step/);
    await expectStoreError(store.updateRun(id, { config: {} } as never), 'INVALID_INPUT', /config/);
    await expectStoreError(store.createRun({ ...input, seed: 1.5 }), 'INVALID_INPUT', /createRun\.seed/);
    await expectStoreError(store.createRun({ ...input, algo: '' }), 'INVALID_INPUT', /createRun\.algo/);
    await expectStoreError(store.createRun({ ...input, config: { lr: Number.NaN } }), 'INVALID_INPUT', /config\.lr must be a finite number/);
    await expectStoreError(store.createRun({ ...input, config: { when: new Date() } }), 'INVALID_INPUT', /plain object/);
    await expectStoreError(store.deleteRun('nope'), 'UNKNOWN_RUN', /nope/);
    expect(readFileSync(join(home, 'db.json'), 'utf8')).toBe(before);
    expect(readdirSync(join(home, 'runs'))).toEqual([id]);
  });

  it('coalesces concurrent updates into few writes without losing any', async () => {
    const home = tempDir();
    const store = await RunStore.open(home);
    const runs = await Promise.all(Array.from({ length: 20 }, (_, i) => store.createRun({ ...input, seed: i })));
    await Promise.all(runs.flatMap((r, i) => Array.from({ length: 10 }, (_, k) => store.updateRun(r.id, { step: i * 100 + k }))));
    const db = readDb(home);
    expect(db.runs).toHaveLength(20);
    for (const [i, r] of runs.entries()) {
      expect(db.runs.find((x) => x.id === r.id)?.step).toBe(i * 100 + 9);
      expect(JSON.parse(readFileSync(join(home, 'runs', r.id, 'run.json'), 'utf8')).run.step).toBe(i * 100 + 9);
    }
    expect(existsSync(join(home, '.db.json.tmp'))).toBe(false);
  });

  it('lists runs oldest first, filtered by status', async () => {
    const store = await RunStore.open(tempDir());
    const a = await store.createRun({ ...input, seed: 1 });
    const b = await store.createRun({ ...input, seed: 2 });
    await store.updateRun(b.id, { status: 'running', pid: process.pid });
    expect(store.listRuns().map((r) => r.id)).toEqual([a.id, b.id]);
    expect(store.listRuns({ status: 'running' }).map((r) => r.id)).toEqual([b.id]);
    expect(store.listRuns({ status: ['queued', 'running'] })).toHaveLength(2);
  });

  it('deletes a run and its folder, but not while its process is alive', async () => {
    const home = tempDir();
    const store = await RunStore.open(home);
    const run = await store.createRun(input);
    await store.updateRun(run.id, { status: 'running', pid: process.pid });
    await expectStoreError(store.deleteRun(run.id), 'RUN_ACTIVE', /stop it before deleting/);
    await store.updateRun(run.id, { status: 'stopped' });
    await store.deleteRun(run.id);
    expect(store.findRun(run.id)).toBeUndefined();
    expect(readdirSync(join(home, 'runs'))).toEqual([]);
    expect(readDb(home).runs).toEqual([]);
  });

  it('reconciles running runs whose process is gone: crashed, last logged step kept', async () => {
    const home = tempDir();
    const store = await RunStore.open(home);
    const dead = await store.createRun({ ...input, seed: 1 });
    const alive = await store.createRun({ ...input, seed: 2 });
    const queued = await store.createRun({ ...input, seed: 3 });
    await store.updateRun(dead.id, { status: 'running', pid: 111, step: 100 });
    await store.updateRun(alive.id, { status: 'running', pid: 222 });
    const w = new MetricWriter(store.runDir(dead.id));
    w.append(256, { 'train/policyLoss': 0.5 });
    w.append(512, { 'train/policyLoss': -0.25 });
    await w.close();
    const changed = await store.reconcile((run) => run.pid === 222 || run.status === 'queued');
    expect(changed.map((r) => r.id)).toEqual([dead.id]);
    const r = store.getRun(dead.id);
    expect(r).toMatchObject({ status: 'crashed', step: 512, pid: null });
    expect(r.endedAt).not.toBeNull();
    expect(r.error?.message).toMatch(/pid 111.*crashed at step 512/);
    expect(r.summary['train/policyLoss']).toEqual({ last: -0.25, lastStep: 512, min: -0.25, max: 0.5, count: 2 });
    expect(store.getRun(alive.id).status).toBe('running');
    expect(store.getRun(queued.id).status).toBe('queued');
    expect((await RunStore.open(home)).getRun(dead.id).status).toBe('crashed');
  });

  it('the default liveness check sees this process alive and a finished child dead', async () => {
    const store = await RunStore.open(tempDir());
    const self = await store.createRun({ ...input, seed: 1 });
    const child = await store.createRun({ ...input, seed: 2 });
    const finished = spawnSync(process.execPath, ['-e', '0']);
    expect(finished.status).toBe(0);
    await store.updateRun(self.id, { status: 'running', pid: process.pid });
    await store.updateRun(child.id, { status: 'running', pid: finished.pid });
    expect((await store.reconcile()).map((r) => r.id)).toEqual([child.id]);
    expect(store.getRun(self.id).status).toBe('running');
  });

  it('adopts a run folder the index does not list (crash between run.json and db.json)', async () => {
    const home = tempDir();
    const store = await RunStore.open(home);
    const run = await store.createRun(input);
    await store.close();
    const db = readDb(home);
    db.runs = [];
    writeFileSync(join(home, 'db.json'), JSON.stringify(db));
    const reopened = await RunStore.open(home, { reconcile: false });
    expect(reopened.recovery).toBeNull();
    expect(reopened.adoptedRunIds).toEqual([run.id]);
    expect(reopened.getRun(run.id)).toEqual(run);
  });

  it('keeps a datasets index of dataset summaries (datasets-schema.ts), validated', async () => {
    const home = tempDir();
    const store = await RunStore.open(home);
    const t = new Date().toISOString();
    const entry = {
      id: 'hh-tiny', name: 'tiny', task: null, createdAt: t, updatedAt: t, size: 3, pending: 0, deleted: 0,
      labels: { a: 2, b: 1, tie: 0, skip: 0 }, sources: { human: 3, oracle: 0, import: 0 }, labellers: ['ann'],
      oracle: null, trainedRunIds: [], exportedAt: null,
    };
    await store.updateDatasets((d) => [...d, entry]);
    expect((await RunStore.open(home)).listDatasets()).toEqual([entry]);
    await expectStoreError(store.updateDatasets(() => [{ ...entry, id: '' }]), 'INVALID_INPUT', /datasets\.id: must be lower-case/);
    await expectStoreError(store.updateDatasets(() => [{ ...entry, rows: 3 } as never]), 'INVALID_INPUT', /datasets/);
  });

  it('refuses changes after close', async () => {
    const store = await RunStore.open(tempDir());
    await store.close();
    await expectStoreError(store.createRun(input), 'CLOSED', /closed/);
  });
});
