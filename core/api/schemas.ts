/**
 * Zod schemas for every request that crosses a process boundary (Electron IPC or the browser-mode WebSocket).
 * Every object is strict (unknown keys are rejected, which also rejects `__proto__`/`constructor` smuggled in as
 * own keys), every string and array is bounded. The algorithm config itself is validated twice: here only as a
 * bounded JSON object, then against the algorithm's own schema by the run manager.
 */
import { z } from 'zod';
import type { InvokeChannel } from './contract.js';
import { datasetRequestSchemas } from './datasets.js';
import { prefsRequestSchemas } from './prefs.js';

/** Limits shared by the schemas and the structural pre-check in validate.ts. */
export const LIMITS = {
  idLength: 64,
  nameLength: 200,
  tagLength: 64,
  maxTags: 32,
  notesLength: 10_000,
  keyLength: 128,
  maxSeeds: 32,
  maxMetricKeys: 256,
  maxPoints: 20_000,
  /** Longest live rollout (env steps); every registered env's time limit is far below. */
  maxRolloutSteps: 100_000,
  /** Fastest streaming pace of a live rollout (frames per second). */
  maxRolloutFps: 240,
  /** Longest string anywhere in a payload. */
  stringLength: 20_000,
  /** Deepest nesting of objects/arrays anywhere in a payload. */
  depth: 8,
  /** Most keys in one object / items in one array. */
  entries: 2_000,
} as const;

export const RunId = z
  .string()
  .min(1)
  .max(LIMITS.idLength)
  .regex(/^[A-Za-z0-9_-]+$/, 'must contain only letters, digits, "_" and "-"');

const AlgoIdText = z.string().min(1).max(LIMITS.keyLength).regex(/^[a-z0-9-]+$/, 'must be a lowercase algorithm id');
const EnvIdText = z
  .string()
  .min(1)
  .max(LIMITS.keyLength)
  // 'text': the language-model runs' (pretrain, SFT), which read a corpus rather than an environment.
  .regex(/^(?:[A-Za-z0-9_-]+-v\d+|text)$/, 'must be an environment id like CartPole-v1 (or text, for language-model runs)');
const Name = z.string().trim().min(1, 'must not be empty').max(LIMITS.nameLength);
const Tag = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(LIMITS.tagLength)
  .regex(/^[^,\s][^,]*$/, 'must not contain commas');
const Tags = z.array(Tag).max(LIMITS.maxTags);
const Notes = z.string().max(LIMITS.notesLength);
const Seed = z.number().int().min(0).max(2 ** 31 - 1);
const TotalSteps = z.number().int().positive().max(1e10);
const Step = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
/** A position on the step axis (bucket means are fractional), for step ranges. */
const StepPosition = z.number().min(0).max(Number.MAX_SAFE_INTEGER);
export const RolloutId = z
  .string()
  .min(1)
  .max(LIMITS.idLength)
  .regex(/^[A-Za-z0-9_-]+$/, 'must contain only letters, digits, "_" and "-"');
const MetricKey = z.string().min(1).max(LIMITS.keyLength);

/** A JSON value (the structural limits are enforced by validate.ts before zod runs). */
const JsonPrimitive = z.union([z.string().max(LIMITS.stringLength), z.number(), z.boolean(), z.null()]);
type Json = z.infer<typeof JsonPrimitive> | Json[] | { [key: string]: Json };
export const JsonValue: z.ZodType<Json> = z.lazy(() =>
  z.union([JsonPrimitive, z.array(JsonValue).max(LIMITS.entries), z.record(z.string().max(LIMITS.keyLength), JsonValue)]),
);
const ConfigObject = z.record(z.string().min(1).max(LIMITS.keyLength), JsonValue);

const Empty = z.strictObject({}).optional();
const ById = z.strictObject({ id: RunId });

/** Request schemas, keyed by channel. The channel list of the contract is the key list of this object. */
const UploadId = z.string().min(8).max(64).regex(/^[A-Za-z0-9_-]+$/, 'must contain only letters, digits, "_" and "-"');

