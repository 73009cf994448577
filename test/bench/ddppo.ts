/**
 * npm run bench -- ddppo: DD-PPO over the local transport (worker threads of one process, core/algos/ddppo/threads.ts).
 *
 * 1. Scaling: N = 1, 2, 4 workers on CartPole-v1 and Acrobot-v1, each worker with PPO's tuned preset shape
 *    (core/algos/ppo/presets.ts: CartPole 8 envs × 32 steps, 4 minibatches × 4 epochs; Acrobot 8 envs × 128 steps,
 *    8 minibatches × 4 epochs, normalised observations), so one update sees N × PPO's batch and every worker runs
 *    the same number of iterations (totalSteps = N × the per-worker budget, which keeps CartPole's annealed LR and
 *    clip schedule per iteration the same for every N). Printed: steady SPS (rank 0's time/sps at the end, without
 *    the thread start), the scaling efficiency SPS(N) / (N · SPS(1)), the mean gradient all-reduce per iteration, and
 *    the global step and wall time (from the call, thread start included) when rank 0's 20-episode training mean
 *    first reached the env's threshold (475 / −100).
 * 2. Stragglers: N = 5 (the smallest N at which syncFraction 1.0, 0.8 and 0.6 wait for different numbers of workers:
 *    5, 4 and 3 — at N = 4, 0.8 · 4 = 3.2 rounds up to all 4), worker 4 slowed 3× by a busy-wait after every env step
 *    of 2 × the normal per-step time, measured first in a short run of the same shape without faults. The per-step
 *    time is the worker's whole iteration (rollout + update) per vector step, N · numEnvs / SPS: the collection alone
 *    is a few percent of an iteration here, so 2 × its per-step time would slow the worker by ~1.1×, not 3×.
 *
 * Seeds 6–8 are held out (the PPO presets were tuned on 1–5); one seed per cell (the seed in the table). Nothing
 * here is asserted; a failing run prints its error in its row. DDPPO_BENCH_QUICK=1 halves every budget;
 * DDPPO_BENCH_PART=scaling or stragglers runs one part. The machine's load is printed before and after.
 */
import { cpus, loadavg } from 'node:os';
import { ddppoConfigSchema, type DdppoConfig } from '../../core/algos/ddppo/config.js';
import { DDPPO_METRIC, type WorkerFaults } from '../../core/algos/ddppo/ddppo.js';
import { runLocal } from '../../core/algos/ddppo/threads.js';
import { PPO_PRESETS } from '../../core/algos/ppo/presets.js';
import { METRIC } from '../../core/common/metrics.js';
import { envSpec, type EnvId } from '../../core/envs/index.js';

const QUICK = process.env.DDPPO_BENCH_QUICK === '1';
const PART = process.env.DDPPO_BENCH_PART ?? 'all';
/** Env steps per worker (CartPole: PPO_PRESET_STEPS; Acrobot: half of its 500k, seeds 1–5 reach −100 well before). */
const PER_WORKER: Record<'CartPole-v1' | 'Acrobot-v1', number> = { 'CartPole-v1': 100_000, 'Acrobot-v1': 250_000 };
const STRAGGLER_PER_WORKER = 60_000;
const STRAGGLER_N = 5;

interface Outcome {
  wallS: number;
  steps: number;
  sps: number;
  allReduceMs: number;
  preempted: number;
  /** Rank 0's first global step with a 20-episode mean ≥ threshold, and the wall time then (null: never). */
  solvedStep: number | null;
  solvedS: number | null;
  /** Every rank's solved step (spread). */
  solvedSteps: (number | null)[];
  workerSps: number[];
  /** Every rank's final parameters bit for bit equal to rank 0's. */
  identical: boolean;
}

const load = (): string =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');

function configFor(env: EnvId, workers: number, syncFraction: number, extra: Partial<DdppoConfig> = {}): DdppoConfig {
  // The PPO preset's per-update shape; its evalInterval is PPO's (DD-PPO evaluates nothing here).
  const { evalInterval: _unused, ...preset } = PPO_PRESETS[env] ?? {};
  return ddppoConfigSchema.parse({ ...preset, workers, syncFraction, evalInterval: 0, checkpointInterval: 0, ...extra });
}

