/**
 * Configuration of the reward-model run (`reward-model`): the SFT transformer with a scalar head on the last
 * response token, trained on a preference dataset with the Bradley–Terry loss (TRL's RewardTrainer). Like the LM
 * runs it trains on text (env 'text'); the data is a preference dataset of this data folder or a TRL JSONL file, the
 * trunk comes from an SFT run. Every field documents itself; steps are optimizer steps (one batch of pairs each).
 */
import { z } from 'zod';
import { TASK_IDS } from '../../tasks/index.js';

export const rewardModelConfigSchema = z
  .object({
    dataset: z
      .string()
      .default('')
      .describe(
        'The labelled pairs to learn from: a preference dataset id of this data folder (its a/b labels; ties train towards 0.5, skips are left out) or the absolute path of a TRL preference JSONL file ({prompt, chosen, rejected} or conversational). Required.',
      ),
    init: z
      .string()
      .default('')
      .describe(
        'The language model the reward model starts from (its trunk; the scalar head is new): the id of an SFT (or any LM-holding) run in this data folder or the absolute path of a saved LM folder. Required.',
      ),
    initStep: z
      .number()
      .int()
      .min(0)
      .nullable()
      .default(null)
      .describe('The checkpoint step of the init run to start from; null: its latest checkpoint.'),
    task: z
      .enum(TASK_IDS)
      .nullable()
      .default(null)
      .describe(
        'The shipped task whose oracle scores the held-out responses for eval/oracleCorrelation; null: the dataset\'s own task (none for a JSONL file, then the correlation is not measured).',
      ),
    pooling: z
      .enum(['last', 'sum'])
      .default('last')
      .describe(
        "Where the scalar head reads the trunk: 'last' — on the last response token (TRL's reward model, the usual choice); 'sum' — w·h summed over every response token plus one bias (a per-token reward, additive like a lexicon score). Saved with the model: RLHF scores the same way.",
      ),
    holdout: z
      .number()
      .gt(0)
      .lt(1)
      .default(0.1)
      .describe('Fraction of the pairs held out for the eval/* metrics, chosen at random by the run\'s seed (the same seed holds out the same pairs).'),
    batchSize: z
      .number()
      .int()
      .min(1)
      .max(256)
      .default(16)
      .describe('Pairs per optimizer step (each pair is two sequences, chosen and rejected, scored in one forward pass).'),
    lr: z.number().gt(0).max(1).default(2e-3).describe('Peak learning rate of AdamW (reached after the warm-up), for the trunk and the head (2e-3: what the learning test and the bench measured, on the 2-layer sentiment SFT fixture).'),
    minLr: z.number().min(0).max(1).default(2e-4).describe('Learning rate at the end of the cosine decay (held after it).'),
    warmupSteps: z.number().int().min(0).default(10).describe('Steps of linear warm-up from 0 to lr; then cosine decay to minLr at the run\'s last step.'),
    weightDecay: z.number().min(0).max(10).default(0).describe('AdamW decoupled weight decay, on matrices only (the head\'s w, not its bias); TRL\'s default is 0.'),
    gradClip: z
      .number()
      .min(0)
      .default(1)
      .describe('Clip the global gradient norm of trunk and head together (one norm over both) to this value (0: no clipping).'),
    centerRewardsCoefficient: z
      .number()
      .min(0)
      .nullable()
      .default(null)
      .describe(
        'TRL\'s center_rewards_coefficient: adds c · mean over pairs of (r_chosen + r_rejected)², which pulls rewards towards zero mean (Eisenstein et al., 2023); null or 0: off.',
      ),
    evalInterval: z
      .number()
      .int()
      .min(0)
      .default(25)
      .describe('Score every held-out pair (eval/accuracy, eval/margin, eval/*_reward, eval/oracleCorrelation) at step 0, every this many steps and at the end; 0: at step 0 and the end only.'),
    checkpointInterval: z
      .number()
      .int()
      .min(0)
      .default(100)
      .describe('Save a checkpoint (trunk as an LM, the head, AdamW state) every this many steps (and on stop and at the end); 0: only on stop and at the end.'),
    keepCheckpoints: z.number().int().min(1).default(3).describe('How many of the latest checkpoints to keep on disk.'),
  })
  .strict();
export type RewardModelConfig = z.output<typeof rewardModelConfigSchema>;

/** No per-env presets (it trains on text). */
export const REWARD_MODEL_PRESETS = {};
export const REWARD_MODEL_PRESET_STEPS = {};
/** Run length without a preset: a few passes over a few hundred pairs at batch 16. */
export const REWARD_MODEL_DEFAULT_STEPS = 300;
