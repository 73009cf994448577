/**
 * A DPO run (registered as `dpo`), shaped like core/algos/lm/train.ts:
 *   pairs (readPreferences: dataset or TRL file; ties and identical responses dropped; seeded held-out split) →
 *   policy and frozen reference = the SFT model (loadLmFromRun) → reference log-probs of every pair, ONCE, cached in
 *   every checkpoint → per step: [chosen…; rejected…] packed, policy forward, summed log-probs, the DPO/IPO loss
 *   (loss.ts), dL/dlog π per sequence spread over its tokens (logProbBackward) → engine.backward → AdamW at the
 *   warm-up + cosine LR → TRL's metrics → at step 0, every evalInterval steps and at the end: eval/oracleScore and
 *   eval/kl (evaluatePolicy against the frozen SFT model on held-out task prompts; its samples go to the Samples
 *   tab) and eval/rewards/* on the held-out pairs → checkpoints (the policy as the `lm` model, AdamW, counters, the
 *   reference log-probs and the pair ids).
 * Batches walk a seeded permutation of the training pairs per epoch, a pure function of the step, so a resume
 * continues with the numbers an uninterrupted run gives.
 */
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { METRIC } from '../../common/metrics.js';
import { Rng } from '../../common/rng.js';
import type { LmEngine } from '../../lm/engine.js';
import { lmArtifacts, lmFromArtifacts } from '../../lm/files.js';
import { LM_KERNEL } from '../../lm/matmul.js';
import { AdamW, lrAt } from '../../lm/optim.js';
import type { Tokenizer } from '../../lm/tokenizer.js';
import { RunStore } from '../../store/db.js';
import { DatasetStore } from '../../store/datasets.js';
import { describeDamage, loadCheckpoint, MetricWriter, saveCheckpoint, truncateMetrics } from '../../store/index.js';
import type { TaskId } from '../../tasks/index.js';
import { describeBackend, initBackend, type BackendInfo } from '../../tensor/backend.js';
import { parseConfig } from '../config-common.js';
import { LM_ENV } from '../lm/config.js';
import { appendSamples, truncateSamples } from '../lm/samples.js';
import type { TrainResult, TrainRunOptions } from '../loop.js';
import { ALGO_METRIC } from '../metrics.js';
import { evaluatePolicy, loadLmFromRun, POLICY_MODEL, readPreferences, splitPairs, taskPromptSplit } from '../prefs/common.js';
import { dpoConfigSchema, type DpoConfig } from './config.js';
import { DPO_METRIC, dpoLoss, type DpoLossOptions } from './loss.js';
import { dpoForward, dpoLogitsGrad, encodePairs, identicalResponses, packDpoBatch, pairLogProbs, pairsFingerprint, referenceLogProbs, type EncodedPair, type PairLogProbs } from './pairs.js';

/** Every metric a DPO run logs (TRL's DPO names, then ours). */
export const DPO_RUN_METRIC = {
  ...DPO_METRIC,
  evalOracleScore: 'eval/oracleScore',
  evalKl: 'eval/kl',
  evalLoss: 'eval/loss',
  evalRewardsChosen: 'eval/rewards/chosen',
  evalRewardsRejected: 'eval/rewards/rejected',
  evalRewardsAccuracies: 'eval/rewards/accuracies',
  evalRewardsMargins: 'eval/rewards/margins',
  learningRate: METRIC.learningRate,
  gradNorm: METRIC.gradNorm,
  tokensPerSecond: 'time/tokensPerSecond',
  tokens: 'time/tokens',
  elapsed: ALGO_METRIC.elapsed,
} as const;

const REF_ARRAYS = { trainChosen: 'ref.train.chosen', trainRejected: 'ref.train.rejected', evalChosen: 'ref.eval.chosen', evalRejected: 'ref.eval.rejected' } as const;
const PROGRESS_INTERVAL_MS = 100;
const NEVER = Number.MAX_SAFE_INTEGER;

