/**
 * The reward-model run (`reward-model`), TRL RewardTrainer's recipe on the hand-written engine:
 *   pairs (a dataset of this data folder or a TRL JSONL file; skips left out; held-out split by seed) →
 *   per step a batch of B pairs packed as [chosen 0…B−1; rejected 0…B−1] in one forward of the trunk (the SFT model)
 *   → the scalar head at each sequence's last token (or summed over its response tokens: config.pooling) → Bradley–Terry loss (ties towards ½, optional centring,
 *   loss.ts) → head.backward into dL/dhidden → engine.backward(null, dhidden) → AdamW on trunk and head at the
 *   warm-up + cosine LR, clipped by one norm over both.
 * Evaluation at step 0 (before any update), every evalInterval steps and at the end scores every held-out pair:
 * TRL's eval/accuracy, eval/margin, eval/mean_reward, eval/min_reward, eval/max_reward, plus eval/loss,
 * eval/oracleCorrelation (Spearman between r_φ and the task oracle r* over both held-out responses of every pair)
 * and eval/bayesAccuracy (the oracle labeller's best reachable accuracy, from the dataset).
 * Checkpoints hold the trunk as the `lm` model (so anything that reads an LM reads it), the head as the array
 * `rewardHead` (loadRewardModel, model.ts), both AdamW states and the counters. Batches are a pure function of
 * (seed, step) — each epoch a seeded permutation — so `resume: true` continues with the numbers of an uninterrupted
 * run. On start the run is recorded on its dataset (trainedRunIds); a failure to record is logged, not fatal.
 */
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { METRIC } from '../../common/metrics.js';
import { Rng } from '../../common/rng.js';
import type { LmEngine } from '../../lm/engine.js';
import { lmArtifacts, lmFromArtifacts } from '../../lm/files.js';
import { LM_KERNEL } from '../../lm/matmul.js';
import { AdamW, gradNorm, lrAt } from '../../lm/optim.js';
import { packSequences, ScalarHead } from '../../lm/seq.js';
import type { Tokenizer } from '../../lm/tokenizer.js';
import { DatasetStore } from '../../store/datasets.js';
import { describeDamage, loadCheckpoint, MetricWriter, RunStore, saveCheckpoint, truncateMetrics } from '../../store/index.js';
import { errorMessage } from '../../store/errors.js';
import { getTask, type TaskId } from '../../tasks/index.js';
import { describeBackend, initBackend, type BackendInfo } from '../../tensor/backend.js';
import { parseConfig } from '../config-common.js';
import { LM_ENV } from '../lm/config.js';
import type { TrainResult, TrainRunOptions } from '../loop.js';
import { ALGO_METRIC } from '../metrics.js';
import { loadLmFromRun, POLICY_MODEL, readPreferences, splitPairs, type PreferencePair } from '../prefs/common.js';
import { rewardModelConfigSchema, type RewardModelConfig } from './config.js';
import { bradleyTerryLoss, pairMetrics, spearman } from './loss.js';
import { poolingArray, poolingFromArray, REWARD_HEAD_ARRAY, REWARD_POOLING_ARRAY, RewardModel, type RewardPooling } from './model.js';

/** Metric keys of the reward-model run: TRL RewardTrainer's names where it has them. */
export const RM_METRIC = {
  /** Mean loss of the step's batch (Bradley–Terry + centring). */
  loss: 'train/loss',
  /** Fraction of the batch's strict pairs the model ranked right before the step's update. */
  accuracy: 'train/accuracy',
  /** Mean r_chosen − r_rejected over the batch's strict pairs (before the update). */
  margin: 'train/margin',
  /** The Bradley–Terry loss over every held-out pair (no centring term). */
  evalLoss: 'eval/loss',
  evalAccuracy: 'eval/accuracy',
  evalMargin: 'eval/margin',
  evalMeanReward: 'eval/mean_reward',
  evalMinReward: 'eval/min_reward',
  evalMaxReward: 'eval/max_reward',
  /** Spearman's ρ between r_φ and the task oracle's r* over the held-out responses (both of every pair). */
  oracleCorrelation: 'eval/oracleCorrelation',
  /** The oracle labeller's Bayes-optimal accuracy on the dataset (constant; only for oracle-labelled datasets). */
  bayesAccuracy: 'eval/bayesAccuracy',
  learningRate: METRIC.learningRate,
  gradNorm: METRIC.gradNorm,
  /** Token positions (both sequences of every pair, padding included) trained per second since the run (or resume) started. */
  tokensPerSecond: 'time/tokensPerSecond',
  tokens: 'time/tokens',
  elapsed: ALGO_METRIC.elapsed,
} as const;

