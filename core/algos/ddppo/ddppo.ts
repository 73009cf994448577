/**
 * DD-PPO's worker (Wijmans et al., 2020; habitat-lab `habitat_baselines/rl/ddppo/`): every worker holds a replica of
 * the policy, collects its own rollout, computes PPO's gradient per minibatch, and all workers average those
 * gradients (equal weight, all-reduce) before the identical optimizer step — no parameter server.
 *
 * Preemption of stragglers (the paper's §3): a shared counter num_done; after each env step a worker stops collecting
 * once step ≥ minRolloutFraction·numSteps and num_done ≥ syncFraction·N. A cut rollout is used as collected: GAE over
 * the steps it has, bootstrapped with V at the cut; its envs continue mid-episode. After its rollout a worker adds 1
 * to num_done; rank 0 resets it after the post-update all-reduce, and a barrier follows so no worker reads the old
 * count in its next rollout (habitat-lab leaves that race open; closing it keeps runs reproducible).
 *
 * PPO's loss (ppoLossJs), its coefficients and its config are reused as they are; only the update loop differs from
 * ppoUpdate: an all-reduce between the backward pass and the clipping + Adam step.
 */
import { METRIC } from '../../common/metrics.js';
import { normalizeInPlace } from '../../common/returns.js';
import { Rng } from '../../common/rng.js';
import { minibatchIndices } from '../../common/rollout.js';
import { linear, progressOf } from '../../common/schedules.js';
import { envSpec, prepareEnv, VectorEnv, type EnvId, type VectorEnvCopySnapshot } from '../../envs/index.js';
import type { RewardScalerState, RunningMeanStdState } from '../../common/normalizer.js';
import type { RngState } from '../../common/rng.js';
import type { Collective } from '../../collective/collective.js';
import { Collector, type PhaseClock } from '../collect.js';
import { ActorCritic } from '../model.js';
import { Adam, clipGradNorm } from '../nn/optim.js';
import { ppoLossJs, type PpoLossCoefs } from '../ppo/ppo.js';
import { gaeTargets, MinibatchGatherer } from '../samples.js';
import type { Samples } from '../types.js';
import type { DdppoConfig } from './config.js';

export const DDPPO_METRIC = {
  preemptedFraction: 'ddppo/preemptedFraction',
  allReduceMs: 'ddppo/allReduceMs',
  idleMs: 'ddppo/idleMs',
  workerSps: (rank: number) => `ddppo/worker${rank}/sps`,
  workerIdleMs: (rank: number) => `ddppo/worker${rank}/idleMs`,
} as const;

/** Test and bench hooks (never part of a user's config). */
export interface WorkerFaults {
  /** Busy-wait this long after every env step (an artificial straggler). */
  stepDelayMs?: number;
  /** Throw this message at the start of this iteration. */
  throwAt?: { iteration: number; message: string };
  /** Perturb one parameter after this iteration's update (a replica that drifted). */
  perturbAt?: number;
}

/** What only this rank holds (its envs, streams and normalisers): with it, a resumed rank continues exactly. */
export interface RankState {
  rng: RngState;
  venv: VectorEnvCopySnapshot[];
  normObs: number[];
  obsRms: RunningMeanStdState | null;
  rewardScaler: RewardScalerState | null;
  /** The rank's last 20 training episode returns and when that mean first reached the threshold. */
  window: number[];
  solvedStep: number | null;
}

/** What every rank shares, from a checkpoint: rank 0 broadcasts it to the others at the start. */
export interface SharedResume {
  globalStep: number;
  iteration: number;
  params: Float32Array;
  optimizer: { t: number; m: Float32Array; v: Float32Array };
}

export interface CheckpointDue {
  iteration: number;
  globalStep: number;
  /** True at the last iteration (finished or stopped). */
  final: boolean;
  rankState: RankState;
  model: ActorCritic;
  optimizer: Adam;
}