interface DpoState {
  version: 1;
  kind: 'dpo';
  algo: string;
  env: string;
  seed: number;
  step: number;
  adamT: number;
  tokens: number;
  trainSeconds: number;
  nextEvalStep: number;
  nextCheckpointStep: number;
  /** The pairs the run trains and evaluates on (ids, in order) and a fingerprint of their tokens. */
  trainIds: string[];
  evalIds: string[];
  fingerprint: string;
  /** The init run's checkpoint step the reference was loaded from (null: a folder), so a resume loads the same one. */
  referenceStep: number | null;
}

/** The training pairs of step `step`: positions step·B … step·B + B − 1 of the concatenated per-epoch permutations. */
export function batchIndices(step: number, B: number, n: number, seed: number, cache: Map<number, Int32Array> = new Map()): number[] {
  const out: number[] = [];
  for (let k = 0; k < B; k++) {
    const global = step * B + k;
    const epoch = Math.floor(global / n);
    let perm = cache.get(epoch);
    if (!perm) {
      perm = Int32Array.from({ length: n }, (_, i) => i);
      const rng = new Rng((seed * 1_000_003 + epoch * 7_919 + 0x6a09) >>> 0);
      for (let i = n - 1; i > 0; i--) {
        const j = rng.integer(i + 1);
        const t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
      }
      cache.clear();
      cache.set(epoch, perm);
    }
    out.push(perm[global % n]);
  }
  return out;
}

function requireTask(config: DpoConfig, fromData: TaskId | null, where: string): TaskId {
  const task = config.task ?? fromData;
  if (!task) throw new Error(`config.task is required: ${where} names no task, and eval/oracleScore needs a task's oracle (sentiment or arithmetic)`);
  return task;
}

