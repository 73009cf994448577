/**
 * The training loop of the language-model runs (pretrain, SFT), the LM counterpart of core/algos/loop.ts:
 *   batch (data.ts) → forward/backward on the hand-written engine (core/lm) → AdamW at the warm-up + cosine LR →
 *   metrics (train/loss, train/perplexity, train/learningRate, train/gradNorm, time/tokensPerSecond …) →
 *   every evalInterval steps eval/loss on fixed held-out batches → every sampleInterval steps samples (samples.ts)
 *   → every checkpointInterval steps a checkpoint (the model as an `lm` model in core/lm's tfjs layout — config and
 *   tokenizer inside — plus AdamW's moments and the counters and data RNG in its state).
 * A step is one optimizer step. Stopping (AbortSignal) finishes the step, checkpoints and returns 'stopped';
 * `resume: true` restores the latest checkpoint and continues with the numbers an uninterrupted run gives (dropout
 * is seeded per step, the data RNG is checkpointed, samples are seeded per step and prompt).
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, isAbsolute, join } from 'node:path';
import { ALGO_METRIC } from '../metrics.js';
import { METRIC } from '../../common/metrics.js';
import { Rng, type RngState } from '../../common/rng.js';
import { lmConfig } from '../../lm/config.js';
import { LmEngine, type Batch } from '../../lm/engine.js';
import { lmArtifacts, lmFromArtifacts, loadLm } from '../../lm/files.js';
import { sample } from '../../lm/generate.js';
import { LM_KERNEL } from '../../lm/matmul.js';
import { AdamW, lrAt } from '../../lm/optim.js';
import { trainBpe, trainChar, type Tokenizer } from '../../lm/tokenizer.js';
import { checksummer } from '../../store/checksum.js';
import { describeDamage, loadCheckpoint, MetricWriter, saveCheckpoint, truncateMetrics } from '../../store/index.js';
import { describeBackend, initBackend, type BackendInfo } from '../../tensor/backend.js';
import { parseConfig } from '../config-common.js';
import type { TrainResult, TrainRunOptions } from '../loop.js';
import { LM_ENV, pretrainConfigSchema, sftConfigSchema, type LmRunConfig, type LmRunKind, type SftConfig } from './config.js';
import {
  encodeSft, randomSftBatch, readCorpus, readSft, samplePrompts, sftEvalBatches, splitHoldout, streamBatch, streamEvalBatches, tokenStream, // prettier-ignore
} from './data.js';
import { appendSamples, truncateSamples, type LmSample } from './samples.js';

/** Metric keys of the language-model runs (same `namespace/name` shape as core/common/metrics.ts). */
export const LM_METRIC = {
  /** Mean next-token cross-entropy (nats) of the step's batch; SFT: over response tokens only. */
  loss: 'train/loss',
  /** exp(train/loss). */
  perplexity: 'train/perplexity',
  /** Mean loss over the fixed held-out batches. */
  evalLoss: 'eval/loss',
  evalPerplexity: 'eval/perplexity',
  learningRate: METRIC.learningRate,
  gradNorm: METRIC.gradNorm,
  /** Token positions trained per second since the run (or resume) started. */
  tokensPerSecond: 'time/tokensPerSecond',
  /** Token positions trained so far (summed over resumes). */
  tokens: 'time/tokens',
  elapsed: ALGO_METRIC.elapsed,
} as const;

const PROGRESS_INTERVAL_MS = 100;
const NEVER = Number.MAX_SAFE_INTEGER;

interface LmState {
  version: 1;
  kind: 'lm';
  algo: string;
  env: string;
  seed: number;
  step: number;
  rng: RngState;
  adamT: number;
  tokens: number;
  trainSeconds: number;
  nextEvalStep: number;
  nextSampleStep: number;
  nextCheckpointStep: number;
}

export const LM_MODEL_NAME = 'lm';