async function one(env: EnvId, workers: number, seed: number, totalSteps: number, syncFraction = 1, faults: Record<number, WorkerFaults> = {}, extra: Partial<DdppoConfig> = {}): Promise<Outcome> {
  const config = configFor(env, workers, syncFraction, extra);
  const marks: { step: number; s: number }[] = [];
  let allReduce = 0;
  let preempted = 0;
  let n = 0;
  let last: Record<string, number> = {};
  const t = performance.now();
  const results = await runLocal({
    env,
    config,
    seed,
    totalSteps,
    faults,
    onIteration: (rank, _it, step, m) => {
      if (rank !== 0) return;
      marks.push({ step, s: (performance.now() - t) / 1000 });
      allReduce += m[DDPPO_METRIC.allReduceMs] ?? 0;
      preempted += m[DDPPO_METRIC.preemptedFraction] ?? 0;
      n++;
      last = m;
    },
  });
  const wallS = (performance.now() - t) / 1000;
  const solvedStep = results[0].solvedStep;
  // solvedStep is the global step at the start of the iteration in which the window filled: its end is the time.
  const solvedS = solvedStep === null ? null : (marks.find((m) => m.step > solvedStep)?.s ?? wallS);
  return {
    wallS,
    steps: results[0].globalStep,
    sps: last[METRIC.sps] ?? results[0].globalStep / wallS,
    allReduceMs: allReduce / Math.max(1, n),
    preempted: preempted / Math.max(1, n),
    solvedStep,
    solvedS,
    solvedSteps: results.map((r) => r.solvedStep),
    workerSps: Array.from({ length: workers }, (_, r) => last[DDPPO_METRIC.workerSps(r)] ?? 0),
    identical: results.every((r) => Buffer.from(r.params.buffer, r.params.byteOffset, r.params.byteLength).equals(Buffer.from(results[0].params.buffer, results[0].params.byteOffset, results[0].params.byteLength))),
  };
}