export const requestSchemas = {
  'runs:list': Empty,
  'runs:get': ById,
  'runs:start': z.strictObject({
    algo: AlgoIdText,
    env: EnvIdText,
    /** Config fields to override on top of the algorithm's defaults (and the preset, when given). */
    config: ConfigObject.default({}),
    /** Name of a preset of the algorithm (usually the env id); its values sit under `config`. */
    preset: z.string().min(1).max(LIMITS.keyLength).optional(),
    /** Env steps to train for; the preset's (or the algorithm's) suggestion when omitted. */
    totalSteps: TotalSteps.optional(),
    /** One run per seed. */
    seeds: z.array(Seed).min(1, 'needs at least one seed').max(LIMITS.maxSeeds),
    name: Name.optional(),
    tags: Tags.optional(),
    notes: Notes.optional(),
  }),
  'runs:stop': ById,
  /** `restart`: the run has no intact checkpoint and the user agreed to start it over from step 0. */
  'runs:resume': z.strictObject({ id: RunId, totalSteps: TotalSteps.optional(), restart: z.boolean().default(false) }),
  'runs:delete': ById,
  'runs:update': z
    .strictObject({ id: RunId, name: Name.optional(), tags: Tags.optional(), notes: Notes.optional() })
    .refine((r) => r.name !== undefined || r.tags !== undefined || r.notes !== undefined, {
      message: 'needs at least one of name, tags, notes',
    }),
  'runs:logs': z.strictObject({ id: RunId, limit: z.number().int().min(1).max(5_000).default(500) }),
  'metrics:query': z
    .strictObject({
      id: RunId,
      /** Keys to read; all keys when omitted (an empty list returns just the key list). */
      keys: z.array(MetricKey).max(LIMITS.maxMetricKeys).optional(),
      /** Most points per key (min/max per bucket, so no spike is lost). */
      maxPoints: z.number().int().min(2).max(LIMITS.maxPoints).default(1_000),
      /** Only points with from ≤ step ≤ to (a zoomed chart refetches its range at higher resolution). */
      from: StepPosition.optional(),
      to: StepPosition.optional(),
    })
    .refine((r) => r.from === undefined || r.to === undefined || r.from <= r.to, { message: 'must be ≥ from', path: ['to'] }),
  'metrics:tail': z.strictObject({
    id: RunId,
    /** Byte offset returned by the previous query/tail. */
    offset: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  }),
  'checkpoints:list': ById,
  /** What is damaged in the run's folder (bad metrics lines, quarantines, index, checkpoints). */
  'runs:integrity': ById,
  /** Runs-table rows (metric summaries, return sparkline, steps/time to threshold, AUC) of these runs. */
  'runs:table': z.strictObject({ ids: z.array(RunId).min(1).max(1_000) }),
  'episodes:list': ById,
  'episodes:get': z.strictObject({ id: RunId, step: Step }),
  /** A language-model run's sample generations (the latest `limit`). */
  'runs:samples': z.strictObject({ id: RunId, limit: z.number().int().min(1).max(10_000).default(2_000) }),
  'rollout:start': z.strictObject({
    id: RunId,
    /** Step of the checkpoint whose policy acts (checkpoints:list). */
    checkpointStep: Step,
    /** Seed of the episode's reset (and of the action sampling when stochastic). */
    seed: Seed,
    /** The policy's mode (argmax / Gaussian mean) when true; sampled actions when false. */
    deterministic: z.boolean().default(true),
    /** Stop after this many env steps even if the episode goes on (the env's time limit applies anyway). */
    maxSteps: z.number().int().min(1).max(LIMITS.maxRolloutSteps).optional(),
    /** Streaming pace in frames per second; the env's render fps when omitted. */
    fps: z.number().min(1).max(LIMITS.maxRolloutFps).optional(),
    /** False: compute and stream as fast as possible (to collect an episode, e.g. for a side-by-side replay). */
    realtime: z.boolean().default(true),
  }),
  'rollout:stop': z.strictObject({ rolloutId: RolloutId }),
  'algos:describe': Empty,
  // waitForScan: answer only once the damaged-runs scan has finished (tools and tests; the app asks again instead).
  'system:info': z.strictObject({ waitForScan: z.boolean().optional() }).optional(),
  /** Changes app settings for this session (concurrency: how many runs train at once; more wait in the queue). */
  'system:settings': z.strictObject({ maxConcurrent: z.number().int().min(1).max(64) }),
  /** One chunk of a file to import (TensorBoard event file or SB3 monitor.csv), in order; see core/import/uploads.ts. */
  'import:upload': z.strictObject({
    uploadId: UploadId,
    /** The file's path inside what the user picked, `/`-separated (the folder groups event files into runs). */
    path: z.string().min(1).max(1_000),
    /** Byte offset of this chunk in the file. */
    offset: z.number().int().min(0).max(2 ** 31),
    /** Base64 pieces (≤ 16 KiB of text each, ≤ 48 per message: under the WebSocket's 1 MiB frame). */
    data: z.array(z.string().max(16_384).regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64')).min(1).max(48),
  }),
  /** Imports everything uploaded under uploadId as read-only external runs, all or nothing. */
  'import:commit': z.strictObject({ uploadId: UploadId, name: Name.optional() }),
  'sweeps:list': Empty,
  /** A sweep with its results per configuration for `metric` (default: the spec's). */
  'sweeps:get': z.strictObject({ id: RunId, metric: MetricKey.optional() }),
  /** Starts a sweep; the spec (core/sweep/spec.ts) is checked in full by the back end, errors naming the key. */
  'sweeps:start': z.strictObject({ spec: z.record(z.string().min(1).max(LIMITS.keyLength), JsonValue) }),
  /** Stops a sweep as a whole: queued runs never start, running runs checkpoint and stop. */
  'sweeps:stop': ById,
  ...datasetRequestSchemas,
  ...prefsRequestSchemas,
} as const satisfies Record<InvokeChannel, z.ZodType>;

/** What a caller may send (defaults optional). */
export type RequestIn<C extends InvokeChannel> = z.input<(typeof requestSchemas)[C]>;
/** What a handler receives after validation (defaults filled in). */
export type RequestOut<C extends InvokeChannel> = z.output<(typeof requestSchemas)[C]>;

export { Step, MetricKey };
