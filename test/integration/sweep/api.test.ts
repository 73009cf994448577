/**
 * Sweeps over the contract (sweeps:start/list/get/stop), with real training processes of the runner's fake worker
 * (test/unit/runner/fixtures/fake-worker.ts: real metrics, checkpoints and stop handling, training-speed independent).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunInfo } from '../../../core/api/contract.js';
import type { SweepDetail, SweepInfo } from '../../../core/api/sweeps.js';
import type { AppBackend } from '../../../core/runner/service.js';
import { processStartTime, RunStore } from '../../../core/store/index.js';
import type { SweepRecord } from '../../../core/store/schema.js';
import { call, EventLog, openFake, tempHome } from '../../unit/runner/helpers.js';
import { until } from '../folder/cli.js';

let backend: AppBackend;
let home: string;
let cleanup: () => void;
beforeEach(async () => {
  const t = tempHome();
  home = t.home;
  cleanup = t.cleanup;
  backend = await openFake(home, { maxConcurrent: 1 });
});
afterEach(async () => {
  await backend.close();
  cleanup();
});

const grid = (totalSteps: number, tickMs: number[]) => ({
  algo: 'fake',
  env: 'CartPole-v1',
  totalSteps,
  method: 'grid',
  parameters: { tickMs: { values: tickMs }, stepsPerTick: { values: [10] } },
  seeds: [1, 2],
});

async function invokeError(channel: string, payload: unknown) {
  const r = await backend.invoke(channel, payload);
  if (r.ok) throw new Error(`${channel} succeeded`);
  return r.error;
}

/** The record of a running one-point sweep 'cli-sweep' that another process (`owner`) saved. */
function cliSweep(owner: SweepRecord['owner'], runs: SweepRecord['runs']): SweepRecord {
  const t = new Date().toISOString();
  return {
    id: 'cli-sweep',
    name: 'from the CLI',
    spec: { algo: 'fake', env: 'CartPole-v1', method: 'grid', parameters: { tickMs: { values: [1] } }, seeds: [1] },
    status: 'running',
    points: [{ index: 0, params: { tickMs: 1 } }],
    runs,
    plannedRuns: 1,
    createdAt: t,
    updatedAt: t,
    endedAt: null,
    owner,
    error: null,
  };
}

