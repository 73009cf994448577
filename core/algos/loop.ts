/**
 * The one training loop every algorithm shares:
 *   collect a rollout (one batched forward pass per vector step) → compute returns/advantages (core/common/returns,
 *   terminated bootstraps 0, truncated bootstraps V(final obs)) → the algorithm's update → log namespaced metrics →
 *   periodic deterministic evaluation (first episode saved for replay) → checkpoint → stop or go on.
 * It writes metrics, checkpoints and episodes under runDir through core/store and never touches db.json (the caller
 * owns the run record). Stopping (AbortSignal) finishes the current iteration, checkpoints, and returns 'stopped';
 * `resume: true` restores the latest checkpoint and continues with the same numbers an uninterrupted run gives.
 */
import { METRIC } from '../common/metrics.js';
import { progressOf } from '../common/schedules.js';
import { Rng } from '../common/rng.js';
import { envSpec, isEnvId, prepareEnv, VectorEnv, type EnvId } from '../envs/index.js';
import { MetricWriter, saveEpisode, truncateMetrics } from '../store/index.js';
import { describeBackend, initBackend, type BackendInfo } from '../tensor/backend.js';
import { KERNEL } from './nn/linalg.js';
import { initialCounters, loadLoopCheckpoint, nextDue, saveLoopCheckpoint, type CheckpointParts, type LoopCounters, type Solved } from './checkpoint.js';
import { Collector, type PhaseClock } from './collect.js';
import { parseConfig, type CommonConfig } from './config-common.js';
import { evalSeed, evaluatePolicy } from './evaluate.js';
import { ALGO_METRIC } from './metrics.js';
import { ActorCritic, gsdeOptionOf } from './model.js';
import { algoSpec, type AlgoConfig, type AlgoId } from './registry.js';

/** Training episodes the recent return (progress, "solved") averages over, as the benchmark does. */
export const RECENT_WINDOW = 20;

export interface ProgressEvent {
  step: number;
  totalSteps: number;
  sps: number;
  /** Mean return of the last 20 training episodes (null before the first). */
  recentReturn: number | null;
  etaSeconds: number | null;
}

export interface TrainEvents {
  metrics?(step: number, values: Record<string, number>): void;
  progress?(p: ProgressEvent): void;
  log?(line: string): void;
  checkpoint?(c: { step: number }): void;
  episode?(e: { step: number }): void;
}

export interface TrainRunOptions {
  runDir: string;
  runId: string;
  algo: AlgoId;
  env: EnvId;
  /** The algorithm's config (validated again here: defaults fill anything missing). */
  config: AlgoConfig | Record<string, unknown>;
  seed: number;
  totalSteps: number;
  resume?: boolean;
  signal: AbortSignal;
  events?: TrainEvents;
}

export interface PhaseSeconds {
  env: number;
  inference: number;
  update: number;
  logging: number;
}

export interface TrainResult {
  status: 'finished' | 'stopped';
  step: number;
  backend: BackendInfo;
  episodes: number;
  /** When the 20-episode mean return first reached the env's reward threshold (null: not yet / no threshold). */
  solved: Solved | null;
  /** Mean return of the last 20 training episodes at the end. */
  recentReturn: number | null;
  /** Wall time of this call, by phase (seconds). */
  phases: PhaseSeconds;
  /** Env steps per second of this call. */
  sps: number;
}

const PROGRESS_INTERVAL_MS = 100;
/** A step count no run reaches (JSON-safe, unlike Infinity): "never" for disabled evaluations/checkpoints. */

/** `wasm-simd kernels` / `js kernels` (the hand-derived engine, core/algos/nn) or `tfjs:<backend>` (autodiff). */
export function updateEngine(engine: 'js' | 'tfjs', tfjsBackend: string): string {
  return engine === 'tfjs' ? `tfjs:${tfjsBackend}` : `${KERNEL} kernels`;
}

