/**
 * The preference-datasets part of the contract (channels `datasets:*`): request schemas, response types, and
 * Cohen's κ (pure, so the renderer computes agreement from the rows it has). Implemented by
 * core/store/datasets-service.ts; the stored shapes are core/store/datasets-schema.ts, mirrored here as plain types
 * because the renderer may import only core/api.
 */
import { z } from 'zod';

export const DATASET_LABELS = ['a', 'b', 'tie', 'skip'] as const;
export type DatasetLabel = (typeof DATASET_LABELS)[number];
export const DATASET_SOURCES = ['human', 'oracle', 'import'] as const;
export type DatasetSource = (typeof DATASET_SOURCES)[number];
export const DATASET_IMPORT_FORMATS = ['trl-standard', 'trl-implicit', 'trl-conversational', 'trl-conversational-implicit', 'policylab'] as const;
export const DATASET_EXPORT_FORMATS = [...DATASET_IMPORT_FORMATS, 'trl-unpaired'] as const;
export type DatasetExportFormat = (typeof DATASET_EXPORT_FORMATS)[number];
export const DATASET_TASKS = ['sentiment', 'arithmetic'] as const;

export interface DatasetSamplingParams {
  temperature: number;
  topK: number;
  topP: number;
  maxNewTokens: number;
  /** The randomised A/B order: true when the second sample is shown as A. */
  swapped: boolean;
}

export interface DatasetRowInfo {
  id: string;
  prompt: string;
  chosen: string | null;
  rejected: string | null;
  label: DatasetLabel;
  responseA: string;
  responseB: string;
  source: DatasetSource;
  labeller: string | null;
  shownAt: string | null;
  answeredAt: string | null;
  modelRunId: string | null;
  checkpointStep: number | null;
  samplingParams: DatasetSamplingParams | null;
  seed: number | null;
  note: string;
  edited: boolean;
}

export interface DatasetPairInfo {
  id: string;
  prompt: string;
  responseA: string;
  responseB: string;
  modelRunId: string | null;
  checkpointStep: number | null;
  samplingParams: DatasetSamplingParams | null;
  seed: number | null;
}

export interface DatasetOracleInfo {
  task: string;
  beta: number;
  /** Expected accuracy of the Bayes-optimal reward model on the oracle rows (mean of max(P, 1 − P)). */
  bayesAccuracy: number;
  pairs: number;
}

/** A dataset as listed. */
export interface DatasetInfo {
  id: string;
  name: string;
  task: string | null;
  createdAt: string;
  updatedAt: string;
  size: number;
  pending: number;
  deleted: number;
  labels: Record<DatasetLabel, number>;
  sources: Record<DatasetSource, number>;
  labellers: string[];
  oracle: DatasetOracleInfo | null;
  trainedRunIds: string[];
  exportedAt: string | null;
}

/** A page of a dataset's rows (filtered), its next pending pairs, and its recoverable deletions. */
export interface DatasetDetail {
  info: DatasetInfo;
  rows: DatasetRowInfo[];
  /** Rows matching the filter (all pages). */
  matching: number;
  pending: DatasetPairInfo[];
  deleted: { row: DatasetRowInfo; deletedAt: string }[];
}

export interface DatasetExportInfo {
  text: string;
  lines: number;
  /** Rows the format had no room for (ties and skips in the TRL formats). */
  skipped: number;
  filename: string;
}

export interface DatasetImportInfo {
  /** Set on the last chunk: what was imported. */
  format: string | null;
  imported: number;
  size: number;
  /** Characters received so far under this upload. */
  received: number;
}

export interface DatasetGenerateInfo {
  added: number;
  pending: number;
  seconds: number;
}

/** A datasets:generate in progress (what its worker reported last): pairs sampled of those asked for. */
export interface DatasetGenerationProgress {
  done: number;
  total: number;
  /** Since the request arrived. */
  seconds: number;
}

const DatasetId = z.string().min(1).max(64).regex(/^[a-z0-9][a-z0-9_-]*$/, 'must be a dataset id (lower-case letters, digits, "-" or "_")');
const RowId = z.string().min(1).max(128).regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]*$/, 'must be a row id');
/** Response text in a request (the payload pre-check caps every string at 20,000 characters). */
const Text = z.string().max(20_000);
const Labeller = z.string().trim().min(1).max(200);
const IsoTime = z.iso.datetime();