const PROGRESS_INTERVAL_MS = 100;
const NEVER = Number.MAX_SAFE_INTEGER;
/** Pairs scored per forward pass when evaluating. */
const EVAL_BATCH = 32;
/** Std of the head's initial weights: rewards start near 0 (std ≈ 0.02·√C over unit-scale hidden states) but not all equal. */
const HEAD_INIT_STD = 0.02;

interface RmState {
  version: 1;
  kind: 'reward-model';
  algo: string;
  env: string;
  seed: number;
  step: number;
  trunkAdamT: number;
  headAdamT: number;
  tokens: number;
  trainSeconds: number;
  nextEvalStep: number;
  nextCheckpointStep: number;
  /** The training pairs' ids hashed: a resume on changed data says so. */
  dataHash: string;
  trainPairs: number;
}

/** A pair as token ids in the SFT layout ([BOS] prompt [SEP] | response [EOS]). */
export interface EncodedPair {
  pair: PreferencePair;
  prompt: number[];
  chosen: number[];
  rejected: number[];
}

export function encodePairs(model: RewardModel, pairs: readonly PreferencePair[]): EncodedPair[] {
  return pairs.map((pair) => {
    const enc = model.encode([pair.prompt, pair.prompt], [pair.chosen, pair.rejected]);
    return { pair, prompt: enc.prompts[0], chosen: enc.responses[0], rejected: enc.responses[1] };
  });
}

/** [chosen 0…B−1; rejected 0…B−1] of `batch` as one right-padded batch. */
export function packPairs(ctx: number, batch: readonly EncodedPair[], padId: number): ReturnType<typeof packSequences> {
  const prompts = batch.map((p) => p.prompt);
  return packSequences(ctx, [...prompts, ...prompts], [...batch.map((p) => p.chosen), ...batch.map((p) => p.rejected)], padId);
}

/**
 * The indices of the training pairs of `step`'s batch: epoch e visits all n pairs in a permutation seeded by
 * (seed, e), so the batch depends only on (seed, step) and a resumed run draws the same ones.
 */
export class PairSchedule {
  readonly #n: number;
  readonly #seed: number;
  #epoch = -1;
  #perm: number[] = [];

  constructor(n: number, seed: number) {
    if (!Number.isInteger(n) || n < 1) throw new Error(`PairSchedule needs at least one pair, got ${n}`);
    this.#n = n;
    this.#seed = seed;
  }

