/**
 * Configuration of the language-model runs (pretrain, SFT). They train on text, not in an environment: a run's
 * `env` is LM_ENV ('text') and the text itself is a config field — a shipped task's file (resources/tasks/<id>/) or
 * the path of the user's own file. Every field documents itself; the same schema validates CLI flags, IPC input and
 * the launch form, and is stored with the run. Steps are optimizer steps (one batch each).
 */
import { z } from 'zod';
import { LM_SIZES, lmConfig, paramCount } from '../../lm/config.js';

/** The `env` of every language-model run: they read a corpus, not an environment. */
export const LM_ENV = 'text';

const DEFAULT_VOCAB = 512;

/** "tiny: 4 layers × 128 wide, 4 heads, context 64 — 0.87M parameters at vocabulary 512". */
export function describeSize(size: keyof typeof LM_SIZES, vocabSize = DEFAULT_VOCAB): string {
  const c = lmConfig(size, { vocabSize });
  return `${size}: ${c.nLayer} layers × ${c.nEmbd} wide, ${c.nHead} heads, context ${c.ctx} — ${(paramCount(c) / 1e6).toFixed(2)}M parameters at vocabulary ${vocabSize}`;
}

const SIZE_HELP = `Model shape (named size). ${(Object.keys(LM_SIZES) as (keyof typeof LM_SIZES)[]).map((s) => describeSize(s)).join('; ')}.`;

const commonLmFields = {
  size: z.enum(['tiny', 'small']).default('tiny').describe(SIZE_HELP),
  tokenizer: z
    .enum(['bpe', 'char'])
    .default('bpe')
    .describe('Tokenizer learned from the training text: byte-level BPE, or characters (bytes plus the most frequent non-ASCII characters). Saved with the model.'),
  vocabSize: z
    .number()
    .int()
    .min(260)
    .max(8192)
    .default(DEFAULT_VOCAB)
    .describe('Vocabulary size: 256 bytes + 4 special tokens (BOS, EOS, PAD, SEP) + learned merges or characters. Also the model\'s embedding rows.'),
  dropout: z.number().min(0).lt(1).default(0).describe('Dropout on the embeddings and each residual branch (training only).'),
  batchSize: z.number().int().min(1).max(1024).default(16).describe('Sequences per optimizer step.'),
  lr: z.number().gt(0).max(1).default(2e-3).describe('Peak learning rate of AdamW (reached after the warm-up).'),
  minLr: z.number().min(0).max(1).default(1e-4).describe('Learning rate at the end of the cosine decay (held after it).'),
  warmupSteps: z.number().int().min(0).default(20).describe('Steps of linear warm-up from 0 to lr; then cosine decay to minLr at the run\'s last step.'),
  weightDecay: z.number().min(0).max(10).default(0.1).describe('AdamW decoupled weight decay, on matrices only (not biases or LayerNorm).'),
  gradClip: z.number().min(0).default(1).describe('Clip the global gradient norm to this value (0: no clipping).'),
  holdout: z.number().gt(0).lt(1).default(0.1).describe('Fraction of the documents (pretrain) or examples (SFT), taken from the end, held out for eval/loss.'),
  evalInterval: z.number().int().min(0).default(50).describe('Compute eval/loss on the held-out text every this many steps (and at the end); 0 disables.'),
  evalBatches: z.number().int().min(1).max(100).default(4).describe('Batches of held-out text per evaluation (always the same ones).'),
  sampleInterval: z.number().int().min(0).default(100).describe('Generate samples every this many steps (and at the end), stored with the run (the Samples tab); 0 disables.'),
  numSamples: z.number().int().min(1).max(32).default(4).describe('Prompts sampled each time (the same prompts every time, so checkpoints compare).'),
  sampleMaxTokens: z.number().int().min(1).max(1024).default(48).describe('Most new tokens per sample (also bounded by the context).'),
  sampleTemperature: z.number().min(0).max(10).default(0.8).describe('Sampling temperature (0 = greedy).'),
  sampleTopK: z.number().int().min(0).default(40).describe('Sample from the k most likely tokens (0 = all).'),
  checkpointInterval: z.number().int().min(0).default(200).describe('Save a checkpoint every this many steps (and on stop and at the end); 0: only on stop and at the end.'),
  keepCheckpoints: z.number().int().min(1).default(3).describe('How many of the latest checkpoints to keep on disk.'),
};

export const pretrainConfigSchema = z
  .object({
    corpus: z
      .string()
      .min(1)
      .default('sentiment')
      .describe(
        'The text to learn: a shipped task id (sentiment, arithmetic: resources/tasks/<id>/corpus.txt) or the absolute path of a UTF-8 text file. Documents are separated by blank lines (else one per line).',
      ),
    ...commonLmFields,
  })
  .strict();
export type PretrainConfig = z.output<typeof pretrainConfigSchema>;

export const sftConfigSchema = z
  .object({
    data: z
      .string()
      .min(1)
      .default('sentiment')
      .describe(
        'Prompt → response pairs: a shipped task id (sentiment, arithmetic: resources/tasks/<id>/sft.jsonl) or the absolute path of a JSONL file with {prompt, completion} lines or TRL conversational {messages: [{role, content}…]} lines (the last assistant message is the response). Loss on response tokens only.',
      ),
    init: z
      .string()
      .default('')
      .describe(
        'Start from a trained model: the id of a pretrain/SFT run (its latest checkpoint) or the path of a saved LM folder; its shape and tokenizer are used (size, tokenizer, vocabSize, dropout ignored). Empty: a fresh model.',
      ),
    ...commonLmFields,
    lr: commonLmFields.lr.default(1e-3),
  })
  .strict();
export type SftConfig = z.output<typeof sftConfigSchema>;

export type LmRunConfig = PretrainConfig | SftConfig;
export type LmRunKind = 'pretrain' | 'sft';

/** Presets are per env id and these runs have none: the named size is the `size` field (its help lists the parameter counts). */
export const LM_PRESETS = {};
export const LM_PRESET_STEPS = {};
