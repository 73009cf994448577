/**
 * `policylab train`: resolves the config (defaults ← env preset ← flags, validated by the algorithm's schema),
 * records the run in the store (status running → finished / stopped / failed, with backend, times, step counters,
 * metric summary, error and stack), trains in this process with a progress bar, and turns Ctrl-C into a clean stop
 * (the loop finishes its iteration and saves a checkpoint; a second Ctrl-C exits at once). `--resume <id>`
 * continues a stopped run from its latest checkpoint with its stored config.
 */
import { ALGO_IDS, algoSpec, resolveConfig, type AlgoId } from '../algos/registry.js';
import { trainRun, type TrainResult } from '../algos/loop.js';
import { ENV_IDS, isEnvId, type EnvId } from '../envs/index.js';
import { currentOwner, describeOwner, loadableCheckpoints, readMetricSummary, resolveHome, RunStore, setAsideForRestart, type RunRecord } from '../store/index.js';
import { describeBackend, initBackend } from '../tensor/backend.js';
import { DECIMAL_INTEGER, flagLabel, parseConfigFlags, UsageError } from './config-flags.js';
import { ProgressDisplay } from './progress.js';

export interface TrainCliOptions {
  algo?: string;
  env?: string;
  seed?: string;
  totalSteps?: string;
  preset?: string;
  resume?: string;
  /** With --resume: start a run that has no intact checkpoint over from step 0 (earlier metrics kept aside). */
  restart?: boolean;
  name?: string;
  tags?: string;
  notes?: string;
  home?: string;
  progress: boolean;
}

/** The train command's own flags (config flags come from the algorithm's schema). */
export const TRAIN_FLAGS = ['--algo', '--env', '--seed', '--total-steps', '--preset', '--resume', '--restart', '--name', '--tags', '--notes', '--home', '--no-progress'];

export { UsageError };

/** A second SIGINT sooner than this after the first is the same keypress relayed by npm or a shell, not a second one. */
export const DUPLICATE_SIGINT_MS = 500;

/**
 * Ctrl-C handling: the first interrupt stops cleanly (checkpoint), a later one quits at once. One that arrives within
 * DUPLICATE_SIGINT_MS of the first is the same Ctrl-C again — the terminal signals the whole process group and npm
 * (or a shell) relays it to this process too — and is ignored.
 */
export function interruptHandler(on: { stop: () => void; quit: () => void }, now: () => number = Date.now): () => void {
  let first: number | null = null;
  return () => {
    const t = now();
    if (first === null) {
      first = t;
      on.stop();
    } else if (t - first >= DUPLICATE_SIGINT_MS) {
      on.quit();
    }
  };
}

/** A decimal integer flag in [min, max ≤ 2^53 − 1] (no 0x10, 1e3, 1e30 or ' 16': what was typed is what is used). */
export function parseInteger(flag: string, text: string, min: number, max: number = Number.MAX_SAFE_INTEGER): number {
  if (!DECIMAL_INTEGER.test(text)) throw new UsageError(`${flag} must be a decimal integer in [${min}, ${max}] (digits only), got ${JSON.stringify(text)}`);
  const v = Number(text);
  if (v < min) throw new UsageError(`${flag} must be ≥ ${min}, got ${text}`);
  if (v > max || !Number.isSafeInteger(v)) throw new UsageError(`${flag} must be ≤ ${max}, got ${text}`);
  return v;
}

interface Plan {
  record: RunRecord;
  resume: boolean;
  totalSteps: number;
  preset: string | null;
}