describe('sweeps over the API', () => {
  it('queues the runs under Runs at once, finishes, and reports results per configuration', async () => {
    const log = new EventLog(backend);
    const started = await call<SweepInfo>(backend, 'sweeps:start', { spec: grid(60, [2, 3]) });
    expect(started).toMatchObject({ status: 'running', method: 'grid', parameters: ['tickMs', 'stepsPerTick'], seeds: [1, 2], points: 2, plannedRuns: 4 });
    const finished = await until('the sweep to finish', async () => {
      const s = await call<SweepDetail>(backend, 'sweeps:get', { id: started.id });
      return s.status === 'finished' ? s : null;
    });
    expect(finished.runCounts).toEqual({ finished: 4 });
    expect(finished.results.map((p) => [p.params, p.n, p.mean])).toEqual([
      [{ tickMs: 2, stepsPerTick: 10 }, 2, 6],
      [{ tickMs: 3, stepsPerTick: 10 }, 2, 6],
    ]);
    expect(finished.metrics).toEqual(['rollout/episodeReturn', 'train/loss']);
    const loss = await call<SweepDetail>(backend, 'sweeps:get', { id: started.id, metric: 'train/loss' });
    expect(loss.resultMetric).toBe('train/loss');
    expect(loss.results[0]!.mean).toBeCloseTo(1 / 60, 10);
    // One at once: never two sweep runs running together.
    let running = 0;
    let most = 0;
    const state = new Map<string, string>();
    for (const e of log.events) {
      if (e.event !== 'run:status') continue;
      const before = state.get(e.payload.id);
      state.set(e.payload.id, e.payload.status);
      if (e.payload.status === 'running' && before !== 'running') running++;
      if (before === 'running' && e.payload.status !== 'running' && e.payload.status !== 'stopping') running--;
      most = Math.max(most, running);
    }
    expect(most).toBe(1);
    const runs = await call<RunInfo[]>(backend, 'runs:list');
    expect(runs.filter((r) => r.tags.includes(`sweep:${started.id}`))).toHaveLength(4);
    expect((await call<SweepInfo[]>(backend, 'sweeps:list')).map((s) => s.id)).toEqual([started.id]);
  });

  it('stops as a whole: queued runs never start, the running one stops', async () => {
    const started = await call<SweepInfo>(backend, 'sweeps:start', { spec: grid(1_000_000, [20, 30]) });
    await until('every run to be made and one to train', async () => {
      const { runCounts } = await call<SweepDetail>(backend, 'sweeps:get', { id: started.id });
      return runCounts.running === 1 && runCounts.queued === 3;
    });
    const stopping = await call<SweepInfo>(backend, 'sweeps:stop', { id: started.id });
    expect(['stopping', 'stopped']).toContain(stopping.status);
    const stopped = await until('the sweep to stop', async () => {
      const s = await call<SweepDetail>(backend, 'sweeps:get', { id: started.id });
      return s.status === 'stopped' ? s : null;
    });
    expect(stopped.runCounts).toEqual({ stopped: 4 });
    const runs = (await call<RunInfo[]>(backend, 'runs:list')).filter((r) => r.tags.includes(`sweep:${started.id}`));
    expect(runs.filter((r) => r.startedAt !== null)).toHaveLength(1);
    expect(runs.filter((r) => r.startedAt === null).every((r) => r.step === 0)).toBe(true);
    expect((await invokeError('sweeps:stop', { id: started.id })).message).toMatch(/already stopped/);
  });

  it('repeats a random search: the same samplerSeed gives the same configurations, run with the same seeds', async () => {
    const spec = { algo: 'fake', env: 'CartPole-v1', totalSteps: 20, method: 'random', count: 3, samplerSeed: 5, parameters: { tickMs: { min: 1, max: 9, int: true } }, seeds: [4, 9] };
    const a = await call<SweepInfo>(backend, 'sweeps:start', { spec });
    const b = await call<SweepInfo>(backend, 'sweeps:start', { spec });
    const c = await call<SweepInfo>(backend, 'sweeps:start', { spec: { ...spec, samplerSeed: 6 } });
    const done = (id: string) => until(`sweep ${id} to finish`, async () => {
      const d = await call<SweepDetail>(backend, 'sweeps:get', { id });
      return d.status === 'finished' ? d : null;
    });
    const [da, db, dc] = [await done(a.id), await done(b.id), await done(c.id)];
    const points = (d: SweepDetail) => d.results.map((p) => p.params.tickMs);
    expect(points(da)).toEqual(points(db));
    expect(points(da)).not.toEqual(points(dc));
    expect(points(da).every((v) => Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 9)).toBe(true);
    const runs = await call<RunInfo[]>(backend, 'runs:list');
    const configs = (id: string) => runs.filter((r) => r.tags.includes(`sweep:${id}`)).map((r) => [r.seed, r.config.tickMs]).sort();
    expect(configs(a.id)).toEqual(configs(b.id));
    expect(configs(a.id).map(([seed]) => seed)).toEqual([4, 4, 4, 9, 9, 9]);
  });

  it('refuses a bad spec with an issue naming the key, and unknown sweeps', async () => {
    const bad = await invokeError('sweeps:start', { spec: { ...grid(60, [2]), parameters: { tickMz: { values: [1] } } } });
    expect(bad.code).toBe('invalid_request');
    expect(bad.message).toMatch(/spec\.parameters\.tickMz: "tickMz" is not a config field of fake/);
    expect(bad.issues?.[0]?.path).toBe('spec.parameters.tickMz');
    const value = await invokeError('sweeps:start', { spec: grid(60, [2, 5000]) });
    expect(value.message).toMatch(/spec\.parameters\.tickMs: must be ≤ 1000, got 5000 \(configuration 1: tickMs=5000, stepsPerTick=10\)/);
    expect((await invokeError('sweeps:start', { spec: 'grid' })).code).toBe('invalid_request');
    expect((await invokeError('sweeps:get', { id: 'nope' })).code).toBe('not_found');
    expect(await call<SweepInfo[]>(backend, 'sweeps:list')).toEqual([]);
    expect(await call<RunInfo[]>(backend, 'runs:list')).toEqual([]);
  });

  it("lists another process's sweep, marking one whose owner is gone stopped", async () => {
    const other = await RunStore.open(home);
    await other.saveSweep(cliSweep({ pid: 2 ** 22 + 12345, startTime: null, host: hostname(), kind: 'cli' }, []));
    await other.close();
    await backend.manager.pollFolder();
    const [listed] = await call<SweepInfo[]>(backend, 'sweeps:list');
    expect(listed).toMatchObject({ id: 'cli-sweep', status: 'stopped', error: expect.stringMatching(/policylab sweep command \(pid \d+\) exited before the sweep ended/) });
    expect((await invokeError('sweeps:stop', { id: 'cli-sweep' })).message).toMatch(/already stopped/);
  });

  it('refuses to stop one run of another process\'s sweep that does not take the request, saying where to stop it', async () => {
    // A live process that is not a RunManager stands in for an owner that never takes stop requests.
    const sleeper = spawn('sleep', ['60'], { stdio: 'ignore' });
    try {
      const owner = { pid: sleeper.pid!, startTime: processStartTime(sleeper.pid!), host: hostname(), kind: 'cli' as const };
      const other = await RunStore.open(home);
      const run = await other.createRun({ algo: 'fake', env: 'CartPole-v1', config: {}, seed: 1, tags: ['sweep:cli-sweep', 'sweep-point:0'], owner });
      await other.updateRun(run.id, { status: 'running', startedAt: new Date() });
      await other.saveSweep(cliSweep(owner, [{ runId: run.id, point: 0, seed: 1 }]));
      await other.close();
      await backend.manager.pollFolder();
      const error = await invokeError('runs:stop', { id: run.id });
      expect(error.code).toBe('conflict');
      expect(error.message).toBe(
        `run ${run.id} belongs to sweep cli-sweep ("from the CLI"), run by a CLI process (pid ${sleeper.pid}), which did not take the stop request within 5 s; ` +
          'stop it there (Ctrl-C in its terminal stops the whole sweep), or stop the whole sweep from the Sweeps view',
      );
      // Nothing left behind for a later owner to act on, and no signal sent: the process still runs.
      expect(existsSync(join(home, 'runs', run.id, 'stop-request.json'))).toBe(false);
      expect(sleeper.exitCode).toBe(null);
      expect((await call<RunInfo>(backend, 'runs:get', { id: run.id })).status).toBe('running');
    } finally {
      sleeper.kill('SIGKILL');
    }
  }, 20_000);
});
