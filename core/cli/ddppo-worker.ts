/**
 * `policylab ddppo-worker`: one DD-PPO worker of a run on the redis transport, on this machine. Rank 0 is the training
 * run itself (`policylab train --algo ddppo --transport redis --redis-url U --workers N`, or the app), which prints
 * its run id; this command joins that run as rank R (1 … N − 1): it connects to Redis, waits for rank 0's spec
 * (env, config, seed, total steps), runs the worker to the end of the run and exits 0. Any failure exits 1 with the
 * error, and is reported to the other ranks (they stop with this worker's message instead of waiting for it).
 *
 * Flags fall back to torchrun-style variables and to a Kubernetes Indexed Job's index:
 *   --redis-url  POLICYLAB_REDIS_URL
 *   --run-key    POLICYLAB_RUN_KEY
 *   --rank       RANK, else JOB_COMPLETION_INDEX + 1 (the Job holds the N − 1 workers; rank 0 is the training run)
 *   (WORLD_SIZE, when set, is checked against the run's worker count.)
 */
import { hostname } from 'node:os';
import { z } from 'zod';
import { ddppoConfigSchema } from '../algos/ddppo/config.js';
import { runDdppoWorker, type RankState } from '../algos/ddppo/ddppo.js';
import { DEFAULT_JOIN_TIMEOUT_MS, DEFAULT_TIMEOUT_MS, RedisCollective, RedisCollectiveAborted, redactUrl } from '../collective/redis.js';
import { ENV_IDS } from '../envs/index.js';
import { UsageError } from './config-flags.js';
import { parseInteger } from './train.js';

export interface DdppoWorkerCliOptions {
  redisUrl?: string;
  runKey?: string;
  rank?: string;
  timeoutMs?: string;
  joinTimeoutMs?: string;
}

export interface WorkerArgs {
  url: string;
  runKey: string;
  rank: number;
  timeoutMs: number;
  joinTimeoutMs: number;
  /** From WORLD_SIZE, when set: checked against the run's worker count. */
  worldSize?: number;
}

/** A rank's own state from a checkpoint (ddppo.ts RankState): its shape checked here, its contents by the envs' setState. */
const rankStateSchema = z.object({
  rng: z.unknown(),
  venv: z.array(z.unknown()),
  normObs: z.array(z.number()),
  obsRms: z.unknown(),
  rewardScaler: z.unknown(),
  window: z.array(z.number()),
  solvedStep: z.number().nullable(),
});

/** The spec rank 0 publishes, validated here: it comes over the network. */
const runSpecSchema = z.object({
  env: z.enum(ENV_IDS),
  config: ddppoConfigSchema,
  seed: z.number().int().min(0),
  totalSteps: z.number().int().min(1),
  /** On resume: every rank's own state from the checkpoint (index = rank; null: start that rank's envs afresh). */
  resumeRanks: z.array(rankStateSchema.nullable()).optional(),
});

/** Flags, then the environment; every value checked, with the flag (or variable) named in the message. */
export function resolveWorkerArgs(opts: DdppoWorkerCliOptions, env: NodeJS.ProcessEnv = process.env): WorkerArgs {
  const url = opts.redisUrl ?? env.POLICYLAB_REDIS_URL;
  if (!url) throw new UsageError('--redis-url is required (or set POLICYLAB_REDIS_URL), e.g. --redis-url redis://10.0.0.5:6379');
  if (!/^rediss?:\/\/[^\s/]+/.test(url)) throw new UsageError(`--redis-url must look like redis://host:port, got ${JSON.stringify(redactUrl(url))}`);
  const runKey = opts.runKey ?? env.POLICYLAB_RUN_KEY;
  if (!runKey) throw new UsageError('--run-key is required (or set POLICYLAB_RUN_KEY): the run id that `policylab train --transport redis` printed');
  if (runKey.includes('${')) throw new UsageError(`--run-key is ${JSON.stringify(runKey)}: the manifest's placeholder was not substituted (envsubst, see deploy/README.md)`);
  if (!/^[A-Za-z0-9_.:-]{1,200}$/.test(runKey)) throw new UsageError(`--run-key must be 1–200 characters of letters, digits, _ . - :, got ${JSON.stringify(runKey)}`);
  let rank: number;
  if (opts.rank !== undefined) rank = parseInteger('--rank', opts.rank, 0, 63);
  else if (env.RANK !== undefined && env.RANK !== '') rank = parseInteger('RANK', env.RANK, 0, 63);
  else if (env.JOB_COMPLETION_INDEX !== undefined && env.JOB_COMPLETION_INDEX !== '') rank = parseInteger('JOB_COMPLETION_INDEX', env.JOB_COMPLETION_INDEX, 0, 62) + 1;
  else throw new UsageError('--rank is required (or set RANK, or run as a Kubernetes Indexed Job: rank = JOB_COMPLETION_INDEX + 1)');
  if (rank === 0) throw new UsageError('rank 0 is the training run itself (policylab train --algo ddppo --transport redis); workers are ranks 1 … N − 1');
  const timeoutMs = opts.timeoutMs === undefined ? DEFAULT_TIMEOUT_MS : parseInteger('--timeout-ms', opts.timeoutMs, 100, 24 * 3600 * 1000);
  const joinTimeoutMs = opts.joinTimeoutMs === undefined ? Math.max(timeoutMs, DEFAULT_JOIN_TIMEOUT_MS) : parseInteger('--join-timeout-ms', opts.joinTimeoutMs, 100, 7 * 24 * 3600 * 1000);
  const args: WorkerArgs = { url, runKey, rank, timeoutMs, joinTimeoutMs };
  if (env.WORLD_SIZE !== undefined && env.WORLD_SIZE !== '') {
    args.worldSize = parseInteger('WORLD_SIZE', env.WORLD_SIZE, 2, 64);
    if (rank >= args.worldSize) throw new UsageError(`rank ${rank} is outside WORLD_SIZE ${args.worldSize} (ranks 1 … ${args.worldSize - 1} are workers)`);
  }
  return args;
}