/** The outcome, or the error's message (one failing cell must not hide the rest of the table). */
async function tryOne(f: () => Promise<Outcome>): Promise<Outcome | string> {
  try {
    return await f();
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

const k = (x: number | null): string => (x === null ? '—' : `${(x / 1000).toFixed(1)}k`);
const sec = (x: number | null): string => (x === null ? '—' : `${x.toFixed(1)} s`);
const pad = (s: string, w: number): string => s.padStart(w);

async function scaling(env: 'CartPole-v1' | 'Acrobot-v1', seed: number): Promise<void> {
  const per = PER_WORKER[env] / (QUICK ? 2 : 1);
  const threshold = envSpec(env).rewardThreshold;
  const p = PPO_PRESETS[env]!;
  console.log(
    `\n${env} (per worker: PPO preset ${p.numEnvs} envs × ${p.numSteps} steps, ${p.numMinibatches} minibatches × ${p.updateEpochs} epochs; ${k(per)} steps per worker; seed ${seed}; threshold ${threshold})`,
  );
  console.log(`  ${['N', 'SPS', 'eff.', 'all-reduce', 'steps to thr.', 'wall to thr.', 'ranks solved at', 'wall'].map((h, i) => pad(h, [2, 7, 6, 11, 14, 13, 28, 8][i])).join(' ')}`);
  let base = 0;
  let baseWall: number | null = null;
  for (const N of [1, 2, 4]) {
    const r = await tryOne(() => one(env, N, seed, N * per));
    if (typeof r === 'string') {
      console.log(`  ${pad(String(N), 2)} failed: ${r}`);
      continue;
    }
    if (N === 1) {
      base = r.sps;
      baseWall = r.solvedS;
    }
    const eff = r.sps / (N * base);
    const speedup = baseWall !== null && r.solvedS !== null ? ` (×${(baseWall / r.solvedS).toFixed(2)} vs N=1)` : '';
    console.log(
      `  ${pad(String(N), 2)} ${pad(r.sps.toFixed(0), 7)} ${pad(`${(100 * eff).toFixed(0)}%`, 6)} ${pad(`${r.allReduceMs.toFixed(2)} ms`, 11)} ${pad(k(r.solvedStep), 14)} ${pad(sec(r.solvedS), 13)} ${pad(r.solvedSteps.map(k).join(' '), 28)} ${pad(sec(r.wallS), 8)}${speedup}`,
    );
    if (N > 1) console.log(`     SPS(${N}) / SPS(1) = ${(r.sps / base).toFixed(2)}×${N === 2 ? ' (target ≥ 1.7× on two cores)' : ''}; per-worker collection SPS ${r.workerSps.map((x) => x.toFixed(0)).join(' ')}`);
  }
}

async function stragglers(seed: number): Promise<void> {
  const env: EnvId = 'CartPole-v1';
  const N = STRAGGLER_N;
  const slow = N - 1;
  const per = STRAGGLER_PER_WORKER / (QUICK ? 2 : 1);
  const numEnvs = configFor(env, N, 1).numEnvs;
  // Calibration: a short run of the same shape without faults; the normal time of one vector step (numEnvs env steps).
  // The periodic replica checksum stays on (its default interval); every rank's final parameters are also compared
  // bit for bit below.
  const extra: Partial<DdppoConfig> = {};
  const cal = await tryOne(() => one(env, N, seed, N * numEnvs * 32 * 12, 1, {}, extra));
  if (typeof cal === 'string') {
    console.log(`\nStragglers: the calibration run failed: ${cal}`);
    return;
  }
  const collectMs = (1000 * numEnvs) / cal.workerSps[slow];
  const stepMs = (1000 * N * numEnvs) / cal.sps;
  const delay = 2 * stepMs;
  console.log(
    `\nStragglers (CartPole-v1, N = ${N}, PPO preset shape per worker, ${k(per)} steps per worker, seed ${seed}): normal ${cal.sps.toFixed(0)} SPS = ${stepMs.toFixed(3)} ms of iteration per step of ${numEnvs} envs (collection alone ${collectMs.toFixed(3)} ms); worker ${slow} gets +${delay.toFixed(3)} ms per step (3× slower)`,
  );
  console.log(`  ${['syncFraction', 'waits for', 'SPS', 'vs 1.0', 'preempted', 'steps to thr.', 'vs 1.0', 'wall to thr.', 'wall', 'replicas'].map((h, i) => pad(h, [12, 9, 7, 7, 10, 14, 7, 13, 8, 10][i])).join(' ')}`);
  let ref: Outcome | null = null;
  for (const sf of [1, 0.8, 0.6]) {
    const r = await tryOne(() => one(env, N, seed, N * per, sf, { [slow]: { stepDelayMs: delay } }, extra));
    if (typeof r === 'string') {
      console.log(`  ${pad(sf.toFixed(1), 12)} failed: ${r}`);
      continue;
    }
    if (sf === 1) ref = r;
    const stepsRatio = ref?.solvedStep != null && r.solvedStep !== null ? `${(r.solvedStep / ref.solvedStep).toFixed(2)}×` : '—';
    const spsRatio = ref ? `${(r.sps / ref.sps).toFixed(2)}×` : '—';
    console.log(
      `  ${pad(sf.toFixed(1), 12)} ${pad(String(Math.ceil(sf * N - 1e-9)), 9)} ${pad(r.sps.toFixed(0), 7)} ${pad(spsRatio, 7)} ${pad(`${(100 * r.preempted).toFixed(1)}%`, 10)} ${pad(k(r.solvedStep), 14)} ${pad(stepsRatio, 7)} ${pad(sec(r.solvedS), 13)} ${pad(sec(r.wallS), 8)} ${pad(r.identical ? 'identical' : 'DIFFER', 10)}`,
    );
  }
  console.log('  target: syncFraction 0.6 ≥ 1.5× the SPS of 1.0 with steps to threshold within 20% (0.80–1.20×)');
}

export async function bench(): Promise<void> {
  console.log(`ddppo: local transport, ${cpus().length} cores, load ${load()}${QUICK ? ' (quick: budgets halved)' : ''}`);
  if (!['all', 'scaling', 'stragglers'].includes(PART)) throw new Error(`DDPPO_BENCH_PART must be scaling or stragglers (got ${JSON.stringify(PART)})`);
  if (PART !== 'stragglers') {
    await scaling('CartPole-v1', 6);
    await scaling('Acrobot-v1', 7);
  }
  if (PART !== 'scaling') await stragglers(8);
  console.log(`\nload after: ${load()}`);
}
