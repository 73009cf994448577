/**
 * What the preference-learning runs (reward-model, rlhf-ppo, dpo) share:
 *   loadLmFromRun      the SFT policy (or any LM-holding run's checkpoint) by run id + step, or an LM folder
 *   readPreferences    labelled pairs from a dataset of this data folder (datasets/<id>.json) or a TRL JSONL file
 *   splitPairs         the held-out split, fixed by seed
 *   encodePrompt / encodeResponse / decodeResponse   the SFT layout [BOS] prompt [SEP] | response [EOS]
 *   taskPromptSplit    a shipped task's prompts: training prompts and the held-out evaluation prompts
 *   evaluatePolicy     samples on held-out prompts → eval/oracleScore and eval/kl (KL(π‖π_SFT), sampled estimate)
 * Every policy these runs checkpoint is stored as the `lm` model (core/lm's format), so sampling pairs, SFT-style
 * init and the sample viewer read RLHF and DPO checkpoints like SFT ones.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { Rng } from '../../common/rng.js';
import type { LmEngine } from '../../lm/engine.js';
import { lmFromArtifacts, loadLm } from '../../lm/files.js';
import { sample } from '../../lm/generate.js';
import { forwardLogProbs, packSequences, sumPerSequence } from '../../lm/seq.js';
import type { Tokenizer } from '../../lm/tokenizer.js';
import { checksummer } from '../../store/checksum.js';
import { loadCheckpoint } from '../../store/checkpoints.js';
import { readDataset } from '../../store/datasets.js';
import { parseImport } from '../../store/datasets-io.js';
import { getTask, isTaskId, type TaskId } from '../../tasks/index.js';
import { readPromptSet, taskResourcesDir } from '../../tasks/resources.js';

/** The model name a run's checkpoint stores its language model (policy, or a reward model's trunk) under. */
export const POLICY_MODEL = 'lm';

const RUN_REF = /^[A-Za-z0-9_-]{1,100}$/;

export interface LoadedLm {
  engine: LmEngine;
  tokenizer: Tokenizer;
  /** Human-readable origin: "run <id> step <n>" or the folder. */
  from: string;
  /** The run and checkpoint step it came from (null for a folder). */
  runId: string | null;
  step: number | null;
  /** The source run's checkpoint folder (null for a folder source). */
  checkpointDir: string | null;
  /** The checkpoint's named arrays (a reward head, a value head …); empty for a folder source. */
  arrays: Record<string, unknown>;
}

/**
 * A language model by reference: a run id in the same runs folder as `runDir` (its checkpoint at `step`, or the
 * latest when null) or an absolute folder holding model.json (or lm/model.json). `field` names the config field in
 * errors. `model` picks another model of the checkpoint (default `lm`).
 */
export async function loadLmFromRun(ref: string, runDir: string, step: number | null, field: string, model = POLICY_MODEL): Promise<LoadedLm> {
  if (isAbsolute(ref)) {
    const dir = existsSync(join(ref, 'model.json')) ? ref : join(ref, model);
    if (!existsSync(join(dir, 'model.json'))) throw new Error(`${field}: ${ref} holds no saved language model (no model.json there or in ${model}/)`);
    const { engine, tokenizer } = await loadLm(dir, await checksummer());
    return { engine, tokenizer, from: dir, runId: null, step: null, checkpointDir: null, arrays: {} };
  }
  if (!RUN_REF.test(ref)) throw new Error(`${field} must be a run id or an absolute folder path, got ${JSON.stringify(ref)}`);
  const other = join(dirname(runDir), ref);
  if (!existsSync(other)) throw new Error(`${field}: there is no run ${JSON.stringify(ref)} in ${dirname(runDir)}`);
  const ckpt = await loadCheckpoint(other, step === null ? 'latest' : step);
  const a = ckpt.models[model];
  if (!a) throw new Error(`${field}: run ${ref}'s checkpoint at step ${ckpt.step} holds no language model '${model}' (models: ${Object.keys(ckpt.models).join(', ') || 'none'})`);
  const { engine, tokenizer } = lmFromArtifacts(a, join(ckpt.dir, model));
  return { engine, tokenizer, from: `run ${ref} step ${ckpt.step}`, runId: ref, step: ckpt.step, checkpointDir: ckpt.dir, arrays: ckpt.arrays };
}

