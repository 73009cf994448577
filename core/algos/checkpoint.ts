/**
 * Everything an exact resume needs, in and out of core/store checkpoints:
 *   models  actor, critic — tfjs layers-model artifacts (for loading/serving elsewhere);
 *   arrays  params (every weight, float32, exact), normObs (the policy's next input), optimizer moments;
 *   state   counters, the algorithm's RNG, every env copy's snapshot (physics, step count, RNG, episode so far),
 *           normaliser statistics (float64 as JSON numbers), optimizer step counts, the recent-return window.
 * Restoring all of it makes the resumed run produce the same numbers as one that never stopped.
 */
import { describeDamage, loadCheckpoint, saveCheckpoint, type CheckpointArray } from '../store/index.js';
import type { RunningMeanStdState, RewardScalerState } from '../common/normalizer.js';
import type { Rng, RngState } from '../common/rng.js';
import type { VectorEnvCopySnapshot } from '../envs/index.js';
import type { Collector } from './collect.js';
import type { GsdeNoiseState } from './gsde.js';
import type { ActorCritic } from './model.js';
import type { Optimizer, OptimizerState } from './nn/optim.js';

export interface Solved {
  /** Env steps when the mean return of the last 20 training episodes first reached the env's threshold. */
  step: number;
  /** Seconds of training (summed over resumes) at that moment. */
  seconds: number;
  /** Seconds since the process started (Node's performance.timeOrigin), when it happened in this process. */
  processSeconds?: number;
}

export interface LoopCounters {
  globalStep: number;
  iteration: number;
  episodes: number;
  evalCount: number;
  nextEvalStep: number;
  nextCheckpointStep: number;
  /** Returns of the latest training episodes, oldest first (at most RECENT_WINDOW). */
  recentReturns: number[];
  solved: Solved | null;
  trainSeconds: number;
}

/** "Never" for a schedule whose interval is 0. */
export const NEVER = Number.MAX_SAFE_INTEGER;

/** The counters of a fresh run: nothing done yet, the first evaluation and checkpoint one interval in (0: never). */
export function initialCounters(intervals: { evalInterval: number; checkpointInterval: number }): LoopCounters {
  return {
    globalStep: 0,
    iteration: 0,
    episodes: 0,
    evalCount: 0,
    nextEvalStep: intervals.evalInterval > 0 ? intervals.evalInterval : NEVER,
    nextCheckpointStep: intervals.checkpointInterval > 0 ? intervals.checkpointInterval : NEVER,
    recentReturns: [],
    solved: null,
    trainSeconds: 0,
  };
}

/** The next due step of an every-`interval` schedule after `step` (NEVER when the interval is 0). */
export function nextDue(next: number, step: number, interval: number): number {
  if (!(interval > 0)) return NEVER;
  let n = next;
  while (n <= step) n += interval;
  return n;
}

/** The loop's counters out of a checkpoint's state (every training loop's checkpoint stores them the same way). */
export function loopCountersOf(s: LoopCounters): LoopCounters {
  return {
    globalStep: s.globalStep,
    iteration: s.iteration,
    episodes: s.episodes,
    evalCount: s.evalCount,
    nextEvalStep: s.nextEvalStep,
    nextCheckpointStep: s.nextCheckpointStep,
    recentReturns: s.recentReturns,
    solved: s.solved,
    trainSeconds: s.trainSeconds,
  };
}

interface LoopState extends LoopCounters {
  version: 1;
  algo: string;
  env: string;
  seed: number;
  rng: RngState;
  venv: VectorEnvCopySnapshot[];
  obsRms: RunningMeanStdState | null;
  rewardScaler: RewardScalerState | null;
  optimizers: Record<string, OptimizerState>;
  /** gSDE's exploration matrices and resampling position (absent without gSDE). */
  gsdeNoise?: GsdeNoiseState;
}

export interface CheckpointParts {
  model: ActorCritic;
  optimizers: Record<string, Optimizer>;
  collector: Collector;
  rng: Rng;
  meta: { algo: string; env: string; seed: number };
}

