/**
 * Oracle-labelled preference datasets for the reward-model tests and bench: pairs sampled from the small sentiment
 * SFT fixture (test/fixtures/lm/sentiment-sft) on the shipped sentiment prompts, labelled by the Bradley–Terry oracle
 * labeller at a chosen β, stored as a dataset of a data folder (so runs read it by id, as the app's runs do).
 */
import { join } from 'node:path';
import { RunStore } from '../../../core/store/db.js';
import { DatasetStore, rebuildDatasetIndex } from '../../../core/store/datasets.js';
import type { OracleInfo, PendingPair, PreferenceRow } from '../../../core/store/datasets-schema.js';
import { oracleLabel } from '../../../core/tasks/labeller.js';
import { readPromptSet } from '../../../core/tasks/resources.js';
import { samplePairsCached } from '../../helpers/fixture-pairs.js';

export const SFT_FIXTURE = join(process.cwd(), 'test', 'fixtures', 'lm', 'sentiment-sft');

export interface OracleDatasetOptions {
  /** Sampling passes over the prompts (each gives one pair per prompt, from its own seed). */
  passes: number;
  /** How many of the 200 shipped sentiment prompts (from the start). */
  prompts?: number;
  maxNewTokens: number;
  beta: number;
  /** Seeds the sampling (pass k uses seed + k) and the labels. */
  seed: number;
}

/** Pairs sampled from the SFT fixture, `passes` per prompt. */
export async function sampleFixturePairs(o: Omit<OracleDatasetOptions, 'beta'>): Promise<PendingPair[]> {
  const prompts = readPromptSet('sentiment').slice(0, o.prompts ?? 200);
  const out: PendingPair[] = [];
  for (let k = 0; k < o.passes; k++) {
    out.push(
      ...(await samplePairsCached({
        source: { kind: 'lm', dirs: [SFT_FIXTURE], runId: null, step: null },
        task: 'sentiment',
        prompts,
        sampling: { temperature: 1, topK: 0, topP: 1, maxNewTokens: o.maxNewTokens },
        seed: o.seed + k,
        idPrefix: `s${o.seed}p${k}-`,
      })),
    );
  }
  return out;
}

/** A dataset in `home` holding `rows` (and the oracle info when given); returns its id. */
export async function storeDataset(home: string, name: string, rows: PreferenceRow[], oracle?: OracleInfo): Promise<string> {
  const runs = await RunStore.open(home, { rebuildDatasets: rebuildDatasetIndex });
  try {
    const ds = new DatasetStore(runs);
    const { id } = await ds.create({ name, task: 'sentiment' });
    if (rows.length > 0) await ds.addRows(id, rows, oracle);
    return id;
  } finally {
    await runs.close();
  }
}

/** Samples, labels with the oracle at β and stores a dataset; returns its id, the rows and the oracle info. */
export async function oracleDataset(home: string, o: OracleDatasetOptions): Promise<{ id: string; rows: PreferenceRow[]; info: OracleInfo; pA: number[] }> {
  const pending = await sampleFixturePairs(o);
  const { rows, info, pA } = oracleLabel(pending, { task: 'sentiment', beta: o.beta, seed: o.seed }, '2026-01-01T00:00:00.000Z');
  const id = await storeDataset(home, `oracle β=${o.beta} seed ${o.seed}`, rows, info);
  return { id, rows, info, pA };
}

/** The dataset's trainedRunIds as on disk. */
export async function trainedRunIds(home: string, id: string): Promise<string[]> {
  const runs = await RunStore.open(home, { reconcile: false });
  try {
    return (await new DatasetStore(runs).read(id)).trainedRunIds;
  } finally {
    await runs.close();
  }
}
