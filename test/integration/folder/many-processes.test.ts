/**
 * One data folder, many processes (issue: CLI and app overwrite each other's index; killed runs stranded;
 * resume without a checkpoint; leftovers). Real processes: the app's back end in this process, the CLI as
 * child processes, SIGKILL from outside.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunInfo } from '../../../core/api/contract.js';
import { openAppBackend, type AppBackend } from '../../../core/runner/service.js';
import { currentOwner, RunStore, type RunRecord } from '../../../core/store/index.js';
import { call, EventLog } from '../../unit/runner/helpers.js';
import { cli, cliDone, until } from './cli.js';

const homes: string[] = [];
const backends: AppBackend[] = [];
function tempHome(): string {
  const h = mkdtempSync(join(tmpdir(), 'policylab-folder-'));
  homes.push(h);
  return h;
}
afterEach(async () => {
  for (const b of backends.splice(0)) await b.close();
  for (const h of homes.splice(0)) rmSync(h, { recursive: true, force: true });
});

function runFile(home: string, id: string): RunRecord {
  return (JSON.parse(readFileSync(join(home, 'runs', id, 'run.json'), 'utf8')) as { run: RunRecord }).run;
}
function index(home: string): RunRecord[] {
  return (JSON.parse(readFileSync(join(home, 'db.json'), 'utf8')) as { runs: RunRecord[] }).runs;
}
const TRAIN = ['train', '--algo', 'ppo', '--env', 'CartPole-v1', '--no-progress', '--num-envs', '2', '--num-steps', '64'];

describe('the app and CLI trainings on one folder', () => {
  it('shows a CLI run live, keeps both processes\' runs in the index, refuses a second trainer, stops it by signal', async () => {
    const home = tempHome();
    const backend = await openAppBackend({ home, transport: 'browser', maxConcurrent: 1 });
    backends.push(backend);
    const log = new EventLog(backend);
    const train = cli(home, [...TRAIN, '--total-steps', '50000000', '--seed', '3']);

    // The CLI's run appears in the open app and streams metrics (tailed from its metrics.jsonl).
    const seen = await log.wait('run:status', (r) => r.owner?.kind === 'cli' && r.status === 'running', 60_000);
    expect(seen.owner?.pid).toBe(train.child.pid);
    await log.wait('run:metrics', (m) => m.id === seen.id && m.records.length > 0, 60_000);

    // A run launched from the app meanwhile: neither index write drops the other's run.
    const [mine] = await call<RunInfo[]>(backend, 'runs:start', { algo: 'ppo', env: 'CartPole-v1', seeds: [1], totalSteps: 2_048 });
    await log.status(mine.id, 'finished');
    await backend.store.flush();
    expect(index(home).map((r) => r.id).sort()).toEqual([seen.id, mine.id].sort());
    expect((await call<RunInfo[]>(backend, 'runs:list')).map((r) => r.id).sort()).toEqual([seen.id, mine.id].sort());

    // A second trainer on the CLI's folder is refused; stop goes to the CLI process as SIGINT (a clean stop).
    await expect(call(backend, 'runs:resume', { id: seen.id })).rejects.toThrow(/being trained by a CLI process \(pid \d+\)/);
    const stopping = await call<RunInfo>(backend, 'runs:stop', { id: seen.id });
    expect(stopping.status).toBe('stopping');
    expect(await train.exited).toBe(130);
    const stopped = await log.wait('run:status', (r) => r.id === seen.id && r.status === 'stopped', 30_000);
    expect(stopped.step).toBeGreaterThan(0);
    const checkpoints = await call<{ step: number }[]>(backend, 'checkpoints:list', { id: seen.id });
    expect(checkpoints.at(-1)?.step).toBe(stopped.step);

    // Every index entry equals its run.json (the truth), and a fresh open agrees.
    await backend.store.flush();
    for (const r of index(home)) expect(r).toEqual(runFile(home, r.id));
    const fresh = await RunStore.open(home);
    expect(fresh.getRun(seen.id).status).toBe('stopped');
    expect(fresh.getRun(mine.id).status).toBe('finished');
  });

  it('a run killed with SIGKILL is crashed for every reader and resumable from the CLI without the app', async () => {
    const home = tempHome();
    const train = cli(home, [...TRAIN, '--total-steps', '50000000', '--checkpoint-interval', '256']);
    const id = await until('the CLI run to checkpoint', () => {
      const runs = existsSync(join(home, 'runs')) ? readdirSync(join(home, 'runs')).filter((n) => !n.startsWith('.')) : [];
      const dir = runs[0] && join(home, 'runs', runs[0], 'checkpoints');
      return dir && existsSync(dir) && readdirSync(dir).some((n) => /^\d+$/.test(n)) ? runs[0] : null;
    });
    await until('the record to say running', () => runFile(home, id).status === 'running');
    train.child.kill('SIGKILL');
    await train.exited;

    const listed = await cliDone(home, ['runs', '--json']);
    expect(listed.code).toBe(0);
    const crashed = (JSON.parse(listed.stdout) as RunRecord[]).find((r) => r.id === id)!;
    expect(crashed.status).toBe('crashed');
    expect(crashed.error?.message).toMatch(/CLI process \(pid \d+\) exited without reporting; marked crashed at step \d+/);

    const resumed = await cliDone(home, ['train', '--resume', id, '--total-steps', String(crashed.step + 512), '--no-progress']);
    expect(resumed.stderr).not.toMatch(/already running/);
    expect(resumed.code).toBe(0);
    expect(runFile(home, id).status).toBe('finished');
  });

  it('a reused pid does not keep a dead run running', async () => {
    const home = tempHome();
    const store = await RunStore.open(home);
    const run = await store.createRun({ algo: 'ppo', env: 'CartPole-v1', config: {}, seed: 1 });
    // An unrelated live process has the pid the record names, but it started at another time.
    const sleeper = spawn('sleep', ['30']);
    try {
      const owner = { ...currentOwner('cli'), pid: sleeper.pid!, startTime: '1' };
      await store.updateRun(run.id, { status: 'running', pid: sleeper.pid!, owner });
      await store.close();
      const listed = await cliDone(home, ['runs', '--json']);
      expect((JSON.parse(listed.stdout) as RunRecord[])[0]).toMatchObject({ id: run.id, status: 'crashed', owner: null });
    } finally {
      sleeper.kill();
    }
  });

  it('a run with no checkpoint: --resume refuses and names --restart; --restart keeps the earlier metrics aside', async () => {
    const home = tempHome();
    const train = cli(home, [...TRAIN, '--total-steps', '50000000', '--checkpoint-interval', '0']);
    const id = await until('metrics on disk', () => {
      const runs = existsSync(join(home, 'runs')) ? readdirSync(join(home, 'runs')).filter((n) => !n.startsWith('.')) : [];
      const f = runs[0] && join(home, 'runs', runs[0], 'metrics.jsonl');
      return f && existsSync(f) && readFileSync(f, 'utf8').includes('\n') ? runs[0] : null;
    });
    train.child.kill('SIGKILL');
    await train.exited;
    const before = readFileSync(join(home, 'runs', id, 'metrics.jsonl'), 'utf8');

    const refused = await cliDone(home, ['train', '--resume', id, '--no-progress']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/no intact checkpoint.*--restart.*kept aside/);
    expect(readFileSync(join(home, 'runs', id, 'metrics.jsonl'), 'utf8')).toBe(before);

    const restarted = await cliDone(home, ['train', '--resume', id, '--restart', '--total-steps', '512', '--no-progress']);
    expect(restarted.code).toBe(0);
    expect(restarted.stdout).toMatch(/restarting run .* from step 0; earlier metrics kept in .*before-restart-/);
    const aside = readdirSync(join(home, 'runs', id)).filter((n) => n.startsWith('metrics.jsonl.before-restart-'));
    expect(aside).toHaveLength(1);
    expect(readFileSync(join(home, 'runs', id, aside[0]), 'utf8')).toBe(before);
    expect(runFile(home, id)).toMatchObject({ status: 'finished', step: 512 });
  });
});

describe('leftovers', () => {
  it('removes stale temp files at open and prunes index entries whose folder is gone (and says so)', async () => {
    const home = tempHome();
    const store = await RunStore.open(home);
    const keep = await store.createRun({ algo: 'ppo', env: 'CartPole-v1', config: {}, seed: 1 });
    const gone = await store.createRun({ algo: 'ppo', env: 'CartPole-v1', config: {}, seed: 2 });
    await store.updateRun(gone.id, { status: 'finished' });
    await store.close();
    const dir = join(home, 'runs', keep.id);
    const stale = [join(dir, '.metrics.jsonl.0a1b2c3d.tmp'), join(dir, '.run.json.deadbeef.tmp'), join(home, '.db.json.tmp')];
    const fresh = join(dir, '.run.json.12345678.tmp'); // a write in progress right now: left alone
    for (const f of [...stale, fresh]) writeFileSync(f, 'x');
    const old = new Date(Date.now() - 10 * 60_000);
    for (const f of stale) utimesSync(f, old, old);
    rmSync(join(home, 'runs', gone.id), { recursive: true });

    const reopened = await RunStore.open(home);
    const c = await reopened.createRun({ algo: 'ppo', env: 'CartPole-v1', config: {}, seed: 3 }); // an index write
    await reopened.close();
    for (const f of stale) expect(existsSync(f), f).toBe(false);
    expect(existsSync(fresh)).toBe(true);
    expect(index(home).map((r) => r.id).sort()).toEqual([keep.id, c.id].sort());
    expect(reopened.notices.some((n) => n.kind === 'index-pruned' && n.message.includes(gone.id))).toBe(true);
  });
});

describe('the app killed while its child trains', () => {
  it('the run stays running while the orphaned child saves its checkpoint, then is crashed and resumable from the CLI', async () => {
    const home = tempHome();
    const script = new URL('./fixtures/app-host.ts', import.meta.url).pathname;
    const app = spawn(process.execPath, ['--import', 'tsx', script, home], { cwd: new URL('../../..', import.meta.url).pathname });
    let out = '';
    app.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const id = await until('the app to start its run', () => out.trim().split('\n')[0]);
    const running = await until('a checkpoint while running', () => {
      const r = runFile(home, id);
      const ckpts = join(home, 'runs', id, 'checkpoints');
      return r.status === 'running' && r.pid && existsSync(ckpts) && readdirSync(ckpts).some((n) => /^\d+$/.test(n)) ? r : null;
    });
    expect(running.owner?.pid).toBe(app.pid);
    expect(running.pidStartTime).toBeTruthy();
    app.kill('SIGKILL');
    await new Promise((r) => app.on('exit', r));

    // The child notices its parent is gone, saves a checkpoint and exits; until then the run is not crashed.
    const childAlive = (() => {
      try {
        process.kill(running.pid!, 0);
        return true;
      } catch {
        return false;
      }
    })();
    if (childAlive) {
      const s = await RunStore.open(home);
      expect(s.getRun(id).status).toBe('running');
      await s.close();
    }
    await until('the child to exit', () => {
      try {
        process.kill(running.pid!, 0);
        return false;
      } catch {
        return true;
      }
    });
    const listed = await cliDone(home, ['runs', '--json']);
    expect((JSON.parse(listed.stdout) as RunRecord[])[0]).toMatchObject({ id, status: 'crashed' });
    const resumed = await cliDone(home, ['train', '--resume', id, '--total-steps', String(runFile(home, id).step + 256), '--no-progress']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toMatch(/resuming from step/);
  });
});