export const datasetRequestSchemas = {
  'datasets:list': z.strictObject({}).optional(),
  /** A dataset with a page of its rows, filtered by text (prompt/responses/note), label, source and labeller. */
  'datasets:get': z.strictObject({
    id: DatasetId,
    offset: z.number().int().min(0).default(0),
    limit: z.number().int().min(1).max(500).default(100),
    search: z.string().max(200).optional(),
    label: z.enum(DATASET_LABELS).optional(),
    source: z.enum(DATASET_SOURCES).optional(),
    labeller: z.string().max(200).optional(),
    /** Pending pairs to include (from the front of the queue). */
    pending: z.number().int().min(0).max(500).default(50),
  }),
  'datasets:create': z.strictObject({
    name: z.string().trim().min(1, 'must not be empty').max(200),
    description: z.string().max(4000).optional(),
    task: z.enum(DATASET_TASKS).nullable().optional(),
  }),
  'datasets:delete': z.strictObject({ id: DatasetId }),
  /** Labels a pending pair (keys 1/2/0/S); responseA/B are the edited texts when E was used. */
  'datasets:label': z.strictObject({
    id: DatasetId,
    pairId: RowId,
    label: z.enum(DATASET_LABELS),
    labeller: Labeller,
    shownAt: IsoTime,
    responseA: Text.optional(),
    responseB: Text.optional(),
    note: z.string().max(4000).optional(),
  }),
  /** Undo (U): the row goes back to the front of the queue. */
  'datasets:unlabel': z.strictObject({ id: DatasetId, rowId: RowId }),
  'datasets:fixRow': z.strictObject({
    id: DatasetId,
    rowId: RowId,
    label: z.enum(DATASET_LABELS).optional(),
    responseA: Text.optional(),
    responseB: Text.optional(),
    note: z.string().max(4000).optional(),
  }),
  'datasets:deleteRow': z.strictObject({ id: DatasetId, rowId: RowId }),
  'datasets:restoreRow': z.strictObject({ id: DatasetId, rowId: RowId }),
  /**
   * One chunk of a JSONL file to import into dataset `id`, in order (`seq` 0, 1, …); the file is validated and stored
   * when `last` arrives (all or nothing). Pieces ≤ 16 KiB characters, ≤ 48 per message.
   */
  'datasets:import': z.strictObject({
    id: DatasetId,
    uploadId: z.string().min(8).max(64).regex(/^[A-Za-z0-9_-]+$/),
    seq: z.number().int().min(0).max(100_000),
    pieces: z.array(z.string().max(16_384)).max(48),
    last: z.boolean(),
  }),
  'datasets:export': z.strictObject({ id: DatasetId, format: z.enum(DATASET_EXPORT_FORMATS) }),
  /**
   * Samples two responses per prompt of a task's prompt set in a worker process and queues them for labelling.
   * model: a run's checkpoint (an LM run), a saved LM folder, or the task's own generator.
   */
  'datasets:generate': z.strictObject({
    id: DatasetId,
    task: z.enum(DATASET_TASKS),
    model: z.discriminatedUnion('kind', [
      z.strictObject({ kind: z.literal('run'), runId: z.string().min(1).max(64).regex(/^[A-Za-z0-9_-]+$/), step: z.number().int().min(0) }),
      z.strictObject({ kind: z.literal('lm'), dir: z.string().min(1).max(1000) }),
      z.strictObject({ kind: z.literal('generator') }),
    ]),
    offset: z.number().int().min(0).default(0),
    count: z.number().int().min(1).max(5000),
    temperature: z.number().min(0).max(10).default(1),
    topK: z.number().int().min(0).max(100_000).default(0),
    topP: z.number().gt(0).max(1).default(1),
    maxNewTokens: z.number().int().min(1).max(1024).default(48),
    seed: z.number().int().min(0).max(2 ** 31 - 1).default(0),
  }),
  /** How far the datasets:generate running for this dataset has got (null: none is running). The UI polls it. */
  'datasets:generation': z.strictObject({ id: DatasetId }),
  /** Queues copies of a labeller's rows (A/B order re-drawn) for a second labeller, to measure agreement (κ). */
  'datasets:requeue': z.strictObject({ id: DatasetId, labeller: Labeller, limit: z.number().int().min(1).max(10_000).default(50) }),
  /** Labels every pending pair with the task's oracle (synthetic rows): P(A≻B) = σ(β(r*(A) − r*(B))). */
  'datasets:oracle': z.strictObject({
    id: DatasetId,
    task: z.enum(DATASET_TASKS),
    beta: z.number().positive().max(1e6),
    seed: z.number().int().min(0).max(2 ** 31 - 1).default(0),
  }),
} as const;

