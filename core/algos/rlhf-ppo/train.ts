/**
 * The RLHF run (`rlhf-ppo`): PPO on the SFT policy against a reward model with a KL penalty to the frozen SFT
 * policy (Ziegler et al. 2019; Stiennon et al. 2020; Ouyang et al. 2022), the own-loop shape of core/algos/lm/train.ts:
 *   rollout (rollout.ts: rolloutPrompts training prompts, responses sampled with the KV cache, seeded per iteration;
 *   log π_old, V, log π_SFT, scores) → shaped per-token rewards and β (rewards.ts) → GAE over tokens, whitening →
 *   ppoEpochs × miniBatches clipped PPO steps on trunk + value head (ppo-update.ts) → metrics with TRL's PPO names →
 *   evaluation on the held-out prompts at step 0, every evalInterval and at the end (eval/oracleScore, eval/kl,
 *   eval/rewardModelScore; samples.jsonl) → checkpoints (the policy as the `lm` model, arrays valueHead and both
 *   AdamW's moments; β, counters and the RNG in the state).
 * A step is one PPO iteration. Stopping (AbortSignal) finishes the iteration, checkpoints and returns 'stopped';
 * `resume: true` continues from the latest checkpoint with the numbers an uninterrupted run gives (sampling seeded
 * per iteration, the prompt/minibatch RNG checkpointed, the init and reward-model checkpoints pinned to the steps
 * the run started with).
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { METRIC } from '../../common/metrics.js';
import { Rng, type RngState } from '../../common/rng.js';
import type { LmEngine } from '../../lm/engine.js';
import { lmArtifacts, lmFromArtifacts } from '../../lm/files.js';
import { LM_KERNEL } from '../../lm/matmul.js';
import { AdamW, lrAt } from '../../lm/optim.js';
import { ScalarHead } from '../../lm/seq.js';
import type { Tokenizer } from '../../lm/tokenizer.js';
import { describeDamage, loadCheckpoint, MetricWriter, saveCheckpoint, truncateMetrics } from '../../store/index.js';
import { getTask } from '../../tasks/index.js';
import { describeBackend, initBackend, type BackendInfo } from '../../tensor/backend.js';
import { parseConfig } from '../config-common.js';
import { LM_ENV } from '../lm/config.js';
import { appendSamples, truncateSamples } from '../lm/samples.js';
import type { TrainResult, TrainRunOptions } from '../loop.js';
import { ALGO_METRIC } from '../metrics.js';
import { evaluatePolicy, loadLmFromRun, POLICY_MODEL, taskPromptSplit } from '../prefs/common.js';
import { loadRewardModel } from '../reward-model/model.js';
import { normalizeInPlace } from '../../common/returns.js';
import { ORACLE_REWARD, rlhfPpoConfigSchema, type RlhfPpoConfig } from './config.js';
import { ppoUpdate } from './ppo-update.js';
import { KlController, tokenGae, tokenRewards } from './rewards.js';
import { collectRollout, type Scorer } from './rollout.js';

/** Metric keys: TRL's PPOTrainer names where they exist. */
export const RLHF_METRIC = {
  /** Mean over responses of Σ_t (log π_old − log π_SFT): the sampled KL of the rollout. */
  kl: 'objective/kl',
  /** Mean over responses of Σ_t −log π_old(y_t) (TRL's sampled entropy). */
  entropy: 'objective/entropy',
  /** Mean over responses of Σ_t −β·(log π_old − log π_SFT). */
  nonScoreReward: 'objective/non_score_reward',
  /** Mean over responses of score + non_score_reward. */
  rlhfReward: 'objective/rlhf_reward',
  /** Mean score of the rollout's responses (r_φ, or the oracle when rewardModel is 'oracle'). */
  scores: 'objective/scores',
  /** β used for this iteration's rewards. */
  klCoef: 'objective/klCoef',
  approxKl: 'policy/approxkl_avg',
  clipFrac: 'policy/clipfrac_avg',
  policyLoss: 'loss/policy_avg',
  valueLoss: 'loss/value_avg',
  valueClipFrac: 'val/clipfrac_avg',
  ratio: 'val/ratio',
  /** Mean oracle score of samples on the held-out prompts. */
  evalOracleScore: 'eval/oracleScore',
  /** KL(π‖π_SFT) estimated on those samples. */
  evalKl: 'eval/kl',
  /** Mean r_φ of those samples (absent with the oracle reward): proxy vs oracle. */
  evalRewardModelScore: 'eval/rewardModelScore',
  /** Mean response length (tokens) of the rollout. */
  responseLength: 'objective/responseLength',
  learningRate: METRIC.learningRate,
  gradNorm: METRIC.gradNorm,
  /** Response tokens sampled per second of rollout (generation with the KV cache + scoring forwards). */
  rolloutTokensPerSecond: 'time/rolloutTokensPerSecond',
  /** Token positions through forward + backward per second of the PPO update. */
  updateTokensPerSecond: 'time/updateTokensPerSecond',
  /** Response tokens sampled per second of the run (or since the resume). */
  tokensPerSecond: 'time/tokensPerSecond',
  /** Response tokens sampled so far (summed over resumes). */
  tokens: 'time/tokens',
  elapsed: ALGO_METRIC.elapsed,
} as const;