async function plan(store: RunStore, opts: TrainCliOptions, configTokens: readonly string[]): Promise<Plan> {
  if (opts.resume) {
    if (configTokens.length) throw new UsageError(`config flags cannot change a resumed run (got ${configTokens.join(' ')}); its stored config is used`);
    for (const [flag, v] of [['--algo', opts.algo], ['--env', opts.env], ['--preset', opts.preset], ['--seed', opts.seed]] as const) {
      if (v !== undefined) throw new UsageError(`${flag} cannot be combined with --resume (the run keeps its own)`);
    }
    if (!store.findRun(opts.resume)) throw new UsageError(`no run ${JSON.stringify(opts.resume)} in ${store.home}; \`policylab runs\` lists them`);
    // run.json, not the index: another process may have just changed it. Dead owners were reconciled at open.
    let record = await store.readRun(opts.resume);
    if (record.status === 'running' || record.status === 'queued') {
      throw new UsageError(`run ${record.id} is ${record.status} in ${describeOwner(record)}, which is alive; stop it there first`);
    }
    const totalSteps = opts.totalSteps ? parseInteger('--total-steps', opts.totalSteps, 1) : (record.totalSteps ?? 0);
    if (totalSteps < 1) throw new UsageError(`run ${record.id} has no planned total steps; pass --total-steps`);
    if (record.status === 'finished' && totalSteps <= record.step) {
      throw new UsageError(`run ${record.id} already finished at step ${record.step}; pass a larger --total-steps to continue it`);
    }
    const loadable = await loadableCheckpoints(store.runDir(record.id));
    if (loadable.intact.length === 0) {
      if (!opts.restart) {
        const why = loadable.damaged.length > 0
          ? `every checkpoint is damaged: ${loadable.damaged.map((d) => `step ${d.step}: ${d.file}: ${d.reason}`).join('; ')}`
          : `it stopped at step ${record.step} before its first one`;
        throw new UsageError(
          `run ${record.id} has no intact checkpoint to resume from (${why}); ` +
            'pass --restart to start it over from step 0 (its earlier metrics are kept aside, not deleted)',
        );
      }
      const aside = await setAsideForRestart(store.runDir(record.id));
      record = await store.updateRun(record.id, { step: 0, summary: {}, episodes: 0 });
      console.log(`restarting run ${record.id} from step 0${aside.metrics ? `; earlier metrics kept in ${aside.metrics}` : ''}`);
      return { record, resume: false, totalSteps, preset: null };
    }
    return { record, resume: true, totalSteps, preset: null };
  }
  if (opts.restart) throw new UsageError('--restart only applies with --resume <runId>');
  if (!opts.algo) throw new UsageError(`--algo is required (one of ${ALGO_IDS.join(', ')})`);
  const spec = algoSpec(opts.algo);
  // An algorithm with one possible env (the language-model runs' 'text') needs no --env.
  const env = opts.env ?? (spec.envs?.length === 1 ? spec.envs[0] : undefined);
  if (!env) throw new UsageError(`--env is required (one of ${ENV_IDS.join(', ')})`);
  if (!isEnvId(env) && !spec.envs?.includes(env)) throw new UsageError(`unknown env ${JSON.stringify(env)}; valid: ${ENV_IDS.join(', ')}`);
  if (opts.preset !== undefined && opts.preset !== 'none' && !Object.hasOwn(spec.presets, opts.preset)) {
    throw new UsageError(`--preset must be one of ${[...Object.keys(spec.presets), 'none'].join(', ')} for ${spec.title}, got ${JSON.stringify(opts.preset)}`);
  }
  const seed = opts.seed === undefined ? 1 : parseInteger('--seed', opts.seed, 0);
  const overrides = parseConfigFlags(configTokens, spec.configSchema, spec.title, TRAIN_FLAGS);
  const resolved = resolveConfig(opts.algo, env, {
    preset: opts.preset,
    overrides,
    totalSteps: opts.totalSteps === undefined ? undefined : parseInteger('--total-steps', opts.totalSteps, 1),
    label: flagLabel,
  });
  const record = await store.createRun({
    owner: currentOwner('cli'),
    name: opts.name,
    algo: opts.algo,
    env,
    config: resolved.config as unknown as Record<string, unknown>,
    seed,
    tags: opts.tags ? opts.tags.split(',').map((t) => t.trim()).filter(Boolean) : undefined,
    notes: opts.notes,
    totalSteps: resolved.totalSteps,
  });
  return { record, resume: false, totalSteps: resolved.totalSteps, preset: resolved.preset };
}

/** Runs the command; resolves to the process exit code (0 finished, 130 stopped by Ctrl-C). */
export async function trainCommand(opts: TrainCliOptions, configTokens: readonly string[]): Promise<number> {
  const home = opts.home ?? resolveHome();
  const store = await RunStore.open(home);
  for (const n of store.notices) process.stderr.write(`note: ${n.message}\n`);
  try {
    return await trainWithStore(store, opts, configTokens);
  } finally {
    await store.close();
    for (const id of store.unwrittenRuns) {
      process.stderr.write(
        `error: the disk is full: run ${id}'s final status could not be written to run.json; it is kept in ` +
          `status.reserve and recorded by the next \`policylab runs\` (or the app) once space is freed\n`,
      );
    }
  }
}

