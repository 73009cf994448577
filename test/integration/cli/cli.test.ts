/**
 * The command line, as a person uses it: bad flags give one clear message and exit 2; a short real `train` writes a
 * run that `runs` lists and `export` writes out; Ctrl-C (SIGINT) stops cleanly with a checkpoint and status
 * `stopped`, and `--resume` finishes the run.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { listCheckpoints, RunStore } from '../../../core/store/index.js';

const CLI = join(process.cwd(), 'bin/policylab.mjs');
const homes: string[] = [];
afterAll(() => homes.forEach((h) => rmSync(h, { recursive: true, force: true })));

function newHome(): string {
  const h = mkdtempSync(join(tmpdir(), 'policylab-cli-'));
  homes.push(h);
  return h;
}

function cli(home: string, args: string[], env: Record<string, string> = {}): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    env: { ...process.env, POLICYLAB_HOME: home, ...env },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

async function readRun(home: string, id: string) {
  const store = await RunStore.open(home);
  try {
    return store.getRun(id);
  } finally {
    await store.close();
  }
}

describe('policylab train: flag validation', () => {
  it('rejects an unknown flag, listing the valid ones', () => {
    const r = cli(newHome(), ['train', '--algo', 'ppo', '--env', 'CartPole-v1', '--clip-cof', '0.1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown option --clip-cof for PPO (did you mean --clip-coef?)');
    expect(r.stderr).toContain('--gae-lambda');
  });

  it('rejects out-of-range and mistyped values, naming the flag', () => {
    const home = newHome();
    const a = cli(home, ['train', '--algo', 'ppo', '--env', 'CartPole-v1', '--clip-coef', '1.5']);
    expect(a.code).toBe(2);
    expect(a.stderr).toContain('--clip-coef must be < 1, got 1.5');
    const b = cli(home, ['train', '--algo', 'a2c', '--env', 'CartPole-v1', '--lr', 'fast']);
    expect(b.stderr).toContain('--lr expects a decimal number, got "fast"');
    const c = cli(home, ['train', '--algo', 'ppo', '--env', 'Pong-v5']);
    expect(c.stderr).toMatch(/unknown env "Pong-v5"; valid: CartPole-v1/);
    const d = cli(home, ['train', '--env', 'CartPole-v1']);
    expect(d.stderr).toMatch(/--algo is required \(one of reinforce, a2c, ppo, trpo\b/);
    // Nothing was recorded for rejected commands.
    expect(JSON.parse(cli(home, ['runs', '--json']).stdout)).toEqual([]);
  });
});

describe('usage errors exit 2 and name the flag', () => {
  const cases: [string[], RegExp][] = [
    [['train', '--algo', 'ppo', '--env', 'CartPole-v1', '--total-steps', '1e30'], /--total-steps must be a decimal integer in \[1, 9007199254740991\] \(digits only\), got "1e30"/],
    [['train', '--algo', 'ppo', '--env', 'CartPole-v1', '--total-steps', `1${'0'.repeat(30)}`], /--total-steps must be ≤ 9007199254740991, got 1000000000000000000000000000000$/m],
    [['train', '--algo', 'ppo', '--env', 'CartPole-v1', '--total-steps', '9007199254740993'], /--total-steps must be ≤ 9007199254740991, got 9007199254740993/],
    [['train', '--algo', 'ppo', '--env', 'CartPole-v1', '--seed', '0x10'], /--seed must be a decimal integer in \[0, 9007199254740991\] \(digits only\), got "0x10"/],
    [['train', '--algo', 'ppo', '--env', 'CartPole-v1', '--seed', ' 16'], /--seed must be a decimal integer .*, got " 16"/],
    [['train', '--algo', 'ppo', '--env', 'CartPole-v1', '--seed', '-1'], /--seed must be ≥ 0, got -1/],
    [['train', '--algo', 'ppo', '--env', 'CartPole-v1', '--num-envs', '0x10'], /--num-envs expects a decimal integer, got "0x10"/],
    [['train', '--algo', 'ppo', '--env', 'CartPole-v1', '--num-envs', '1e3'], /--num-envs expects a decimal integer, got "1e3"/],
    [['train', '--algo', 'ppo', '--env', 'CartPole-v1', '--num-envs=16 '], /--num-envs expects a decimal integer, got "16 "/],
    [['train', '--algo', 'ppo', '--env', 'CartPole-v1', '--num-envs', '99999999999999999999'], /^error: --num-envs must be ≤ 9007199254740991, got 99999999999999999999\n$/],
    [['train', '--algo', 'ppo', '--env', 'CartPole-v1', '--num-envs', '2000'], /--num-envs must be ≤ 1024, got 2000/],
    [['train', '--algo', 'ppo', '--env', 'CartPole-v1', '--hidden-sizes', '64,0x10'], /--hidden-sizes expects comma-separated numbers/],
    [['train', '--algo', 'ppo', '--env', 'CartPole-v1', 'extra'], /unexpected argument "extra"/],
    [['train', '--algo', 'ppo', '--env', 'CartPole-v1', '--total-steps'], /option '--total-steps <n>' argument missing/],
    [['train', '--algo', 'nosuch', '--env', 'CartPole-v1'], /unknown algorithm "nosuch"; valid: reinforce, a2c, ppo, trpo/],
    [['train', '--algo', 'ppo', '--env', 'CartPole-v1', '--lr', '0x10'], /--lr expects a decimal number, got "0x10"/],
    [['train', '--algo', 'ppo', '--env', 'CartPole-v1', '--preset', '__proto__'], /--preset must be one of CartPole-v1, .*none for PPO, got "__proto__"/],
    [['train', '--algo', 'ppo', '--env', 'CartPole-v1', '--preset', 'toString'], /--preset must be one of .*, got "toString"/],
    [['train', '--algo', 'ppo', '--env', 'CartPole-v1', '--num-minibatches', '100000'], /--num-minibatches: must be ≤ numEnvs · numSteps = 8 · 32 = 256/],
    [['train', '--algo', 'ppo', '--env', 'CartPole-v1', '--preset', 'none', '--num-envs', '2', '--num-steps', '3', '--num-minibatches', '7'], /--num-minibatches: must be ≤ numEnvs · numSteps = 2 · 3 = 6 .*got 7/],
    [['train', '--resume', 'nosuch-run'], /no run "nosuch-run"/],
    [['train', '--algo', 'ppo', '--env', 'CartPole-v1', '--restart'], /--restart only applies with --resume/],
    [['export', '--format', 'xml', '--out', 'x', 'a'], /--format must be csv or json, got "xml"/],
    [['serve', '--max-runs', '0'], /--max-runs must be ≥ 1, got 0/],
    [['serve', '--max-runs', '1e1'], /--max-runs must be a decimal integer in \[1, 64\] \(digits only\), got "1e1"/],
    [['serve', '--port', '0x10'], /--port must be a decimal integer in \[0, 65535\] \(digits only\), got "0x10"/],
    [['serve', '--port', '65536'], /--port must be ≤ 65535, got 65536/],
    [['runs', '--bogus'], /unknown option '--bogus'/],
    [['algos', 'nosuch'], /unknown algorithm "nosuch"/],
  ];
  for (const [args, message] of cases) {
    it(args.join(' '), () => {
      const home = newHome();
      const r = cli(home, args);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/createRun|Too big|at .*\.ts:\d+/);
    });
  }
});

describe('policylab train → runs → export', () => {
  it('a short real run is stored, listed and exported', () => {
    const home = newHome();
    const t = cli(home, ['train', '--algo', 'ppo', '--env', 'CartPole-v1', '--seed', '3', '--total-steps', '2048', '--num-envs', '4', '--no-progress', '--tags', 'ci,short']);
    expect(t.code, t.stderr).toBe(0);
    const id = /run (\S+): PPO on CartPole-v1/.exec(t.stdout)?.[1];
    expect(id).toBeTruthy();
    expect(t.stdout).toContain(`finished run ${id} at step 2,048`);

    const list = cli(home, ['runs', '--json']);
    const runs = JSON.parse(list.stdout) as { id: string; status: string; step: number; seed: number; tags: string[]; config: Record<string, unknown>; backend: { name: string } | null; summary: Record<string, unknown> }[];
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ id, status: 'finished', step: 2048, seed: 3, tags: ['ci', 'short'] });
    expect(runs[0].config.numEnvs).toBe(4);
    expect(runs[0].backend?.name).toBeTruthy();
    expect(Object.keys(runs[0].summary)).toContain('train/policyLoss');
    expect(cli(home, ['runs']).stdout).toContain(id);

    const out = join(home, 'export.csv');
    const e = cli(home, ['export', '--format', 'csv', '--out', out, id!]);
    expect(e.code, e.stderr).toBe(0);
    const csv = readFileSync(out, 'utf8');
    expect(csv.split(/\r?\n/)[0]).toBe('run_id,run,key,step,wall_time,value');
    expect(csv).toContain('train/policyLoss');

    // A relative --out is where the user typed the command: npm runs scripts in the package folder and says where
    // the user was in INIT_CWD.
    const relative = cli(home, ['export', '--format', 'json', '--out', 'relative.json', id!], { INIT_CWD: home });
    expect(relative.code, relative.stderr).toBe(0);
    expect(relative.stdout).toContain(join(home, 'relative.json'));
    expect(existsSync(join(home, 'relative.json'))).toBe(true);
  });
});

describe('Ctrl-C', () => {
  it('SIGINT stops the run with a checkpoint and status stopped; --resume finishes it', async () => {
    const home = newHome();
    const child = spawn(process.execPath, [CLI, 'train', '--algo', 'ppo', '--env', 'CartPole-v1', '--total-steps', '5000000', '--no-progress'], {
      env: { ...process.env, POLICYLAB_HOME: home },
    });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', () => undefined);
    const id = await new Promise<string>((resolve, reject) => {
      const timer = setInterval(() => {
        const m = /run (\S+): PPO/.exec(stdout);
        if (m && existsSync(join(home, 'runs', m[1], 'metrics.jsonl'))) {
          clearInterval(timer);
          resolve(m[1]);
        }
      }, 100);
      child.on('exit', () => reject(new Error(`exited early: ${stdout}`)));
    });
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(code).toBe(130);
    expect(stdout).toContain(`stopped run ${id}`);
    const run = await readRun(home, id);
    expect(run.status).toBe('stopped');
    expect(run.step).toBeGreaterThan(0);
    expect(run.pid).toBeNull();
    const checkpoints = await listCheckpoints(join(home, 'runs', id));
    expect(checkpoints.at(-1)?.step).toBe(run.step);

    const resumed = cli(home, ['train', '--resume', id, '--total-steps', String(run.step + 1024), '--no-progress']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toContain(`resuming from step ${run.step}`);
    const done = await readRun(home, id);
    expect(done.status).toBe('finished');
    expect(done.step).toBeGreaterThanOrEqual(run.step + 1024);
  });
});
