/**
 * Start-up of the command line, timed from outside (the launching process), as a user waits for it:
 * - `node bin/policylab.mjs algos`: the floor (launcher + compiled CLI, no training);
 * - `train --total-steps 128`: launch, open the data folder, pick the backend, one rollout of 128 steps and the exit;
 * - the same through `npm run train` (npm's own start-up added).
 * Target (issue): ≤ 0.5 s from the command to the first training step. Medians of 5.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../..', import.meta.url));

function wall(cmd: string, args: string[], home: string): number {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { cwd: REPO, env: { ...process.env, POLICYLAB_HOME: home }, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  return performance.now() - t0;
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function bench(): Promise<void> {
  const home = mkdtempSync(join(tmpdir(), 'policylab-bench-cli-'));
  try {
    const train = ['train', '--algo', 'ppo', '--env', 'CartPole-v1', '--total-steps', '128', '--num-envs', '1', '--num-steps', '128', '--no-progress'];
    wall(process.execPath, [join(REPO, 'bin/policylab.mjs'), 'algos'], home); // compiles if sources changed
    const rows: [string, number][] = [
      ['node bin/policylab.mjs algos', median(Array.from({ length: 5 }, () => wall(process.execPath, [join(REPO, 'bin/policylab.mjs'), 'algos'], home)))],
      ['node bin/policylab.mjs train (128 steps, to exit)', median(Array.from({ length: 5 }, () => wall(process.execPath, [join(REPO, 'bin/policylab.mjs'), ...train], home)))],
      ['npm run train (128 steps, to exit)', median(Array.from({ length: 5 }, () => wall('npm', ['run', '--silent', ...train.slice(0, 1), '--', ...train.slice(1)], home)))],
    ];
    for (const [what, ms] of rows) console.log(`cli: ${what}: median ${(ms / 1000).toFixed(2)} s (target ≤ 0.5 s to the first step: ${(500 / ms).toFixed(2)}×)`);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}