/** The model an SFT run starts from: a run id (its latest checkpoint, in the same runs folder) or an LM folder. */
async function loadInit(init: string, runDir: string): Promise<{ engine: LmEngine; tokenizer: Tokenizer; from: string }> {
  if (isAbsolute(init)) {
    const dir = existsSync(join(init, 'model.json')) ? init : join(init, LM_MODEL_NAME);
    if (!existsSync(join(dir, 'model.json'))) throw new Error(`config.init: ${init} holds no saved language model (no model.json there or in ${LM_MODEL_NAME}/)`);
    const { engine, tokenizer } = await loadLm(dir, await checksummer());
    return { engine, tokenizer, from: dir };
  }
  if (!/^[A-Za-z0-9_-]{1,100}$/.test(init)) throw new Error(`config.init must be a run id or an absolute folder path, got ${JSON.stringify(init)}`);
  const other = join(dirname(runDir), init);
  if (!existsSync(other)) throw new Error(`config.init: there is no run ${JSON.stringify(init)} in ${dirname(runDir)}`);
  const ckpt = await loadCheckpoint(other, 'latest');
  const a = ckpt.models[LM_MODEL_NAME];
  if (!a) throw new Error(`config.init: run ${init}'s checkpoint at step ${ckpt.step} holds no language model (models: ${Object.keys(ckpt.models).join(', ') || 'none'})`);
  const { engine, tokenizer } = lmFromArtifacts(a, join(ckpt.dir, LM_MODEL_NAME));
  return { engine, tokenizer, from: `run ${init} step ${ckpt.step}` };
}

function learnTokenizer(kind: 'bpe' | 'char', text: string, vocabSize: number): Tokenizer {
  return kind === 'bpe' ? trainBpe(text, vocabSize) : trainChar(text, vocabSize);
}

