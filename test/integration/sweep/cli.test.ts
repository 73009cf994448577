/**
 * `policylab sweep` with real processes: a 2×1 grid × 2 seeds of tiny CartPole PPO runs trains through the CLI under
 * the concurrency limit and is stored as a sweep; Ctrl-C (SIGINT) stops it as a whole (the running run checkpoints
 * and stops, queued runs never start); a bad spec is refused before anything is created.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunInfo } from '../../../core/api/contract.js';
import type { SweepDetail, SweepInfo } from '../../../core/api/sweeps.js';
import type { RunRecord, SweepRecord } from '../../../core/store/index.js';
import { openAppBackend } from '../../../core/runner/service.js';
import { call } from '../../unit/runner/helpers.js';
import { cli, cliDone, until } from '../folder/cli.js';

const root = mkdtempSync(join(tmpdir(), 'policylab-sweep-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function writeSpec(name: string, spec: unknown): string {
  const path = join(root, name);
  writeFileSync(path, JSON.stringify(spec));
  return path;
}

const tiny = (totalSteps: number) => ({
  algo: 'ppo',
  env: 'CartPole-v1',
  totalSteps,
  config: { numEnvs: 2, numSteps: 64 },
  method: 'grid',
  parameters: { lr: { values: [0.001, 0.0003] } },
  seeds: [1, 2],
});

function db(home: string): { sweeps: SweepRecord[]; runs: RunRecord[] } {
  return JSON.parse(readFileSync(join(home, 'db.json'), 'utf8'));
}

function runFile(home: string, id: string): RunRecord {
  return (JSON.parse(readFileSync(join(home, 'runs', id, 'run.json'), 'utf8')) as { run: RunRecord }).run;
}

describe('policylab sweep', () => {
  it('trains a 2×1 grid × 2 seeds under the concurrency limit and stores it as a sweep', async () => {
    const home = join(root, 'done');
    const { code, stdout, stderr } = await cliDone(home, ['sweep', writeSpec('grid.json', tiny(512)), '--max-runs', '1', '--json']);
    expect(stderr).toMatch(/2 configurations × 2 seeds = 4 runs of 512 steps, 1 at once/);
    expect(code).toBe(0);
    const detail = JSON.parse(stdout) as SweepDetail;
    expect(detail).toMatchObject({ status: 'finished', method: 'grid', parameters: ['lr'], seeds: [1, 2], plannedRuns: 4, runCounts: { finished: 4 } });
    expect(detail.results.map((p) => [p.params.lr, p.runs.map((r) => r.seed), p.n])).toEqual([
      [0.001, [1, 2], 2],
      [0.0003, [1, 2], 2],
    ]);
    for (const p of detail.results) {
      const values = p.runs.map((r) => r.value!);
      expect(p.mean).toBeCloseTo((values[0]! + values[1]!) / 2, 10);
      expect(p.min).toBe(Math.min(...values));
      expect(p.max).toBe(Math.max(...values));
    }

    const index = db(home);
    expect(index.sweeps).toHaveLength(1);
    const sweep = index.sweeps[0]!;
    expect(sweep).toMatchObject({ id: detail.id, status: 'finished', plannedRuns: 4, owner: null, error: null });
    expect(sweep.runs.map((r) => [r.point, r.seed])).toEqual([
      [0, 1],
      [0, 2],
      [1, 1],
      [1, 2],
    ]);
    const runs = sweep.runs.map((r) => ({ ...r, run: runFile(home, r.runId) }));
    for (const { point, seed, run } of runs) {
      expect(run).toMatchObject({ status: 'finished', step: 512, seed, tags: [`sweep:${sweep.id}`, `sweep-point:${point}`] });
      expect(run.config).toMatchObject({ lr: point === 0 ? 0.001 : 0.0003, numEnvs: 2, numSteps: 64 });
      expect(runs.filter((r) => r.run.id === run.id)).toHaveLength(1);
    }
    // One at once: each run started after the one before it had ended.
    const byStart = runs.map((r) => r.run).sort((a, b) => a.startedAt!.localeCompare(b.startedAt!));
    for (let i = 1; i < byStart.length; i++) expect(byStart[i]!.startedAt! >= byStart[i - 1]!.endedAt!).toBe(true);
    expect(existsSync(join(home, 'sweeps', `${sweep.id}.json`))).toBe(true);
  });

  it('stops as a whole on Ctrl-C: the running run checkpoints and stops, queued runs never start', async () => {
    const home = join(root, 'stopped');
    const run = cli(home, ['sweep', writeSpec('long.json', tiny(50_000_000)), '--max-runs', '1']);
    const running = await until('a run of the sweep to train', () => {
      if (!existsSync(join(home, 'runs'))) return null;
      for (const id of readdirSync(join(home, 'runs'))) {
        try {
          const r = runFile(home, id);
          if (r.status === 'running' && existsSync(join(home, 'runs', id, 'checkpoints'))) return r;
        } catch {
          /* being written */
        }
      }
      return null;
    }, 120_000);
    run.child.kill('SIGINT');
    expect(await run.exited).toBe(130);
    expect(run.stdout()).toMatch(/stopping the sweep: queued runs will not start/);
    expect(run.stdout()).toMatch(/sweep \S+ stopped/);

    const sweep = db(home).sweeps[0]!;
    expect(sweep).toMatchObject({ status: 'stopped', owner: null });
    expect(sweep.runs).toHaveLength(4);
    const records = sweep.runs.map((r) => runFile(home, r.runId));
    expect(records.every((r) => r.status === 'stopped')).toBe(true);
    const trained = records.filter((r) => r.startedAt !== null);
    expect(trained.map((r) => r.id)).toEqual([running.id]);
    expect(trained[0]!.step).toBeGreaterThan(0);
    expect(readdirSync(join(home, 'runs', running.id, 'checkpoints')).length).toBeGreaterThan(0);
    for (const r of records.filter((x) => x.id !== running.id)) {
      expect(r.step).toBe(0);
      expect(existsSync(join(home, 'runs', r.id, 'metrics.jsonl'))).toBe(false);
    }
  });

  it("shows in the app while it runs, and the app's Stop stops the CLI's sweep as a whole", async () => {
    const home = join(root, 'from-app');
    const run = cli(home, ['sweep', writeSpec('long2.json', tiny(50_000_000)), '--max-runs', '1']);
    await until('the sweep to be recorded with its runs', () => existsSync(join(home, 'db.json')) && db(home).sweeps[0]?.runs.length === 4, 120_000);
    const backend = await openAppBackend({ home, transport: 'browser' });
    try {
      const listed = await call<SweepInfo[]>(backend, 'sweeps:list');
      expect(listed.map((s) => [s.status, s.owner?.kind, s.owner?.pid])).toEqual([['running', 'cli', run.child.pid]]);
      const id = db(home).sweeps[0]!.id;
      const stopped = await call<SweepInfo>(backend, 'sweeps:stop', { id });
      expect(stopped.status).toBe('stopping');
      expect(await run.exited).toBe(130);
      const sweep = db(home).sweeps[0]!;
      expect(sweep.status).toBe('stopped');
      expect(sweep.runs.map((r) => runFile(home, r.runId).status)).toEqual(['stopped', 'stopped', 'stopped', 'stopped']);
    } finally {
      await backend.close();
    }
  });

  it("the app's Stop on one run of a CLI sweep stops that run only: it checkpoints, the sweep goes on", async () => {
    const home = join(root, 'one-run');
    const run = cli(home, ['sweep', writeSpec('long3.json', tiny(50_000_000)), '--max-runs', '1']);
    const backend = await openAppBackend({ home, transport: 'browser' });
    try {
      const first = await until('a run of the sweep to train with a checkpoint', () => {
        const sweep = existsSync(join(home, 'db.json')) ? db(home).sweeps[0] : undefined;
        if (!sweep || sweep.runs.length < 4) return null;
        const r = runFile(home, sweep.runs[0]!.runId);
        return r.status === 'running' && existsSync(join(home, 'runs', r.id, 'checkpoints')) ? r : null;
      }, 120_000);
      const sweepId = db(home).sweeps[0]!.id;
      // Owned by the `policylab sweep` process, in words that say so.
      const before = await call<RunInfo>(backend, 'runs:get', { id: first.id });
      expect(before.owner).toEqual({ kind: 'cli', pid: run.child.pid });

      const stopping = await call<RunInfo>(backend, 'runs:stop', { id: first.id });
      expect(stopping).toMatchObject({ id: first.id, status: 'stopping' });
      await until('the run to stop', () => runFile(home, first.id).status === 'stopped', 60_000);
      expect(readdirSync(join(home, 'runs', first.id, 'checkpoints')).length).toBeGreaterThan(0);
      // Only that run: the sweep keeps going and its next queued run starts in the freed slot.
      const next = db(home).sweeps[0]!.runs[1]!.runId;
      await until('the next run of the sweep to start', () => runFile(home, next).status === 'running', 60_000);
      expect(db(home).sweeps[0]!.status).toBe('running');
      expect(run.child.exitCode).toBe(null);
      expect(run.stdout()).toMatch(new RegExp(`run ${first.id} \\(#0 lr=0.001, seed 1\\): stopped`));
      expect(readFileSync(join(home, 'runs', first.id, 'logs.jsonl'), 'utf8')).toMatch(/stop requested by a PolicyLab app \(pid \d+\)/);

      // A queued run stops without starting; the stop request is consumed (no file left behind).
      const queued = db(home).sweeps[0]!.runs[3]!.runId;
      expect(runFile(home, queued).status).toBe('queued');
      await call<RunInfo>(backend, 'runs:stop', { id: queued });
      await until('the queued run to stop', () => runFile(home, queued).status === 'stopped', 60_000);
      expect(runFile(home, queued).startedAt).toBe(null);
      expect(existsSync(join(home, 'runs', queued, 'stop-request.json'))).toBe(false);

      // An ended run is refused as before.
      await expect(call(backend, 'runs:stop', { id: first.id })).rejects.toThrow(/is stopped, not running; nothing to stop/);
      await call<SweepInfo>(backend, 'sweeps:stop', { id: sweepId });
      expect(await run.exited).toBe(130);
      expect(db(home).sweeps[0]!.runs.map((r) => runFile(home, r.runId).status)).toEqual(['stopped', 'stopped', 'stopped', 'stopped']);
    } finally {
      run.child.kill('SIGKILL');
      await backend.close();
    }
  });

  it('refuses a bad spec before creating anything, naming the key (exit 2)', async () => {
    const home = join(root, 'bad');
    const bad = { ...tiny(512), parameters: { lr: { values: [0.001] }, clipCoeff: { values: [0.1] } } };
    const { code, stderr } = await cliDone(home, ['sweep', writeSpec('bad.json', bad)]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/spec\.parameters\.clipCoeff: "clipCoeff" is not a config field of ppo/);
    expect(existsSync(join(home, 'db.json'))).toBe(false);
  });
});
