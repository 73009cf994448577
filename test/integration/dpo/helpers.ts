/**
 * What the DPO tests and bench share: a data folder with an oracle-labelled preference dataset whose pairs are
 * sampled from the sentiment SFT fixture on the task's training prompts (never its held-out evaluation prompts),
 * and a runner for trainDpo in this process.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { trainDpo } from '../../../core/algos/dpo/train.js';
import type { TrainResult, TrainRunOptions } from '../../../core/algos/loop.js';
import { taskPromptSplit } from '../../../core/algos/prefs/common.js';
import { RunStore } from '../../../core/store/db.js';
import { DatasetStore, rebuildDatasetIndex } from '../../../core/store/datasets.js';
import { oracleLabel } from '../../../core/tasks/labeller.js';
import { readPromptSet } from '../../../core/tasks/resources.js';
import { samplePairsCached } from '../../helpers/fixture-pairs.js';

export const SFT_FIXTURE_DIR = join(process.cwd(), 'test', 'fixtures', 'lm', 'sentiment-sft');

export interface OracleDatasetOptions {
  /** Sampling rounds over the training prompts (each gives one pair per prompt). */
  rounds: number;
  /** Training prompts used (the first N). */
  prompts?: number;
  seed: number;
  /** Bradley–Terry inverse temperature of the oracle labeller. */
  beta: number;
  maxNewTokens?: number;
  /** The first N labelled rows become ties (neither response preferred). */
  ties?: number;
}

export function tempHome(prefix = 'policylab-dpo-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Creates an oracle-labelled sentiment dataset in `home`; returns its id and the Bayes accuracy of its labels. */
export async function oracleDataset(home: string, o: OracleDatasetOptions): Promise<{ id: string; pairs: number; bayesAccuracy: number }> {
  const held = new Set(taskPromptSplit('sentiment').eval);
  const prompts = readPromptSet('sentiment').filter((p) => !held.has(p.prompt)).slice(0, o.prompts ?? Infinity);
  const runs = await RunStore.open(home, { rebuildDatasets: rebuildDatasetIndex });
  try {
    const ds = new DatasetStore(runs);
    const { id } = await ds.create({ name: 'dpo test pairs', task: 'sentiment' });
    const pending = [];
    for (let r = 0; r < o.rounds; r++) {
      pending.push(
        ...(await samplePairsCached({
          source: { kind: 'lm', dirs: [SFT_FIXTURE_DIR], runId: null, step: null },
          task: 'sentiment',
          prompts,
          sampling: { temperature: 1, topK: 0, topP: 1, maxNewTokens: o.maxNewTokens ?? 32 },
          seed: o.seed * 1000 + r,
          idPrefix: `r${r}-`,
        })),
      );
    }
    const labelled = oracleLabel(pending, { task: 'sentiment', beta: o.beta, seed: o.seed });
    const rows = labelled.rows.map((r, i) => (i < (o.ties ?? 0) ? { ...r, label: 'tie' as const, chosen: null, rejected: null } : r));
    await ds.addRows(id, rows, labelled.info);
    return { id, pairs: labelled.rows.length, bayesAccuracy: labelled.info.bayesAccuracy };
  } finally {
    await runs.close();
  }
}

export interface DpoRunInput {
  home: string;
  runId: string;
  config: Record<string, unknown>;
  totalSteps: number;
  seed?: number;
  env?: string;
  resume?: boolean;
  signal?: AbortSignal;
  events?: TrainRunOptions['events'];
}

export function runDpo(i: DpoRunInput): Promise<TrainResult> {
  return trainDpo({
    runDir: join(i.home, 'runs', i.runId),
    runId: i.runId,
    algo: 'dpo' as TrainRunOptions['algo'],
    env: (i.env ?? 'text') as TrainRunOptions['env'],
    config: i.config,
    seed: i.seed ?? 1,
    totalSteps: i.totalSteps,
    resume: i.resume,
    signal: i.signal ?? new AbortController().signal,
    events: i.events,
  });
}