export async function trainLm(kind: LmRunKind, opts: TrainRunOptions): Promise<TrainResult> {
  const startedAt = performance.now();
  await initBackend();
  const backend: BackendInfo = { ...describeBackend(), engine: `${LM_KERNEL} lm kernels` };
  if ((opts.env as string) !== LM_ENV) throw new Error(`${kind} trains on text (env ${JSON.stringify(LM_ENV)}), not on ${JSON.stringify(opts.env)}`);
  if (!Number.isInteger(opts.totalSteps) || opts.totalSteps < 1) throw new Error(`totalSteps must be a positive integer, got ${opts.totalSteps}`);
  if (!Number.isInteger(opts.seed)) throw new Error(`seed must be an integer, got ${opts.seed}`);
  const config: LmRunConfig = kind === 'pretrain' ? parseConfig(pretrainConfigSchema, opts.config) : parseConfig(sftConfigSchema, opts.config);
  const events = opts.events ?? {};
  const log = (line: string): void => events.log?.(line);

  // The text: documents (pretrain) or examples (SFT), split into train / held-out.
  const source = kind === 'pretrain' ? (config as { corpus: string }).corpus : (config as SftConfig).data;
  let trainText: string[];
  let evalText: string[];
  let sourcePath: string;
  let sftTrain: { prompt: string; completion: string }[] = [];
  let sftEval: { prompt: string; completion: string }[] = [];
  if (kind === 'pretrain') {
    const { path, docs } = readCorpus(source);
    sourcePath = path;
    const split = splitHoldout(docs, config.holdout, `config.corpus (${path})`);
    trainText = split.train;
    evalText = split.eval;
  } else {
    const { path, examples } = readSft(source);
    sourcePath = path;
    const split = splitHoldout(examples, config.holdout, `config.data (${path})`);
    sftTrain = split.train;
    sftEval = split.eval;
    trainText = sftTrain.map((e) => e.prompt + e.completion);
    evalText = sftEval.map((e) => e.prompt);
  }

  // The model: from the checkpoint (resume), from `init` (SFT), or fresh with a tokenizer learned from the training text.
  let engine: LmEngine;
  let tokenizer: Tokenizer;
  let state: LmState | null = null;
  const opt = { m: null as Float32Array | null, v: null as Float32Array | null };
  if (opts.resume) {
    const ckpt = await loadCheckpoint<LmState>(opts.runDir, 'latest', { setAsideDamaged: true });
    for (const d of ckpt.skipped) log(`warning: skipped the damaged checkpoint at ${describeDamage(d)}; resuming from the checkpoint at step ${ckpt.step}`);
    const s = ckpt.state;
    if (!s || s.version !== 1 || s.kind !== 'lm') throw new Error(`checkpoint at step ${ckpt.step} in ${opts.runDir} is not a language-model run's`);
    if (s.algo !== opts.algo || s.seed !== opts.seed) throw new Error(`checkpoint at step ${ckpt.step} belongs to ${s.algo} with seed ${s.seed}, not ${opts.algo} with seed ${opts.seed}`);
    const a = ckpt.models[LM_MODEL_NAME];
    if (!a) throw new Error(`checkpoint at step ${ckpt.step} in ${opts.runDir} holds no ${LM_MODEL_NAME} model`);
    ({ engine, tokenizer } = lmFromArtifacts(a, join(ckpt.dir, LM_MODEL_NAME)));
    const m = ckpt.arrays['adam.m'];
    const v = ckpt.arrays['adam.v'];
    if (!(m instanceof Float32Array) || !(v instanceof Float32Array) || m.length !== engine.params.length || v.length !== engine.params.length) {
      throw new Error(`checkpoint at step ${ckpt.step} has no AdamW moments for ${engine.params.length} parameters`);
    }
    opt.m = m;
    opt.v = v;
    state = s;
  } else if (kind === 'sft' && (config as SftConfig).init) {
    const init = await loadInit((config as SftConfig).init, opts.runDir);
    ({ engine, tokenizer } = init);
    log(`starting from ${init.from} (${engine.params.length} parameters, ${tokenizer.kind} tokenizer of ${tokenizer.vocabSize} tokens)`);
  } else {
    tokenizer = learnTokenizer(config.tokenizer, trainText.join('\n'), config.vocabSize);
    engine = new LmEngine(lmConfig(config.size, { vocabSize: config.vocabSize, dropout: config.dropout }), opts.seed);
    log(`${config.size} model, ${engine.params.length} parameters; ${tokenizer.kind} tokenizer of ${tokenizer.vocabSize} tokens learned from ${sourcePath}`);
  }
  const ctx = engine.config.ctx;
  const B = config.batchSize;
  const adam = new AdamW(engine, { lr: config.lr, weightDecay: config.weightDecay, gradClip: config.gradClip });
  if (opt.m && opt.v && state) {
    adam.m.set(opt.m);
    adam.v.set(opt.v);
    adam.t = state.adamT;
  }

  // Batches.
  let nextBatch: (rng: Rng) => Batch;
  let evalBatches: Batch[];
  if (kind === 'pretrain') {
    const stream = tokenStream(tokenizer, trainText);
    const evalStream = tokenStream(tokenizer, evalText);
    nextBatch = (rng) => streamBatch(stream, B, ctx, rng);
    evalBatches = streamEvalBatches(evalStream, B, ctx, config.evalBatches);
    if (!state) log(`corpus: ${trainText.length} documents (${stream.length} tokens) to train on, ${evalText.length} (${evalStream.length} tokens) held out`);
  } else {
    const train = encodeSft(tokenizer, sftTrain, ctx);
    const held = encodeSft(tokenizer, sftEval, ctx);
    if (train.seqs.length === 0) throw new Error(`config.data (${sourcePath}): every prompt is longer than the context (${ctx} tokens)`);
    if (held.seqs.length === 0) throw new Error(`config.data (${sourcePath}): every held-out prompt is longer than the context (${ctx} tokens)`);
    if (train.dropped + held.dropped > 0) log(`warning: ${train.dropped + held.dropped} example(s) dropped: the prompt fills the context (${ctx} tokens)`);
    nextBatch = (rng) => randomSftBatch(train.seqs, B, tokenizer.ids.pad, rng);
    evalBatches = sftEvalBatches(held.seqs, B, tokenizer.ids.pad, config.evalBatches);
    if (!state) log(`data: ${train.seqs.length} examples to train on, ${held.seqs.length} held out (${sourcePath})`);
  }
  const prompts = samplePrompts(source, kind, kind === 'pretrain' ? evalText : evalText, config.numSamples);

  const rng = new Rng(opts.seed);
  let step = 0;
  let tokens = 0;
  let trainSeconds = 0;
  let nextEvalStep = config.evalInterval > 0 ? config.evalInterval : NEVER;
  let nextSampleStep = config.sampleInterval > 0 ? config.sampleInterval : NEVER;
  let nextCheckpointStep = config.checkpointInterval > 0 ? config.checkpointInterval : NEVER;
  if (state) {
    rng.setState(state.rng);
    ({ step, tokens, trainSeconds, nextEvalStep, nextSampleStep, nextCheckpointStep } = state);
    const cut = await truncateMetrics(opts.runDir, step);
    if (cut.quarantine) log(`warning: ${cut.quarantine.lines.length} unreadable line(s) of metrics.jsonl were moved to ${cut.quarantine.path}`);
    await truncateSamples(opts.runDir, step);
    log(`resumed ${kind} from the checkpoint at step ${step}`);
  }

  const evaluate = (): number => {
    let sum = 0;
    for (const b of evalBatches) sum += engine.evalLoss(b);
    return sum / evalBatches.length;
  };
  const generate = (): LmSample[] =>
    prompts.map((prompt, index) => {
      let ids = [tokenizer.ids.bos, ...tokenizer.encode(prompt)];
      if (kind === 'sft') ids.push(tokenizer.ids.sep);
      if (ids.length >= ctx) ids = [tokenizer.ids.bos, ...ids.slice(ids.length - ctx + 2)];
      const maxNewTokens = Math.max(1, Math.min(config.sampleMaxTokens, ctx - ids.length));
      const [out] = sample(engine, [ids], {
        maxNewTokens,
        temperature: config.sampleTemperature,
        topK: config.sampleTopK,
        eosId: tokenizer.ids.eos,
        seed: opts.seed * 1_000_003 + step * 101 + index,
      });
      const gen = out!.filter((t) => t !== tokenizer.ids.eos && t !== tokenizer.ids.pad);
      return { step, index, prompt, completion: tokenizer.decodeLossy(gen) };
    });

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
    const s: LmState = {
      version: 1, kind: 'lm', algo: opts.algo, env: opts.env, seed: opts.seed, step, rng: rng.getState(), adamT: adam.t, tokens, trainSeconds, // prettier-ignore
      nextEvalStep, nextSampleStep, nextCheckpointStep, // prettier-ignore
    };
    const finite = Object.fromEntries(Object.entries(metrics).filter(([, v]) => Number.isFinite(v)));
    await saveCheckpoint(
      opts.runDir,
      { step, models: { [LM_MODEL_NAME]: lmArtifacts(engine, tokenizer) }, arrays: { 'adam.m': adam.m.slice(), 'adam.v': adam.v.slice() }, state: s, metrics: finite },
      { keepLast: config.keepCheckpoints },
    );
    events.checkpoint?.({ step });
  };

  let status: 'finished' | 'stopped' = 'finished';
  let lastMetrics: Record<string, number> = {};
  try {
    progress(true);
    if (step === 0 && !state && config.sampleInterval > 0) await appendSamples(opts.runDir, generate());
    while (step < opts.totalSteps) {
      if (opts.signal.aborted) {
        status = 'stopped';
        break;
      }
      const batch = nextBatch(rng);
      const lr = lrAt(step, config.lr, config.warmupSteps, opts.totalSteps, Math.min(config.minLr, config.lr));
      engine.seedDropout(opts.seed * 1_000_003 + step);
      engine.zeroGrad();
      const loss = engine.forwardBackward(batch, true);
      if (!Number.isFinite(loss)) throw new Error(`the loss is not finite at step ${step} (${loss}); try a lower lr`);
      const gradNorm = adam.step(engine, lr);
      step++;
      tokens += batch.B * batch.T;
      const values: Record<string, number> = {
        [LM_METRIC.loss]: loss,
        [LM_METRIC.perplexity]: Math.exp(loss),
        [LM_METRIC.learningRate]: lr,
        [LM_METRIC.gradNorm]: gradNorm,
      };
      const done = step >= opts.totalSteps;
      if (step >= nextEvalStep || (done && config.evalInterval > 0)) {
        const ev = evaluate();
        values[LM_METRIC.evalLoss] = ev;
        values[LM_METRIC.evalPerplexity] = Math.exp(ev);
        while (nextEvalStep <= step) nextEvalStep += config.evalInterval;
      }
      if (step >= nextSampleStep || (done && config.sampleInterval > 0)) {
        await appendSamples(opts.runDir, generate());
        while (nextSampleStep <= step) nextSampleStep += config.sampleInterval;
      }
      values[LM_METRIC.tokensPerSecond] = (tokens - startTokens) / Math.max(1e-9, (performance.now() - loopStart) / 1000);
      values[LM_METRIC.tokens] = tokens;
      values[LM_METRIC.elapsed] = elapsed();
      const finite = Object.fromEntries(Object.entries(values).filter(([, v]) => Number.isFinite(v)));
      writer.append(step, finite);
      events.metrics?.(step, finite);
      lastMetrics = finite;
      if (step >= nextCheckpointStep && !done) {
        while (nextCheckpointStep <= step) nextCheckpointStep += config.checkpointInterval;
        await checkpoint(finite);
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