export async function trainRun(opts: TrainRunOptions): Promise<TrainResult> {
  const startedAt = performance.now();
  await initBackend();
  const tfjsBackend = describeBackend();
  const spec = algoSpec(opts.algo);
  // An algorithm with its own loop (APG: its rollout is its loss) takes the run from here.
  if (spec.train) return spec.train(opts);
  if (!isEnvId(opts.env)) throw new Error(`unknown env ${JSON.stringify(opts.env)}`);
  if (!Number.isInteger(opts.totalSteps) || opts.totalSteps < 1) throw new Error(`totalSteps must be a positive integer, got ${opts.totalSteps}`);
  if (!Number.isInteger(opts.seed)) throw new Error(`seed must be an integer, got ${opts.seed}`);
  const config = parseConfig(spec.configSchema, opts.config);
  const common = config as unknown as CommonConfig;
  await prepareEnv(opts.env);
  // The update engine is recorded beside the tfjs backend: the default engine runs the project's own kernels, and
  // tfjs's backend only matters to it when config.engine is "tfjs".
  const backend: BackendInfo = { ...tfjsBackend, engine: updateEngine(common.engine, tfjsBackend.name) };
  const impl = spec.impl;
  const env = envSpec(opts.env);
  const events = opts.events ?? {};
  const log = (line: string): void => events.log?.(line);

  const shape = impl.rolloutShape(config);
  const venv = new VectorEnv(opts.env, shape.numEnvs, opts.seed);
  const rng = new Rng(opts.seed);
  const model = ActorCritic.create(
    {
      obsDim: env.obsDim,
      actionSpace: env.actionSpace,
      hiddenSizes: common.hiddenSizes,
      activation: common.activation,
      logStdInit: common.logStdInit,
      orthoInit: common.orthoInit,
      gsde: gsdeOptionOf(common),
    },
    rng,
  );
  const optimizers = impl.createOptimizers(model, config);
  const collector = new Collector(venv, model, common, shape);
  const parts: CheckpointParts = { model, optimizers, collector, rng, meta: { algo: opts.algo, env: opts.env, seed: opts.seed } };
  // Iterations (for schedules) assume full rollouts of numEnvs × numSteps; 'episodes' rollouts use step progress.
  const stepsPerIteration = shape.numSteps === 'episodes' ? null : shape.numEnvs * shape.numSteps;
  const numIterations = stepsPerIteration ? Math.max(1, Math.ceil(opts.totalSteps / stepsPerIteration)) : null;

  let c: LoopCounters = initialCounters(common);
  if (opts.resume) {
    c = await loadLoopCheckpoint(opts.runDir, parts, log); // logs a warning per damaged checkpoint it skipped
    // Metrics logged after the checkpoint (a crash, or a stop that lost its last flush) are logged again.
    const cut = await truncateMetrics(opts.runDir, c.globalStep);
    if (cut.quarantine) {
      const lines = cut.quarantine.lines.map((l) => l.line);
      log(
        `warning: ${lines.length} unreadable line(s) of metrics.jsonl (line ${lines.slice(0, 20).join(', ')}${lines.length > 20 ? ', …' : ''}) ` +
          `were moved to ${cut.quarantine.path} before it was cut back to step ${c.globalStep}`,
      );
    }
    for (const p of cut.indexProblems) log(`warning: rebuilt the chart index from metrics.jsonl: ${p.file}: ${p.reason}`);
    log(`resumed ${opts.algo} on ${opts.env} from the checkpoint at step ${c.globalStep}`);
  } else {
    collector.reset(opts.seed);
  }

  const writer = new MetricWriter(opts.runDir);
  const clock: PhaseClock = { env: 0, inference: 0, update: 0, logging: 0 };
  const startStep = c.globalStep;
  const secondsBefore = c.trainSeconds;
  const loopStart = performance.now();
  const threshold = env.rewardThreshold;
  const elapsed = (): number => secondsBefore + (performance.now() - loopStart) / 1000;
  let lastProgress = -Infinity;
  let finishedEpisodes: number[] = [];
  let finishedLengths: number[] = [];
  /** This iteration's finished episodes at the step each ended: one metric record each (charts/episodicReturn). */
  let finishedAt: number[] = [];
  const onEpisode = (ret: number, length: number, step: number): void => {
    finishedEpisodes.push(ret);
    finishedLengths.push(length);
    finishedAt.push(step);
    c.episodes++;
    c.recentReturns.push(ret);
    if (c.recentReturns.length > RECENT_WINDOW) c.recentReturns.shift();
    if (c.solved === null && threshold !== null && c.recentReturns.length === RECENT_WINDOW && mean(c.recentReturns) >= threshold) {
      c.solved = { step, seconds: elapsed(), processSeconds: performance.now() / 1000 };
      log(`${RECENT_WINDOW}-episode mean return reached ${threshold} at step ${step} (${c.solved.seconds.toFixed(2)} s)`);
    }
  };
  const recentReturn = (): number | null => (c.recentReturns.length ? mean(c.recentReturns) : null);
  const progress = (force: boolean): void => {
    const now = performance.now();
    if (!events.progress || (!force && now - lastProgress < PROGRESS_INTERVAL_MS)) return;
    lastProgress = now;
    const sps = (c.globalStep - startStep) / Math.max(1e-9, (now - loopStart) / 1000);
    events.progress({
      step: c.globalStep,
      totalSteps: opts.totalSteps,
      sps,
      recentReturn: recentReturn(),
      etaSeconds: sps > 0 ? Math.max(0, (opts.totalSteps - c.globalStep) / sps) : null,
    });
  };
  const checkpoint = async (metrics: Record<string, number>): Promise<void> => {
    c.trainSeconds = elapsed();
    await saveLoopCheckpoint(opts.runDir, parts, c, common.keepCheckpoints, metrics);
    events.checkpoint?.({ step: c.globalStep });
  };
  const evaluate = async (): Promise<Record<string, number>> => {
    const seeds = Array.from({ length: common.evalEpisodes }, (_, i) => evalSeed(opts.seed, c.evalCount, common.evalEpisodes, i));
    const result = evaluatePolicy(model, opts.env, seeds, collector.obsRms, common.clipActions);
    c.evalCount++;
    await saveEpisode(opts.runDir, c.globalStep, result.recorded);
    events.episode?.({ step: c.globalStep });
    return { [METRIC.evalReturn]: mean(result.returns), [METRIC.evalLength]: mean(result.lengths) };
  };

  let status: 'finished' | 'stopped' = 'finished';
  let lastMetrics: Record<string, number> = {};
  try {
    progress(true);
    while (c.globalStep < opts.totalSteps) {
      if (opts.signal.aborted) {
        status = 'stopped';
        break;
      }
      const stepBefore = c.globalStep;
      finishedEpisodes = [];
      finishedLengths = [];
      finishedAt = [];
      const rollout = collector.collect(rng, stepBefore, onEpisode, clock, impl.needsValues(config));
      c.globalStep += rollout.envSteps;

      const tUpdate = performance.now();
      impl.computeTargets(collector.buffer, rollout.steps, config);
      const samples = collector.takeSamples();
      const progressFraction = numIterations ? progressOf(c.iteration, numIterations) : Math.min(1, stepBefore / opts.totalSteps);
      const values: Record<string, number> = impl.update({ model, samples, config, rng, progress: progressFraction, optimizers });
      c.iteration++;
      const tLog = performance.now();
      clock.update += tLog - tUpdate;

      if (finishedEpisodes.length > 0) {
        values[METRIC.episodeReturn] = mean(finishedEpisodes);
        values[METRIC.episodeLength] = mean(finishedLengths);
        values[ALGO_METRIC.episodes] = finishedEpisodes.length;
      }
      const recent = recentReturn();
      if (recent !== null) values[ALGO_METRIC.recentReturn] = recent;
      const done = c.globalStep >= opts.totalSteps;
      if (c.globalStep >= c.nextEvalStep || (done && common.evalInterval > 0)) {
        Object.assign(values, await evaluate());
        c.nextEvalStep = nextDue(c.nextEvalStep, c.globalStep, common.evalInterval);
      }
      values[METRIC.sps] = (c.globalStep - startStep) / Math.max(1e-9, (performance.now() - loopStart) / 1000);
      values[ALGO_METRIC.elapsed] = elapsed();
      const finite = finiteOnly(values);
      // Every finished episode at its own step, before the iteration's record (steps stay in order): the per-episode
      // criteria ("20-episode mean of training returns") can then be recomputed from the stored stream.
      for (let i = 0; i < finishedAt.length; i++) {
        const episode = finiteOnly({ [METRIC.episodicReturn]: finishedEpisodes[i]!, [METRIC.episodicLength]: finishedLengths[i]! });
        writer.append(finishedAt[i]!, episode);
        events.metrics?.(finishedAt[i]!, episode);
      }
      writer.append(c.globalStep, finite);
      events.metrics?.(c.globalStep, finite);
      lastMetrics = finite;
      if (c.globalStep >= c.nextCheckpointStep && !done) {
        c.nextCheckpointStep = nextDue(c.nextCheckpointStep, c.globalStep, common.checkpointInterval);
        await checkpoint(finite);
      }
      progress(done);
      clock.logging += performance.now() - tLog;
      // Let timers, signals and I/O run (SIGINT → abort, metric flushes, progress consumers).
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    const tEnd = performance.now();
    await checkpoint(lastMetrics);
    progress(true);
    clock.logging += performance.now() - tEnd;
    log(`${status === 'finished' ? 'finished' : 'stopped'} at step ${c.globalStep} (${c.episodes} episodes)`);
  } finally {
    await writer.close();
  }
  const wall = (performance.now() - startedAt) / 1000;
  return {
    status,
    step: c.globalStep,
    backend,
    episodes: c.episodes,
    solved: c.solved,
    recentReturn: recentReturn(),
    phases: {
      env: clock.env / 1000,
      inference: clock.inference / 1000,
      update: clock.update / 1000,
      logging: clock.logging / 1000,
    },
    sps: (c.globalStep - startStep) / Math.max(1e-9, wall),
  };
}

function mean(xs: readonly number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

function finiteOnly(values: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(values)) if (Number.isFinite(v)) out[k] = v;
  return out;
}