export async function trainDpo(opts: TrainRunOptions): Promise<TrainResult> {
  const startedAt = performance.now();
  await initBackend();
  const backend: BackendInfo = { ...describeBackend(), engine: `${LM_KERNEL} lm kernels` };
  if ((opts.env as string) !== LM_ENV) throw new Error(`dpo trains on text (env ${JSON.stringify(LM_ENV)}), not on ${JSON.stringify(opts.env)}`);
  if (!Number.isInteger(opts.totalSteps) || opts.totalSteps < 1) throw new Error(`totalSteps must be a positive integer, got ${opts.totalSteps}`);
  if (!Number.isInteger(opts.seed)) throw new Error(`seed must be an integer, got ${opts.seed}`);
  const config = parseConfig(dpoConfigSchema, opts.config);
  if (config.dataset === '') throw new Error('config.dataset is required: a preference dataset id of this data folder or the absolute path of a TRL preference JSONL file');
  if (config.init === '') throw new Error('config.init is required: the SFT run (id) or LM folder (absolute path) to start from, which is also the reference');
  const lossOptions: DpoLossOptions = { beta: config.beta, loss: config.loss, labelSmoothing: config.labelSmoothing };
  const events = opts.events ?? {};
  const log = (line: string): void => events.log?.(line);
  const home = dirname(dirname(opts.runDir));

  // The pairs (re-read on resume: the checkpoint keeps which ones, not their text).
  const prefs = await readPreferences(config.dataset, home);
  const task = requireTask(config, prefs.task, prefs.where);

  // Policy and reference: the SFT model, twice (the reference never changes).
  let state: DpoState | null = null;
  let policy: LmEngine;
  let tokenizer: Tokenizer;
  let ref: { train: PairLogProbs; eval: PairLogProbs } | null = null;
  let adamMoments: { m: Float32Array; v: Float32Array } | null = null;
  let reference: Awaited<ReturnType<typeof loadLmFromRun>>;
  if (opts.resume) {
    const ckpt = await loadCheckpoint<DpoState>(opts.runDir, 'latest', { setAsideDamaged: true });
    for (const d of ckpt.skipped) log(`warning: skipped the damaged checkpoint at ${describeDamage(d)}; resuming from the checkpoint at step ${ckpt.step}`);
    const s = ckpt.state;
    if (!s || s.version !== 1 || s.kind !== 'dpo') throw new Error(`checkpoint at step ${ckpt.step} in ${opts.runDir} is not a DPO run's`);
    if (s.algo !== opts.algo || s.seed !== opts.seed) throw new Error(`checkpoint at step ${ckpt.step} belongs to ${s.algo} with seed ${s.seed}, not ${opts.algo} with seed ${opts.seed}`);
    const a = ckpt.models[POLICY_MODEL];
    if (!a) throw new Error(`checkpoint at step ${ckpt.step} in ${opts.runDir} holds no ${POLICY_MODEL} model`);
    ({ engine: policy, tokenizer } = lmFromArtifacts(a, join(ckpt.dir, POLICY_MODEL)));
    const arr = (name: string, n: number): Float64Array => {
      const x = ckpt.arrays[name];
      if (!(x instanceof Float64Array) || x.length !== n) throw new Error(`checkpoint at step ${ckpt.step} has no reference log-probs '${name}' of ${n} pairs`);
      return x;
    };
    ref = {
      train: { chosen: arr(REF_ARRAYS.trainChosen, s.trainIds.length), rejected: arr(REF_ARRAYS.trainRejected, s.trainIds.length) },
      eval: { chosen: arr(REF_ARRAYS.evalChosen, s.evalIds.length), rejected: arr(REF_ARRAYS.evalRejected, s.evalIds.length) },
    };
    const m = ckpt.arrays['adam.m'];
    const v = ckpt.arrays['adam.v'];
    if (!(m instanceof Float32Array) || !(v instanceof Float32Array) || m.length !== policy.params.length || v.length !== policy.params.length) {
      throw new Error(`checkpoint at step ${ckpt.step} has no AdamW moments for ${policy.params.length} parameters`);
    }
    adamMoments = { m, v };
    state = s;
    reference = await loadLmFromRun(config.init, opts.runDir, s.referenceStep ?? config.initStep, 'config.init');
  } else {
    reference = await loadLmFromRun(config.init, opts.runDir, config.initStep, 'config.init');
    policy = lmFromArtifacts(lmArtifacts(reference.engine, reference.tokenizer), '(init)').engine;
    tokenizer = reference.tokenizer;
    log(`policy and reference from ${reference.from} (${policy.params.length} parameters, ${tokenizer.kind} tokenizer of ${tokenizer.vocabSize} tokens)`);
  }
  if (reference.engine.params.length !== policy.params.length || reference.tokenizer.vocabSize !== tokenizer.vocabSize) {
    throw new Error(`config.init (${reference.from}) is not the model this run started from: ${reference.engine.params.length} parameters / ${reference.tokenizer.vocabSize} tokens vs the checkpoint's ${policy.params.length} / ${tokenizer.vocabSize}`);
  }
  const ctx = policy.config.ctx;
  const pad = tokenizer.ids.pad;

  // Encode; drop ties and pairs whose responses are the same tokens; split (fresh) or pick the run's pairs (resume).
  const ties = prefs.pairs.filter((p) => p.tie).length;
  const { pairs: encodedAll, truncated } = encodePairs(tokenizer, prefs.pairs.filter((p) => !p.tie), ctx);
  const identical = encodedAll.filter(identicalResponses).length;
  const usable = encodedAll.filter((p) => !identicalResponses(p));
  let train: EncodedPair[];
  let held: EncodedPair[];
  if (state) {
    const byId = new Map(usable.map((p) => [p.id, p]));
    const pick = (ids: string[]): EncodedPair[] =>
      ids.map((id) => {
        const p = byId.get(id);
        if (!p) throw new Error(`cannot resume: pair ${JSON.stringify(id)} this run trained on is no longer a labelled pair of ${prefs.where}`);
        return p;
      });
    train = pick(state.trainIds);
    held = pick(state.evalIds);
    const fp = pairsFingerprint([...train, ...held]);
    if (fp !== state.fingerprint) throw new Error(`cannot resume: the pairs of ${prefs.where} changed since the run started (fingerprint ${fp}, the run's ${state.fingerprint}); start a new run`);
  } else {
    if (usable.length < 2) throw new Error(`config.dataset: ${prefs.where} has ${usable.length} usable pair(s) after dropping ${ties} tie(s) and ${identical} with identical responses; at least 2 are needed`);
    ({ train, eval: held } = splitPairs(usable, config.holdout, opts.seed));
    log(`pairs: ${train.length} to train on, ${held.length} held out (${prefs.where}); dropped ${ties} tie(s) and ${identical} pair(s) with identical responses${prefs.skipped ? `; ${prefs.skipped} skip(s) left out` : ''}${truncated ? `; ${truncated} pair(s) cut to the context (${ctx} tokens)` : ''}`);
  }
  if (!ref) {
    const t0 = performance.now();
    ref = { train: referenceLogProbs(reference.engine, train, pad), eval: referenceLogProbs(reference.engine, held, pad) };
    log(`reference log-probs of ${train.length + held.length} pairs computed in ${((performance.now() - t0) / 1000).toFixed(1)} s (cached in every checkpoint)`);
  }
  const refs = ref;
  const fingerprint = state?.fingerprint ?? pairsFingerprint([...train, ...held]);
  const evalPrompts = taskPromptSplit(task).eval.slice(0, config.evalPrompts);
  const sampling = { temperature: config.evalTemperature, topK: config.evalTopK, topP: 1, maxNewTokens: config.evalMaxNewTokens };
  // One sampling seed for every evaluation: checkpoints are compared on the same random numbers.
  const evalSeed = (opts.seed * 7_919 + 101) >>> 0;

  const adam = new AdamW(policy, { lr: config.lr, weightDecay: config.weightDecay, gradClip: config.gradClip });
  if (adamMoments && state) {
    adam.m.set(adamMoments.m);
    adam.v.set(adamMoments.v);
    adam.t = state.adamT;
  }

  let step = 0;
  let tokens = 0;
  let trainSeconds = 0;
  let nextEvalStep = config.evalInterval > 0 ? config.evalInterval : NEVER;
  let nextCheckpointStep = config.checkpointInterval > 0 ? config.checkpointInterval : NEVER;
  if (state) {
    ({ step, tokens, trainSeconds, nextEvalStep, nextCheckpointStep } = state);
    const cut = await truncateMetrics(opts.runDir, step);
    if (cut.quarantine) log(`warning: ${cut.quarantine.lines.length} unreadable line(s) of metrics.jsonl were moved to ${cut.quarantine.path}`);
    await truncateSamples(opts.runDir, step);
    log(`resumed dpo from the checkpoint at step ${step}`);
  } else if (prefs.datasetId) {
    await recordOnDataset(home, prefs.datasetId, opts.runId, log);
  }

  const evaluate = async (): Promise<Record<string, number>> => {
    const pe = evaluatePolicy(policy, reference.engine, tokenizer, evalPrompts, task, sampling, evalSeed);
    await appendSamples(opts.runDir, pe.samples.map((s, index) => ({ step, index, prompt: s.prompt, completion: s.completion })));
    const lp = pairLogProbs(policy, held, pad);
    const ev = dpoLoss(lp.chosen, lp.rejected, refs.eval.chosen, refs.eval.rejected, lossOptions);
    return {
      [DPO_RUN_METRIC.evalOracleScore]: pe.oracleScore,
      [DPO_RUN_METRIC.evalKl]: pe.kl,
      [DPO_RUN_METRIC.evalLoss]: ev.loss,
      [DPO_RUN_METRIC.evalRewardsChosen]: ev.metrics[DPO_METRIC.rewardsChosen],
      [DPO_RUN_METRIC.evalRewardsRejected]: ev.metrics[DPO_METRIC.rewardsRejected],
      [DPO_RUN_METRIC.evalRewardsAccuracies]: ev.metrics[DPO_METRIC.rewardsAccuracies],
      [DPO_RUN_METRIC.evalRewardsMargins]: ev.metrics[DPO_METRIC.rewardsMargins],
    };
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
  const checkpoint = async (metrics: Record<string, number>): Promise<void> => {
    trainSeconds = elapsed();
    const s: DpoState = {
      version: 1, kind: 'dpo', algo: opts.algo, env: opts.env, seed: opts.seed, step, adamT: adam.t, tokens, trainSeconds, // prettier-ignore
      nextEvalStep, nextCheckpointStep, trainIds: train.map((p) => p.id), evalIds: held.map((p) => p.id), fingerprint, referenceStep: reference.step, // prettier-ignore
    };
    const arrays = {
      'adam.m': adam.m.slice(), 'adam.v': adam.v.slice(), // prettier-ignore
      [REF_ARRAYS.trainChosen]: refs.train.chosen, [REF_ARRAYS.trainRejected]: refs.train.rejected, // prettier-ignore
      [REF_ARRAYS.evalChosen]: refs.eval.chosen, [REF_ARRAYS.evalRejected]: refs.eval.rejected, // prettier-ignore
    };
    const finite = Object.fromEntries(Object.entries(metrics).filter(([, v]) => Number.isFinite(v)));
    await saveCheckpoint(opts.runDir, { step, models: { [POLICY_MODEL]: lmArtifacts(policy, tokenizer) }, arrays, state: s, metrics: finite }, { keepLast: config.keepCheckpoints });
    events.checkpoint?.({ step });
  };
  const emit = (values: Record<string, number>): Record<string, number> => {
    const finite = Object.fromEntries(Object.entries(values).filter(([, v]) => Number.isFinite(v)));
    writer.append(step, finite);
    events.metrics?.(step, finite);
    return finite;
  };

  const B = Math.min(config.batchSize, train.length);
  if (B < config.batchSize && !state) log(`warning: batchSize ${config.batchSize} is more than the ${train.length} training pairs; using ${B}`);
  const perms = new Map<number, Int32Array>();
  const V = policy.config.vocabSize;
  const dropout = policy.config.dropout > 0;
  let dlogits: Float32Array | undefined;
  let status: 'finished' | 'stopped' = 'finished';
  let lastMetrics: Record<string, number> = {};
  try {
    progress(true);
    // Step 0: the SFT policy itself, the origin of the reward–KL frontier.
    if (step === 0 && !state) lastMetrics = emit(await evaluate());
    while (step < opts.totalSteps) {
      if (opts.signal.aborted) {
        status = 'stopped';
        break;
      }
      const idx = batchIndices(step, B, train.length, opts.seed, perms);
      const batch = packDpoBatch(ctx, idx.map((i) => train[i]), pad);
      const lr = lrAt(step, config.lr, config.warmupSteps, opts.totalSteps, config.minLr);
      policy.seedDropout(opts.seed * 1_000_003 + step);
      const fw = dpoForward(policy, batch, dropout);
      const out = dpoLoss(fw.chosen, fw.rejected, idx.map((i) => refs.train.chosen[i]), idx.map((i) => refs.train.rejected[i]), lossOptions);
      if (!Number.isFinite(out.loss)) throw new Error(`the DPO loss is not finite at step ${step} (${out.loss}); try a lower lr`);
      dlogits = dpoLogitsGrad(fw.logits, V, batch, out.dChosen, out.dRejected, dlogits);
      policy.zeroGrad();
      policy.backward(dlogits, null);
      const gradNorm = adam.step(policy, lr);
      step++;
      tokens += batch.packed.B * batch.packed.T;
      const values: Record<string, number> = {
        [DPO_METRIC.loss]: out.loss,
        ...out.metrics,
        [DPO_METRIC.logitsChosen]: fw.logitsChosen,
        [DPO_METRIC.logitsRejected]: fw.logitsRejected,
        [DPO_RUN_METRIC.learningRate]: lr,
        [DPO_RUN_METRIC.gradNorm]: gradNorm,
      };
      const done = step >= opts.totalSteps;
      if (step >= nextEvalStep || done) {
        Object.assign(values, await evaluate());
        while (nextEvalStep <= step) nextEvalStep += config.evalInterval > 0 ? config.evalInterval : NEVER;
      }
      values[DPO_RUN_METRIC.tokensPerSecond] = (tokens - startTokens) / Math.max(1e-9, (performance.now() - loopStart) / 1000);
      values[DPO_RUN_METRIC.tokens] = tokens;
      values[DPO_RUN_METRIC.elapsed] = elapsed();
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

/** Marks the dataset as trained on by this run (shown with the dataset); a failure is logged, never fatal. */
async function recordOnDataset(home: string, datasetId: string, runId: string, log: (line: string) => void): Promise<void> {
  let runs: RunStore | null = null;
  try {
    runs = await RunStore.open(home);
    await new DatasetStore(runs).addTrainedRun(datasetId, runId);
  } catch (e) {
    log(`warning: could not record run ${runId} on dataset ${datasetId}: ${e instanceof Error ? e.message : String(e)}`);
  } finally {
    await runs?.close().catch(() => {});
  }
}