/** The value head's checkpoint array ([w (C), b]). */
export const VALUE_HEAD_ARRAY = 'valueHead';
/** The value head's initial weights are N(0, VALUE_HEAD_STD²), its bias 0: V starts near 0. */
const VALUE_HEAD_STD = 1e-3;
const PROGRESS_INTERVAL_MS = 100;
const NEVER = Number.MAX_SAFE_INTEGER;

interface RlhfState {
  version: 1;
  kind: 'rlhf-ppo';
  algo: string;
  env: string;
  seed: number;
  step: number;
  rng: RngState;
  adamT: number;
  headAdamT: number;
  klCoef: number;
  tokens: number;
  trainSeconds: number;
  nextEvalStep: number;
  nextCheckpointStep: number;
  /** The checkpoints the run started from, so a resume uses the same ones when the config said "latest". */
  initStep: number | null;
  rewardModelStep: number | null;
  /** 'oracle (synthetic)' or the reward model's origin. */
  reward: string;
}

const mean = (a: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i];
  return a.length > 0 ? s / a.length : 0;
};

function checkArray(arrays: Record<string, unknown>, name: string, n: number, step: number): Float32Array {
  const a = arrays[name];
  if (!(a instanceof Float32Array) || a.length !== n) throw new Error(`checkpoint at step ${step} has no array ${name} of ${n} floats`);
  return a;
}