/** One labelled comparison: `tie` pairs carry the two responses in shown order and train towards 0.5. */
export interface PreferencePair {
  id: string;
  prompt: string;
  chosen: string;
  rejected: string;
  tie: boolean;
}

export interface Preferences {
  pairs: PreferencePair[];
  /** The dataset's id (null for a file). */
  datasetId: string | null;
  /** The shipped task the prompts come from, when the dataset names one. */
  task: TaskId | null;
  /** The oracle labeller's Bayes-optimal accuracy, when the rows are oracle-labelled. */
  bayesAccuracy: number | null;
  /** Rows left out: skips (and, from a file, nothing else — a bad line fails the whole read). */
  skipped: number;
  /** Where the pairs came from, for logs and errors. */
  where: string;
}

/**
 * Labelled pairs from `source`: a dataset id of the data folder `home` (datasets/<id>.json, validated on read) or
 * an absolute path to a TRL preference JSONL file (every line validated first, as the import does). Skips are
 * dropped; ties are kept as ties. Throws naming the source when there is nothing to train on.
 */
export async function readPreferences(source: string, home: string): Promise<Preferences> {
  let prefs: Preferences;
  if (isAbsolute(source)) {
    if (!existsSync(source)) throw new Error(`config.dataset: no file ${source}`);
    const { rows } = parseImport(readFileSync(source, 'utf8'), { idPrefix: 'f' });
    const pairs = rows.filter((r) => r.chosen !== null && r.rejected !== null).map((r) => ({ id: r.id, prompt: r.prompt, chosen: r.chosen!, rejected: r.rejected!, tie: false }));
    prefs = { pairs, datasetId: null, task: null, bayesAccuracy: null, skipped: rows.length - pairs.length, where: source };
  } else {
    if (!RUN_REF.test(source)) throw new Error(`config.dataset must be a dataset id or an absolute path to a JSONL file, got ${JSON.stringify(source)}`);
    const d = await readDataset(home, source);
    if (!d) throw new Error(`config.dataset: there is no dataset ${JSON.stringify(source)} in ${join(home, 'datasets')}`);
    const pairs: PreferencePair[] = [];
    let skipped = 0;
    for (const r of d.rows) {
      if (r.label === 'skip') skipped++;
      else if (r.label === 'tie') pairs.push({ id: r.id, prompt: r.prompt, chosen: r.responseA, rejected: r.responseB, tie: true });
      else pairs.push({ id: r.id, prompt: r.prompt, chosen: r.chosen!, rejected: r.rejected!, tie: false });
    }
    prefs = { pairs, datasetId: d.id, task: isTaskId(d.task) ? d.task : null, bayesAccuracy: d.oracle?.bayesAccuracy ?? null, skipped, where: `dataset ${d.id}` };
  }
  if (prefs.pairs.length < 2) throw new Error(`config.dataset: ${prefs.where} has ${prefs.pairs.length} labelled pair(s) (skips left out); at least 2 are needed`);
  return prefs;
}