export interface WorkerOptions {
  env: EnvId;
  config: DdppoConfig;
  seed: number;
  totalSteps: number;
  faults?: WorkerFaults;
  /** Rank 0: the shared state to continue from (broadcast to every rank). */
  resumeShared?: SharedResume;
  /** This rank's own state from the checkpoint (absent: its envs start afresh, reseeded by the iteration). */
  resumeRank?: RankState;
  /** Rank 0: asked before each iteration's statistics all-reduce; stop: every rank stops after this iteration. */
  control?(): { stop: boolean };
  /** Called after each update with the iteration's metrics (the all-reduced numbers; per-worker sps/idle of every rank). */
  onIteration?(iteration: number, globalStep: number, metrics: Record<string, number>, ctx: { model: ActorCritic; collector: Collector }): void | Promise<void>;
  onEpisode?(ret: number, length: number, globalStep: number): void;
  /** Every rank, when a checkpoint is due (each checkpointInterval env steps, and at the end or a stop). */
  onCheckpoint?(due: CheckpointDue): void | Promise<void>;
}

export interface WorkerResult {
  status: 'finished' | 'stopped';
  globalStep: number;
  iterations: number;
  params: Float32Array;
  /** Per iteration: the steps this worker collected (numSteps unless cut). */
  rolloutSteps: number[];
  /** This worker's last 20 training episode returns, oldest first. */
  recentReturns: number[];
  /** Global step when this worker's 20-episode mean first reached the env's threshold (null: never). */
  solvedStep: number | null;
}

/**
 * Copies rank 0's bytes to every rank exactly, over the mean all-reduce: each byte travels as a float, rank 0's
 * multiplied by N and everyone else's 0, so the mean is the byte itself (all integers, exact in float32).
 */
export async function broadcastBytes(coll: Collective, bytes: Uint8Array, chunk: number): Promise<void> {
  const N = coll.worldSize;
  const buf = new Float32Array(Math.max(1, chunk));
  for (let i = 0; i < bytes.length; i += buf.length) {
    const len = Math.min(buf.length, bytes.length - i);
    const x = buf.subarray(0, len);
    for (let j = 0; j < len; j++) x[j] = coll.rank === 0 ? bytes[i + j] * N : 0;
    await coll.allReduceMean(x);
    for (let j = 0; j < len; j++) {
      const v = Math.round(x[j]);
      if (v < 0 || v > 255) throw new Error(`DD-PPO: broadcast from rank 0 got a non-byte ${x[j]} (the ranks are not running the same sequence of collective operations)`);
      bytes[i + j] = v;
    }
  }
}

const asBytes = (a: Float32Array | Float64Array): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/** The seed of a rank's envs and streams, as habitat-lab: seed + rank · numEnvs. */
export function rankSeed(seed: number, rank: number, numEnvs: number): number {
  return seed + rank * numEnvs;
}

/** habitat-lab's preemption test, once per env step. */
export function shouldPreempt(step: number, numSteps: number, numDone: number, worldSize: number, c: Pick<DdppoConfig, 'syncFraction' | 'minRolloutFraction'>): boolean {
  return step >= c.minRolloutFraction * numSteps && numDone >= c.syncFraction * worldSize;
}

/** Three 11-bit folds of an FNV-1a hash of the parameters' bits (exact in float32 through an all-reduce). */
/** Four 8-bit folds of an FNV-1a hash of the parameters' bits (all 32 bits of the hash, exact through an all-reduce). */
export function paramChecksum(params: Float32Array): [number, number, number, number] {
  const bits = new Uint32Array(params.buffer, params.byteOffset, params.length);
  let h = 0x811c9dc5;
  for (let i = 0; i < bits.length; i++) h = Math.imul(h ^ bits[i], 0x01000193) >>> 0;
  return [h & 0xff, (h >>> 8) & 0xff, (h >>> 16) & 0xff, h >>> 24];
}

/**
 * Every replica's checksum is equal iff Σh² · N = (Σh)² for each fold (zero variance). The all-reduce sums in float32,
 * which holds integers exactly below 2^24: with 8-bit folds Σh² ≤ 64 · 255² ≈ 4.2M for the most workers the config
 * allows (11-bit folds overflowed that at N = 5). Throws on a mismatch.
 */
export async function compareChecksums(coll: Collective, params: Float32Array, iteration: number): Promise<void> {
  const h = paramChecksum(params);
  const v = new Float32Array([...h, ...h.map((x) => x * x)]);
  await coll.allReduceMean(v);
  const N = coll.worldSize;
  for (let k = 0; k < h.length; k++) {
    const s = Math.round(v[k] * N);
    const s2 = Math.round(v[k + h.length] * N);
    if (s2 * N !== s * s) {
      throw new Error(`DD-PPO: parameters differ between workers after update ${iteration} (checksum of rank ${coll.rank}: ${h.join('.')}); the replicas are no longer identical`);
    }
  }
}

