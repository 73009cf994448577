/**
 * The policy-comparison part of the contract (channels `prefs:*`): the sample viewer's back end. `prefs:compare`
 * starts a job in a worker process (core/prefs-eval/worker.ts) that answers the same held-out prompts of a task with
 * each policy and the reference (SFT) — same prompts, same sampling seed for every policy — scores every answer with
 * the task's oracle (and a reward model when one is named), and judges win rates by the oracle. The caller polls
 * `prefs:job` for progress and the result (the UI polls a few times a second; nothing is pushed), and may stop the
 * job with `prefs:cancel`. Implemented by core/prefs-eval/service.ts.
 *
 * Win-rate confidence interval: the Wilson score interval (95%, z = 1.959964) on the tie-split rate
 * (wins + ties/2) / n over the n prompts, as if each prompt were one Bernoulli trial. With ties this is conservative
 * (a tie counts as half a win, which has less variance than a coin flip), it needs no random draws, and it stays
 * inside [0, 1] and sensible at 0 or n wins, where a bootstrap over prompts collapses to a point. See wilsonInterval.
 */
import { z } from 'zod';
import { DATASET_TASKS } from './datasets.js';

/** Most policies compared at once (besides the reference). */
export const PREFS_MAX_POLICIES = 6;
/** Most held-out prompts one comparison answers. */
export const PREFS_MAX_PROMPTS = 500;
/** z for a two-sided 95% interval. */
export const Z95 = 1.959963984540054;

const RunRef = z.string().min(1).max(64).regex(/^[A-Za-z0-9_-]+$/, 'must be a run id (letters, digits, "_" and "-")');
const JobId = z.string().min(1).max(64).regex(/^[A-Za-z0-9_-]+$/, 'must be a job id');

/** A run's checkpoint: `step` null = the latest (intact) checkpoint. */
export const PrefsModelRef = z.strictObject({
  runId: RunRef,
  step: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).nullable(),
});
export type PrefsModelRefIn = z.input<typeof PrefsModelRef>;

export const PrefsSampling = z.strictObject({
  temperature: z.number().min(0).max(10).default(1),
  topK: z.number().int().min(0).max(100_000).default(0),
  topP: z.number().gt(0).max(1).default(1),
  maxNewTokens: z.number().int().min(1).max(1024).default(48),
});
export type PrefsSamplingParams = z.output<typeof PrefsSampling>;

export const prefsRequestSchemas = {
  /**
   * Starts a comparison. policies: runs whose checkpoint holds a policy LM (`lm` model: sft, pretrain, rlhf-ppo,
   * dpo), 1–6 of them; reference: the SFT baseline every policy's KL and win rate is measured against; rewardModel:
   * a reward-model run whose r_φ also scores every answer, or null; prompts: the first N of the task's held-out
   * evaluation prompts (core/algos/prefs/common.ts taskPromptSplit(task).eval; all of them when the task has fewer
   * — sentiment has 50 — so the result's `prompts` says how many were answered).
   */
  'prefs:compare': z.strictObject({
    task: z.enum(DATASET_TASKS),
    policies: z.array(PrefsModelRef).min(1, 'must name at least one policy').max(PREFS_MAX_POLICIES, `must name at most ${PREFS_MAX_POLICIES} policies`),
    reference: PrefsModelRef,
    rewardModel: PrefsModelRef.nullable().default(null),
    prompts: z.number().int().min(1).max(PREFS_MAX_PROMPTS).default(64),
    seed: z.number().int().min(0).max(2 ** 31 - 1).default(0),
    sampling: PrefsSampling.default({ temperature: 1, topK: 0, topP: 1, maxNewTokens: 48 }),
  }),
  /** A job's progress, and its result once done. Jobs are kept in memory (the latest 20) until the app closes. */
  'prefs:job': z.strictObject({ jobId: JobId }),
  /** Stops a running job (its worker is killed); a finished job is left as it is. */
  'prefs:cancel': z.strictObject({ jobId: JobId }),
  /** Every kept job, newest first, without results (to find a job again after the view was left). */
  'prefs:jobs': z.strictObject({}).optional(),
} as const;

export type PrefsChannel = keyof typeof prefsRequestSchemas;
export type PrefsCompareRequest = z.output<(typeof prefsRequestSchemas)['prefs:compare']>;

/** One policy's answers to the prompts (index i answers prompts[i]), with their scores. */
export interface PrefsPolicyResult {
  runId: string;
  /** The checkpoint step actually loaded (the latest one when the request said null). */
  step: number;
  /** The run's algorithm (sft, pretrain, rlhf-ppo, dpo, …). */
  algo: string;
  /** The run's name. */
  name: string;
  completions: string[];
  /** Oracle reward r*(prompt, completion) per prompt. */
  oracle: number[];
  /** Reward-model score r_φ(prompt, completion) per prompt; null without a reward model. */
  reward: number[] | null;
  meanOracle: number;
  meanReward: number | null;
  /**
   * Sampled KL(π‖π_ref) in nats: the mean over this policy's own answers of Σ_t log π(y_t) − log π_ref(y_t)
   * (the reference's own KL is 0 by definition).
   */
  kl: number;
}

