/**
 * The oracle labeller (synthetic labels, marked so in every row): a Bradley–Terry annotator over a task's oracle,
 *   P(A ≻ B) = σ(β · (r*(A) − r*(B)))
 * with β configurable (β → ∞: always the better response; β = 0: coin flips). Because the label distribution is
 * known, so is the best accuracy any reward model can reach on these labels: the Bayes-optimal predictor picks the
 * likelier label, so its expected accuracy is the mean over pairs of max(P, 1 − P) — printed with the dataset.
 */
import { Rng } from '../common/rng.js';
import type { OracleInfo, PendingPair, PreferenceRow } from '../store/datasets-schema.js';
import type { DatasetStore } from '../store/datasets.js';
import { getTask, type TaskId } from './index.js';

export interface OracleLabelOptions {
  task: TaskId;
  /** Inverse temperature of the Bradley–Terry noise (> 0). */
  beta: number;
  seed: number;
}

export interface OracleLabelled {
  rows: PreferenceRow[];
  /** P(A ≻ B) of each pair. */
  pA: number[];
  info: OracleInfo;
}

export function sigmoid(x: number): number {
  return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
}

/** Expected accuracy of the Bayes-optimal predictor: mean of max(p, 1 − p). */
export function bayesAccuracy(pA: readonly number[]): number {
  if (pA.length === 0) return 1;
  let s = 0;
  for (const p of pA) s += Math.max(p, 1 - p);
  return s / pA.length;
}

function checkOptions(o: OracleLabelOptions): void {
  getTask(o.task);
  if (!(typeof o.beta === 'number' && Number.isFinite(o.beta) && o.beta > 0)) throw new Error(`oracle beta must be a finite number > 0, got ${o.beta}`);
  if (!Number.isInteger(o.seed)) throw new Error(`oracle seed must be an integer, got ${o.seed}`);
}

/** Labels pairs with the task's oracle and Bradley–Terry noise (seeded: same pairs, same options, same labels). */
export function oracleLabel(pairs: readonly PendingPair[], options: OracleLabelOptions, now = new Date().toISOString()): OracleLabelled {
  checkOptions(options);
  const task = getTask(options.task);
  const rng = new Rng(options.seed);
  const pA: number[] = [];
  const rows = pairs.map((p): PreferenceRow => {
    const ra = task.oracle(p.prompt, p.responseA);
    const rb = task.oracle(p.prompt, p.responseB);
    const prob = sigmoid(options.beta * (ra - rb));
    pA.push(prob);
    const label = rng.uniform() < prob ? 'a' : 'b';
    return {
      id: p.id,
      prompt: p.prompt,
      chosen: label === 'a' ? p.responseA : p.responseB,
      rejected: label === 'a' ? p.responseB : p.responseA,
      label,
      responseA: p.responseA,
      responseB: p.responseB,
      source: 'oracle',
      labeller: `oracle:${options.task}:beta=${options.beta}`,
      shownAt: null,
      answeredAt: now,
      modelRunId: p.modelRunId,
      checkpointStep: p.checkpointStep,
      samplingParams: p.samplingParams,
      seed: p.seed,
      note: `synthetic (Bradley–Terry over the ${options.task} oracle): r*(A)=${ra.toFixed(4)}, r*(B)=${rb.toFixed(4)}, P(A≻B)=${prob.toFixed(4)}`,
      edited: false,
    };
  });
  return { rows, pA, info: { task: options.task, beta: options.beta, bayesAccuracy: bayesAccuracy(pA), pairs: rows.length } };
}

/**
 * Labels every pending pair of a dataset with the oracle, in one write. The dataset's oracle info (β, Bayes accuracy)
 * covers all its oracle rows; labelling again with another β is refused, since the figure would no longer hold.
 */
export async function labelPendingWithOracle(ds: DatasetStore, id: string, options: OracleLabelOptions): Promise<OracleInfo> {
  checkOptions(options);
  return ds.change(id, (d, now) => {
    if (d.oracle && (d.oracle.task !== options.task || d.oracle.beta !== options.beta)) {
      throw new Error(`dataset ${id} already has oracle labels from ${d.oracle.task} with beta ${d.oracle.beta}; use the same task and beta`);
    }
    const oldRows = d.rows.filter((r) => r.source === 'oracle');
    const labelled = oracleLabel(d.pending, options, now);
    // Keep the dataset-wide figure exact: recompute P for the oracle rows already there.
    const task = getTask(options.task);
    const oldP = oldRows.map((r) => sigmoid(options.beta * (task.oracle(r.prompt, r.responseA) - task.oracle(r.prompt, r.responseB))));
    const all = [...oldP, ...labelled.pA];
    d.rows.push(...labelled.rows);
    d.pending = [];
    d.oracle = { task: options.task, beta: options.beta, bayesAccuracy: bayesAccuracy(all), pairs: all.length };
    return d.oracle;
  });
}
