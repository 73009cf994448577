/**
 * The one contract between the UI and the app's back end, shared by both transports
 * (Electron IPC through the preload, and the browser-mode WebSocket of core/host).
 * Invoke channels are `domain:verb` with a zod-validated request and a typed response;
 * events flow one way, from the back end to every subscriber.
 * This folder is the only part of core/ the renderer may import: no Node, no DOM.
 */
import type { RequestIn, RequestOut } from './schemas.js';
import type { SweepDetail, SweepInfo } from './sweeps.js';
import type { DatasetResponses } from './datasets.js';
import type { PrefsResponses } from './prefs.js';

export type { RequestIn, RequestOut } from './schemas.js';
export type { SweepDetail, SweepInfo, SweepParamValue, SweepPointResult, SweepRunResult, SweepStatus } from './sweeps.js';
export type * from './datasets.js';
export type * from './prefs.js';

/** Every invoke channel (request → response). Request schemas: schemas.ts; response types: InvokeResponses. */
export const INVOKE_CHANNELS = [
  'runs:list',
  'runs:get',
  'runs:start',
  'runs:stop',
  'runs:resume',
  'runs:delete',
  'runs:update',
  'runs:logs',
  'metrics:query',
  'metrics:tail',
  'checkpoints:list',
  'runs:integrity',
  'runs:table',
  'episodes:list',
  'episodes:get',
  'runs:samples',
  'rollout:start',
  'rollout:stop',
  'algos:describe',
  'system:info',
  'system:settings',
  'import:upload',
  'import:commit',
  'sweeps:list',
  'sweeps:get',
  'sweeps:start',
  'sweeps:stop',
  'datasets:list',
  'datasets:get',
  'datasets:create',
  'datasets:delete',
  'datasets:label',
  'datasets:unlabel',
  'datasets:fixRow',
  'datasets:deleteRow',
  'datasets:restoreRow',
  'datasets:import',
  'datasets:export',
  'datasets:generate',
  'datasets:generation',
  'datasets:oracle',
  'datasets:requeue',
  'prefs:compare',
  'prefs:job',
  'prefs:cancel',
  'prefs:jobs',
] as const;
export type InvokeChannel = (typeof INVOKE_CHANNELS)[number];

/**
 * `stopping`: a stop was requested and the process is saving its checkpoint. `failed`: training threw an error
 * (bad config, NaN, …). `crashed`: the training process died without reporting (killed, out of memory, …).
 */
