/**
 * LunarLander benchmark (`npm run bench -- lunar`): PPO with its preset (core/algos/ppo/presets.ts, the RL Zoo's
 * hyperparams/ppo.yml LunarLander-v2 entry) on held-out seeds 6–15 for 1M steps, a deterministic evaluation of 10
 * episodes every 50k steps: the first step and wall time at which the evaluation mean reaches 200 (Gymnasium's
 * reward threshold), the final evaluation, and SPS. Target (issue 16): ≥ 200 within 1M steps in ≥ 8/10 seeds (the
 * RL Zoo's PPO reaches 200+ at 1M).
 *
 * Knobs: LUNAR_BENCH_SEEDS (comma list, default 6–15), LUNAR_BENCH_STEPS (default 1,000,000), LUNAR_BENCH_ENV
 * (LunarLander-v2 | LunarLanderContinuous-v2), LUNAR_BENCH_OVERRIDES (JSON of config fields, for tuning on seeds 1–5).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { trainRun } from '../../core/algos/loop.js';
import { resolveConfig } from '../../core/algos/registry.js';
import { METRIC } from '../../core/common/metrics.js';
import { isEnvId, type EnvId } from '../../core/envs/index.js';
import { quantile } from '../../core/stats/index.js';

const SEEDS = (process.env.LUNAR_BENCH_SEEDS ?? '6,7,8,9,10,11,12,13,14,15').split(',').map((s) => Number(s.trim()));
const TOTAL = Number(process.env.LUNAR_BENCH_STEPS ?? 1_000_000);
const ENV = process.env.LUNAR_BENCH_ENV ?? 'LunarLander-v2';
const OVERRIDES = JSON.parse(process.env.LUNAR_BENCH_OVERRIDES ?? '{}') as Record<string, unknown>;
const THRESHOLD = 200;
const EVAL_INTERVAL = 50_000;

interface SeedResult {
  seed: number;
  steps: number | null;
  seconds: number | null;
  evals: number[];
  sps: number;
  wall: number;
}

async function runSeed(env: EnvId, seed: number): Promise<SeedResult> {
  const { config } = resolveConfig('ppo', env, { overrides: { evalInterval: EVAL_INTERVAL, evalEpisodes: 10, checkpointInterval: 0, ...OVERRIDES } });
  const runDir = mkdtempSync(join(tmpdir(), 'policylab-bench-lunar-'));
  let steps: number | null = null;
  let seconds: number | null = null;
  const evals: number[] = [];
  const started = performance.now();
  try {
    const result = await trainRun({
      runDir,
      runId: 'bench',
      algo: 'ppo',
      env,
      config,
      seed,
      totalSteps: TOTAL,
      signal: new AbortController().signal,
      events: {
        metrics: (step, values) => {
          const ev = values[METRIC.evalReturn];
          if (ev === undefined) return;
          evals.push(ev);
          if (steps === null && ev >= THRESHOLD) {
            steps = step;
            seconds = (performance.now() - started) / 1000;
          }
        },
      },
    });
    return { seed, steps, seconds, evals, sps: result.sps, wall: (performance.now() - started) / 1000 };
  } finally {
    rmSync(runDir, { recursive: true, force: true });
  }
}

const median = (xs: number[]): number => quantile([...xs].sort((a, b) => a - b), 0.5);

const k = (x: number): string => `${(x / 1000).toFixed(0)}k`;

export async function bench(): Promise<void> {
  if (!isEnvId(ENV)) throw new Error(`LUNAR_BENCH_ENV: unknown env ${JSON.stringify(ENV)}`);
  if (!SEEDS.every(Number.isInteger)) throw new Error(`LUNAR_BENCH_SEEDS must be a comma list of integers, got ${process.env.LUNAR_BENCH_SEEDS}`);
  console.log(`PPO preset on ${ENV}, seeds ${SEEDS.join(', ')}, ${k(TOTAL)} steps, evaluation (10 episodes, deterministic) every ${k(EVAL_INTERVAL)}${Object.keys(OVERRIDES).length ? `, overrides ${JSON.stringify(OVERRIDES)}` : ''}`);
  const results: SeedResult[] = [];
  for (const seed of SEEDS) {
    const r = await runSeed(ENV, seed);
    results.push(r);
    console.log(
      `  seed ${seed}: ${r.steps === null ? `eval never ≥ ${THRESHOLD}` : `eval ≥ ${THRESHOLD} at ${k(r.steps)} steps, ${r.seconds!.toFixed(0)} s`}; evals ${r.evals.map((v) => v.toFixed(0)).join(' ')}; final ${r.evals.at(-1)?.toFixed(1) ?? '–'}; ${r.sps.toFixed(0)} SPS, ${r.wall.toFixed(0)} s`,
    );
  }
  const ok = results.filter((r) => r.steps !== null);
  const finals = results.flatMap((r) => (r.evals.length ? [r.evals.at(-1)!] : []));
  const target = Math.ceil(0.8 * results.length);
  console.log(
    `  ${ENV}: evaluation ≥ ${THRESHOLD} within ${k(TOTAL)} in ${ok.length}/${results.length} seeds (target ≥ ${target}, ratio ${(ok.length / target).toFixed(2)})` +
      (ok.length ? `; steps median ${k(median(ok.map((r) => r.steps!)))}, wall time median ${median(ok.map((r) => r.seconds!)).toFixed(0)} s` : '') +
      `; final eval median ${finals.length ? median(finals).toFixed(1) : '–'}; SPS median ${median(results.map((r) => r.sps)).toFixed(0)}`,
  );
}
