/**
 * The language-model API for pretraining/SFT runs and, later, RLHF and DPO:
 *   tokenizers    trainBpe / trainChar / Tokenizer (JSON round trip)
 *   model         lmConfig('tiny' | 'small', overrides), paramCount, LmEngine (forward, forwardBackward on a Batch
 *                 with a loss mask, evalLoss, zeroGrad, params/grads as flat Float32Arrays)
 *   optimiser     AdamW (step(engine, lr)), lrAt (warm-up + cosine), getFlatParams / setFlatParams
 *   RLHF / DPO    sequenceLogProb, sample (KV cache; useCache: false is the uncached reference)
 *   files         saveLm / loadLm (tfjs layout, checksummed)
 *   tfjs twin     LmTfjs / lmTfjs: the same model in tfjs ops on the engine's flat weights (gradient reference, and
 *                 the path tfjs-node-gpu accelerates)
 */
export { LM_SIZES, lmConfig, paramCount, paramLayout, validateConfig, type LmConfig, type LmSize, type ParamLayout } from './config.js';
export { LmEngine, type Batch } from './engine.js';
export { LM_KERNEL } from './matmul.js';
export { ADAMW_DEFAULTS, AdamW, getFlatParams, lrAt, setFlatParams, type AdamWConfig } from './optim.js';
export { KvCache, pickToken, sample, sequenceLogProb, type SampleOptions, type SequenceLogProb } from './generate.js';
export { LM_FORMAT, lmArtifacts, lmFromArtifacts, loadLm, saveLm } from './files.js';
export { MIN_VOCAB, SPECIALS, Tokenizer, trainBpe, trainChar, type SpecialIds, type TokenizerJson } from './tokenizer.js';
export { LmTfjs, embeddingPathFor, lmTfjs, type EmbeddingPath } from './tfjs-model.js';