export const RUN_STATUSES = ['queued', 'running', 'stopping', 'stopped', 'finished', 'failed', 'crashed'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
/** Statuses in which a run has a live (or about to be live) training process. */
export const ACTIVE_STATUSES: readonly RunStatus[] = ['queued', 'running', 'stopping'];

export type ApiErrorCode =
  | 'unknown_channel'
  | 'invalid_request'
  | 'not_found'
  | 'conflict'
  | 'forbidden'
  | 'internal';

export interface ApiIssue {
  /** Dotted path of the offending field (`config.clipCoef`), empty for the payload itself. */
  path: string;
  message: string;
}

export interface ApiError {
  code: ApiErrorCode;
  /** One sentence naming what was wrong and where. */
  message: string;
  issues?: ApiIssue[];
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: ApiError };

/** Compute backend a run trained on (mirrors core/tensor's BackendInfo without importing it). */
export interface BackendInfo {
  name: string;
  simd?: boolean;
  threads?: number;
  tfjsVersion?: string;
  skipped?: { candidate: string; reason: string }[];
  /** The update engine a run used (`wasm-simd kernels`, `js kernels`, `tfjs:<backend>`). */
  engine?: string;
}

export interface RunSummary {
  lastReturn: number | null;
  bestReturn: number | null;
  /** Environment steps per second at the last progress report. */
  sps: number | null;
}

export interface RunInfo {
  id: string;
  name: string;
  algo: string;
  env: string;
  seed: number;
  status: RunStatus;
  config: Record<string, unknown>;
  backend: BackendInfo | null;
  tags: string[];
  notes: string;
  /** ISO timestamps. */
  createdAt: string;
  startedAt: string | null;
  endedAt: string | null;
  /** Seconds spent running in sessions that have ended (time between a stop and a resume is not counted). */
  activeSeconds: number;
  /** ISO start of the current running session; null when not running. Duration = activeSeconds + now − this. */
  runningSince: string | null;
  step: number;
  totalSteps: number;
  summary: RunSummary;
  error: string | null;
  /** While queued in this app: its place in the queue (1 = next) and why it waits. */
  queue?: { position: number; reason: string };
  /** While another process trains it (a CLI training, another app): which. */
  owner?: { kind: 'cli' | 'app'; pid: number };
  /** Imported from another library's files (read-only: no resume, no replay): what and from where. */
  external?: ExternalRunInfo;
}

/** One row of the runs table's data (core/runner/run-table.ts): metric summaries, sparkline, sample efficiency. */
export interface RunTableRow {
  id: string;
  /** Every logged key: last value (logged order), min, max and finite-point count. */
  metrics: Record<string, { last: number; min: number; max: number; count: number }>;
  /** The return curve downsampled to at most 48 bucket means; null when no return was logged. */
  spark: { steps: number[]; values: number[] } | null;
  /** Area under the return curve ÷ the steps it spans (mean return over training); null without returns. */
  auc: number | null;
  /** The env's reward threshold; null when it has none. */
  threshold: number | null;
  /** First step at which the 20-episode mean return reached the threshold, and seconds since the first record. */
  solved: { step: number; seconds: number | null } | null;
}

/** Where an imported run came from (core/import). */
export interface ExternalRunInfo {
  format: 'tensorboard' | 'sb3-monitor';
  /** `CleanRL`, `Stable-Baselines3` or `TensorBoard`. */
  library: string;
  path: string;
  importedAt: string;
}

/** What an import made: the new runs, each with what was read. */
export interface ImportResult {
  runs: RunInfo[];
  details: { id: string; library: string; records: number; keys: number; skipped: number }[];
}

/** Something the store repaired or set aside (index rebuilt, damaged file moved aside): shown as a banner. */
export interface DamagedRunInfo {
  id: string;
  name: string;
  /** What is damaged, e.g. "2 unreadable metrics.jsonl lines (lines 12, 40); damaged checkpoint at step 256". */
  summary: string;
}

export interface StoreNoticeInfo {
  kind: string;
  message: string;
  time: string;
}

export interface MetricRecord {
  step: number;
  /** Seconds since the Unix epoch when the record was logged (the store's `wallTime`). */
  wallTime: number;
  values: Record<string, number>;
}

/**
 * One key's points, downsampled: arrays of equal length, ordered by step. Each point is a bucket's mean,
 * with the bucket's min and max (equal to the value where a point is raw), so a spike is never lost.
 */
export interface MetricSeries {
  key: string;
  steps: number[];
  values: number[];
  mins: number[];
  maxs: number[];
  /** Wall-clock time of each point in seconds since the Unix epoch (a bucket's mean time when downsampled). */
  wallTimes: number[];
  /** Raw points behind the series (within the requested step range). */
  totalPoints: number;
}

/**
 * `maxPoints` values a finished run answers from overviews precomputed when its metrics writer closed (no raw
 * point is read): a client that can pick its resolution freely should pick one of these.
 */
export const OVERVIEW_POINTS = [500, 1_000, 2_000, 4_000] as const;

export interface MetricsQueryResult {
  keys: string[];
  series: MetricSeries[];
  /** Wall time (seconds since the epoch) of the run's first logged record, any key: where relative time starts. */
  firstWallTime: number | null;
  /** Byte offset to pass to metrics:tail to continue exactly after what this query read. */
  offset: number;
}

export interface MetricsTailResult {
  records: MetricRecord[];
  nextOffset: number;
}

export interface CheckpointInfo {
  step: number;
  /** ISO time the checkpoint was written. */
  time: string;
  /** Metric values recorded with the checkpoint (latest of each key at save time). */
  metrics: Record<string, number>;
}

/** A recorded evaluation episode, as listed (runs/<id>/episodes/<step>.json). */
export interface EpisodeInfo {
  /** Training step at which the episode was recorded. */
  step: number;
  envId: string;
  seed: number;
  return: number;
  /** Env steps in the episode. */
  length: number;
}

/**
 * One episode step by step: `states[0]` is the state after reset, `states[i + 1]` follows `actions[i]`
 * (Gymnasium `env.unwrapped.state` layout). Actions are integers (discrete) or vectors (continuous).
 */
export interface EpisodeData extends EpisodeInfo {
  states: number[][];
  actions: (number | number[])[];
  rewards: number[];
}

export interface RolloutStarted {
  rolloutId: string;
  envId: string;
  /** Checkpoint whose policy acts. */
  checkpointStep: number;
  /** Frames per second the states are streamed at (0: as fast as they are computed). */
  fps: number;
}

/**
 * One env step of a live rollout. The first frame of a rollout is the reset state (step 0, no action,
 * no reward); frame `step` is the state after the policy's `step`-th action.
 */
export interface RolloutFrame {
  step: number;
  state: number[];
  action: number | number[] | null;
  reward: number | null;
  /** Return so far (sum of rewards up to and including this frame). */
  return: number;
  /** The episode ended on this frame (terminated or truncated). */
  done: boolean;
}

export type RolloutEndReason = 'terminated' | 'truncated' | 'max-steps' | 'stopped' | 'failed';

export interface LogLine {
  time: string;
  stream: 'log' | 'stdout' | 'stderr' | 'system';
  text: string;
}

/** A JSON Schema document (draft 2020-12) as produced by zod's `z.toJSONSchema`. */
export interface JsonSchema {
  type?: string | string[];
  description?: string;
  title?: string;
  default?: unknown;
  enum?: unknown[];
  const?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  maxLength?: number;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  [key: string]: unknown;
}

export interface AlgoDescription {
  id: string;
  title: string;
  description: string;
  configSchema: JsonSchema;
  /** Config values per preset name (an env id or a named setting). */
  presets: Record<string, Record<string, unknown>>;
  /** Suggested run length per preset name (env steps), and without a preset. */
  totalSteps: { default: number; presets: Record<string, number> };
  /** The envs it trains on (absent or null: every env); language-model and preference runs: ['text']. */
  envs?: string[] | null;
}

export interface EnvDescription {
  id: string;
  description: string;
  obsDim: number;
  action: { kind: 'discrete'; n: number } | { kind: 'box'; dim: number };
  maxEpisodeSteps: number;
  rewardThreshold: number | null;
}

export interface AlgosDescription {
  algos: AlgoDescription[];
  envs: EnvDescription[];
}

export interface SystemInfo {
  appVersion: string;
  transport: 'electron' | 'browser';
  /** The data folder runs are stored in. */
  home: string;
  /** Backend training processes pick on this machine (probed once). */
  backend: BackendInfo | null;
  backendError: string | null;
  maxConcurrent: number;
  /** What the store repaired or set aside since the app started (oldest first). */
  notices: StoreNoticeInfo[];
  /** Runs whose folders hold damaged files (unreadable metrics lines, quarantines, damaged checkpoints), in one line each. */
  damagedRuns: DamagedRunInfo[];
  /**
   * The scan of the runs' folders was still going when this answer left (a large data folder takes seconds; the
   * answer does not wait for it): damagedRuns is the last finished scan's, empty before the first. Ask again.
   */
  damagedRunsPending: boolean;
  platform: string;
  versions: Record<string, string>;
}

/**
 * What is damaged in a run's folder (core/store/integrity.ts), for the run view's warning box. Paths are full paths
 * in the data folder; line numbers are 1-based lines of metrics.jsonl (of the file they were quarantined from).
 */
export interface RunIntegrityInfo {
  metrics: {
    /** Unreadable lines of metrics.jsonl now (a torn last line is not one); at most 1,000 listed. */
    badLines: { line: number; reason: string }[];
    badLineCount: number;
    tornTailBytes: number;
    /** The newest file unreadable lines were moved to before metrics.jsonl was rewritten, or null. */
    quarantine: string | null;
    quarantines: { path: string; createdAt: string; why: string; lines: { line: number; reason: string }[] }[];
    /** The column index: 'rebuilt' when it was damaged and has just been rebuilt from metrics.jsonl. */
    index: { status: 'ok' | 'unverified' | 'missing' | 'damaged' | 'rebuilt'; problems: { file: string; reason: string }[] };
  };
  checkpoints: {
    /** Damaged checkpoints (never loaded: resumes and rollouts use the newest intact one). */
    damaged: { step: number; dir: string; file: string; reason: string }[];
    /** Damaged checkpoints a resume moved aside (kept, not deleted). */
    setAside: { step: number; dir: string; file: string; reason: string; movedAt: string }[];
    /** Steps of checkpoints written before checksums existed (loadable, not verifiable). */
    unverified: number[];
  };
  /** Whether anything needs the user's attention. */
  problems: boolean;
}

/** One sample generation of a language-model run (pretrain, SFT), stored with the run (samples.jsonl). */
export interface LmSampleInfo {
  /** Optimizer step the model had taken. */
  step: number;
  /** Which of the run's fixed prompts (0-based): the same index compares across checkpoints. */
  index: number;
  prompt: string;
  completion: string;
}

export interface LmSamplesResult {
  /** Oldest first; the latest `limit` when there are more. */
  samples: LmSampleInfo[];
  /** Every step that has samples, ascending. */
  steps: number[];
  /** Samples the file holds in all (before `limit`). */
  total: number;
  /** Unreadable lines of samples.jsonl (named by line number). */
  problems: string[];
}

/** Response type per invoke channel (datasets:*: core/api/datasets.ts; prefs:*: core/api/prefs.ts). */
export interface InvokeResponses extends DatasetResponses, PrefsResponses {
  'runs:list': RunInfo[];
  'runs:get': RunInfo;
  'runs:start': RunInfo[];
  'runs:stop': RunInfo;
  'runs:resume': RunInfo;
  'runs:delete': { id: string; deleted: true };
  'runs:update': RunInfo;
  'runs:logs': LogLine[];
  'metrics:query': MetricsQueryResult;
  'metrics:tail': MetricsTailResult;
  'checkpoints:list': CheckpointInfo[];
  'runs:integrity': RunIntegrityInfo;
  'runs:table': RunTableRow[];
  'episodes:list': EpisodeInfo[];
  'episodes:get': EpisodeData;
  'runs:samples': LmSamplesResult;
  'rollout:start': RolloutStarted;
  'rollout:stop': { rolloutId: string; stopped: boolean };
  'algos:describe': AlgosDescription;
  'system:info': SystemInfo;
  'system:settings': SystemInfo;
  'import:upload': { received: number };
  'import:commit': ImportResult;
  'sweeps:list': SweepInfo[];
  'sweeps:get': SweepDetail;
  'sweeps:start': SweepInfo;
  'sweeps:stop': SweepInfo;
}
export type Response<C extends InvokeChannel> = InvokeResponses[C];

/** Payload type per event channel. */
export interface EventPayloads {
  /** The run's full record after any change of status, name, tags, notes or summary. */
  'run:status': RunInfo;
  /** Frequent lightweight progress (≤ 10 per second per run). */
  'run:progress': { id: string; step: number; totalSteps: number; sps: number; etaSeconds: number | null; recentReturn: number | null };
  /** New metric records, batched (≤ 10 batches per second per run). */
  'run:metrics': { id: string; records: MetricRecord[] };
  'run:log': { id: string; lines: LogLine[] };
  'run:checkpoint': { id: string; step: number };
  'run:deleted': { id: string };
  /** The store repaired or set aside something (index rebuilt, damaged file moved aside). */
  'system:notice': StoreNoticeInfo;
  /** States of a live rollout, in order, batched (a few per message at a watchable pace). */
  'rollout:frame': { rolloutId: string; frames: RolloutFrame[] };
  /** A live rollout is over; no frames follow. */
  'rollout:end': { rolloutId: string; reason: RolloutEndReason; steps: number; return: number; error: string | null };
}
export type EventChannel = keyof EventPayloads;
export const EVENT_CHANNELS = [
  'run:status',
  'run:progress',
  'run:metrics',
  'run:log',
  'run:checkpoint',
  'run:deleted',
  'system:notice',
  'rollout:frame',
  'rollout:end',
] as const satisfies readonly EventChannel[];

export type ApiEvent = { [E in EventChannel]: { event: E; payload: EventPayloads[E] } }[EventChannel];

/** What every transport gives the renderer. */
export interface ApiClient {
  invoke<C extends InvokeChannel>(channel: C, ...payload: OptionalIfEmpty<RequestIn<C>>): Promise<Result<Response<C>>>;
  on<E extends EventChannel>(event: E, listener: (payload: EventPayloads[E]) => void): () => void;
}
type OptionalIfEmpty<T> = undefined extends T ? [payload?: T] : [payload: T];

/** Handler table a back end implements: validated request in, response out (throw ApiFailure for expected errors). */
/** The back end's handler per channel: the validated request, and what the transport knows of the client. */
export type Handlers = { [C in InvokeChannel]: (request: RequestOut<C>, context: InvokeContext) => Promise<Response<C>> };

/** An expected failure with an error code, thrown by handlers and mapped to `{ok:false}`. */
export class ApiFailure extends Error {
  constructor(
    readonly code: ApiErrorCode,
    message: string,
    readonly issues?: ApiIssue[],
  ) {
    super(message);
    this.name = 'ApiFailure';
  }
}

const CHANNEL_SET: ReadonlySet<string> = new Set(INVOKE_CHANNELS);
export function isInvokeChannel(channel: unknown): channel is InvokeChannel {
  return typeof channel === 'string' && CHANNEL_SET.has(channel);
}
export function isEventChannel(event: unknown): event is EventChannel {
  return typeof event === 'string' && (EVENT_CHANNELS as readonly string[]).includes(event);
}

/** What a transport knows about the client a request came from. */
export interface InvokeContext {
  /**
   * Aborted when the client goes away (its WebSocket closes, its window is destroyed, navigates or reloads).
   * Work a request started only for that client (a live rollout it watches) is stopped then.
   */
  clientGone?: AbortSignal;
}

/** What a transport (IPC gate, WebSocket host) needs from the back end: validated dispatch and events. */
export interface ApiBackend {
  /** Validates channel and payload, runs the handler; never throws. */
  invoke(channel: unknown, payload: unknown, context?: InvokeContext): Promise<Result<unknown>>;
  subscribe(listener: (event: ApiEvent) => void): () => void;
}
