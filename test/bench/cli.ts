/**
 * Start-up of the command line, timed from outside (the launching process), as a user waits for it:
 * - `node bin/policylab.mjs algos`: the floor (launcher + compiled CLI, no training), to its exit;
 * - `train`, launcher and through `npm run train`: from the spawn to the first env step. The CLI prints the moment
 *   (epoch ms) with POLICYLAB_DEBUG=1, so the figure is the outside one; beside it, the CLI's own
 *   "s after the command started" (bin/policylab.mjs: its start, or npm's under an npm script), which should agree.
 * Target (issue 10): ≤ 0.5 s from the command to the first training step. Medians of 7, with min and max.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const LAUNCHER = join(REPO, 'bin/policylab.mjs');
const REPS = 7;

interface Sample {
  /** Spawn → exit (ms). */
  wall: number;
  /** Spawn → first env step, from outside (ms); null for commands that do not train. */
  firstStep: number | null;
  /** The CLI's own figure for the same moment (s after the command started). */
  ownSeconds: number | null;
}

function sample(cmd: string, args: string[], home: string): Sample {
  const t0 = Date.now();
  const p0 = performance.now();
  const r = spawnSync(cmd, args, { cwd: REPO, env: { ...process.env, POLICYLAB_HOME: home, POLICYLAB_DEBUG: '1' }, encoding: 'utf8' });
  const wall = performance.now() - p0;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status}): ${r.stderr}`);
  const m = /first env step ([0-9.]+) s after the command started \(epoch ms (\d+)\)/.exec(r.stderr);
  return { wall, firstStep: m ? Number(m[2]) - t0 : null, ownSeconds: m ? Number(m[1]) : null };
}

function stats(xs: number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  const median = s[Math.floor(s.length / 2)]!;
  return `median ${(median / 1000).toFixed(3)} s (min ${(s[0]! / 1000).toFixed(3)}, max ${(s.at(-1)! / 1000).toFixed(3)})`;
}

const medianOf = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function bench(): Promise<void> {
  const home = mkdtempSync(join(tmpdir(), 'policylab-bench-cli-'));
  try {
    const train = ['--algo', 'ppo', '--env', 'CartPole-v1', '--total-steps', '128', '--num-envs', '1', '--num-steps', '128', '--no-progress'];
    sample(process.execPath, [LAUNCHER, 'algos'], home); // compiles first if sources changed
    console.log(`cli: ${cpus().length} cores, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} (other work on the machine slows start-up)`);

    const floor = Array.from({ length: REPS }, () => sample(process.execPath, [LAUNCHER, 'algos'], home));
    console.log(`cli: node bin/policylab.mjs algos, spawn to exit: ${stats(floor.map((s) => s.wall))}`);

    for (const [what, cmd, args] of [
      ['node bin/policylab.mjs train', process.execPath, [LAUNCHER, 'train', ...train]],
      ['npm run train', 'npm', ['run', '--silent', 'train', '--', ...train]],
    ] as const) {
      const runs = Array.from({ length: REPS }, () => sample(cmd, [...args], home));
      const first = runs.map((s) => s.firstStep).filter((x): x is number => x !== null);
      if (first.length !== runs.length) throw new Error(`${what}: the CLI did not report its first env step (POLICYLAB_DEBUG line missing)`);
      const own = medianOf(runs.map((s) => s.ownSeconds!));
      const median = medianOf(first);
      console.log(
        `cli: ${what}, spawn to the first env step: ${stats(first)}; the CLI's own figure: median ${own.toFixed(3)} s` +
          ` — target ≤ 0.5 s: ${median <= 500 ? 'met' : 'not met'} (${(500 / median).toFixed(2)}×)`,
      );
    }
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}