/** A seeded split into train and held-out pairs (at least one of each). */
export function splitPairs<T>(pairs: readonly T[], holdout: number, seed: number): { train: T[]; eval: T[] } {
  if (!(holdout > 0 && holdout < 1)) throw new Error(`holdout must be in (0, 1), got ${holdout}`);
  const order = pairs.map((_, i) => i);
  const rng = new Rng(seed);
  for (let i = order.length - 1; i > 0; i--) {
    const j = rng.integer(i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  const nEval = Math.min(pairs.length - 1, Math.max(1, Math.round(pairs.length * holdout)));
  return { eval: order.slice(0, nEval).map((i) => pairs[i]), train: order.slice(nEval).map((i) => pairs[i]) };
}

/** [BOS] prompt [SEP], cut from the left so `room` response tokens still fit the context. */
export function encodePrompt(tok: Tokenizer, prompt: string, ctx: number, room: number): number[] {
  const ids = [tok.ids.bos, ...tok.encode(prompt), tok.ids.sep];
  const keep = Math.max(1, ctx - room);
  return ids.length > keep ? ids.slice(ids.length - keep) : ids;
}

/** A response as the SFT run trained it: its tokens and EOS, cut to `max` tokens. */
export function encodeResponse(tok: Tokenizer, text: string, max: number): number[] {
  const ids = [...tok.encode(text), tok.ids.eos];
  return ids.length > max ? ids.slice(0, max) : ids;
}

/** Sampled response ids → text (a final EOS dropped, undecodable bytes replaced). */
export function decodeResponse(tok: Tokenizer, ids: readonly number[]): string {
  return tok.decodeLossy(ids.length > 0 && ids[ids.length - 1] === tok.ids.eos ? ids.slice(0, -1) : [...ids]);
}

/** How many of a task's held-out prompts (prompts.jsonl, in file order) are kept for evaluation; the rest train. */
export const EVAL_PROMPT_FRACTION = 0.25;

/**
 * A shipped task's prompts: `eval` = the last quarter of prompts.jsonl (never trained on by RLHF), `train` = the
 * other prompts.jsonl prompts and the distinct prompts of sft.jsonl.
 */
export function taskPromptSplit(task: TaskId): { train: string[]; eval: string[] } {
  getTask(task);
  const set = readPromptSet(task).map((p) => p.prompt);
  const nEval = Math.max(1, Math.floor(set.length * EVAL_PROMPT_FRACTION));
  const evalPrompts = set.slice(set.length - nEval);
  const held = new Set(evalPrompts);
  const train = new Set(set.slice(0, set.length - nEval));
  const sftPath = join(taskResourcesDir(), task, 'sft.jsonl');
  for (const line of readFileSync(sftPath, 'utf8').trimEnd().split('\n')) {
    const p = (JSON.parse(line) as { prompt?: unknown }).prompt;
    if (typeof p === 'string' && !held.has(p)) train.add(p);
  }
  return { train: [...train], eval: evalPrompts };
}

export interface SamplingSettings {
  temperature: number;
  topK: number;
  topP: number;
  maxNewTokens: number;
}

export interface PolicySample {
  prompt: string;
  completion: string;
  /** Oracle reward r*(prompt, completion). */
  score: number;
  /** Σ_t log π(y_t) − log π_ref(y_t) of this sample. */
  logRatio: number;
}

export interface PolicyEval {
  /** Mean oracle score of the samples (eval/oracleScore). */
  oracleScore: number;
  /** Mean Σ_t (log π − log π_ref) over samples y ~ π: the standard sampled estimate of KL(π‖π_ref) (eval/kl). */
  kl: number;
  samples: PolicySample[];
}

/**
 * Samples one response per prompt from `policy` (seeded: the same seed and prompts give the same samples), scores
 * them with the task's oracle and estimates KL(π‖π_ref) on them. Batched `batch` prompts at a time.
 */
export function evaluatePolicy(
  policy: LmEngine,
  reference: LmEngine,
  tok: Tokenizer,
  prompts: readonly string[],
  task: TaskId,
  sampling: SamplingSettings,
  seed: number,
  batch = 16,
): PolicyEval {
  if (prompts.length === 0) throw new Error('evaluatePolicy needs at least one prompt');
  const oracle = getTask(task).oracle;
  const ctx = policy.config.ctx;
  const samples: PolicySample[] = [];
  for (let start = 0; start < prompts.length; start += batch) {
    const chunk = prompts.slice(start, start + batch);
    const encoded = chunk.map((p) => encodePrompt(tok, p, ctx, Math.min(sampling.maxNewTokens, ctx - 1)));
    const outs = sample(policy, encoded, { ...sampling, eosId: tok.ids.eos, seed: seed + start }).map((o) => (o.length === 0 ? [tok.ids.eos] : o));
    const fit = outs.map((o, i) => o.slice(0, ctx - encoded[i].length));
    const packed = packSequences(ctx, encoded, fit, tok.ids.pad);
    const lpPolicy = sumPerSequence(forwardLogProbs(policy, packed), packed);
    const lpRef = sumPerSequence(forwardLogProbs(reference, packed), packed);
    chunk.forEach((p, i) => {
      const completion = decodeResponse(tok, fit[i]);
      samples.push({ prompt: p, completion, score: oracle(p, completion), logRatio: lpPolicy[i] - lpRef[i] });
    });
  }
  const mean = (f: (s: PolicySample) => number): number => samples.reduce((a, s) => a + f(s), 0) / samples.length;
  return { oracleScore: mean((s) => s.score), kl: mean((s) => s.logRatio), samples };
}