export async function trainRlhfPpo(opts: TrainRunOptions): Promise<TrainResult> {
  const startedAt = performance.now();
  await initBackend();
  const backend: BackendInfo = { ...describeBackend(), engine: `${LM_KERNEL} lm kernels` };
  if ((opts.env as string) !== LM_ENV) throw new Error(`rlhf-ppo trains on text (env ${JSON.stringify(LM_ENV)}), not on ${JSON.stringify(opts.env)}`);
  if (!Number.isInteger(opts.totalSteps) || opts.totalSteps < 1) throw new Error(`totalSteps must be a positive integer, got ${opts.totalSteps}`);
  if (!Number.isInteger(opts.seed)) throw new Error(`seed must be an integer, got ${opts.seed}`);
  const config: RlhfPpoConfig = parseConfig(rlhfPpoConfigSchema, opts.config);
  if (config.init === '') throw new Error('config.init: name the SFT policy to start from (an SFT run id of this data folder or an absolute LM folder path)');
  if (config.rewardModel === '') throw new Error(`config.rewardModel: name a reward-model run id of this data folder, or "${ORACLE_REWARD}" for the task's true reward (a synthetic ablation)`);
  if (config.miniBatches > config.rolloutPrompts) throw new Error(`config.miniBatches (${config.miniBatches}) must not exceed config.rolloutPrompts (${config.rolloutPrompts})`);
  const events = opts.events ?? {};
  const log = (line: string): void => events.log?.(line);

  let state: RlhfState | null = null;
  let ckptArrays: Record<string, unknown> = {};
  let resumed: { engine: LmEngine; tokenizer: Tokenizer } | null = null;
  if (opts.resume) {
    const ckpt = await loadCheckpoint<RlhfState>(opts.runDir, 'latest', { setAsideDamaged: true });
    for (const d of ckpt.skipped) log(`warning: skipped the damaged checkpoint at ${describeDamage(d)}; resuming from the checkpoint at step ${ckpt.step}`);
    const s = ckpt.state;
    if (!s || s.version !== 1 || s.kind !== 'rlhf-ppo') throw new Error(`checkpoint at step ${ckpt.step} in ${opts.runDir} is not an rlhf-ppo run's`);
    if (s.algo !== opts.algo || s.seed !== opts.seed) throw new Error(`checkpoint at step ${ckpt.step} belongs to ${s.algo} with seed ${s.seed}, not ${opts.algo} with seed ${opts.seed}`);
    const a = ckpt.models[POLICY_MODEL];
    if (!a) throw new Error(`checkpoint at step ${ckpt.step} in ${opts.runDir} holds no ${POLICY_MODEL} model`);
    resumed = lmFromArtifacts(a, join(ckpt.dir, POLICY_MODEL));
    ckptArrays = ckpt.arrays;
    state = s;
  }

  // The frozen reference (the SFT policy) and the policy (a copy of it, or the checkpoint's).
  const ref = await loadLmFromRun(config.init, opts.runDir, state ? state.initStep : config.initStep, 'config.init');
  const reference = ref.engine;
  const tokenizer = ref.tokenizer;
  const policy = resumed ? resumed.engine : (await loadLmFromRun(config.init, opts.runDir, ref.step, 'config.init')).engine;
  if (policy.params.length !== reference.params.length || policy.config.vocabSize !== reference.config.vocabSize) {
    throw new Error(`the checkpoint's policy (${policy.params.length} parameters) does not match config.init ${ref.from} (${reference.params.length})`);
  }
  const C = policy.config.nEmbd;
  const head = new ScalarHead(C, opts.seed, VALUE_HEAD_STD);
  const trunkOpt = new AdamW(policy, { lr: config.lr, weightDecay: config.weightDecay, gradClip: config.gradClip });
  const headOpt = new AdamW(head, { lr: config.valueHeadLr ?? config.lr, weightDecay: config.weightDecay, gradClip: config.gradClip });
  const kl = new KlController(state ? state.klCoef : config.klCoef, config.adaptiveKl, config.targetKl, config.klHorizon);
  if (state) {
    const st = state.step;
    head.params.set(checkArray(ckptArrays, VALUE_HEAD_ARRAY, C + 1, st));
    trunkOpt.m.set(checkArray(ckptArrays, 'adam.m', policy.params.length, st));
    trunkOpt.v.set(checkArray(ckptArrays, 'adam.v', policy.params.length, st));
    headOpt.m.set(checkArray(ckptArrays, 'headAdam.m', C + 1, st));
    headOpt.v.set(checkArray(ckptArrays, 'headAdam.v', C + 1, st));
    trunkOpt.t = state.adamT;
    headOpt.t = state.headAdamT;
  }

  // The reward: a reward model's r_φ, or the task's oracle (synthetic).
  const task = getTask(config.task);
  let scorer: Scorer;
  let rmScorer: Scorer | null = null;
  let reward: string;
  let rewardModelStep: number | null = null;
  if (config.rewardModel === ORACLE_REWARD) {
    scorer = (p, c) => Float64Array.from(p, (x, i) => task.oracle(x, c[i]));
    reward = 'oracle (synthetic)';
    log(`reward: the ${config.task} task's oracle (SYNTHETIC — the true reward, an upper-bound ablation; no reward model is involved)`);
  } else {
    const rm = await loadRewardModel(config.rewardModel, opts.runDir, state ? state.rewardModelStep : config.rewardModelStep, 'config.rewardModel');
    rewardModelStep = rm.step;
    rmScorer = (p, c) => Float64Array.from(rm.score(p, c));
    scorer = rmScorer;
    reward = `reward model ${rm.from}`;
    log(`reward: r_φ of ${rm.from}`);
  }
  if (state && state.reward !== reward) throw new Error(`the checkpoint was trained with ${state.reward}, the config now names ${reward}`);
  if (!state) log(`policy and frozen reference: ${ref.from} (${policy.params.length} parameters); value head on its final hidden state`);

  const prompts = taskPromptSplit(config.task);
  const evalPrompts = prompts.eval.slice(0, config.evalPrompts);
  if (prompts.train.length === 0) throw new Error(`task ${config.task} has no training prompts`);
  const sampling = { temperature: config.temperature, topK: config.topK, maxNewTokens: config.maxNewTokens };
  const evalSeed = opts.seed * 1_000_003 + 977;

  const rng = new Rng(opts.seed);
  let step = 0;
  let tokens = 0;
  let trainSeconds = 0;
  let nextEvalStep = config.evalInterval > 0 ? config.evalInterval : NEVER;
  let nextCheckpointStep = config.checkpointInterval > 0 ? config.checkpointInterval : NEVER;
  if (state) {
    rng.setState(state.rng);
    ({ step, tokens, trainSeconds, nextEvalStep, nextCheckpointStep } = state);
    const cut = await truncateMetrics(opts.runDir, step);
    if (cut.quarantine) log(`warning: ${cut.quarantine.lines.length} unreadable line(s) of metrics.jsonl were moved to ${cut.quarantine.path}`);
    await truncateSamples(opts.runDir, step);
    log(`resumed rlhf-ppo from the checkpoint at step ${step}`);
  }

  const evaluate = async (): Promise<Record<string, number>> => {
    const ev = evaluatePolicy(policy, reference, tokenizer, evalPrompts, config.task, { ...sampling, topP: 1 }, evalSeed);
    const out: Record<string, number> = { [RLHF_METRIC.evalOracleScore]: ev.oracleScore, [RLHF_METRIC.evalKl]: ev.kl };
    let rm: Float64Array | null = null;
    if (rmScorer) {
      rm = rmScorer(ev.samples.map((s) => s.prompt), ev.samples.map((s) => s.completion));
      out[RLHF_METRIC.evalRewardModelScore] = mean(rm);
    }
    await appendSamples(
      opts.runDir,
      ev.samples.map((s, index) => ({ step, index, prompt: s.prompt, completion: s.completion, oracleScore: s.score, logRatio: s.logRatio, ...(rm ? { rewardModelScore: rm[index] } : {}) })),
    );
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
  const checkpoint = async (metrics: Record<string, number>): Promise<void> => {
    trainSeconds = elapsed();
    const s: RlhfState = {
      version: 1, kind: 'rlhf-ppo', algo: opts.algo, env: opts.env, seed: opts.seed, step, rng: rng.getState(), adamT: trunkOpt.t, headAdamT: headOpt.t, // prettier-ignore
      klCoef: kl.value, tokens, trainSeconds, nextEvalStep, nextCheckpointStep, initStep: ref.step, rewardModelStep, reward, // prettier-ignore
    };
    const finite = Object.fromEntries(Object.entries(metrics).filter(([, v]) => Number.isFinite(v)));
    const arrays = { [VALUE_HEAD_ARRAY]: head.params.slice(), 'adam.m': trunkOpt.m.slice(), 'adam.v': trunkOpt.v.slice(), 'headAdam.m': headOpt.m.slice(), 'headAdam.v': headOpt.v.slice() };
    await saveCheckpoint(opts.runDir, { step, models: { [POLICY_MODEL]: lmArtifacts(policy, tokenizer) }, arrays, state: s, metrics: finite }, { keepLast: config.keepCheckpoints });
    events.checkpoint?.({ step });
  };
  const emit = (values: Record<string, number>): Record<string, number> => {
    const finite = Object.fromEntries(Object.entries(values).filter(([, v]) => Number.isFinite(v)));
    writer.append(step, finite);
    events.metrics?.(step, finite);
    return finite;
  };

  let status: 'finished' | 'stopped' = 'finished';
  let lastMetrics: Record<string, number> = {};
  try {
    progress(true);
    // Step 0: the SFT policy itself, every run's origin on the reward–KL frontier.
    if (step === 0 && !state) lastMetrics = emit({ ...(await evaluate()), [RLHF_METRIC.klCoef]: kl.value });
    while (step < opts.totalSteps) {
      if (opts.signal.aborted) {
        status = 'stopped';
        break;
      }
      const beta = kl.value;
      const lr = lrAt(step, config.lr, config.warmupSteps, opts.totalSteps, config.lr);
      const headLr = config.valueHeadLr === null ? lr : lrAt(step, config.valueHeadLr, config.warmupSteps, opts.totalSteps, config.valueHeadLr);
      const t0 = performance.now();
      const batchPrompts = Array.from({ length: config.rolloutPrompts }, () => prompts.train[rng.integer(prompts.train.length)]);
      const ro = collectRollout(policy, head, reference, tokenizer, batchPrompts, scorer, sampling, opts.seed * 1_000_003 + (step + 1) * 100_003);
      const t1 = performance.now();
      const { offsets } = ro.packed;
      const shaped = tokenRewards(ro.lpOld, ro.lpRef, offsets, ro.scores, beta);
      const { advantages, returns } = tokenGae(shaped.rewards, ro.values, offsets, config.gamma, config.lam);
      if (config.whitenAdvantages) normalizeInPlace(advantages);
      const up = ppoUpdate(
        policy, head, trunkOpt, headOpt, // prettier-ignore
        { promptIds: ro.promptIds, responseIds: ro.responseIds, offsets, lpOld: ro.lpOld, advantages, returns, oldValues: ro.values },
        { ...config, lr, headLr, padId: tokenizer.ids.pad },
        rng,
      );
      const t2 = performance.now();
      const B = ro.prompts.length;
      let entropy = 0;
      for (let i = 0; i < ro.lpOld.length; i++) entropy -= ro.lpOld[i];
      const klMean = mean(shaped.kl);
      kl.update(klMean, B);
      step++;
      tokens += ro.generated;
      const values: Record<string, number> = {
        [RLHF_METRIC.kl]: klMean,
        [RLHF_METRIC.entropy]: entropy / B,
        [RLHF_METRIC.nonScoreReward]: mean(shaped.nonScore),
        [RLHF_METRIC.rlhfReward]: mean(ro.scores) + mean(shaped.nonScore),
        [RLHF_METRIC.scores]: mean(ro.scores),
        [RLHF_METRIC.klCoef]: beta,
        [RLHF_METRIC.approxKl]: up.approxKl,
        [RLHF_METRIC.clipFrac]: up.clipFrac,
        [RLHF_METRIC.policyLoss]: up.pgLoss,
        [RLHF_METRIC.valueLoss]: up.vfLoss,
        [RLHF_METRIC.valueClipFrac]: up.vfClipFrac,
        [RLHF_METRIC.ratio]: up.ratio,
        [RLHF_METRIC.responseLength]: ro.generated / B,
        [RLHF_METRIC.learningRate]: lr,
        [RLHF_METRIC.gradNorm]: up.gradNorm,
        [RLHF_METRIC.rolloutTokensPerSecond]: ro.generated / Math.max(1e-9, (t1 - t0) / 1000),
        [RLHF_METRIC.updateTokensPerSecond]: up.positions / Math.max(1e-9, (t2 - t1) / 1000),
      };
      const done = step >= opts.totalSteps;
      if (step >= nextEvalStep || done) {
        Object.assign(values, await evaluate());
        while (nextEvalStep <= step) nextEvalStep += config.evalInterval > 0 ? config.evalInterval : NEVER;
      }
      values[RLHF_METRIC.tokensPerSecond] = (tokens - startTokens) / Math.max(1e-9, (performance.now() - loopStart) / 1000);
      values[RLHF_METRIC.tokens] = tokens;
      values[RLHF_METRIC.elapsed] = elapsed();
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
    log(`${status} at step ${step} (${tokens.toLocaleString('en-US')} response tokens sampled)`);
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