/** Runs the worker; resolves to the exit code. Usage errors throw UsageError (exit 2). */
export async function ddppoWorkerCommand(opts: DdppoWorkerCliOptions): Promise<number> {
  const args = resolveWorkerArgs(opts);
  const where = redactUrl(args.url);
  const coll = await RedisCollective.connect({ url: args.url, runKey: args.runKey, rank: args.rank, timeoutMs: args.timeoutMs, joinTimeoutMs: args.joinTimeoutMs, worldSize: args.worldSize });
  let terminated: string | null = null;
  const onSignal = (signal: NodeJS.Signals): void => {
    // A deleted pod or Ctrl-C: tell the others why this rank is leaving, then go (the run cannot go on without it).
    terminated = signal;
    process.stderr.write(`rank ${args.rank}: ${signal}: leaving the run\n`);
    void coll.abort(`rank ${args.rank} on ${hostname()} was stopped (${signal})`).finally(() => void coll.close().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143)));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const raw = await coll.fetchSpec();
    const parsed = runSpecSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new Error(`the spec of run ${args.runKey} on ${where} is not a DD-PPO run: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
    }
    const spec = parsed.data;
    if (spec.config.workers !== coll.worldSize) throw new Error(`run ${args.runKey}: config.workers = ${spec.config.workers} but ${coll.worldSize} ranks were published`);
    console.log(`rank ${args.rank} of ${coll.worldSize} joined run ${args.runKey} on ${where}: ${spec.env}, seed ${spec.seed}, ${spec.totalSteps.toLocaleString('en-US')} steps`);
    let lastLog = performance.now();
    const resumeRank = (spec.resumeRanks?.[args.rank] ?? undefined) as RankState | undefined;
    if (spec.resumeRanks) console.log(`rank ${args.rank}: resuming ${resumeRank ? 'its envs from the checkpoint' : 'with fresh envs (the checkpoint holds no state of this rank)'}`);
    const result = await runDdppoWorker(coll, {
      env: spec.env,
      config: spec.config,
      seed: spec.seed,
      totalSteps: spec.totalSteps,
      resumeRank,
      onCheckpoint: (due) => coll.putState(due.iteration, due.rankState),
      onIteration: (iteration, globalStep, metrics) => {
        const now = performance.now();
        if (now - lastLog < 10_000) return;
        lastLog = now;
        const sps = metrics[`ddppo/worker${args.rank}/sps`];
        console.log(`rank ${args.rank}: iteration ${iteration}, step ${globalStep.toLocaleString('en-US')} / ${spec.totalSteps.toLocaleString('en-US')}${sps ? `, ${sps.toFixed(0)} SPS` : ''}`);
      },
    });
    console.log(`rank ${args.rank}: run ${args.runKey} finished at step ${result.globalStep.toLocaleString('en-US')} after ${result.iterations} updates`);
    return 0;
  } catch (e) {
    if (terminated) return terminated === 'SIGINT' ? 130 : 143; // the signal handler is exiting
    const msg = e instanceof Error ? e.message : String(e);
    if (e instanceof RedisCollectiveAborted) {
      process.stderr.write(`error: rank ${args.rank} stopped: ${msg}\n`);
    } else {
      // The others stop with "DD-PPO worker R failed: <this message> (host H)".
      await coll.abort(`${msg.replace(/^DD-PPO rank \d+: /, '')} (host ${hostname()})`);
      process.stderr.write(`error: ${msg.startsWith('DD-PPO rank') ? msg : `DD-PPO rank ${args.rank}: ${msg}`}\n`);
    }
    return 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    if (!terminated) await coll.close();
  }
}
