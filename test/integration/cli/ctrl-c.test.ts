/**
 * One Ctrl-C through `npm run train` stops cleanly with a checkpoint, every time: SIGINT goes to the whole process
 * group, as a terminal sends it (npm, the shell and node all get it, and npm relays it once more). A second Ctrl-C
 * after the visible hint quits at once. The npm script runs the compiled CLI (bin/policylab.mjs): no TypeScript
 * loader relays or escalates the signal.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import lockfile from 'proper-lockfile';
import { LOCKS_DIR, type RunRecord } from '../../../core/store/index.js';
import { DUPLICATE_SIGINT_MS, interruptHandler } from '../../../core/cli/train.js';
import { REPO, until } from '../folder/cli.js';

const home = mkdtempSync(join(tmpdir(), 'policylab-ctrlc-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));

/** `npm run train` (or, with `via: 'node'`, the launcher itself, to see its own exit code) in its own process group. */
function npmTrain(name: string, numSteps = 1024, via: 'npm' | 'node' = 'npm') {
  const flags = ['--algo', 'ppo', '--env', 'CartPole-v1', '--no-progress', '--num-envs', '2', '--num-steps', String(numSteps), '--total-steps', '50000000', '--name', name];
  const [command, args] = via === 'npm' ? ['npm', ['run', '--silent', 'train', '--', ...flags]] : [process.execPath, [join(REPO, 'bin/policylab.mjs'), 'train', ...flags]];
  const child = spawn(command, args, {
    cwd: REPO,
    env: { ...process.env, POLICYLAB_HOME: home },
    detached: true, // its own process group, like a job in a terminal
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  let out = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  // npm passes the interrupt on: it exits by the same signal once its child has exited (or with the child's code).
  const exited = new Promise<string>((r) => child.on('exit', (code, signal) => r(signal ?? String(code))));
  return { child, exited, stderr: () => err, stdout: () => out };
}

function findRun(name: string): RunRecord | null {
  if (!existsSync(join(home, 'runs'))) return null;
  for (const id of readdirSync(join(home, 'runs'))) {
    try {
      const r = (JSON.parse(readFileSync(join(home, 'runs', id, 'run.json'), 'utf8')) as { run: RunRecord }).run;
      if (r.name === name) return r;
    } catch {
      /* being written */
    }
  }
  return null;
}

async function underWay(name: string, withMetrics = true): Promise<RunRecord> {
  return until(`${name} to train`, () => {
    const r = findRun(name);
    return r && r.status === 'running' && (!withMetrics || existsSync(join(home, 'runs', r.id, 'metrics.jsonl'))) ? r : null;
  });
}

describe('Ctrl-C through npm run train', () => {
  it('stops cleanly with a checkpoint 20 times out of 20', async () => {
    const outcomes: { exit: string; status: string; checkpoint: boolean }[] = [];
    const once = async (i: number) => {
      const t = npmTrain(`ctrl-c-${i}`);
      const r = await underWay(`ctrl-c-${i}`);
      process.kill(-t.child.pid!, 'SIGINT');
      const exit = await t.exited;
      const after = findRun(`ctrl-c-${i}`)!;
      const dir = join(home, 'runs', r.id, 'checkpoints');
      outcomes.push({ exit: exit === '130' ? 'SIGINT' : exit, status: after.status, checkpoint: existsSync(dir) && readdirSync(dir).some((n) => /^\d+$/.test(n)) });
      expect(t.stderr()).toMatch(/press Ctrl-C again to quit now/);
    };
    for (let i = 0; i < 20; i += 2) await Promise.all([once(i), once(i + 1)]);
    expect(outcomes).toEqual(Array.from({ length: 20 }, () => ({ exit: 'SIGINT', status: 'stopped', checkpoint: true })));
  });

  it('a second Ctrl-C after the hint quits at once, without waiting for the stop to finish', async () => {
    // The launcher itself, not npm: npm exits by SIGINT whatever its child did, and this test needs node's own code
    // (130 from the quit; a clean stop cannot finish here, and a wait for the lock would end in 1 after ~40 s).
    const t = npmTrain('ctrl-c-twice', 128, 'node');
    const r = await underWay('ctrl-c-twice');
    // Hold the run's record lock (as another process updating it would): the clean stop then saves its checkpoint
    // and waits to write the final status, which keeps it from finishing before the second Ctrl-C lands.
    const release = await lockfile.lock(join(home, LOCKS_DIR, r.id), { realpath: false, stale: 5_000, update: 1_000, retries: { retries: 200, minTimeout: 10, maxTimeout: 50 } });
    try {
      process.kill(-t.child.pid!, 'SIGINT');
      await until('the stop hint', () => /press Ctrl-C again to quit now/.test(t.stderr()));
      await new Promise((resolve) => setTimeout(resolve, DUPLICATE_SIGINT_MS + 300)); // a new keypress, not npm's relay
      process.kill(-t.child.pid!, 'SIGINT');
      expect(await t.exited).toBe('130');
      // Quit, not a finished stop: the final record was never written (the next open marks the run crashed).
      expect(t.stdout()).not.toContain('stopped run');
      expect(t.stderr()).not.toMatch(/error/);
      expect(findRun('ctrl-c-twice')!.status).toBe('running');
    } finally {
      await release();
    }
    // As README says: the next reader sees its owner gone and marks it crashed, resumable from a checkpoint.
    const listed = spawnSync(process.execPath, [join(REPO, 'bin/policylab.mjs'), 'runs', '--json'], { env: { ...process.env, POLICYLAB_HOME: home }, encoding: 'utf8' });
    expect((JSON.parse(listed.stdout) as RunRecord[]).find((x) => x.id === r.id)?.status).toBe('crashed');
    expect(readdirSync(join(home, 'runs', r.id, 'checkpoints')).some((n) => /^\d+$/.test(n))).toBe(true);
  });

  it('a relayed copy of the same Ctrl-C is ignored; a later one quits (the timing rule, on a controlled clock)', () => {
    let t = 0;
    const calls: string[] = [];
    const onSigint = interruptHandler({ stop: () => calls.push('stop'), quit: () => calls.push('quit') }, () => t);
    onSigint();
    t = DUPLICATE_SIGINT_MS - 1;
    onSigint(); // npm's relay of the same keypress
    expect(calls).toEqual(['stop']);
    t = DUPLICATE_SIGINT_MS + 700;
    onSigint();
    expect(calls).toEqual(['stop', 'quit']);
  });
});
