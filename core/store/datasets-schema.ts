/**
 * The shapes of preference datasets on disk (datasets/<id>.json) and of their entries in db.json's datasets index,
 * as zod schemas validated on every read. Bump DATASET_FILE_VERSION (and migrate in datasets.ts) when a row changes.
 */
import { z } from 'zod';
import { RUN_ID_PATTERN } from './ids.js';

export const DATASET_FORMAT = 'policylab-preferences';
export const DATASET_FILE_VERSION = 1;

/** Longest prompt or response kept in a row (characters); longer text is refused, naming the field. */
export const MAX_TEXT_CHARS = 32_768;
/** Row ids: what import files may carry, too (no slashes, no spaces). */
export const ROW_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;

export const LABELS = ['a', 'b', 'tie', 'skip'] as const;
export type Label = (typeof LABELS)[number];
export const ROW_SOURCES = ['human', 'oracle', 'import'] as const;
export type RowSource = (typeof ROW_SOURCES)[number];

const isoTime = z.iso.datetime();
const text = z.string().max(MAX_TEXT_CHARS, `must be at most ${MAX_TEXT_CHARS} characters`);
const datasetId = z.string().regex(RUN_ID_PATTERN, 'must be lower-case letters, digits, "-" or "_"');

/** How the two responses were sampled; `swapped` records the randomised A/B order (true: sample 1 is shown as A). */
export const SamplingParamsSchema = z.strictObject({
  temperature: z.number().min(0).max(10),
  topK: z.number().int().nonnegative(),
  topP: z.number().gt(0).max(1),
  maxNewTokens: z.number().int().positive().max(4096),
  swapped: z.boolean(),
});
export type SamplingParams = z.infer<typeof SamplingParamsSchema>;

/**
 * One labelled pair. `responseA`/`responseB` are the texts as shown left/right (after any edit); `chosen`/`rejected`
 * are the better/worse of them for labels a/b and null for tie/skip (kept as such; exported only where a format has
 * room). `source` oracle rows are synthetic (Bradley–Terry labels from a task's oracle), marked so everywhere.
 */
export const PreferenceRowSchema = z
  .strictObject({
    id: z.string().regex(ROW_ID_PATTERN, 'must be letters, digits, "_", ".", ":" or "-" (at most 128)'),
    prompt: text,
    chosen: text.nullable(),
    rejected: text.nullable(),
    label: z.enum(LABELS),
    responseA: text,
    responseB: text,
    source: z.enum(ROW_SOURCES),
    labeller: z.string().max(200).nullable(),
    shownAt: isoTime.nullable(),
    answeredAt: isoTime.nullable(),
    modelRunId: z.string().max(200).nullable(),
    checkpointStep: z.number().int().nonnegative().nullable(),
    samplingParams: SamplingParamsSchema.nullable(),
    seed: z.number().int().nullable(),
    note: z.string().max(4000),
    edited: z.boolean(),
  })
  .superRefine((row, ctx) => {
    const paired = row.label === 'a' || row.label === 'b';
    if (!paired) {
      if (row.chosen !== null || row.rejected !== null) ctx.addIssue({ code: 'custom', message: `chosen and rejected must be null for label ${row.label}`, path: ['chosen'] });
      return;
    }
    const [c, r] = row.label === 'a' ? [row.responseA, row.responseB] : [row.responseB, row.responseA];
    if (row.chosen !== c) ctx.addIssue({ code: 'custom', message: `must equal response${row.label.toUpperCase()} for label ${row.label}`, path: ['chosen'] });
    if (row.rejected !== r) ctx.addIssue({ code: 'custom', message: `must equal the other response for label ${row.label}`, path: ['rejected'] });
  });
export type PreferenceRow = z.infer<typeof PreferenceRowSchema>;

/** A generated pair waiting for its label (curation view): the responses in their shown order. */
export const PendingPairSchema = z.strictObject({
  id: z.string().regex(ROW_ID_PATTERN),
  prompt: text,
  responseA: text,
  responseB: text,
  modelRunId: z.string().max(200).nullable(),
  checkpointStep: z.number().int().nonnegative().nullable(),
  samplingParams: SamplingParamsSchema.nullable(),
  seed: z.number().int().nullable(),
});
export type PendingPair = z.infer<typeof PendingPairSchema>;

/** A deleted row, recoverable until the dataset is exported or RECOVERABLE_MS passes. */
export const DeletedRowSchema = z.strictObject({ row: PreferenceRowSchema, deletedAt: isoTime });
export type DeletedRow = z.infer<typeof DeletedRowSchema>;

/** The oracle labeller's settings and the best accuracy a reward model can reach on the oracle rows. */
export const OracleInfoSchema = z.strictObject({
  task: z.string().min(1),
  beta: z.number().positive(),
  bayesAccuracy: z.number().min(0.5).max(1),
  pairs: z.number().int().nonnegative(),
});
export type OracleInfo = z.infer<typeof OracleInfoSchema>;

export const DatasetFileSchema = z.strictObject({
  format: z.literal(DATASET_FORMAT),
  version: z.literal(DATASET_FILE_VERSION),
  id: datasetId,
  name: z.string().min(1).max(200),
  description: z.string().max(4000),
  /** The shipped task the prompts come from (core/tasks), or null. */
  task: z.string().nullable(),
  createdAt: isoTime,
  updatedAt: isoTime,
  exportedAt: isoTime.nullable(),
  oracle: OracleInfoSchema.nullable(),
  /** Runs trained on this dataset (reward models, DPO), added by those runs. */
  trainedRunIds: z.array(z.string().regex(RUN_ID_PATTERN)),
  rows: z.array(PreferenceRowSchema),
  pending: z.array(PendingPairSchema),
  deleted: z.array(DeletedRowSchema),
  /** The last labelling-journal entry folded into this file (datasets-journal.ts). */
  journalSeq: z.number().int().nonnegative().default(0),
});
export type DatasetFile = z.infer<typeof DatasetFileSchema>;

const count = z.number().int().nonnegative();

/** A dataset's entry in db.json's index (a cache of its file): what the dataset list shows. */
export const DatasetSummarySchema = z.strictObject({
  id: datasetId,
  name: z.string().min(1),
  task: z.string().nullable(),
  createdAt: isoTime,
  updatedAt: isoTime,
  size: count,
  pending: count,
  deleted: count,
  labels: z.strictObject({ a: count, b: count, tie: count, skip: count }),
  sources: z.strictObject({ human: count, oracle: count, import: count }),
  labellers: z.array(z.string()),
  oracle: OracleInfoSchema.nullable(),
  trainedRunIds: z.array(z.string()),
  exportedAt: isoTime.nullable(),
});
export type DatasetSummary = z.infer<typeof DatasetSummarySchema>;

export function summarize(d: DatasetFile): DatasetSummary {
  const labels = { a: 0, b: 0, tie: 0, skip: 0 };
  const sources = { human: 0, oracle: 0, import: 0 };
  const labellers = new Set<string>();
  for (const r of d.rows) {
    labels[r.label]++;
    sources[r.source]++;
    if (r.labeller) labellers.add(r.labeller);
  }
  return {
    id: d.id,
    name: d.name,
    task: d.task,
    createdAt: d.createdAt,
    updatedAt: d.updatedAt,
    size: d.rows.length,
    pending: d.pending.length,
    deleted: d.deleted.length,
    labels,
    sources,
    labellers: [...labellers].sort(),
    oracle: d.oracle,
    trainedRunIds: [...d.trainedRunIds],
    exportedAt: d.exportedAt,
  };
}
