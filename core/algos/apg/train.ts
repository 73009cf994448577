/**
 * APG's training loop. The shared loop (core/algos/loop.ts) is collect → compute targets → update over a rollout
 * buffer of plain numbers; APG's rollout IS its loss (the gradient flows back through it), so it cannot be collected
 * ahead of the update. This loop runs window → update in one piece (apg.ts) and reuses everything else the shared
 * loop uses, with the same semantics: the run's metric stream (core/store MetricWriter; per-episode records at the
 * step each episode ended, then the update's record), deterministic evaluations every evalInterval env steps with
 * the first episode recorded for replay (evaluate.ts, seeds from core/algos/evaluate.ts), progress events, the
 * 20-episode "solved" criterion, checkpoints (core/store) every checkpointInterval and on stop/end, stop by
 * AbortSignal, and an exact resume: a run resumed from its checkpoint logs the same numbers as one that never
 * stopped. trainRun (loop.ts) hands APG runs here.
 */
import { METRIC } from '../../common/metrics.js';
import type { RunningMeanStdState } from '../../common/normalizer.js';
import { Rng, type RngState } from '../../common/rng.js';
import { DIFF_ENV_IDS, DiffVectorEnv, isDiffEnvId, makeDiffEnv, type DiffEnvCopySnapshot } from '../../envs/diff/index.js';
import { boxSpace, envSpec, isEnvId } from '../../envs/index.js';
import { describeDamage, loadCheckpoint, MetricWriter, saveCheckpoint, saveEpisode, truncateMetrics, type CheckpointArray } from '../../store/index.js';
import { describeBackend, initBackend, type BackendInfo } from '../../tensor/backend.js';
import { initialCounters, type LoopCounters, loopCountersOf, nextDue } from '../checkpoint.js';
import { parseConfig } from '../config-common.js';
import { evalSeed } from '../evaluate.js';
import type { ProgressEvent, TrainEvents, TrainResult } from '../loop.js';
import { ALGO_METRIC } from '../metrics.js';
import { ActorCritic } from '../model.js';
import { KERNEL } from '../nn/linalg.js';
import type { OptimizerState } from '../nn/optim.js';
import { APG_ACTION_SQUASH, ApgLearner } from './apg.js';
import { apgConfigSchema, apgStepsPerUpdate, type ApgConfig } from './config.js';
import { evaluateApg } from './evaluate.js';

/** Training episodes the recent return (progress, "solved") averages over, as the shared loop's RECENT_WINDOW. */
const RECENT_WINDOW = 20;
const PROGRESS_INTERVAL_MS = 100;
/** "Never" for disabled evaluations/checkpoints (JSON-safe, unlike Infinity). */

export interface ApgTrainOptions {
  runDir: string;
  runId: string;
  /** A differentiable env (core/envs/diff): Pendulum-v1, MountainCarContinuous-v0 or PointReach-v0. */
  env: string;
  config: ApgConfig | Record<string, unknown>;
  seed: number;
  totalSteps: number;
  resume?: boolean;
  signal: AbortSignal;
  events?: TrainEvents;
}

/** The same counters the shared loop keeps and checkpoints. */
type ApgCounters = LoopCounters;

/** What an APG checkpoint's state.json holds (arrays.bin: params, Adam moments, the target critic). */
interface ApgState extends ApgCounters {
  version: 1;
  algo: 'apg';
  env: string;
  seed: number;
  /** How actions are formed from the actor's output (the policy loader applies it). */
  actionSquash: typeof APG_ACTION_SQUASH;
  rng: RngState;
  venv: DiffEnvCopySnapshot[];
  obsRms: RunningMeanStdState | null;
  optimizers: Record<string, OptimizerState>;
  updates: number;
  skippedUpdates: number;
}