export type DatasetChannel = keyof typeof datasetRequestSchemas;

export interface DatasetResponses {
  'datasets:list': DatasetInfo[];
  'datasets:get': DatasetDetail;
  'datasets:create': DatasetInfo;
  'datasets:delete': { id: string; deleted: true };
  'datasets:label': DatasetRowInfo;
  'datasets:unlabel': DatasetPairInfo;
  'datasets:fixRow': DatasetRowInfo;
  'datasets:deleteRow': { id: string; rowId: string; deleted: true };
  'datasets:restoreRow': DatasetRowInfo;
  'datasets:import': DatasetImportInfo;
  'datasets:export': DatasetExportInfo;
  'datasets:generate': DatasetGenerateInfo;
  'datasets:generation': DatasetGenerationProgress | null;
  'datasets:oracle': DatasetOracleInfo;
  'datasets:requeue': { queued: number };
}

export interface KappaResult {
  /** Pairs both labellers labelled (skips left out). */
  overlap: number;
  /** Observed agreement. */
  observed: number;
  /** Agreement expected by chance from each labeller's label frequencies. */
  expected: number;
  /** (observed − expected) / (1 − expected); null when fewer than 2 shared pairs or expected = 1. */
  kappa: number | null;
}

/**
 * Cohen's κ between two labellers over the pairs both labelled (matched by prompt and the unordered pair of
 * responses, so a different A/B order still matches; labels are compared as "first response better / second better
 * / tie" in a canonical order). Skips are left out.
 */
export function cohenKappa(rows: readonly DatasetRowInfo[], labellerA: string, labellerB: string): KappaResult {
  const canonical = (r: DatasetRowInfo): { key: string; label: 'first' | 'second' | 'tie' } | null => {
    if (r.label === 'skip') return null;
    const flip = r.responseA > r.responseB;
    const [x, y] = flip ? [r.responseB, r.responseA] : [r.responseA, r.responseB];
    const key = JSON.stringify([r.prompt, x, y]);
    if (r.label === 'tie') return { key, label: 'tie' };
    const aBetter = r.label === 'a';
    return { key, label: aBetter !== flip ? 'first' : 'second' };
  };
  const byLabeller = (who: string): Map<string, string> => {
    const m = new Map<string, string>();
    for (const r of rows) {
      if (r.labeller !== who) continue;
      const c = canonical(r);
      if (c) m.set(c.key, c.label);
    }
    return m;
  };
  const a = byLabeller(labellerA);
  const b = byLabeller(labellerB);
  const cats = ['first', 'second', 'tie'];
  const countA: Record<string, number> = { first: 0, second: 0, tie: 0 };
  const countB: Record<string, number> = { first: 0, second: 0, tie: 0 };
  let n = 0;
  let agree = 0;
  for (const [key, la] of a) {
    const lb = b.get(key);
    if (lb === undefined) continue;
    n++;
    if (la === lb) agree++;
    countA[la]!++;
    countB[lb]!++;
  }
  if (n === 0) return { overlap: 0, observed: 0, expected: 0, kappa: null };
  const observed = agree / n;
  const expected = cats.reduce((s, c) => s + (countA[c]! / n) * (countB[c]! / n), 0);
  const kappa = n < 2 || expected === 1 ? null : (observed - expected) / (1 - expected);
  return { overlap: n, observed, expected, kappa };
}