async function trainWithStore(store: RunStore, opts: TrainCliOptions, configTokens: readonly string[]): Promise<number> {
  const { record, resume, totalSteps, preset } = await plan(store, opts, configTokens);
  const id = record.id;
  const runDir = store.runDir(id);
  const spec = algoSpec(record.algo);
  console.log(
    `run ${id}: ${spec.title} on ${record.env}, seed ${record.seed}, ${totalSteps.toLocaleString('en-US')} steps` +
      `${resume ? ` (resuming from step ${record.step})` : preset ? ` (preset ${preset})` : ' (defaults)'}\n  ${runDir}`,
  );

  const controller = new AbortController();
  const onSigint = interruptHandler({
    stop: () => {
      process.stderr.write('\nstopping: finishing this iteration and saving a checkpoint — press Ctrl-C again to quit now\n');
      controller.abort();
    },
    quit: () => process.exit(130),
  });
  process.on('SIGINT', onSigint);
  const display = new ProgressDisplay(opts.progress);
  let lastStoreWrite = 0;
  let firstStepSeen = false;
  let storeWrite: Promise<unknown> = Promise.resolve();
  try {
    await initBackend();
    const backend = describeBackend();
    await store.updateRun(id, {
      status: 'running',
      backend,
      startedAt: record.startedAt ?? new Date().toISOString(),
      endedAt: null,
      error: null,
      pid: process.pid,
      owner: currentOwner('cli'),
      totalSteps,
    });
    const result: TrainResult = await trainRun({
      runDir,
      runId: id,
      algo: record.algo as AlgoId,
      env: record.env as EnvId,
      config: record.config,
      seed: record.seed,
      totalSteps,
      resume,
      signal: controller.signal,
      events: {
        progress: (p) => {
          if (!firstStepSeen) {
            firstStepSeen = true;
            // Start-up as the user waits for it (the bench reads this line; the epoch lets it check from outside).
            if (process.env.POLICYLAB_DEBUG) {
              process.stderr.write(`debug: first env step ${secondsSinceCommandStart(performance.now()).toFixed(3)} s after the command started (epoch ms ${Date.now()})\n`);
            }
          }
          display.update(p);
          const now = Date.now();
          if (now - lastStoreWrite > 2000) {
            lastStoreWrite = now;
            storeWrite = storeWrite.then(() => store.updateRun(id, { step: p.step })).catch(() => undefined);
          }
        },
        log: (line) => {
          if (!opts.progress) console.log(line);
        },
      },
    });
    display.stop();
    await storeWrite;
    const summary = await readMetricSummary(runDir);
    await store.updateRun(id, {
      status: result.status,
      step: result.step,
      episodes: result.episodes,
      summary,
      backend: result.backend,
      endedAt: new Date().toISOString(),
      pid: null,
    });
    report(id, result);
    return result.status === 'stopped' ? 130 : 0;
  } catch (error) {
    display.stop();
    await storeWrite;
    const e = error instanceof Error ? error : new Error(String(error));
    // A full disk can refuse this write too: the store keeps retrying it until close (then the next open marks
    // the run crashed, resumable), so the training error still reaches the user.
    await store
      .updateRun(id, { status: 'failed', error: { message: e.message, stack: e.stack }, endedAt: new Date().toISOString(), pid: null })
      .catch(() => undefined);
    throw e;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

/**
 * Seconds from the user's command to `processMs` (a performance.now() of this process). bin/policylab.mjs sets
 * POLICYLAB_COMMAND_STARTED_AT (epoch ms: its own start, or npm's when an npm script launched it); without it, this
 * process's start.
 */
export function secondsSinceCommandStart(processMs: number, env: NodeJS.ProcessEnv = process.env): number {
  const startedAt = Number(env.POLICYLAB_COMMAND_STARTED_AT);
  const origin = Number.isFinite(startedAt) && startedAt > 0 && startedAt <= performance.timeOrigin ? startedAt : performance.timeOrigin;
  return (performance.timeOrigin + processMs - origin) / 1000;
}

function report(id: string, r: TrainResult): void {
  const recent = r.recentReturn === null ? 'no episodes yet' : `20-episode mean return ${r.recentReturn.toFixed(1)}`;
  console.log(`${r.status} run ${id} at step ${r.step.toLocaleString('en-US')} (${Math.round(r.sps).toLocaleString('en-US')} SPS, update engine ${r.backend.engine ?? '?'}, tfjs backend ${r.backend.name}); ${recent}`);
  if (r.solved) {
    const since = r.solved.processSeconds === undefined ? '' : `, ${secondsSinceCommandStart(r.solved.processSeconds * 1000).toFixed(2)} s after the command started`;
    console.log(`reached the env's reward threshold (20-episode mean) at step ${r.solved.step.toLocaleString('en-US')}: ${r.solved.seconds.toFixed(2)} s of training${since}`);
  }
  if (r.status === 'stopped') console.log(`checkpoint saved; continue with: npm run train -- --resume ${id}`);
}