export async function trainApg(opts: ApgTrainOptions): Promise<TrainResult> {
  const startedAt = performance.now();
  if (!isDiffEnvId(opts.env)) {
    throw new Error(`APG trains through a differentiable env; ${JSON.stringify(opts.env)} has none (differentiable envs: ${DIFF_ENV_IDS.join(', ')})`);
  }
  if (!Number.isInteger(opts.totalSteps) || opts.totalSteps < 1) throw new Error(`totalSteps must be a positive integer, got ${opts.totalSteps}`);
  if (!Number.isInteger(opts.seed)) throw new Error(`seed must be an integer, got ${opts.seed}`);
  await initBackend();
  const tfjsBackend = describeBackend();
  const config = parseConfig(apgConfigSchema, opts.config);
  const backend: BackendInfo = { ...tfjsBackend, engine: config.engine === 'tfjs' ? `tfjs:${tfjsBackend.name}` : `${KERNEL} kernels` };
  const envId = opts.env;
  const env = makeDiffEnv(envId);
  const events = opts.events ?? {};
  const log = (line: string): void => events.log?.(line);

  const venv = new DiffVectorEnv(env, config.numEnvs, opts.seed);
  const rng = new Rng(opts.seed);
  const model = ActorCritic.create(
    {
      obsDim: env.obsDim,
      actionSpace: boxSpace([...env.actionLow], [...env.actionHigh]),
      hiddenSizes: config.hiddenSizes,
      activation: config.activation,
      logStdInit: config.logStdInit,
    },
    rng,
  );
  const learner = new ApgLearner(model, env, config);
  const stepsPerUpdate = apgStepsPerUpdate(config);
  const numIterations = Math.max(1, Math.ceil(opts.totalSteps / stepsPerUpdate));
  const threshold = isEnvId(envId) ? envSpec(envId).rewardThreshold : null;

  let c: ApgCounters = initialCounters(config);
  const meta = { algo: 'apg' as const, env: envId, seed: opts.seed };
  if (opts.resume) {
    c = await loadApgCheckpoint(opts.runDir, meta, { model, learner, venv, rng }, log);
    const cut = await truncateMetrics(opts.runDir, c.globalStep);
    if (cut.quarantine) {
      log(`warning: ${cut.quarantine.lines.length} unreadable line(s) of metrics.jsonl were moved to ${cut.quarantine.path} before it was cut back to step ${c.globalStep}`);
    }
    for (const p of cut.indexProblems) log(`warning: rebuilt the chart index from metrics.jsonl: ${p.file}: ${p.reason}`);
    log(`resumed apg on ${envId} from the checkpoint at step ${c.globalStep}`);
  } else {
    venv.resetAll(opts.seed);
  }

  const writer = new MetricWriter(opts.runDir);
  const clock = { env: 0, inference: 0, update: 0, logging: 0 };
  const startStep = c.globalStep;
  const secondsBefore = c.trainSeconds;
  const loopStart = performance.now();
  const elapsed = (): number => secondsBefore + (performance.now() - loopStart) / 1000;
  let lastProgress = -Infinity;
  let finished: { ret: number; length: number; step: number }[] = [];
  const onEpisode = (ret: number, length: number, step: number): void => {
    finished.push({ ret, length, step });
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
    const p: ProgressEvent = {
      step: c.globalStep,
      totalSteps: opts.totalSteps,
      sps,
      recentReturn: recentReturn(),
      etaSeconds: sps > 0 ? Math.max(0, (opts.totalSteps - c.globalStep) / sps) : null,
    };
    events.progress(p);
  };
  const checkpoint = async (metrics: Record<string, number>): Promise<void> => {
    c.trainSeconds = elapsed();
    await saveApgCheckpoint(opts.runDir, meta, { model, learner, venv, rng }, c, config.keepCheckpoints, metrics);
    events.checkpoint?.({ step: c.globalStep });
  };
  const evaluate = async (): Promise<Record<string, number>> => {
    const seeds = Array.from({ length: config.evalEpisodes }, (_, i) => evalSeed(opts.seed, c.evalCount, config.evalEpisodes, i));
    const result = evaluateApg(model, env, seeds, learner.obsRms);
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
      finished = [];
      const tUpdate = performance.now();
      const result = learner.update(venv, rng, stepBefore, Math.min(c.iteration / numIterations, 1), onEpisode);
      c.globalStep += stepsPerUpdate;
      c.iteration++;
      const values = result.metrics;
      clock.env += values[ALGO_METRIC.forwardMs];
      clock.update += performance.now() - tUpdate - values[ALGO_METRIC.forwardMs];
      const tLog = performance.now();
      if (result.skipped) log(`warning: skipped the update of the window ending at step ${c.globalStep}: ${result.skipped} (parameters left as they were)`);
      if (result.criticSkipped > 0) log(`warning: ${result.criticSkipped} critic minibatch step(s) of the window ending at step ${c.globalStep} had a non-finite loss or gradient and were skipped`);

      if (finished.length > 0) {
        values[METRIC.episodeReturn] = mean(finished.map((f) => f.ret));
        values[METRIC.episodeLength] = mean(finished.map((f) => f.length));
        values[ALGO_METRIC.episodes] = finished.length;
      }
      const recent = recentReturn();
      if (recent !== null) values[ALGO_METRIC.recentReturn] = recent;
      const done = c.globalStep >= opts.totalSteps;
      if (c.globalStep >= c.nextEvalStep || (done && config.evalInterval > 0)) {
        const tEval = performance.now();
        Object.assign(values, await evaluate());
        clock.inference += performance.now() - tEval;
        c.nextEvalStep = nextDue(c.nextEvalStep, c.globalStep, config.evalInterval);
      }
      values[ALGO_METRIC.envSteps] = c.globalStep;
      values[METRIC.sps] = (c.globalStep - startStep) / Math.max(1e-9, (performance.now() - loopStart) / 1000);
      values[ALGO_METRIC.elapsed] = elapsed();
      const finite = finiteOnly(values);
      for (const f of finished) {
        const episode = finiteOnly({ [METRIC.episodicReturn]: f.ret, [METRIC.episodicLength]: f.length });
        writer.append(f.step, episode);
        events.metrics?.(f.step, episode);
      }
      writer.append(c.globalStep, finite);
      events.metrics?.(c.globalStep, finite);
      lastMetrics = finite;
      if (c.globalStep >= c.nextCheckpointStep && !done) {
        c.nextCheckpointStep = nextDue(c.nextCheckpointStep, c.globalStep, config.checkpointInterval);
        await checkpoint(finite);
      }
      progress(done);
      clock.logging += performance.now() - tLog;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    const tEnd = performance.now();
    await checkpoint(lastMetrics);
    progress(true);
    clock.logging += performance.now() - tEnd;
    log(`${status} at step ${c.globalStep} (${c.episodes} episodes, ${learner.skippedUpdates} of ${learner.updates} updates skipped)`);
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
    // APG steps the env and the policy together inside its differentiable window: both count as `env`;
    // `inference` is the evaluation episodes'.
    phases: { env: clock.env / 1000, inference: clock.inference / 1000, update: clock.update / 1000, logging: clock.logging / 1000 },
    sps: (c.globalStep - startStep) / Math.max(1e-9, wall),
  };
}

