/**
 * Configuration of the RLHF runs (`rlhf-ppo`): PPO on a language-model policy started from an SFT run, rewarded by a
 * reward-model run's r_φ(x, y) (or, as a synthetic upper-bound ablation, the task's own oracle) minus a per-token KL
 * penalty to the frozen SFT policy. Like the other language-model runs they read text, not an environment (env
 * LM_ENV = 'text'). Every field documents itself; the same schema validates CLI flags, IPC input and the launch
 * form, and is stored with the run.
 *
 * A step is one PPO iteration: `rolloutPrompts` responses sampled from the current policy, scored, and trained on
 * for `ppoEpochs` epochs of `miniBatches` minibatches (so ppoEpochs · miniBatches optimizer steps per run step).
 * Names follow TRL's PPOConfig where one exists (kl_coef, gamma, lam, cliprange, cliprange_value, vf_coef,
 * whiten_rewards → whitenAdvantages, num_ppo_epochs → ppoEpochs, num_mini_batches → miniBatches).
 */
import { z } from 'zod';
import { TASK_IDS } from '../../tasks/index.js';

/** The `rewardModel` value that scores with the task's true reward instead of a learned r_φ (synthetic: an ablation). */
export const ORACLE_REWARD = 'oracle';

const stepField = (what: string): z.ZodDefault<z.ZodNullable<z.ZodNumber>> =>
  z.number().int().min(0).nullable().default(null).describe(`Which checkpoint of ${what} to use: its step, or null for the latest.`);

export const rlhfPpoConfigSchema = z
  .object({
    init: z
      .string()
      .default('')
      .describe(
        'The SFT policy to start from — also the frozen reference π_SFT of the KL penalty: an SFT (or pretrain, RLHF, DPO) run id of this data folder, or the absolute path of a saved LM folder. Required.',
      ),
    initStep: stepField('the init run'),
    rewardModel: z
      .string()
      .default('')
      .describe(
        `The reward r_φ(x, y) added at each response's last token: a reward-model run id of this data folder. "${ORACLE_REWARD}": the task's true reward instead (synthetic — the upper-bound ablation with a perfect reward model; logged as such). Required.`,
      ),
    rewardModelStep: stepField('the reward-model run'),
    task: z
      .enum(TASK_IDS)
      .default('sentiment')
      .describe('The shipped task whose prompts are used (its training prompts for rollouts, its held-out prompts for evaluation) and whose oracle scores eval/oracleScore.'),
    rolloutPrompts: z.number().int().min(2).max(512).default(32).describe('Responses sampled per PPO iteration (one per prompt, prompts drawn from the task\'s training prompts).'),
    miniBatches: z.number().int().min(1).max(256).default(4).describe('Minibatches per PPO epoch: the iteration\'s responses are shuffled and split into this many (TRL num_mini_batches).'),
    ppoEpochs: z.number().int().min(1).max(64).default(4).describe('Passes over each iteration\'s responses (TRL num_ppo_epochs).'),
    lr: z.number().gt(0).max(1).default(1e-4).describe('Learning rate of AdamW on the policy and its value head (after the warm-up; then constant).'),
    valueHeadLr: z
      .number()
      .gt(0)
      .max(1)
      .nullable()
      .default(3e-3)
      .describe('Learning rate of the value head, which starts from scratch while the trunk is the SFT policy (so it needs a larger rate to track the returns); null: lr. The shared trunk gets the value loss\'s gradient at lr.'),
    warmupSteps: z.number().int().min(0).default(0).describe('PPO iterations of linear learning-rate warm-up from 0 to lr.'),
    weightDecay: z.number().min(0).max(10).default(0).describe('AdamW decoupled weight decay, on matrices only (not biases or LayerNorm).'),
    gradClip: z.number().min(0).default(1).describe('Clip the global gradient norm of policy and value head together to this value (0: no clipping).'),
    klCoef: z.number().min(0).max(100).default(0.05).describe('β of the per-token KL penalty −β·(log π_old − log π_SFT) (TRL kl_coef); the initial β when adaptiveKl is on.'),
    adaptiveKl: z
      .boolean()
      .default(false)
      .describe('Adapt β towards targetKl after every iteration (Ziegler et al. 2019): e = clip(KL/targetKl − 1, −0.2, 0.2), β ← β·(1 + e·n/klHorizon), n = responses per iteration, KL = the iteration\'s objective/kl.'),
    targetKl: z.number().gt(0).default(6).describe('Adaptive β: the KL (nats per response, objective/kl) the controller steers towards.'),
    klHorizon: z.number().gt(0).default(10_000).describe('Adaptive β: the controller\'s horizon in responses (larger: slower changes).'),
    gamma: z.number().min(0).max(1).default(1).describe('Discount over response tokens (TRL gamma).'),
    lam: z.number().min(0).max(1).default(0.95).describe('GAE λ over response tokens (TRL lam).'),
    clipRange: z.number().gt(0).max(10).default(0.2).describe('PPO ratio clip ε (TRL cliprange).'),
    clipRangeValue: z.number().gt(0).max(100).default(0.2).describe('Value clip: the new value may move at most this far from the rollout\'s value (TRL cliprange_value).'),
    vfCoef: z.number().min(0).max(100).default(0.1).describe('Weight of the value loss ½·mean(max((V − R)², (V_clipped − R)²)) (TRL vf_coef).'),
    whitenAdvantages: z.boolean().default(true).describe('Whiten the advantages over all response tokens of the iteration (mean 0, std 1) before the epochs.'),
    temperature: z
      .number()
      .gt(0)
      .max(10)
      .default(1)
      .describe('Sampling temperature of rollouts and evaluation; log-probabilities of policy and reference are taken at this temperature too (as TRL does).'),
    topK: z.number().int().min(0).default(0).describe('Sample from the k most likely tokens (0 = all). With k > 0 the ratios still use the full softmax (as TRL does).'),
    maxNewTokens: z.number().int().min(1).max(1024).default(32).describe('Most tokens per response (also bounded by the context); a response ends earlier at EOS.'),
    evalInterval: z
      .number()
      .int()
      .min(0)
      .default(10)
      .describe('Evaluate on the task\'s held-out prompts (eval/oracleScore, eval/kl to the SFT policy, eval/rewardModelScore) at step 0, every this many iterations and at the end; 0: only at step 0 and the end.'),
    evalPrompts: z.number().int().min(1).max(1000).default(50).describe('How many of the held-out prompts each evaluation samples (the same ones, with the same seed, every time; stored as the run\'s samples).'),
    checkpointInterval: z.number().int().min(0).default(20).describe('Save a checkpoint every this many iterations (and on stop and at the end); 0: only on stop and at the end.'),
    keepCheckpoints: z.number().int().min(1).default(3).describe('How many of the latest checkpoints to keep on disk.'),
  })
  .strict();

export type RlhfPpoConfig = z.output<typeof rlhfPpoConfigSchema>;

/** No env presets (these runs read text): their defaults are the preset. */
export const RLHF_PPO_PRESETS = {};
export const RLHF_PPO_PRESET_STEPS = {};
