/**
 * DD-PPO as a run type: the training process is rank 0. It writes what every run writes (metrics.jsonl, evaluation
 * episodes, checkpoints, progress) from rank 0's replica, and drives the other ranks:
 *   transport 'local'  ranks 1 … N − 1 are worker threads of this process over one SharedArrayBuffer; each sends its
 *                      own state (envs, streams, normalisers) when a checkpoint is due, so a resume continues every
 *                      rank exactly (same N: the run's shape);
 *   transport 'redis'  ranks 1 … N − 1 are `policylab ddppo-worker` processes joining through Redis (run key = run id);
 *                      each leaves its own state in Redis when a checkpoint is due and rank 0 stores it with its own;
 *                      a resume publishes every rank's state with the spec, so each worker continues its envs
 *                      exactly (a rank whose state did not arrive starts its envs afresh, with a warning).
 * A worker that fails fails the run with that worker's error; the run never continues with fewer workers.
 * Stopping (AbortSignal) is decided by rank 0 and carried to every rank in the iteration's statistics all-reduce:
 * every rank stops after the same update and the checkpoint holds them all.
 */
import type { Worker } from 'node:worker_threads';
import { METRIC } from '../../common/metrics.js';
import { abortLocal, CollectiveAborted, createLocalShared, LocalCollective } from '../../collective/local.js';
import type { Collective } from '../../collective/collective.js';
import { startWorker } from '../../collective/thread.js';
import { envSpec, isEnvId } from '../../envs/index.js';
import { describeDamage, loadCheckpoint, MetricWriter, saveCheckpoint, saveEpisode, truncateMetrics } from '../../store/index.js';
import { describeBackend, initBackend, type BackendInfo } from '../../tensor/backend.js';
import { initialCounters, nextDue, type LoopCounters } from '../checkpoint.js';
import { parseConfig } from '../config-common.js';
import { evalSeed, evaluatePolicy } from '../evaluate.js';
import { RECENT_WINDOW, updateEngine, type TrainResult, type TrainRunOptions } from '../loop.js';
import { ALGO_METRIC } from '../metrics.js';
import { ddppoConfigSchema, type DdppoConfig } from './config.js';
import { runDdppoWorker, type RankState, type SharedResume, type WorkerFaults } from './ddppo.js';
import { paramCount, workerUrl, type ThreadMessage } from './threads.js';

/** The checkpoint's JSON state (arrays: params, optim.adam.m, optim.adam.v). */
export interface DdppoCheckpointState extends LoopCounters {
  version: 1;
  algo: 'ddppo';
  env: string;
  seed: number;
  workers: number;
  transport: DdppoConfig['transport'];
  optimizerT: number;
  /** Per rank (null: a redis rank whose state did not arrive; its envs start afresh on resume). */
  ranks: (RankState | null)[];
}

const PROGRESS_INTERVAL_MS = 100;

/** The local transport's ranks 1 … N − 1 as threads of this process. */
class LocalRanks {
  readonly workers: Worker[] = [];
  /** The first failure of a rank, as the run's error. */
  failure: Error | null = null;
  readonly #states = new Map<number, Map<number, RankState>>();
  #waiters: (() => void)[] = [];
  readonly #done = new Set<number>();

  constructor(
    readonly shared: SharedArrayBuffer,
    readonly N: number,
    data: (rank: number) => Record<string, unknown>,
  ) {
    for (let rank = 1; rank < N; rank++) {
      const w = startWorker(workerUrl(), { ...data(rank), shared, rank, worldSize: N, postStates: true });
      this.workers.push(w);
      w.on('message', (m: ThreadMessage) => {
        if (m.kind === 'state') {
          const at = this.#states.get(m.iteration!) ?? new Map<number, RankState>();
          at.set(rank, m.state!);
          this.#states.set(m.iteration!, at);
        } else if (m.kind === 'error') this.#fail(rank, m.error!.message);
        else if (m.kind === 'done') this.#done.add(rank);
        this.#wake();
      });
      w.on('error', (e) => this.#fail(rank, e.message));
      w.on('exit', (code) => {
        if (!this.#done.has(rank)) this.#fail(rank, `exited with code ${code} before finishing`);
      });
    }
  }

  #fail(rank: number, message: string): void {
    if (!this.failure) this.failure = new Error(`DD-PPO worker ${rank} failed: ${message}`);
    abortLocal(this.shared);
    this.#wake();
  }

  #wake(): void {
    const w = this.#waiters;
    this.#waiters = [];
    for (const f of w) f();
  }