  batch(step: number, B: number): number[] {
    const out: number[] = [];
    for (let j = 0; j < B; j++) {
      const k = step * B + j;
      const epoch = Math.floor(k / this.#n);
      if (epoch !== this.#epoch) this.#shuffle(epoch);
      out.push(this.#perm[k - epoch * this.#n]);
    }
    return out;
  }

  #shuffle(epoch: number): void {
    const rng = new Rng((this.#seed * 1_000_003 + epoch * 7919 + 17) >>> 0);
    const p = Array.from({ length: this.#n }, (_, i) => i);
    for (let i = p.length - 1; i > 0; i--) {
      const j = rng.integer(i + 1);
      [p[i], p[j]] = [p[j], p[i]];
    }
    this.#perm = p;
    this.#epoch = epoch;
  }
}

function hashIds(ids: readonly string[]): string {
  // FNV-1a over the ids in order (32 bits is plenty to notice changed data).
  let h = 0x811c9dc5;
  for (const id of ids) {
    for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193) >>> 0;
    h = Math.imul(h ^ 0x1f, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

export interface HeldOutScores {
  chosen: Float32Array;
  rejected: Float32Array;
}

/** r_φ of both responses of every pair, EVAL_BATCH pairs per forward (dropout off). */
export function scorePairs(model: RewardModel, pairs: readonly EncodedPair[]): HeldOutScores {
  const chosen = new Float32Array(pairs.length);
  const rejected = new Float32Array(pairs.length);
  const ctx = model.engine.config.ctx;
  for (let s = 0; s < pairs.length; s += EVAL_BATCH) {
    const chunk = pairs.slice(s, s + EVAL_BATCH);
    const r = model.scorePacked(packPairs(ctx, chunk, model.tokenizer.ids.pad), false);
    chosen.set(r.subarray(0, chunk.length), s);
    rejected.set(r.subarray(chunk.length, 2 * chunk.length), s);
  }
  return { chosen, rejected };
}

/** Opens this data folder's dataset store just long enough to add the run to the dataset's trainedRunIds. */
async function recordOnDataset(home: string, datasetId: string, runId: string): Promise<void> {
  const runs = await RunStore.open(home, { reconcile: false });
  try {
    await new DatasetStore(runs).addTrainedRun(datasetId, runId);
  } finally {
    await runs.close();
  }
}

export async function trainRewardModel(opts: TrainRunOptions): Promise<TrainResult> {
  const startedAt = performance.now();
  await initBackend();
  const backend: BackendInfo = { ...describeBackend(), engine: `${LM_KERNEL} lm kernels` };
  if ((opts.env as string) !== LM_ENV) throw new Error(`reward-model trains on text (env ${JSON.stringify(LM_ENV)}), not on ${JSON.stringify(opts.env)}`);
  if (!Number.isInteger(opts.totalSteps) || opts.totalSteps < 1) throw new Error(`totalSteps must be a positive integer, got ${opts.totalSteps}`);
  if (!Number.isInteger(opts.seed)) throw new Error(`seed must be an integer, got ${opts.seed}`);
  const config: RewardModelConfig = parseConfig(rewardModelConfigSchema, opts.config);
  const events = opts.events ?? {};
  const log = (line: string): void => events.log?.(line);
  if (config.dataset === '') throw new Error('config.dataset is required: a preference dataset id of this data folder or the absolute path of a TRL preference JSONL file');
  if (config.init === '') throw new Error('config.init is required: the SFT run (id) or LM folder (absolute path) the reward model starts from');
  const home = dirname(dirname(opts.runDir));

  // The pairs, split by seed into train / held out.
  const prefs = await readPreferences(config.dataset, home);
  const split = splitPairs(prefs.pairs, config.holdout, opts.seed);
  const task: TaskId | null = config.task ?? prefs.task;
  const oracle = task ? getTask(task).oracle : null;

  // The model: the checkpoint's (resume) or the init LM with a new head.
  let engine: LmEngine;
  let tokenizer: Tokenizer;
  let head: ScalarHead;
  let pooling: RewardPooling = config.pooling;
  let state: RmState | null = null;
  let moments: { tm: Float32Array; tv: Float32Array; hm: Float32Array; hv: Float32Array } | null = null;
  if (opts.resume) {
    const ckpt = await loadCheckpoint<RmState>(opts.runDir, 'latest', { setAsideDamaged: true });
    for (const d of ckpt.skipped) log(`warning: skipped the damaged checkpoint at ${describeDamage(d)}; resuming from the checkpoint at step ${ckpt.step}`);
    const s = ckpt.state;
    if (!s || s.version !== 1 || s.kind !== 'reward-model') throw new Error(`checkpoint at step ${ckpt.step} in ${opts.runDir} is not a reward-model run's`);
    if (s.algo !== opts.algo || s.seed !== opts.seed) throw new Error(`checkpoint at step ${ckpt.step} belongs to ${s.algo} with seed ${s.seed}, not ${opts.algo} with seed ${opts.seed}`);
    const a = ckpt.models[POLICY_MODEL];
    if (!a) throw new Error(`checkpoint at step ${ckpt.step} in ${opts.runDir} holds no ${POLICY_MODEL} model`);
    ({ engine, tokenizer } = lmFromArtifacts(a, `${ckpt.dir}/${POLICY_MODEL}`));
    const C = engine.config.nEmbd;
    const arr = (name: string, n: number): Float32Array => {
      const x = ckpt.arrays[name];
      if (!(x instanceof Float32Array) || x.length !== n) throw new Error(`checkpoint at step ${ckpt.step} in ${opts.runDir} has no array '${name}' of ${n} floats`);
      return x;
    };
    head = new ScalarHead(C);
    head.params.set(arr(REWARD_HEAD_ARRAY, C + 1));
    pooling = poolingFromArray(ckpt.arrays[REWARD_POOLING_ARRAY], `checkpoint at step ${ckpt.step} in ${opts.runDir}`);
    if (pooling !== config.pooling) log(`warning: config.pooling is ${config.pooling}, but the run was started with ${pooling}; resuming with ${pooling}`);
    moments = { tm: arr('adam.m', engine.params.length), tv: arr('adam.v', engine.params.length), hm: arr('headAdam.m', C + 1), hv: arr('headAdam.v', C + 1) };
    state = s;
  } else {
    const init = await loadLmFromRun(config.init, opts.runDir, config.initStep, 'config.init');
    ({ engine, tokenizer } = init);
    head = new ScalarHead(engine.config.nEmbd, opts.seed, HEAD_INIT_STD);
    log(`starting from ${init.from} (${engine.params.length} parameters, ${tokenizer.kind} tokenizer of ${tokenizer.vocabSize} tokens) with a new reward head`);
  }
  const model = new RewardModel(engine, tokenizer, head, pooling);
  const ctx = engine.config.ctx;
  const train = encodePairs(model, split.train);
  const held = encodePairs(model, split.eval);
  const ties = prefs.pairs.filter((p) => p.tie).length;
  const dataHash = hashIds(split.train.map((p) => p.id));
  if (!state) {
    log(
      `data: ${prefs.where}: ${train.length} pairs to train on, ${held.length} held out (${ties} tie(s) train towards ½, ${prefs.skipped} skip(s) left out)` +
        (prefs.bayesAccuracy !== null ? `; oracle-labelled, best reachable accuracy ${(100 * prefs.bayesAccuracy).toFixed(1)}%` : ''),
    );
    if (!oracle) log('no task for the oracle (set config.task): eval/oracleCorrelation is not measured');
  } else if (state.dataHash !== dataHash || state.trainPairs !== train.length) {
    log(`warning: ${prefs.where} changed since the run started (${state.trainPairs} → ${train.length} training pairs); resuming on the pairs as they are now`);
  }
  const heldOracle = oracle ? Float64Array.from([...held.map((p) => oracle(p.pair.prompt, p.pair.chosen)), ...held.map((p) => oracle(p.pair.prompt, p.pair.rejected))]) : null;
  const heldTie = held.map((p) => p.pair.tie);

  if (prefs.datasetId) {
    await recordOnDataset(home, prefs.datasetId, opts.runId).catch((e: unknown) => log(`warning: could not record the run on dataset ${prefs.datasetId}: ${errorMessage(e)}`));
  }

  const adamOpts = { lr: config.lr, weightDecay: config.weightDecay, gradClip: config.gradClip };
  const trunkAdam = new AdamW(engine, adamOpts);
  const headAdam = new AdamW(head, adamOpts);
  if (moments && state) {
    trunkAdam.m.set(moments.tm);
    trunkAdam.v.set(moments.tv);
    trunkAdam.t = state.trunkAdamT;
    headAdam.m.set(moments.hm);
    headAdam.v.set(moments.hv);
    headAdam.t = state.headAdamT;
  }

  const B = config.batchSize;
  const schedule = new PairSchedule(train.length, opts.seed);
  const dhidden = new Float32Array(2 * B * ctx * engine.config.nEmbd);
  let step = 0;
  let tokens = 0;
  let trainSeconds = 0;
  let nextEvalStep = config.evalInterval > 0 ? config.evalInterval : NEVER;
  let nextCheckpointStep = config.checkpointInterval > 0 ? config.checkpointInterval : NEVER;
  if (state) {
    ({ step, tokens, trainSeconds, nextEvalStep, nextCheckpointStep } = state);
    const cut = await truncateMetrics(opts.runDir, step);
    if (cut.quarantine) log(`warning: ${cut.quarantine.lines.length} unreadable line(s) of metrics.jsonl were moved to ${cut.quarantine.path}`);
    log(`resumed reward-model from the checkpoint at step ${step}`);
  }

  const evaluate = (): Record<string, number> => {
    const { chosen, rejected } = scorePairs(model, held);
    const m = pairMetrics(chosen, rejected, heldTie);
    const out: Record<string, number> = {
      [RM_METRIC.evalLoss]: bradleyTerryLoss(Float64Array.from([...chosen, ...rejected]), heldTie).btLoss,
      [RM_METRIC.evalAccuracy]: m.accuracy,
      [RM_METRIC.evalMargin]: m.margin,
      [RM_METRIC.evalMeanReward]: m.meanReward,
      [RM_METRIC.evalMinReward]: m.minReward,
      [RM_METRIC.evalMaxReward]: m.maxReward,
    };
    if (heldOracle) out[RM_METRIC.oracleCorrelation] = spearman(Float64Array.from([...chosen, ...rejected]), heldOracle);
    if (prefs.bayesAccuracy !== null) out[RM_METRIC.bayesAccuracy] = prefs.bayesAccuracy;
    return out;
  };

  await mkdir(opts.runDir, { recursive: true });
  const writer = new MetricWriter(opts.runDir);
  const loopStart = performance.now();
  const startStep = step;
  const startTokens = tokens;
  const secondsBefore = trainSeconds;
  const elapsed = (): number => secondsBefore + (performance.now() - loopStart) / 1000;
  let lastProgress = -Infinity;
  const progress = (force: boolean): void => {
    const now = performance.now();
    if (!events.progress || (!force && now - lastProgress < PROGRESS_INTERVAL_MS)) return;
    lastProgress = now;
    const sps = (step - startStep) / Math.max(1e-9, (now - loopStart) / 1000);
    events.progress({ step, totalSteps: opts.totalSteps, sps, recentReturn: null, etaSeconds: sps > 0 ? Math.max(0, (opts.totalSteps - step) / sps) : null });
  };
  const finiteOf = (values: Record<string, number>): Record<string, number> => Object.fromEntries(Object.entries(values).filter(([, v]) => Number.isFinite(v)));
  const emit = (values: Record<string, number>): Record<string, number> => {
    const finite = finiteOf(values);
    writer.append(step, finite);
    events.metrics?.(step, finite);
    return finite;
  };
  const checkpoint = async (metrics: Record<string, number>): Promise<void> => {
    trainSeconds = elapsed();
    const s: RmState = {
      version: 1, kind: 'reward-model', algo: opts.algo, env: opts.env, seed: opts.seed, step, trunkAdamT: trunkAdam.t, headAdamT: headAdam.t, // prettier-ignore
      tokens, trainSeconds, nextEvalStep, nextCheckpointStep, dataHash, trainPairs: train.length, // prettier-ignore
    };
    await saveCheckpoint(
      opts.runDir,
      {
        step,
        models: { [POLICY_MODEL]: lmArtifacts(engine, tokenizer) },
        arrays: {
          [REWARD_HEAD_ARRAY]: head.params.slice(),
          [REWARD_POOLING_ARRAY]: poolingArray(pooling),
          'adam.m': trunkAdam.m.slice(), 'adam.v': trunkAdam.v.slice(), 'headAdam.m': headAdam.m.slice(), 'headAdam.v': headAdam.v.slice(), // prettier-ignore
        },
        state: s,
        metrics: finiteOf(metrics),
      },
      { keepLast: config.keepCheckpoints },
    );
    events.checkpoint?.({ step });
  };

  let status: 'finished' | 'stopped' = 'finished';
  let lastMetrics: Record<string, number> = {};
  try {
    progress(true);
    // Step 0: the untrained head on the SFT trunk, every run's origin.
    if (!state) lastMetrics = emit({ ...evaluate(), [RM_METRIC.elapsed]: elapsed() });
    while (step < opts.totalSteps) {
      if (opts.signal.aborted) {
        status = 'stopped';
        break;
      }
      const batch = schedule.batch(step, B).map((i) => train[i]);
      const packed = packPairs(ctx, batch, tokenizer.ids.pad);
      const lr = lrAt(step, config.lr, config.warmupSteps, opts.totalSteps, Math.min(config.minLr, config.lr));
      engine.seedDropout(opts.seed * 1_000_003 + step);
      engine.zeroGrad();
      head.zeroGrad();
      const rewards = model.scorePacked(packed, true);
      const tie = batch.map((p) => p.pair.tie);
      const { loss, dRewards } = bradleyTerryLoss(rewards, tie, config.centerRewardsCoefficient);
      const before = pairMetrics(rewards.subarray(0, batch.length), rewards.subarray(batch.length), tie);
      const N = packed.B * packed.T;
      const C = engine.config.nEmbd;
      dhidden.fill(0, 0, N * C);
      model.backwardPacked(packed, dRewards, dhidden);
      engine.backward(null, dhidden.subarray(0, N * C));
      const norm = gradNorm(engine, head);
      if (!Number.isFinite(norm) || !Number.isFinite(loss)) throw new Error(`the loss or its gradient is not finite at step ${step} (loss ${loss}, gradient norm ${norm}); try a lower lr`);
      trunkAdam.step(engine, lr, norm);
      headAdam.step(head, lr, norm);
      step++;
      tokens += N;
      const values: Record<string, number> = {
        [RM_METRIC.loss]: loss,
        [RM_METRIC.accuracy]: before.accuracy,
        [RM_METRIC.margin]: before.margin,
        [RM_METRIC.learningRate]: lr,
        [RM_METRIC.gradNorm]: norm,
      };
      const done = step >= opts.totalSteps;
      if (step >= nextEvalStep || done) {
        Object.assign(values, evaluate());
        while (nextEvalStep <= step) nextEvalStep += config.evalInterval;
      }
      values[RM_METRIC.tokensPerSecond] = (tokens - startTokens) / Math.max(1e-9, (performance.now() - loopStart) / 1000);
      values[RM_METRIC.tokens] = tokens;
      values[RM_METRIC.elapsed] = elapsed();
      lastMetrics = emit(values);
      if (step >= nextCheckpointStep && !done) {
        while (nextCheckpointStep <= step) nextCheckpointStep += config.checkpointInterval;
        await checkpoint(lastMetrics);
      }
      progress(done);
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    await checkpoint(lastMetrics);
    progress(true);
    log(`${status} at step ${step} (${tokens.toLocaleString('en-US')} tokens)`);
  } finally {
    await writer.close();
  }
  const wall = (performance.now() - startedAt) / 1000;
  return {
    status,
    step,
    backend,
    episodes: 0,
    solved: null,
    recentReturn: null,
    phases: { env: 0, inference: 0, update: (performance.now() - loopStart) / 1000, logging: 0 },
    sps: (step - startStep) / Math.max(1e-9, wall),
  };
}