/** One worker's whole training run over the collective. */
export async function runDdppoWorker(coll: Collective, opts: WorkerOptions): Promise<WorkerResult> {
  const { config: c, faults = {} } = opts;
  const N = coll.worldSize;
  const rank = coll.rank;
  const spec = envSpec(opts.env);
  await prepareEnv(opts.env);
  const minSteps = Math.max(1, Math.ceil(c.minRolloutFraction * c.numSteps));
  if (minSteps * c.numEnvs < c.numMinibatches) {
    throw new Error(
      `DD-PPO: a rollout cut at minRolloutFraction · numSteps = ${minSteps} steps × ${c.numEnvs} envs has fewer samples than numMinibatches = ${c.numMinibatches}; every worker must take the same number of steps`,
    );
  }
  if (c.workers !== N) throw new Error(`DD-PPO: config.workers = ${c.workers} but the collective has ${N} ranks`);
  const model = ActorCritic.create(
    { obsDim: spec.obsDim, actionSpace: spec.actionSpace, hiddenSizes: c.hiddenSizes, activation: c.activation, logStdInit: c.logStdInit, orthoInit: c.orthoInit },
    new Rng(opts.seed),
  );
  const optimizer = new Adam(model.params.length, c.adamEps);
  // Identical replicas: rank 0 broadcasts the step, the iteration, the weights and Adam's state (habitat-lab
  // broadcasts rank 0's weights); on a fresh run they equal every rank's own seeded init.
  const header = new Float64Array(3);
  if (rank === 0 && opts.resumeShared) {
    const r = opts.resumeShared;
    header.set([r.globalStep, r.iteration, r.optimizer.t]);
    model.params.set(r.params);
    optimizer.restore({ kind: 'adam', t: r.optimizer.t }, { m: r.optimizer.m, v: r.optimizer.v });
  }
  const chunk = model.params.length;
  await broadcastBytes(coll, asBytes(header), chunk);
  const adam = optimizer.arrays();
  await broadcastBytes(coll, asBytes(model.params), chunk);
  for (const key of Object.keys(adam).sort()) await broadcastBytes(coll, asBytes(adam[key]), chunk);
  optimizer.restore({ kind: 'adam', t: header[2] }, adam);
  model.paramsChanged();
  let globalStep = header[0];
  let iteration = header[1];

  const seed = rankSeed(opts.seed, rank, c.numEnvs);
  const rng = new Rng(seed);
  const venv = new VectorEnv(opts.env, c.numEnvs, seed);
  const shape = { numEnvs: c.numEnvs, numSteps: c.numSteps };
  const collector = new Collector(venv, model, c, shape);
  const window: number[] = [];
  let solvedStep: number | null = null;
  if (opts.resumeRank) {
    const s = opts.resumeRank;
    collector.reset(seed);
    rng.setState(s.rng);
    venv.restore(s.venv);
    collector.normObs.set(Float32Array.from(s.normObs));
    if (collector.obsRms && s.obsRms) collector.obsRms.setState(s.obsRms);
    if (collector.rewardScaler && s.rewardScaler) collector.rewardScaler.setState(s.rewardScaler);
    window.push(...s.window);
    solvedStep = s.solvedStep;
  } else {
    // A rank resumed without its own state (another machine's envs): fresh episodes, not a replay of the first.
    const reseed = iteration === 0 ? seed : seed + 1_000_003 * iteration;
    if (iteration > 0) rng.setState(new Rng(reseed).getState());
    collector.reset(reseed);
  }
  const rankState = (): RankState => ({
    rng: rng.getState(),
    venv: venv.snapshot(),
    normObs: Array.from(collector.normObs),
    obsRms: collector.obsRms?.getState() ?? null,
    rewardScaler: collector.rewardScaler?.getState() ?? null,
    window: [...window],
    solvedStep,
  });
  const clock: PhaseClock = { env: 0, inference: 0, update: 0, logging: 0 };
  const gatherer = new MinibatchGatherer(model.spec.obsDim, model.actDim);
  const fullBatch = N * c.numEnvs * c.numSteps;
  const numIterations = Math.max(1, Math.ceil(opts.totalSteps / fullBatch));
  const stepDelay = faults.stepDelayMs ?? 0;
  const STATS = 8;
  const stats = new Float32Array(STATS + 2 * N);
  const rolloutSteps: number[] = [];
  let recent: number[] = [];
  const threshold = spec.rewardThreshold;
  const startedAt = performance.now();
  const startStep = globalStep;
  let status: WorkerResult['status'] = 'finished';
  const interval = c.checkpointInterval;

  while (globalStep < opts.totalSteps) {
    if (faults.throwAt && faults.throwAt.iteration === iteration) throw new Error(faults.throwAt.message);
    const t0 = performance.now();
    recent = [];
    const stepBefore = globalStep;
    const rollout = collector.collect(
      rng,
      globalStep,
      (ret, length) => {
        recent.push(ret);
        window.push(ret);
        if (window.length > 20) window.shift();
        if (solvedStep === null && threshold !== null && window.length === 20 && window.reduce((a, b) => a + b, 0) / 20 >= threshold) solvedStep = stepBefore;
        opts.onEpisode?.(ret, length, stepBefore);
      },
      clock,
      true,
      (steps) => {
        if (stepDelay > 0) busyWait(stepDelay);
        return steps < c.numSteps && shouldPreempt(steps, c.numSteps, coll.counterPeek(), N, c);
      },
    );
    await coll.counterAdd(1);
    const collectMs = performance.now() - t0;
    rolloutSteps.push(rollout.steps);

    gaeTargets(collector.buffer, rollout.steps, c.gamma, c.gaeLambda);
    const samples = collector.takeSamples();
    const progress = progressOf(iteration, numIterations);
    const u = await update(coll, model, optimizer, gatherer, samples, c, rng, progress);

    if (faults.perturbAt === iteration) {
      model.params[0] += 1e-3;
      model.paramsChanged();
    }
    // Post-update all-reduce: the true env steps, the preempted share, the mean return, timings, rank 0's stop, and
    // each rank's own SPS and idle time in its slots (N · value there, 0 elsewhere: the mean is the value).
    stats.fill(0);
    stats[0] = rollout.envSteps;
    stats[1] = 1 - rollout.steps / c.numSteps;
    stats[2] = recent.length ? recent.reduce((a, b) => a + b, 0) : 0;
    stats[3] = recent.length;
    stats[4] = u.allReduceMs;
    stats[5] = u.idleMs;
    stats[6] = rank === 0 && opts.control?.().stop ? N : 0;
    const workerSps = rollout.envSteps / (collectMs / 1000);
    stats[STATS + 2 * rank] = workerSps * N;
    stats[STATS + 2 * rank + 1] = u.idleMs * N;
    await coll.allReduceMean(stats);
    if (rank === 0) await coll.counterSet(0);
    await coll.barrier();
    // Every rank learns the reset before its next rollout (a transport's background read from before it is dropped).
    await coll.counterGet();
    globalStep += Math.round(stats[0] * N);
    iteration++;
    if (iteration % c.checksumInterval === 0) await compareChecksums(coll, model.params, iteration);
    const stop = stats[6] > 0.5;

    const metrics: Record<string, number> = {
      ...u.metrics,
      [DDPPO_METRIC.preemptedFraction]: stats[1],
      [DDPPO_METRIC.allReduceMs]: stats[4],
      [DDPPO_METRIC.idleMs]: stats[5],
      [METRIC.sps]: (globalStep - startStep) / ((performance.now() - startedAt) / 1000),
    };
    for (let r = 0; r < N; r++) {
      metrics[DDPPO_METRIC.workerSps(r)] = r === rank ? workerSps : stats[STATS + 2 * r];
      metrics[DDPPO_METRIC.workerIdleMs(r)] = r === rank ? u.idleMs : stats[STATS + 2 * r + 1];
    }
    if (stats[3] > 0) metrics[METRIC.episodeReturn] = stats[2] / stats[3];
    await opts.onIteration?.(iteration, globalStep, metrics, { model, collector });
    const final = stop || globalStep >= opts.totalSteps;
    const crossed = interval > 0 && Math.floor(globalStep / interval) > Math.floor((globalStep - Math.round(stats[0] * N)) / interval);
    if (final || crossed) await opts.onCheckpoint?.({ iteration, globalStep, final, rankState: rankState(), model, optimizer });
    if (stop) {
      status = 'stopped';
      break;
    }
  }
  return { status, globalStep, iterations: iteration, params: Float32Array.from(model.params), rolloutSteps, recentReturns: window, solvedStep };
}

