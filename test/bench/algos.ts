/**
 * Algorithm benchmarks (`npm run bench`; POLICYLAB_BENCH_QUICK=1 for a shorter pass):
 *  1. each algorithm on CartPole-v1 with its preset, seeds 1–3: env steps and wall time until the mean return of the
 *     last 20 training episodes first reaches 475, final return, training SPS and each phase's share of the time;
 *  2. PPO with CleanRL's defaults (preset none) on CartPole — like for like with CleanRL's anchor;
 *  3. PPO on Acrobot-v1 and Pendulum-v1 with their presets (return after 500k steps);
 *  4. the PPO anchor as the issue measures it: `npm run train -- --algo ppo --env CartPole-v1 --seed 1` in a fresh
 *     POLICYLAB_HOME, time from launching the command to the metric record where the 20-episode mean reaches 475;
 *  5. one PPO minibatch update (256 samples, 64×64 actor + critic) on each gradient path: WASM-SIMD kernels, plain-JS
 *     kernels, tfjs autodiff on the active backend.
 * Anchors (measured side by side on the project's 2-core machines, PyTorch 1.13, Gymnasium 0.29.1) are printed with
 * the ratios ours / theirs. Full: ~2.5 min on 2 cores; quick (Acrobot/Pendulum 100k, CleanRL defaults 200k): ~1.5 min.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { trainRun, type TrainResult } from '../../core/algos/loop.js';
import { ActorCritic } from '../../core/algos/model.js';
import { KERNEL } from '../../core/algos/nn/linalg.js';
import { Adam, clipGradNorm } from '../../core/algos/nn/optim.js';
import { ppoLossJs, type PpoLossCoefs } from '../../core/algos/ppo/ppo.js';
import { ppoLossTf } from '../../core/algos/ppo/ppo-tf.js';
import { resolveConfig, type AlgoId } from '../../core/algos/registry.js';
import { Rng } from '../../core/common/rng.js';
import type { EnvId } from '../../core/envs/index.js';
import { MetricReader } from '../../core/store/index.js';
import { describeBackend, initBackend } from '../../core/tensor/backend.js';

const QUICK = process.env.POLICYLAB_BENCH_QUICK === '1';

const ANCHORS = {
  cleanrlPpo: { steps: 188_000, seconds: 22.7, sps: 8_200 },
  sb3Ppo: { steps: 36_000, seconds: 6.0 },
  sb3A2c: { steps: 97_000, seconds: 7.1 },
  sb3Trpo: { steps: 63_000, seconds: 12.9, evalAfter: 435 },
} as const;

interface Outcome {
  algo: AlgoId;
  env: EnvId;
  seed: number;
  result: TrainResult;
  wall: number;
  evalReturn: number | null;
}

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'policylab-bench-'));
}

async function lastEval(runDir: string): Promise<number | null> {
  const points = await new MetricReader(runDir).range('eval/return');
  return points.length ? points[points.length - 1].value : null;
}

async function run(algo: AlgoId, env: EnvId, seed: number, opts: { preset?: string; totalSteps?: number } = {}): Promise<Outcome> {
  const { config, totalSteps } = resolveConfig(algo, env, { preset: opts.preset, totalSteps: opts.totalSteps });
  const dir = tempDir();
  try {
    const t0 = performance.now();
    const result = await trainRun({ runDir: dir, runId: 'bench', algo, env, config, seed, totalSteps, signal: new AbortController().signal });
    const wall = (performance.now() - t0) / 1000;
    return { algo, env, seed, result, wall, evalReturn: await lastEval(dir) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const fmt = (x: number | null | undefined, d = 1): string => (x === null || x === undefined || !Number.isFinite(x) ? '—' : x.toFixed(d));
const kfmt = (x: number | null | undefined): string => (x === null || x === undefined ? '—' : `${(x / 1000).toFixed(1)}k`);

function phaseShares(outcomes: Outcome[]): string {
  const sum = { env: 0, inference: 0, update: 0, logging: 0 };
  for (const o of outcomes) for (const k of Object.keys(sum) as (keyof typeof sum)[]) sum[k] += o.result.phases[k];
  const total = sum.env + sum.inference + sum.update + sum.logging;
  return (Object.keys(sum) as (keyof typeof sum)[]).map((k) => `${k} ${((100 * sum[k]) / total).toFixed(0)}%`).join(', ');
}

function summarise(label: string, outcomes: Outcome[]): { steps: number | null; seconds: number | null } {
  for (const o of outcomes) {
    console.log(
      `  ${label} seed ${o.seed}: 475 at ${o.result.solved ? `${kfmt(o.result.solved.step)} steps, ${fmt(o.result.solved.seconds, 2)} s` : 'not reached'}` +
        ` | final 20-ep return ${fmt(o.result.recentReturn)} | final eval ${fmt(o.evalReturn)} | ${o.result.step.toLocaleString('en-US')} steps in ${fmt(o.wall, 1)} s = ${Math.round(o.result.sps).toLocaleString('en-US')} SPS`,
    );
  }
  const solved = outcomes.filter((o) => o.result.solved);
  const steps = solved.length === outcomes.length ? median(solved.map((o) => o.result.solved!.step)) : null;
  const seconds = solved.length === outcomes.length ? median(solved.map((o) => o.result.solved!.seconds)) : null;
  console.log(`  ${label} median: ${kfmt(steps)} steps, ${fmt(seconds, 2)} s to 475 | phases: ${phaseShares(outcomes)}`);
  return { steps, seconds };
}

function ratio(ours: number | null, theirs: number, unit: string): string {
  return ours === null ? `— vs ${theirs}${unit}` : `${ours.toFixed(ours < 100 ? 2 : 0)}${unit} vs ${theirs}${unit} → ×${(ours / theirs).toFixed(2)}`;
}

/** Runs the CLI as the issue specifies and times launch → the first metric record with a 20-episode mean ≥ 475. */
async function cliPpo(): Promise<{ seconds: number | null; step: number | null; total: number }> {
  const home = tempDir();
  try {
    const t0 = Date.now();
    const code = await new Promise<number | null>((resolve) => {
      const child = spawn('npm', ['run', 'train', '--', '--algo', 'ppo', '--env', 'CartPole-v1', '--seed', '1', '--no-progress'], {
        env: { ...process.env, POLICYLAB_HOME: home },
        stdio: 'ignore',
      });
      child.on('exit', (c) => resolve(c));
    });
    const total = (Date.now() - t0) / 1000;
    if (code !== 0) throw new Error(`npm run train exited with ${code}`);
    const [id] = readdirSync(join(home, 'runs'));
    for await (const chunk of new MetricReader(join(home, 'runs', id)).records()) {
      for (const r of chunk) {
        if ((r.values['rollout/recentReturn'] ?? -Infinity) >= 475) return { seconds: r.wallTime - t0 / 1000, step: r.step, total };
      }
    }
    return { seconds: null, step: null, total };
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

/** Milliseconds per PPO minibatch step (loss + gradient + clip + Adam), 256 samples, 64×64 actor and critic. */
function updateStepMs(engine: 'js' | 'tfjs'): number {
  const rng = new Rng(1);
  const model = ActorCritic.create({ obsDim: 4, actionSpace: { kind: 'discrete', n: 2 }, hiddenSizes: [64, 64], activation: 'tanh', logStdInit: 0 }, rng);
  const n = 256;
  const mb = {
    size: n,
    obs: Float32Array.from({ length: n * 4 }, () => rng.normal()),
    actions: Float32Array.from({ length: n }, () => rng.integer(2)),
    logProbs: new Float32Array(n).fill(Math.log(0.5)),
    values: new Float32Array(n),
    advantages: Float32Array.from({ length: n }, () => rng.normal()),
    returns: Float32Array.from({ length: n }, () => rng.normal()),
  };
  const coefs: PpoLossCoefs = { clip: true, clipCoef: 0.2, clipVloss: true, entCoef: 0.01, vfCoef: 0.5 };
  const opt = new Adam(model.params.length, 1e-5);
  const step = (): void => {
    model.grads.fill(0);
    if (engine === 'js') ppoLossJs(model, mb, coefs);
    else ppoLossTf(model, mb, coefs);
    clipGradNorm(model.grads, 0.5);
    opt.step(model.params, model.grads, 1e-4);
    model.paramsChanged();
  };
  const reps = engine === 'js' ? 300 : 40;
  for (let i = 0; i < reps / 4; i++) step();
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) step();
  return (performance.now() - t0) / reps;
}

export async function bench(): Promise<void> {
  await initBackend();
  const backend = describeBackend();
  console.log(`\n== algorithms (${QUICK ? 'quick' : 'full'}; gradient kernels: ${KERNEL}; tfjs backend ${backend.name}${backend.simd ? ' SIMD' : ''}) ==`);

  // 5 first: the engine comparison explains everything below.
  const js = updateStepMs('js');
  const tfjs = updateStepMs('tfjs');
  console.log(`PPO minibatch step (256 samples, 64×64 actor + critic): engine js (${KERNEL} kernels) ${js.toFixed(2)} ms, tfjs (${backend.name}) ${tfjs.toFixed(2)} ms → tfjs/js ×${(tfjs / js).toFixed(1)}`);

  const seeds = [1, 2, 3];
  const results: Partial<Record<AlgoId, { steps: number | null; seconds: number | null; outcomes: Outcome[] }>> = {};
  for (const algo of ['ppo', 'a2c', 'trpo', 'reinforce'] as const) {
    console.log(`${algo.toUpperCase()} on CartPole-v1 (preset CartPole-v1):`);
    const outcomes: Outcome[] = [];
    for (const seed of seeds) outcomes.push(await run(algo, 'CartPole-v1', seed));
    results[algo] = { ...summarise(algo, outcomes), outcomes };
  }

  console.log('PPO on CartPole-v1 with CleanRL\'s defaults (preset none):');
  const clean = await run('ppo', 'CartPole-v1', 1, { preset: 'none', totalSteps: QUICK ? 200_000 : 500_000 });
  summarise('ppo-cleanrl-defaults', [clean]);

  const longSteps = QUICK ? 100_000 : 500_000;
  for (const env of ['Acrobot-v1', 'Pendulum-v1'] as const) {
    const o = await run('ppo', env, 1, { totalSteps: longSteps });
    console.log(
      `PPO on ${env} (preset), seed 1: 20-episode return after ${o.result.step.toLocaleString('en-US')} steps ${fmt(o.result.recentReturn)}, eval ${fmt(o.evalReturn)}, ` +
        `${fmt(o.wall)} s, ${Math.round(o.result.sps).toLocaleString('en-US')} SPS | phases: ${phaseShares([o])}`,
    );
  }

  const cli = await cliPpo();
  console.log(
    `CLI (npm run train -- --algo ppo --env CartPole-v1 --seed 1, fresh POLICYLAB_HOME): 475 at ${kfmt(cli.step)} steps, ` +
      `${fmt(cli.seconds, 2)} s after launching the command (whole command ${fmt(cli.total, 1)} s)`,
  );

  console.log('anchors (ours vs theirs):');
  const ppo = results.ppo!;
  console.log(`  PPO preset vs CleanRL PPO defaults: steps ${ratio(ppo.steps, ANCHORS.cleanrlPpo.steps, '')}; time ${ratio(ppo.seconds, ANCHORS.cleanrlPpo.seconds, ' s')}`);
  console.log(`  PPO preset vs SB3 PPO (RL Zoo): steps ${ratio(ppo.steps, ANCHORS.sb3Ppo.steps, '')}; time ${ratio(ppo.seconds, ANCHORS.sb3Ppo.seconds, ' s')}`);
  console.log(`  PPO via the CLI vs SB3's 6.0 s: ${ratio(cli.seconds, ANCHORS.sb3Ppo.seconds, ' s')}`);
  console.log(`  PPO CleanRL defaults, SPS over the run: ${ratio(clean.result.sps, ANCHORS.cleanrlPpo.sps, ' SPS')}; steps to 475 ${ratio(clean.result.solved?.step ?? null, ANCHORS.cleanrlPpo.steps, '')}`);
  const a2c = results.a2c!;
  console.log(`  A2C vs SB3 A2C: steps ${ratio(a2c.steps, ANCHORS.sb3A2c.steps, '')}; time ${ratio(a2c.seconds, ANCHORS.sb3A2c.seconds, ' s')}`);
  const trpo = results.trpo!;
  const trpoFinal = median(trpo.outcomes.map((o) => o.evalReturn ?? Number.NaN));
  console.log(
    `  TRPO vs sb3-contrib TRPO: steps ${ratio(trpo.steps, ANCHORS.sb3Trpo.steps, '')}; time ${ratio(trpo.seconds, ANCHORS.sb3Trpo.seconds, ' s')}; final eval ${fmt(trpoFinal)} vs ${ANCHORS.sb3Trpo.evalAfter}`,
  );
  const rf = results.reinforce!;
  console.log(`  REINFORCE (no anchor): ${kfmt(rf.steps)} steps, ${fmt(rf.seconds, 2)} s to 475`);
}

// Run directly: npx tsx test/bench/algos.ts
if (import.meta.url === `file://${process.argv[1]}`) {
  bench().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
