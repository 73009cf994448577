/**
 * The held-out-seed learning benchmark the per-env areas share (`lunar`, `mujoco`, `presets`): an algorithm (PPO
 * unless named) with the env's preset on
 * seeds it was not tuned on, a deterministic evaluation every `evalInterval` steps; per seed the first step and wall
 * time at which the evaluation mean reaches the threshold, the evaluation curve, the final evaluation and SPS; then
 * the success rate, medians and ranges.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { trainRun } from '../../core/algos/loop.js';
import { ALGOS, resolveConfig, type AlgoId } from '../../core/algos/registry.js';
import { METRIC } from '../../core/common/metrics.js';
import { envSpec, type EnvId } from '../../core/envs/index.js';
import { quantile } from '../../core/stats/index.js';

export interface HeldOutOptions {
  /** Default 'ppo'. */
  algo?: AlgoId;
  env: EnvId;
  seeds: number[];
  totalSteps: number;
  threshold: number;
  evalInterval: number;
  /** Config fields over the preset (for tuning on seeds 1–5). */
  overrides?: Record<string, unknown>;
  /** Seeds that must reach the threshold for the target (printed as a ratio); omitted: no target line. */
  target?: number;
  /** A peer's figure for the final evaluation, with its provenance, printed beside the median. */
  peer?: { finalEval: number; source: string };
}

interface SeedResult {
  seed: number;
  /** The loop's own criterion: the step at which the 20-training-episode mean first reached the env's threshold. */
  trainSteps: number | null;
  steps: number | null;
  seconds: number | null;
  evals: number[];
  sps: number;
  wall: number;
}

async function runSeed(o: HeldOutOptions, seed: number): Promise<SeedResult> {
  const algo = o.algo ?? 'ppo';
  const { config } = resolveConfig(algo, o.env, { overrides: { evalInterval: o.evalInterval, evalEpisodes: 10, checkpointInterval: 0, ...o.overrides } });
  const runDir = mkdtempSync(join(tmpdir(), 'policylab-bench-heldout-'));
  let steps: number | null = null;
  let seconds: number | null = null;
  const evals: number[] = [];
  const started = performance.now();
  try {
    const result = await trainRun({
      runDir,
      runId: 'bench',
      algo,
      env: o.env,
      config,
      seed,
      totalSteps: o.totalSteps,
      signal: new AbortController().signal,
      events: {
        metrics: (step, values) => {
          const ev = values[METRIC.evalReturn];
          if (ev === undefined) return;
          evals.push(ev);
          if (steps === null && ev >= o.threshold) {
            steps = step;
            seconds = (performance.now() - started) / 1000;
          }
        },
      },
    });
    return { seed, trainSteps: result.solved?.step ?? null, steps, seconds, evals, sps: result.sps, wall: (performance.now() - started) / 1000 };
  } finally {
    rmSync(runDir, { recursive: true, force: true });
  }
}

const sorted = (xs: number[]): number[] => [...xs].sort((a, b) => a - b);
const median = (xs: number[]): number => quantile(sorted(xs), 0.5);
const range = (xs: number[], f: (x: number) => string): string => `${f(Math.min(...xs))}–${f(Math.max(...xs))}`;
export const k = (x: number): string => `${(x / 1000).toFixed(0)}k`;

export async function heldOutBench(o: HeldOutOptions): Promise<void> {
  if (!o.seeds.length || !o.seeds.every(Number.isInteger)) throw new Error(`seeds must be a non-empty list of integers, got ${o.seeds.join(',')}`);
  const overrides = o.overrides ?? {};
  // The loop's own criterion needs a registered threshold (Pendulum has none: the bench's −200 is evaluation-only).
  const trainCriterion = envSpec(o.env).rewardThreshold === o.threshold;
  console.log(
    `${ALGOS[o.algo ?? 'ppo'].title} preset on ${o.env}, seeds ${o.seeds.join(', ')}, ${k(o.totalSteps)} steps, evaluation (10 episodes, deterministic) every ${k(o.evalInterval)}` +
      `${Object.keys(overrides).length ? `, overrides ${JSON.stringify(overrides)}` : ''}; load average ${loadavg()[0].toFixed(2)}`,
  );
  const results: SeedResult[] = [];
  for (const seed of o.seeds) {
    const r = await runSeed(o, seed);
    results.push(r);
    console.log(
      `  seed ${seed}: ${r.steps === null ? `eval never ≥ ${o.threshold}` : `eval ≥ ${o.threshold} at ${k(r.steps)} steps, ${r.seconds!.toFixed(0)} s`}${trainCriterion ? `; 20-episode training mean ≥ threshold ${r.trainSteps === null ? 'never' : `at ${k(r.trainSteps)}`}` : ''}; evals ${r.evals.map((v) => v.toFixed(0)).join(' ')}; final ${r.evals.at(-1)?.toFixed(1) ?? '–'}; ${r.sps.toFixed(0)} SPS, ${r.wall.toFixed(0)} s`,
    );
  }
  const ok = results.filter((r) => r.steps !== null);
  const trained = results.flatMap((r) => (r.trainSteps === null ? [] : [r.trainSteps]));
  const finals = results.flatMap((r) => (r.evals.length ? [r.evals.at(-1)!] : []));
  const targetLine = o.target === undefined ? '' : ` (target ≥ ${o.target}, ratio ${(ok.length / o.target).toFixed(2)})`;
  // A ratio only means "fraction of the peer's return" when both are positive; negative returns are printed side by side.
  const peerRatio = o.peer && o.peer.finalEval > 0 && finals.length && median(finals) > 0 ? `; ratio ${(median(finals) / o.peer.finalEval).toFixed(2)}` : '';
  const peerLine = o.peer && finals.length ? ` (${o.peer.source}: ${o.peer.finalEval}${peerRatio})` : '';
  console.log(
    `  ${o.env}: evaluation ≥ ${o.threshold} within ${k(o.totalSteps)} in ${ok.length}/${results.length} seeds${targetLine}` +
      (ok.length ? `; steps median ${k(median(ok.map((r) => r.steps!)))} (${range(ok.map((r) => r.steps!), k)}), wall time median ${median(ok.map((r) => r.seconds!)).toFixed(0)} s` : '') +
      (trainCriterion ? `; 20-episode training mean ≥ threshold in ${trained.length}/${results.length}${trained.length ? `, median ${k(median(trained))} (${range(trained, k)})` : ''}` : '') +
      `; final eval median ${finals.length ? `${median(finals).toFixed(1)} (${range(finals, (x) => x.toFixed(0))})` : '–'}${peerLine}; SPS median ${median(results.map((r) => r.sps)).toFixed(0)}`,
  );
}