  async #until(cond: () => boolean): Promise<void> {
    while (!cond()) {
      if (this.failure) throw this.failure;
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  /** Ranks 1 … N − 1's states at this iteration, in rank order. */
  async states(iteration: number): Promise<RankState[]> {
    await this.#until(() => (this.#states.get(iteration)?.size ?? 0) === this.N - 1);
    const at = this.#states.get(iteration)!;
    this.#states.delete(iteration);
    return Array.from({ length: this.N - 1 }, (_, i) => at.get(i + 1)!);
  }

  /** Waits for every thread's end, or a failure (a failure a blocked rank 0 only saw as CollectiveAborted). */
  async finished(): Promise<void> {
    await this.#until(() => this.#done.size === this.N - 1);
  }

  /** After CollectiveAborted: the failing rank's message, once it has arrived (bounded). */
  async failureAfterAbort(): Promise<Error | null> {
    const end = Date.now() + 5_000;
    while (!this.failure && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    return this.failure;
  }

  async terminate(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/** `faults` (per rank): tests only, never from a user's config. */
export async function trainDdppo(opts: TrainRunOptions, faults: Record<number, WorkerFaults> = {}): Promise<TrainResult> {
  const startedAt = performance.now();
  await initBackend();
  const tfjsBackend = describeBackend();
  if (!isEnvId(opts.env)) throw new Error(`unknown env ${JSON.stringify(opts.env)}`);
  if (!Number.isInteger(opts.totalSteps) || opts.totalSteps < 1) throw new Error(`totalSteps must be a positive integer, got ${opts.totalSteps}`);
  if (!Number.isInteger(opts.seed) || opts.seed < 0) throw new Error(`seed must be a non-negative integer, got ${opts.seed}`);
  const config = parseConfig(ddppoConfigSchema, opts.config);
  if (config.engine !== 'js') throw new Error('DD-PPO runs on the js engine (its gradient all-reduce works on the engine’s flat gradient); set engine to "js"');
  const backend: BackendInfo = { ...tfjsBackend, engine: updateEngine('js', tfjsBackend.name) };
  const N = config.workers;
  const env = envSpec(opts.env);
  const events = opts.events ?? {};
  const log = (line: string): void => events.log?.(line);

  let c: LoopCounters = initialCounters(config);
  let resumeShared: SharedResume | undefined;
  let resumeRanks: (RankState | null)[] = [];
  if (opts.resume) {
    const ckpt = await loadCheckpoint<DdppoCheckpointState>(opts.runDir, 'latest', { setAsideDamaged: true });
    for (const d of ckpt.skipped) log(`warning: skipped the damaged checkpoint at ${describeDamage(d)}; resuming from the checkpoint at step ${ckpt.step}`);
    const s = ckpt.state;
    if (!s || s.version !== 1 || s.algo !== 'ddppo') throw new Error(`checkpoint at step ${ckpt.step} in ${opts.runDir} is not a DD-PPO checkpoint`);
    if (s.env !== opts.env || s.seed !== opts.seed) throw new Error(`checkpoint at step ${ckpt.step} belongs to ${s.env} with seed ${s.seed}, not ${opts.env} with seed ${opts.seed}`);
    if (s.workers !== N) throw new Error(`checkpoint at step ${ckpt.step} was taken with ${s.workers} workers; resume it with workers = ${s.workers} (got ${N})`);
    const f32 = (name: string): Float32Array => {
      const a = ckpt.arrays[name];
      if (!(a instanceof Float32Array)) throw new Error(`checkpoint at step ${ckpt.step}: array ${name} is missing or not float32`);
      return a;
    };
    resumeShared = { globalStep: s.globalStep, iteration: s.iteration, params: f32('params'), optimizer: { t: s.optimizerT, m: f32('optim.adam.m'), v: f32('optim.adam.v') } };
    resumeRanks = s.ranks;
    c = {
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
    const cut = await truncateMetrics(opts.runDir, c.globalStep);
    if (cut.quarantine) log(`warning: ${cut.quarantine.lines.length} unreadable line(s) of metrics.jsonl were moved to ${cut.quarantine.path}`);
    log(`resumed ddppo on ${opts.env} from the checkpoint at step ${c.globalStep} (${N} workers)`);
  }

  const writer = new MetricWriter(opts.runDir);
  const startStep = c.globalStep;
  const secondsBefore = c.trainSeconds;
  const loopStart = performance.now();
  const elapsed = (): number => secondsBefore + (performance.now() - loopStart) / 1000;
  const threshold = env.rewardThreshold;
  let lastProgress = -Infinity;
  let finished: { ret: number; length: number; step: number }[] = [];
  let lastMetrics: Record<string, number> = {};
  const recentReturn = (): number | null => (c.recentReturns.length ? mean(c.recentReturns) : null);
  const progress = (force: boolean): void => {
    const now = performance.now();
    if (!events.progress || (!force && now - lastProgress < PROGRESS_INTERVAL_MS)) return;
    lastProgress = now;
    const sps = (c.globalStep - startStep) / Math.max(1e-9, (now - loopStart) / 1000);
    events.progress({ step: c.globalStep, totalSteps: opts.totalSteps, sps, recentReturn: recentReturn(), etaSeconds: sps > 0 ? Math.max(0, (opts.totalSteps - c.globalStep) / sps) : null });
  };

  let coll: Collective;
  let local: LocalRanks | null = null;
  let redis: import('../../collective/redis.js').RedisCollective | null = null;
  let launched: import('./launch.js').LaunchedWorkers | null = null;
  if (config.transport === 'local') {
    const shared = createLocalShared(N, paramCount(opts.env, config));
    local = new LocalRanks(shared, N, (rank) => ({ env: opts.env, config, seed: opts.seed, totalSteps: opts.totalSteps, faults: faults[rank] ?? {}, resumeRank: resumeRanks[rank] ?? undefined }));
    coll = new LocalCollective(shared, 0, N);
  } else {
    if (!config.redisUrl) throw new Error('transport "redis" needs redisUrl (redis://host:port)');
    const { RedisCollective } = await import('../../collective/redis.js');
    redis = await RedisCollective.connect({ url: config.redisUrl, runKey: opts.runId, rank: 0, worldSize: N });
    // On resume the spec carries every worker's own state (index = rank; rank 0's stays here).
    const resumeStates = opts.resume ? resumeRanks.map((r, rank) => (rank === 0 ? null : r ?? null)) : undefined;
    await redis.publishSpec({ env: opts.env, config, seed: opts.seed, totalSteps: opts.totalSteps, ...(resumeStates ? { resumeRanks: resumeStates } : {}) });
    coll = redis;
    const { launchWorkers } = await import('./launch.js');
    launched = await launchWorkers(config.launchWorkers, {
      runId: opts.runId,
      workers: N,
      redisUrl: config.redisUrl,
      workerRedisUrl: config.workerRedisUrl,
      image: config.k8sImage,
      namespace: config.k8sNamespace,
      log,
    }).catch(async (e: unknown) => {
      await redis!.close();
      throw e;
    });
  }

  let status: 'finished' | 'stopped' = 'finished';
  let failed = false;
  try {
    progress(true);
    const result = await runDdppoWorker(coll, {
      env: opts.env,
      config,
      seed: opts.seed,
      totalSteps: opts.totalSteps,
      resumeShared,
      resumeRank: resumeRanks[0] ?? undefined,
      faults: faults[0],
      control: () => ({ stop: opts.signal.aborted }),
      onEpisode: (ret, length, step) => {
        finished.push({ ret, length, step });
        c.episodes++;
        c.recentReturns.push(ret);
        if (c.recentReturns.length > RECENT_WINDOW) c.recentReturns.shift();
        if (c.solved === null && threshold !== null && c.recentReturns.length === RECENT_WINDOW && mean(c.recentReturns) >= threshold) {
          c.solved = { step, seconds: elapsed(), processSeconds: performance.now() / 1000 };
          log(`${RECENT_WINDOW}-episode mean return reached ${threshold} at step ${step} (rank 0's episodes)`);
        }
      },
      onIteration: async (iteration, globalStep, metrics, ctx) => {
        c.globalStep = globalStep;
        c.iteration = iteration;
        const values: Record<string, number> = { ...metrics };
        if (finished.length > 0) {
          values[METRIC.episodeLength] = mean(finished.map((e) => e.length));
          values[ALGO_METRIC.episodes] = finished.length;
        }
        const recent = recentReturn();
        if (recent !== null) values[ALGO_METRIC.recentReturn] = recent;
        const done = globalStep >= opts.totalSteps;
        if (globalStep >= c.nextEvalStep || (done && config.evalInterval > 0)) {
          const seeds = Array.from({ length: config.evalEpisodes }, (_, i) => evalSeed(opts.seed, c.evalCount, config.evalEpisodes, i));
          const r = evaluatePolicy(ctx.model, opts.env, seeds, ctx.collector.obsRms, config.clipActions);
          c.evalCount++;
          await saveEpisode(opts.runDir, globalStep, r.recorded);
          events.episode?.({ step: globalStep });
          values[METRIC.evalReturn] = mean(r.returns);
          values[METRIC.evalLength] = mean(r.lengths);
          c.nextEvalStep = nextDue(c.nextEvalStep, globalStep, config.evalInterval);
        }
        values[METRIC.sps] = (globalStep - startStep) / Math.max(1e-9, (performance.now() - loopStart) / 1000);
        values[ALGO_METRIC.elapsed] = elapsed();
        const finite = finiteOnly(values);
        for (const e of finished) {
          const ep = finiteOnly({ [METRIC.episodicReturn]: e.ret, [METRIC.episodicLength]: e.length });
          writer.append(e.step, ep);
          events.metrics?.(e.step, ep);
        }
        finished = [];
        writer.append(globalStep, finite);
        events.metrics?.(globalStep, finite);
        lastMetrics = finite;
        progress(done);
        // Let timers, signals and I/O run (stop messages, metric flushes, the threads' messages).
        await new Promise<void>((resolve) => setImmediate(resolve));
      },
      onCheckpoint: async (due) => {
        const others: (RankState | null)[] = local ? await local.states(due.iteration) : redis ? ((await redis.gatherStates(due.iteration)) as (RankState | null)[]) : [];
        others.forEach((r, i) => {
          if (r === null) log(`warning: rank ${i + 1}'s state did not arrive for the checkpoint at step ${due.globalStep}; a resume from it starts that rank's envs afresh`);
        });
        const ranks = [due.rankState, ...others];
        c.nextCheckpointStep = nextDue(c.nextCheckpointStep, due.globalStep, config.checkpointInterval);
        c.trainSeconds = elapsed();
        const adam = due.optimizer.arrays();
        const state: DdppoCheckpointState = {
          version: 1,
          algo: 'ddppo',
          env: opts.env,
          seed: opts.seed,
          workers: N,
          transport: config.transport,
          optimizerT: due.optimizer.state().t,
          ranks,
          ...c,
          recentReturns: [...c.recentReturns],
        };
        await saveCheckpoint(
          opts.runDir,
          { step: due.globalStep, models: due.model.toArtifacts(), arrays: { params: due.model.params.slice(), 'optim.adam.m': adam.m.slice(), 'optim.adam.v': adam.v.slice() }, state, metrics: lastMetrics },
          { keepLast: config.keepCheckpoints },
        );
        events.checkpoint?.({ step: due.globalStep });
      },
    });
    status = result.status;
    if (local) await local.finished();
    progress(true);
    log(`${status} at step ${c.globalStep} (${c.episodes} episodes of rank 0, ${N} workers)`);
  } catch (e) {
    failed = true;
    if (local) {
      // A rank's failure is the run's error (rank 0 saw it as an aborted collective, or waited for its state).
      const failure = e instanceof CollectiveAborted ? await local.failureAfterAbort() : local.failure;
      if (failure) throw failure;
      abortLocal(local.shared);
    }
    if (redis && !(e instanceof Error && e.name === 'RedisCollectiveAborted')) await redis.abort(`${e instanceof Error ? e.message : String(e)}`.replace(/^DD-PPO rank \d+: /, ''));
    throw e;
  } finally {
    await writer.close();
    if (local) await local.terminate();
    if (redis) await redis.close();
    if (launched) await launched.stop(failed ? 'failed' : 'finished');
  }
  const wall = (performance.now() - startedAt) / 1000;
  return {
    status,
    step: c.globalStep,
    backend,
    episodes: c.episodes,
    solved: c.solved,
    recentReturn: recentReturn(),
    phases: { env: 0, inference: 0, update: 0, logging: 0 },
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
