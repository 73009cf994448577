/**
 * Policies compared by the task's oracle (the sample viewer's back end, and the prefs bench's last stage): every
 * policy and the reference answer the same prompts with the same sampling seed (common random numbers: two equal
 * policies give equal answers), each answer is scored by the oracle r* and optionally by a reward model r_φ, each
 * policy's sampled KL(π‖π_ref) is estimated on its own answers, and win rates are judged prompt by prompt
 * (core/api/prefs.ts winRateTable: tie-split rate with a Wilson 95% interval).
 *
 * Runs in a worker process for the app (worker.ts); the bench calls it in-process.
 */
import { join } from 'node:path';
import {
  PREFS_CI_METHOD,
  type PrefsCompareResult,
  type PrefsPolicyResult,
  type PrefsSamplingParams,
  winRateTable,
} from '../api/prefs.js';
import { evaluatePolicy, loadLmFromRun, type LoadedLm } from '../algos/prefs/common.js';
import { loadRewardModel } from '../algos/reward-model/model.js';
import { getTask, type TaskId } from '../tasks/index.js';

/** A model to load: a run id of `runsDir` (its checkpoint at `step`, null = latest) or an absolute LM folder. */
export interface CompareModelSpec {
  ref: string;
  step: number | null;
  /** Where it was named, for errors: `policies[1]`, `reference`, `rewardModel`. */
  field: string;
  /** Shown in the result (the run's algorithm and name; for a folder whatever the caller says). */
  algo: string;
  name: string;
}

export interface CompareJob {
  /** The folder run ids are resolved in (`<data folder>/runs`). */
  runsDir: string;
  task: TaskId;
  prompts: string[];
  policies: CompareModelSpec[];
  reference: CompareModelSpec;
  rewardModel: CompareModelSpec | null;
  seed: number;
  sampling: PrefsSamplingParams;
}

export type CompareProgress = (stage: string, done: number, total: number) => void;

/** Prompts sampled per batch (and per progress report). */
const BATCH = 16;

/** A run's recorded step for the result: the loaded checkpoint's, or 0 for a folder. */
function stepOf(lm: LoadedLm): number {
  return lm.step ?? 0;
}

function sameTokenizer(a: LoadedLm, b: LoadedLm): boolean {
  return JSON.stringify(a.tokenizer.toJSON()) === JSON.stringify(b.tokenizer.toJSON());
}

function mean(xs: readonly number[]): number {
  return xs.reduce((s, x) => s + x, 0) / xs.length;
}

/** Checks a job's shape before anything is loaded (the API validated the request; the bench passes its own). */
export function checkCompareJob(job: CompareJob): void {
  getTask(job.task);
  if (job.prompts.length === 0) throw new Error('compare needs at least one prompt');
  if (job.policies.length === 0) throw new Error('compare needs at least one policy');
  if (!Number.isInteger(job.seed) || job.seed < 0) throw new Error(`seed must be an integer ≥ 0, got ${job.seed}`);
}

/**
 * Loads every model, samples, scores and judges. Throws naming the field (`policies[1]: …`) of a model that cannot be
 * loaded or that does not fit the reference (another tokenizer or context length: KL would be meaningless).
 */
export async function comparePolicies(job: CompareJob, onProgress: CompareProgress = () => {}): Promise<PrefsCompareResult> {
  checkCompareJob(job);
  const t0 = performance.now();
  const anchor = join(job.runsDir, '.compare'); // loadLmFromRun resolves run ids beside this "run folder"
  const n = job.prompts.length;
  const total = n * (job.policies.length + 1);
  let done = 0;
  onProgress('loading models', done, total);
  const reference = await loadLmFromRun(job.reference.ref, anchor, job.reference.step, job.reference.field);
  const policies: LoadedLm[] = [];
  for (const p of job.policies) {
    const lm = await loadLmFromRun(p.ref, anchor, p.step, p.field);
    if (!sameTokenizer(lm, reference)) throw new Error(`${p.field}: ${lm.from} uses another tokenizer than the reference (${reference.from}); KL to the reference needs the same vocabulary`);
    if (lm.engine.config.ctx !== reference.engine.config.ctx) throw new Error(`${p.field}: ${lm.from} has context ${lm.engine.config.ctx}, the reference (${reference.from}) ${reference.engine.config.ctx}`);
    policies.push(lm);
  }
  const rm = job.rewardModel ? await loadRewardModel(job.rewardModel.ref, anchor, job.rewardModel.step, job.rewardModel.field) : null;

  const answer = (lm: LoadedLm, spec: CompareModelSpec): PrefsPolicyResult => {
    const completions: string[] = [];
    const oracle: number[] = [];
    let logRatio = 0;
    for (let start = 0; start < n; start += BATCH) {
      onProgress(`sampling ${spec.name}`, done, total);
      // evaluatePolicy seeds batch `start` with seed + start, so chunking here draws exactly what one call would.
      const chunk = job.prompts.slice(start, start + BATCH);
      const ev = evaluatePolicy(lm.engine, reference.engine, reference.tokenizer, chunk, job.task, job.sampling, job.seed + start, BATCH);
      for (const s of ev.samples) {
        completions.push(s.completion);
        oracle.push(s.score);
        logRatio += s.logRatio;
      }
      done += chunk.length;
    }
    return { runId: spec.ref, step: stepOf(lm), algo: spec.algo, name: spec.name, completions, oracle, reward: null, meanOracle: mean(oracle), meanReward: null, kl: logRatio / n };
  };

  const refResult = answer(reference, job.reference);
  const results = policies.map((lm, i) => answer(lm, job.policies[i]!));
  if (rm) {
    onProgress('scoring with the reward model', done, total);
    for (const r of [refResult, ...results]) {
      r.reward = Array.from(rm.score(job.prompts, r.completions));
      r.meanReward = mean(r.reward);
    }
  }
  onProgress('judging', total, total);
  return {
    task: job.task,
    prompts: [...job.prompts],
    seed: job.seed,
    sampling: { ...job.sampling },
    policies: results,
    reference: refResult,
    rewardModel: rm && job.rewardModel ? { runId: job.rewardModel.ref, step: rm.step ?? 0, name: job.rewardModel.name } : null,
    winRates: winRateTable(
      results.map((r) => r.oracle),
      refResult.oracle,
    ),
    ciMethod: PREFS_CI_METHOD,
    seconds: (performance.now() - t0) / 1000,
  };
}