/**
 * Policy `a` against policy `b` judged by the oracle on each prompt (indices into `policies`; −1 = the reference):
 * a win when a's answer scores higher, a tie when equal. rate = (wins + ties/2) / n, ci95 = Wilson on that rate.
 */
export interface PrefsWinRate {
  a: number;
  b: number;
  wins: number;
  losses: number;
  ties: number;
  n: number;
  rate: number;
  ci95: [number, number];
}

export interface PrefsCompareResult {
  task: string;
  prompts: string[];
  seed: number;
  sampling: PrefsSamplingParams;
  policies: PrefsPolicyResult[];
  reference: PrefsPolicyResult;
  /** The reward model that scored the answers, or null. */
  rewardModel: { runId: string; step: number; name: string } | null;
  /** Each policy vs the reference (b = −1), then each pair of policies (a < b). */
  winRates: PrefsWinRate[];
  /** How ci95 was computed, in words (for the table's footnote). */
  ciMethod: string;
  seconds: number;
}

export const PREFS_JOB_STATUSES = ['running', 'done', 'failed', 'cancelled'] as const;
export type PrefsJobStatus = (typeof PREFS_JOB_STATUSES)[number];

export interface PrefsJobInfo {
  jobId: string;
  status: PrefsJobStatus;
  /** What the worker is doing: "loading models", "sampling <run id>", "scoring with the reward model", "done". */
  stage: string;
  /** Answers generated and scored so far, of total = prompts × (policies + 1). */
  done: number;
  total: number;
  /** ISO times. */
  startedAt: string;
  endedAt: string | null;
  /** Why it failed (names the run or field at fault). */
  error: string | null;
  /** The request, as validated (defaults filled in). */
  request: PrefsCompareRequest;
  /** Set when status is done (prefs:job only; prefs:jobs leaves it null). */
  result: PrefsCompareResult | null;
}

export interface PrefsResponses {
  'prefs:compare': { jobId: string };
  'prefs:job': PrefsJobInfo;
  'prefs:cancel': PrefsJobInfo;
  'prefs:jobs': PrefsJobInfo[];
}

/** Wins, losses and ties of `a` over `b`, prompt by prompt (equal-length score arrays). */
export function pairwiseCounts(a: readonly number[], b: readonly number[]): { wins: number; losses: number; ties: number } {
  if (a.length !== b.length) throw new Error(`pairwiseCounts needs equal lengths, got ${a.length} and ${b.length}`);
  let wins = 0;
  let losses = 0;
  let ties = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i]! > b[i]!) wins++;
    else if (a[i]! < b[i]!) losses++;
    else ties++;
  }
  return { wins, losses, ties };
}

/** The Wilson score interval for a proportion `p` over `n` trials at normal quantile `z` (95% by default). */
export function wilsonInterval(p: number, n: number, z = Z95): [number, number] {
  if (!(n > 0)) throw new Error(`wilsonInterval needs n > 0, got ${n}`);
  if (!(p >= 0 && p <= 1)) throw new Error(`wilsonInterval needs p in [0, 1], got ${p}`);
  const z2n = (z * z) / n;
  const centre = (p + z2n / 2) / (1 + z2n);
  const half = (z / (1 + z2n)) * Math.sqrt((p * (1 - p)) / n + z2n / (4 * n));
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

/** One win-rate row: a over b by the oracle scores, tie-split rate and its Wilson 95% interval. */
export function winRate(a: number, b: number, scoresA: readonly number[], scoresB: readonly number[]): PrefsWinRate {
  const { wins, losses, ties } = pairwiseCounts(scoresA, scoresB);
  const n = wins + losses + ties;
  const rate = (wins + ties / 2) / n;
  return { a, b, wins, losses, ties, n, rate, ci95: wilsonInterval(rate, n) };
}

/** Every policy against the reference (b = −1), then every pair of policies (a < b). */
export function winRateTable(policyScores: readonly (readonly number[])[], referenceScores: readonly number[]): PrefsWinRate[] {
  const out: PrefsWinRate[] = policyScores.map((s, i) => winRate(i, -1, s, referenceScores));
  for (let i = 0; i < policyScores.length; i++) for (let j = i + 1; j < policyScores.length; j++) out.push(winRate(i, j, policyScores[i]!, policyScores[j]!));
  return out;
}

export const PREFS_CI_METHOD = 'Wilson score interval (95%) on (wins + ties/2) / n over the n prompts';