interface ApgParts {
  model: ActorCritic;
  learner: ApgLearner;
  venv: DiffVectorEnv;
  rng: Rng;
}

async function saveApgCheckpoint(
  runDir: string,
  meta: { algo: 'apg'; env: string; seed: number },
  parts: ApgParts,
  counters: ApgCounters,
  keepLast: number,
  metrics: Record<string, number>,
): Promise<void> {
  const { model, learner, venv, rng } = parts;
  const arrays: Record<string, CheckpointArray> = { params: model.params.slice() };
  const optimizers: Record<string, OptimizerState> = { actor: learner.actorOptimizer.state() };
  for (const [key, arr] of Object.entries(learner.actorOptimizer.arrays())) arrays[`optim.actor.${key}`] = arr.slice();
  if (learner.critic) {
    optimizers.critic = learner.critic.optimizer.state();
    for (const [key, arr] of Object.entries(learner.critic.optimizer.arrays())) arrays[`optim.critic.${key}`] = arr.slice();
    arrays.targetCritic = learner.critic.targetParams.slice();
  }
  const state: ApgState = {
    version: 1,
    ...meta,
    ...counters,
    recentReturns: [...counters.recentReturns],
    actionSquash: APG_ACTION_SQUASH,
    rng: rng.getState(),
    venv: venv.snapshot(),
    obsRms: learner.obsRms?.getState() ?? null,
    optimizers,
    updates: learner.updates,
    skippedUpdates: learner.skippedUpdates,
  };
  const finite = finiteOnly(metrics);
  await saveCheckpoint(runDir, { step: counters.globalStep, models: model.toArtifacts(), arrays, state, metrics: finite }, { keepLast });
}

async function loadApgCheckpoint(
  runDir: string,
  meta: { algo: 'apg'; env: string; seed: number },
  parts: ApgParts,
  warn: (line: string) => void,
): Promise<ApgCounters> {
  const { model, learner, venv, rng } = parts;
  const ckpt = await loadCheckpoint<ApgState>(runDir, 'latest', { setAsideDamaged: true });
  for (const d of ckpt.skipped) {
    warn(`warning: skipped the damaged checkpoint at ${describeDamage(d)}; resuming from the checkpoint at step ${ckpt.step} (the damaged one is kept in ${d.dir})`);
  }
  const s = ckpt.state;
  const where = `checkpoint at step ${ckpt.step} in ${runDir}`;
  if (!s || s.version !== 1 || s.algo !== 'apg') throw new Error(`${where} holds no APG training state (algo ${String(s?.algo)}, version ${String(s?.version)})`);
  if (s.env !== meta.env || s.seed !== meta.seed) {
    throw new Error(`${where} belongs to apg on ${s.env} with seed ${s.seed}, not ${meta.env} with seed ${meta.seed}`);
  }
  const f32 = (name: string): Float32Array => {
    const a = ckpt.arrays[name];
    if (!(a instanceof Float32Array)) throw new Error(`${where}: array ${name} is missing or not float32`);
    return a;
  };
  model.setParams(f32('params'));
  const restoreOptimizer = (name: string, opt: ApgLearner['actorOptimizer']): void => {
    const st = s.optimizers[name];
    if (!st) throw new Error(`${where} has no state for optimizer ${JSON.stringify(name)}`);
    const arrays: Record<string, Float32Array> = {};
    for (const key of Object.keys(opt.arrays())) arrays[key] = f32(`optim.${name}.${key}`);
    opt.restore(st, arrays);
  };
  restoreOptimizer('actor', learner.actorOptimizer);
  if (learner.critic) {
    restoreOptimizer('critic', learner.critic.optimizer);
    learner.critic.targetParams.set(f32('targetCritic'));
  }
  if (learner.obsRms) {
    if (!s.obsRms) throw new Error(`${where} has no observation statistics, but normalizeObs is on`);
    learner.obsRms.setState(s.obsRms);
  }
  learner.paramsChanged();
  learner.updates = s.updates;
  learner.skippedUpdates = s.skippedUpdates;
  rng.setState(s.rng);
  venv.restore(s.venv);
  return loopCountersOf(s);
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
