/**
 * Short real training runs (trainRun in this process, written through core/store like a worker does), for tests
 * that need genuine checkpoints and recorded evaluation episodes: every eval step is also a checkpoint step.
 */
import { trainRun } from '../../../core/algos/loop.js';
import { resolveConfig } from '../../../core/algos/registry.js';
import type { EnvId } from '../../../core/envs/index.js';
import { listCheckpoints, type RunStore } from '../../../core/store/index.js';

export interface TrainedRun {
  id: string;
  runDir: string;
  env: EnvId;
  config: Record<string, unknown>;
  /** Checkpoint steps, oldest first (each has a recorded evaluation episode). */
  steps: number[];
}

export async function trainShortRun(
  store: RunStore,
  options: { env: EnvId; totalSteps: number; interval: number; seed?: number; overrides?: Record<string, unknown>; name?: string },
): Promise<TrainedRun> {
  const seed = options.seed ?? 1;
  const { config } = resolveConfig('ppo', options.env, {
    overrides: { evalInterval: options.interval, checkpointInterval: options.interval, evalEpisodes: 1, keepCheckpoints: 10, ...options.overrides },
    totalSteps: options.totalSteps,
  });
  const record = await store.createRun({
    algo: 'ppo',
    env: options.env,
    config: config as unknown as Record<string, unknown>,
    seed,
    totalSteps: options.totalSteps,
    ...(options.name ? { name: options.name } : {}),
  });
  const runDir = store.runDir(record.id);
  const result = await trainRun({
    runDir,
    runId: record.id,
    algo: 'ppo',
    env: options.env,
    config,
    seed,
    totalSteps: options.totalSteps,
    signal: new AbortController().signal,
  });
  await store.updateRun(record.id, { status: 'finished', step: result.step });
  const steps = (await listCheckpoints(runDir)).map((c) => c.step);
  return { id: record.id, runDir, env: options.env, config: config as unknown as Record<string, unknown>, steps };
}