interface UpdateOut {
  metrics: Record<string, number>;
  allReduceMs: number;
  /** Time in the first gradient all-reduce: waiting for the slowest worker's rollout. */
  idleMs: number;
}

/**
 * PPO's epochs of minibatches with a gradient all-reduce before every step. Each worker cuts its own samples into
 * numMinibatches (so every worker takes the same number of steps even after a cut), and each worker's gradient has
 * equal weight in the mean, as DistributedDataParallel averages.
 */
export async function update(
  coll: Collective,
  model: ActorCritic,
  optimizer: Adam,
  gatherer: MinibatchGatherer,
  samples: Samples,
  c: DdppoConfig,
  rng: Rng,
  progress: number,
): Promise<UpdateOut> {
  const lr = c.annealLr ? linear(c.lr, 0)(progress) : c.lr;
  const coefs: PpoLossCoefs = {
    clip: c.clip,
    clipCoef: c.annealClipCoef ? linear(c.clipCoef, 0)(progress) : c.clipCoef,
    clipVloss: c.clipVloss,
    entCoef: c.entCoef,
    vfCoef: c.vfCoef,
  };
  let allReduceMs = 0;
  let idleMs = -1;
  const timed = async (x: Float32Array): Promise<void> => {
    const t = performance.now();
    await coll.allReduceMean(x);
    const dt = performance.now() - t;
    if (idleMs < 0) idleMs = dt;
    allReduceMs += dt;
  };
  if (c.distributedAdvNorm && c.normAdv) await distributedNormalize(samples.advantages.subarray(0, samples.size), timed, coll.worldSize);
  const minibatchSize = Math.max(1, Math.floor(samples.size / c.numMinibatches));
  const sums = { pgLoss: 0, valueLoss: 0, entropy: 0, approxKl: 0, clipFraction: 0, gradNorm: 0 };
  let steps = 0;
  for (let epoch = 0; epoch < c.updateEpochs; epoch++) {
    // A fixed count per epoch (not minibatchIndices' count, which depends on the sample size after a cut).
    const batches = [...minibatchIndices(samples.size, minibatchSize, rng)].slice(0, c.numMinibatches);
    for (const indices of batches) {
      const mb = gatherer.gather(samples, indices);
      if (c.normAdv && !c.distributedAdvNorm) normalizeInPlace(mb.advantages);
      model.grads.fill(0);
      const s = ppoLossJs(model, mb, coefs);
      await timed(model.grads);
      const gradNorm = clipGradNorm(model.grads, c.maxGradNorm);
      optimizer.step(model.params, model.grads, lr);
      model.paramsChanged();
      sums.pgLoss += s.pgLoss;
      sums.valueLoss += s.valueLoss;
      sums.entropy += s.entropy;
      sums.approxKl += s.approxKl;
      sums.clipFraction += s.clipFraction;
      sums.gradNorm += gradNorm;
      steps++;
    }
  }
  return {
    metrics: {
      [METRIC.policyLoss]: sums.pgLoss / steps,
      [METRIC.valueLoss]: sums.valueLoss / steps,
      [METRIC.entropy]: sums.entropy / steps,
      [METRIC.approxKl]: sums.approxKl / steps,
      [METRIC.clipFraction]: sums.clipFraction / steps,
      [METRIC.gradNorm]: sums.gradNorm / steps,
      [METRIC.learningRate]: lr,
    },
    allReduceMs,
    idleMs: Math.max(0, idleMs),
  };
}

/** Advantages normalised with the mean and variance over every worker's samples (sum, sum of squares, count). */
async function distributedNormalize(adv: Float32Array, allReduce: (x: Float32Array) => Promise<void>, worldSize: number): Promise<void> {
  let s = 0;
  let s2 = 0;
  for (let i = 0; i < adv.length; i++) {
    s += adv[i];
    s2 += adv[i] * adv[i];
  }
  const v = new Float32Array([s, s2, adv.length]);
  await allReduce(v);
  const n = v[2] * worldSize;
  const mean = (v[0] * worldSize) / n;
  // Unbiased (n − 1), as PPO's per-batch normalizeInPlace: one worker's result equals single-process PPO's.
  const variance = n > 1 ? Math.max(0, (v[1] * worldSize - n * mean * mean) / (n - 1)) : 0;
  const std = Math.sqrt(variance) + 1e-8;
  for (let i = 0; i < adv.length; i++) adv[i] = (adv[i] - mean) / std;
}

function busyWait(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // An artificial straggler: a slow env step (not a sleep: the thread stays busy, as a slow simulator would).
  }
}