export async function saveLoopCheckpoint(
  runDir: string,
  parts: CheckpointParts,
  counters: LoopCounters,
  keepLast: number,
  metrics: Record<string, number>,
): Promise<void> {
  const { model, optimizers, collector, rng, meta } = parts;
  const arrays: Record<string, CheckpointArray> = { params: model.params.slice(), normObs: collector.normObs.slice() };
  const optimizerStates: Record<string, OptimizerState> = {};
  for (const [name, opt] of Object.entries(optimizers)) {
    optimizerStates[name] = opt.state();
    for (const [key, arr] of Object.entries(opt.arrays())) arrays[`optim.${name}.${key}`] = arr.slice();
  }
  const state: LoopState = {
    version: 1,
    ...meta,
    ...counters,
    recentReturns: [...counters.recentReturns],
    rng: rng.getState(),
    venv: collector.venv.snapshot(),
    obsRms: collector.obsRms?.getState() ?? null,
    rewardScaler: collector.rewardScaler?.getState() ?? null,
    optimizers: optimizerStates,
    ...(collector.gsdeNoise ? { gsdeNoise: collector.gsdeNoise.state() } : {}),
  };
  const finite = Object.fromEntries(Object.entries(metrics).filter(([, v]) => Number.isFinite(v)));
  await saveCheckpoint(runDir, { step: counters.globalStep, models: model.toArtifacts(), arrays, state, metrics: finite }, { keepLast });
}

/**
 * Restores the newest intact checkpoint into `parts`; returns its counters. Damaged newer checkpoints are skipped
 * (and moved aside, so later saves at their steps cannot overwrite them); each one is reported through `warn` with
 * its path and what was wrong, for the run log.
 */
export async function loadLoopCheckpoint(runDir: string, parts: CheckpointParts, warn?: (line: string) => void): Promise<LoopCounters> {
  const { model, optimizers, collector, rng, meta } = parts;
  const ckpt = await loadCheckpoint<LoopState>(runDir, 'latest', { setAsideDamaged: true });
  for (const d of ckpt.skipped) {
    warn?.(`warning: skipped the damaged checkpoint at ${describeDamage(d)}; resuming from the checkpoint at step ${ckpt.step} (the damaged one is kept in ${d.dir})`);
  }
  const s = ckpt.state;
  if (!s || s.version !== 1) throw new Error(`checkpoint at step ${ckpt.step} in ${runDir} has no training-loop state (version ${String(s?.version)})`);
  if (s.algo !== meta.algo || s.env !== meta.env || s.seed !== meta.seed) {
    throw new Error(
      `checkpoint at step ${ckpt.step} belongs to ${s.algo} on ${s.env} with seed ${s.seed}, not ${meta.algo} on ${meta.env} with seed ${meta.seed}`,
    );
  }
  model.setParams(asFloat32(ckpt.arrays.params, 'params'));
  for (const [name, opt] of Object.entries(optimizers)) {
    const st = s.optimizers[name];
    if (!st) throw new Error(`checkpoint at step ${ckpt.step} has no state for optimizer ${JSON.stringify(name)}`);
    const arrays: Record<string, Float32Array> = {};
    for (const key of Object.keys(opt.arrays())) arrays[key] = asFloat32(ckpt.arrays[`optim.${name}.${key}`], `optim.${name}.${key}`);
    opt.restore(st, arrays);
  }
  rng.setState(s.rng);
  collector.venv.restore(s.venv);
  collector.normObs.set(asFloat32(ckpt.arrays.normObs, 'normObs'));
  if (collector.obsRms) {
    if (!s.obsRms) throw new Error(`checkpoint at step ${ckpt.step} has no observation statistics, but normalizeObs is on`);
    collector.obsRms.setState(s.obsRms);
  }
  if (collector.rewardScaler) {
    if (!s.rewardScaler) throw new Error(`checkpoint at step ${ckpt.step} has no reward statistics, but normalizeReward is on`);
    collector.rewardScaler.setState(s.rewardScaler);
  }
  if (collector.gsdeNoise) {
    if (!s.gsdeNoise) throw new Error(`checkpoint at step ${ckpt.step} has no gSDE noise state, but useSde is on`);
    collector.gsdeNoise.restore(s.gsdeNoise);
  }
  return loopCountersOf(s);
}

function asFloat32(a: CheckpointArray | undefined, name: string): Float32Array {
  if (!(a instanceof Float32Array)) throw new Error(`checkpoint array ${name} is missing or not float32`);
  return a;
}
