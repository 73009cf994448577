/**
 * The facts a language-model or preference run's Overview shows instead of the RL ones (return, env steps/s):
 * where its data came from, what it started from, what scored it, how many tokens it read, and its latest
 * evaluation. Pure, so it is unit-tested in Node; LmFacts.svelte draws it.
 */
import type { RunInfo } from '../../../core/api/contract.js';

export interface RunRef {
  /** A run id of this data folder (linked), or null when the value is a path or 'oracle'. */
  runId: string | null;
  text: string;
  /** "latest" or "step N". */
  step: string;
}

export interface LmFactsModel {
  /** The text the run learns from: a preference dataset (id: linked), a JSONL path, an SFT data set or a corpus. */
  data: { label: string; text: string; datasetId: string | null } | null;
  init: RunRef | null;
  rewardModel: RunRef | null;
  task: string | null;
}

const RUN_ID = /^[A-Za-z0-9_-]{1,64}$/;
const DATASET_ID = /^[a-z0-9][a-z0-9_-]{0,63}$/;

function text(v: unknown): string | null {
  return typeof v === 'string' && v.trim() !== '' ? v : null;
}

function stepText(v: unknown): string {
  return typeof v === 'number' && Number.isInteger(v) ? `step ${v}` : 'latest';
}

function runRef(value: unknown, step: unknown, runIds: ReadonlySet<string>): RunRef | null {
  const t = text(value);
  if (t === null) return null;
  return { runId: RUN_ID.test(t) && runIds.has(t) ? t : null, text: t, step: stepText(step) };
}

export function lmFacts(run: Pick<RunInfo, 'config'>, runIds: ReadonlySet<string>, datasetIds: ReadonlySet<string>): LmFactsModel {
  const c = run.config;
  const dataset = text(c.dataset);
  let data: LmFactsModel['data'] = null;
  if (dataset !== null) data = { label: 'Dataset', text: dataset, datasetId: DATASET_ID.test(dataset) && datasetIds.has(dataset) ? dataset : null };
  else if (text(c.data) !== null) data = { label: 'SFT data', text: text(c.data)!, datasetId: null };
  else if (text(c.corpus) !== null) data = { label: 'Corpus', text: text(c.corpus)!, datasetId: null };
  return {
    data,
    init: runRef(c.init, c.initStep, runIds),
    rewardModel: runRef(c.rewardModel, c.rewardModelStep, runIds),
    task: text(c.task),
  };
}

/** The latest value of every `eval/*` key (and of DPO's held-out `eval/rewards/*`), ordered by key. */
export function lastEvalValues(keys: readonly string[], last: (key: string) => number | null): { key: string; value: number }[] {
  return keys
    .filter((k) => k.startsWith('eval/'))
    .sort()
    .map((key) => ({ key, value: last(key) }))
    .filter((e): e is { key: string; value: number } => e.value !== null && Number.isFinite(e.value));
}
