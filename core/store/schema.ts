/**
 * The shapes stored in db.json and runs/<id>/run.json, as zod schemas (validated on every open)
 * with their TypeScript types inferred from them. Bump SCHEMA_VERSION and add a migration in
 * migrations.ts whenever a stored shape changes.
 */
import { z } from 'zod';
import { DatasetSummarySchema } from './datasets-schema.js';
import { RUN_ID_PATTERN } from './ids.js';

export const SCHEMA_VERSION = 3;

export const RUN_STATUSES = ['queued', 'running', 'stopped', 'finished', 'failed', 'crashed'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
/** Statuses a run no longer leaves on its own (a resume moves it back to `running`). */
export const TERMINAL_STATUSES: readonly RunStatus[] = ['stopped', 'finished', 'failed', 'crashed'];

const isoTime = z.iso.datetime();
const finite = z.number().refine(Number.isFinite, 'must be a finite number');
const count = z.number().int().nonnegative();

/** The tfjs backend a run trained on (`describeBackend()` from core/tensor fits this shape). */
export const RunBackendSchema = z.object({
  name: z.string().min(1),
  simd: z.boolean().optional(),
  threads: z.number().int().optional(),
  tfjsVersion: z.string().optional(),
  skipped: z.array(z.object({ candidate: z.string(), reason: z.string() })).optional(),
  /** The update engine (`wasm-simd kernels`, `js kernels`, `tfjs:<backend>`), beside the tfjs backend. */
  engine: z.string().optional(),
});
export type RunBackend = z.infer<typeof RunBackendSchema>;

/** Last/min/max of one metric key over a run; `lastStep` is the step `last` was logged at. */
export const MetricSummarySchema = z.object({
  last: finite,
  lastStep: finite,
  min: finite,
  max: finite,
  count,
});
export type MetricSummary = z.infer<typeof MetricSummarySchema>;

/**
 * The process that owns a run's record while it is queued or running: the CLI process training it, or the app
 * whose RunManager trains it in a child process. `startTime` tells a live owner from a reused pid (liveness.ts).
 */
export const RunOwnerSchema = z.object({
  pid: z.number().int().positive(),
  /** Opaque process start time (Linux: clock ticks since boot from /proc/<pid>/stat); null where unknown. */
  startTime: z.string().nullable(),
  host: z.string(),
  kind: z.enum(['cli', 'app']),
});
export type RunOwner = z.infer<typeof RunOwnerSchema>;

export const RunErrorSchema = z.object({ message: z.string(), stack: z.string().optional() });
export type RunError = z.infer<typeof RunErrorSchema>;

/**
 * Where an imported (external) run came from: another library's files read by core/import. External runs are
 * read-only: no resume, no replay, and deleting one never touches its source files.
 */
export const ExternalSourceSchema = z.object({
  /** The file format read (`tensorboard` event files, SB3 `monitor.csv`). */
  format: z.enum(['tensorboard', 'sb3-monitor']),
  /** The library that wrote it, as recognised (`CleanRL`, `Stable-Baselines3`, `TensorBoard`). */
  library: z.string().min(1),
  /** The path given to the import (absolute, or the uploaded file's name in browser mode). */
  path: z.string().min(1),
  /** The files read: names inside the folder `path`, or the file's own name when `path` is the file. */
  files: z.array(z.string()),
  importedAt: isoTime,
});
export type ExternalSource = z.infer<typeof ExternalSourceSchema>;

export const RunRecordSchema = z.object({
  id: z.string().regex(RUN_ID_PATTERN),
  name: z.string(),
  /** Algorithm id (`ppo`, `a2c`, …). */
  algo: z.string().min(1),
  /** Env id (`CartPole-v1`, …). */
  env: z.string().min(1),
  /** The full, validated algorithm config the run was started with. */
  config: z.record(z.string(), z.unknown()),
  seed: z.number().int(),
  status: z.enum(RUN_STATUSES),
  backend: RunBackendSchema.nullable(),
  createdAt: isoTime,
  /** Last time this record changed. */
  updatedAt: isoTime,
  /** First time the run entered `running` (kept across resumes). */
  startedAt: isoTime.nullable(),
  /** When the run last reached a terminal status; null while queued or running. */
  endedAt: isoTime.nullable(),
  /**
   * Milliseconds spent running in sessions that have ended (a stop → resume gap is not counted). Absent in
   * records written before it existed: activeMsOf() estimates those from startedAt/endedAt.
   */
  activeMs: count.optional(),
  /** When the current running session began; null (or absent) while not running. */
  runningSince: isoTime.nullable().optional(),
  /** Environment steps done so far (the x axis of every chart). */
  step: count,
  /** Planned total environment steps, when known. */
  totalSteps: count.nullable(),
  /** Completed training episodes. */
  episodes: count,
  tags: z.array(z.string()),
  notes: z.string(),
  summary: z.record(z.string(), MetricSummarySchema),
  error: RunErrorSchema.nullable(),
  /** Process id of the training process while running; the reconcile step checks it is still alive. */
  pid: z.number().int().positive().nullable(),
  /** Who owns the record while queued/running (absent in records from before multi-process folders). */
  owner: RunOwnerSchema.nullable().optional(),
  /** Start time of the training process `pid` when it is not the owner (the app's child), as liveness.ts reads it. */
  pidStartTime: z.string().nullable().optional(),
  /** Set on runs imported from another library's files (read-only); absent on runs PolicyLab trained. */
  external: ExternalSourceSchema.optional(),
});
export type RunRecord = z.infer<typeof RunRecordSchema>;

/** An entry of the datasets index: the summary of datasets/<id>.json (datasets-schema.ts), of which it is a cache. */
export const DatasetIndexEntrySchema = DatasetSummarySchema;
export type DatasetIndexEntry = z.infer<typeof DatasetIndexEntrySchema>;

export const SWEEP_STATUSES = ['running', 'stopping', 'stopped', 'finished'] as const;
export type SweepStatus = (typeof SWEEP_STATUSES)[number];

/**
 * A sweep (core/sweep): a grid or random search over an algorithm's config space × explicit seeds. `spec` is the
 * validated spec as given (core/sweep/spec.ts); `points` its configurations; `runs` the run launched for each
 * (point, seed), in launch order (a run id appears once its record exists). Only the owner process writes it while
 * it is running or stopping; `sweeps/<id>.json` keeps a copy beside db.json, so a rebuilt index keeps its sweeps.
 */
export const SweepRecordSchema = z.object({
  id: z.string().regex(RUN_ID_PATTERN),
  name: z.string().min(1),
  spec: z.record(z.string(), z.unknown()),
  status: z.enum(SWEEP_STATUSES),
  points: z.array(z.object({ index: count, params: z.record(z.string(), z.union([finite, z.string(), z.boolean(), z.null()])) })),
  runs: z.array(z.object({ runId: z.string().regex(RUN_ID_PATTERN), point: count, seed: z.number().int() })),
  /** Runs planned in all (points × seeds); fewer in `runs` while launching, or when stopped before all were made. */
  plannedRuns: count,
  createdAt: isoTime,
  updatedAt: isoTime,
  endedAt: isoTime.nullable(),
  /** The process running the sweep (the app or a `policylab sweep`), while running or stopping. */
  owner: RunOwnerSchema.nullable(),
  /** Why the sweep ended early (its owner exited, a run could not be created), or null. */
  error: z.string().nullable(),
});
export type SweepRecord = z.infer<typeof SweepRecordSchema>;

export const DbDataSchema = z.object({
  schemaVersion: z.literal(SCHEMA_VERSION),
  runs: z.array(RunRecordSchema),
  datasets: z.array(DatasetIndexEntrySchema),
  sweeps: z.array(SweepRecordSchema),
});
export type DbData = z.infer<typeof DbDataSchema>;

/** runs/<id>/run.json: the record beside the run's files, so the index can be rebuilt from disk. */
export const RunFileSchema = z.object({ schemaVersion: z.literal(SCHEMA_VERSION), run: RunRecordSchema });
export type RunFile = z.infer<typeof RunFileSchema>;

const timeInput = z.union([isoTime, z.date().transform((d) => d.toISOString())]);
const nameInput = z.string().trim().min(1).max(200);

export const CreateRunInputSchema = z.strictObject({
  name: nameInput.optional(),
  algo: z.string().min(1),
  env: z.string().min(1),
  config: z.record(z.string(), z.unknown()),
  seed: z.number().int(),
  tags: z.array(z.string().min(1)).optional(),
  notes: z.string().optional(),
  backend: RunBackendSchema.nullable().optional(),
  totalSteps: count.nullable().optional(),
  owner: RunOwnerSchema.nullable().optional(),
});
export type CreateRunInput = z.input<typeof CreateRunInputSchema>;

/** What `updateRun` may change. id, algo, env, config, seed and createdAt are fixed at creation. */
export const RunPatchSchema = z.strictObject({
  name: nameInput.optional(),
  status: z.enum(RUN_STATUSES).optional(),
  backend: RunBackendSchema.nullable().optional(),
  startedAt: timeInput.nullable().optional(),
  endedAt: timeInput.nullable().optional(),
  step: count.optional(),
  totalSteps: count.nullable().optional(),
  episodes: count.optional(),
  tags: z.array(z.string().min(1)).optional(),
  notes: z.string().optional(),
  summary: z.record(z.string(), MetricSummarySchema).optional(),
  error: RunErrorSchema.nullable().optional(),
  pid: z.number().int().positive().nullable().optional(),
  owner: RunOwnerSchema.nullable().optional(),
  pidStartTime: z.string().nullable().optional(),
});
export type RunPatch = z.input<typeof RunPatchSchema>;

/** One line per problem: `config.seed: expected number, received string`. */
export function describeZodError(error: z.ZodError, root: string): string {
  return error.issues
    .map((issue) => `${[root, ...issue.path.map(String)].join('.')}: ${issue.message}`)
    .join('; ');
}
