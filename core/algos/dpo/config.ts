/**
 * Configuration of DPO runs (Rafailov et al., 2023): the SFT policy trained directly on preference pairs, with the
 * SFT model itself as the frozen reference. Every field documents itself (as TRL's DPOConfig does); the same schema
 * validates CLI flags, IPC input and the launch form, and is stored with the run. Steps are optimizer steps (one
 * batch of `batchSize` pairs each).
 *
 * Ties: a tie says neither response is preferred, which the DPO loss has no target for (its label-smoothed form
 * would only pull the two log-ratios together). Tied pairs are dropped and counted in the run's log; skips never
 * reach training (readPreferences leaves them out).
 */
import { z } from 'zod';
import { TASK_IDS } from '../../tasks/index.js';

export const DPO_LOSSES = ['sigmoid', 'ipo'] as const;
export type DpoLossType = (typeof DPO_LOSSES)[number];

export const dpoConfigSchema = z
  .object({
    dataset: z
      .string()
      .default('')
      .describe(
        'Preference pairs: the id of a preference dataset of this data folder, or the absolute path of a TRL preference JSONL file ({prompt, chosen, rejected} lines). Required. Skips are left out; ties are dropped (DPO has no target for them) and counted in the log.',
      ),
    init: z
      .string()
      .default('')
      .describe('The SFT policy to start from — and the frozen reference π_SFT of the loss and of eval/kl: the id of a run whose checkpoint holds a language model (SFT, pretrain, DPO, RLHF) or the absolute path of a saved LM folder. Required.'),
    initStep: z
      .number()
      .int()
      .min(0)
      .nullable()
      .default(null)
      .describe('Checkpoint step of the init run to start from (none: its latest checkpoint).'),
    task: z
      .enum(TASK_IDS)
      .nullable()
      .default(null)
      .describe('The shipped task whose oracle scores the evaluation samples (eval/oracleScore) and whose held-out prompts they answer; none: the task the dataset names (required for a JSONL file).'),
    beta: z
      .number()
      .gt(0)
      .max(100)
      .default(0.1)
      .describe('β: strength of the implicit KL constraint to the reference. The implicit reward of a response is β·(log π(y|x) − log π_SFT(y|x)); smaller β lets the policy move further from SFT.'),
    loss: z
      .enum(DPO_LOSSES)
      .default('sigmoid')
      .describe('sigmoid: DPO\'s −log σ(β·Δ) (Δ = log-ratio of chosen minus log-ratio of rejected); ipo: IPO\'s (Δ − 1/(2β))² (Azar et al., 2023), which regresses Δ to a fixed margin instead of pushing it to infinity.'),
    labelSmoothing: z
      .number()
      .min(0)
      .lt(0.5)
      .default(0)
      .describe('Conservative DPO (sigmoid loss only): the probability ε that a label is flipped; the loss becomes −(1−ε)·log σ(βΔ) − ε·log σ(−βΔ). 0: plain DPO.'),
    holdout: z.number().gt(0).lt(1).default(0.1).describe('Fraction of the pairs held out (a split fixed by the run\'s seed) for eval/rewards/accuracies and eval/loss.'),
    batchSize: z.number().int().min(1).max(512).default(16).describe('Preference pairs per optimizer step (each step runs 2 × batchSize sequences: the chosen and the rejected responses).'),
    lr: z.number().gt(0).max(1).default(1e-4).describe('Peak learning rate of AdamW (reached after the warm-up).'),
    minLr: z.number().min(0).max(1).default(1e-5).describe('Learning rate at the end of the cosine decay.'),
    warmupSteps: z.number().int().min(0).default(10).describe('Steps of linear warm-up from 0 to lr; then cosine decay to minLr at the run\'s last step.'),
    weightDecay: z.number().min(0).max(10).default(0).describe('AdamW decoupled weight decay, on matrices only (not biases or LayerNorm).'),
    gradClip: z.number().min(0).default(1).describe('Clip the global gradient norm to this value (0: no clipping).'),
    evalInterval: z
      .number()
      .int()
      .min(0)
      .default(25)
      .describe('Evaluate every this many steps, at step 0 (the SFT origin) and at the end: eval/oracleScore and eval/kl from samples on held-out task prompts, eval/rewards/* on the held-out pairs. 0: only at step 0 and at the end.'),
    evalPrompts: z.number().int().min(1).max(1000).default(50).describe('How many of the task\'s held-out evaluation prompts (the last quarter of its prompts.jsonl, in file order) each evaluation answers.'),
    evalTemperature: z.number().min(0).max(10).default(1).describe('Sampling temperature of the evaluation samples (0 = greedy). 1 samples the policy itself, which is what eval/kl estimates KL(π‖π_SFT) of.'),
    evalMaxNewTokens: z.number().int().min(1).max(1024).default(48).describe('Most new tokens per evaluation sample (also bounded by the context).'),
    evalTopK: z.number().int().min(0).default(0).describe('Evaluation samples come from the k most likely tokens (0 = all, the unbiased setting for eval/kl).'),
    checkpointInterval: z.number().int().min(0).default(100).describe('Save a checkpoint every this many steps (and on stop and at the end); 0: only on stop and at the end. Every checkpoint holds the policy as an `lm` model, so it can be compared, sampled and used as an init.'),
    keepCheckpoints: z.number().int().min(1).default(5).describe('How many of the latest checkpoints to keep on disk (each is a point on the reward–KL frontier).'),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.labelSmoothing > 0 && c.loss !== 'sigmoid') {
      ctx.addIssue({ code: 'custom', path: ['labelSmoothing'], message: `label smoothing applies to the sigmoid loss only; got labelSmoothing ${c.labelSmoothing} with loss ${c.loss}` });
    }
    if (c.minLr > c.lr) ctx.addIssue({ code: 'custom', path: ['minLr'], message: `must be ≤ lr (${c.lr}), got ${c.minLr}` });
  });
export type DpoConfig = z.output<typeof dpoConfigSchema>;

/** DPO has no per-env presets (it trains on text). */
export const DPO_PRESETS = {};
export const DPO_PRESET_STEPS = {};
