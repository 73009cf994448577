/**
 * The algorithms PolicyLab trains, in the order the seed derives them: REINFORCE → A2C → PPO (and TRPO, PPO's
 * predecessor with a hard trust region), and APG (analytic policy gradients through the differentiable envs, with its
 * own loop). Each entry pairs a config schema (zod: defaults + a description per field) with its per-env presets and
 * its implementation. The same schema validates CLI flags and IPC input, and
 * `describe()` serialises it (JSON Schema) for the app's launch form.
 */
import { z } from 'zod';
import { configLabel, parseConfig, type FieldLabel } from './config-common.js';
import { a2c } from './a2c/a2c.js';
import { a2cConfigSchema, type A2cConfig } from './a2c/config.js';
import { A2C_PRESET_STEPS, A2C_PRESETS } from './a2c/presets.js';
import { apgConfigSchema, type ApgConfig } from './apg/config.js';
import { ddppoConfigSchema, type DdppoConfig } from './ddppo/config.js';
import { DPO_PRESET_STEPS, DPO_PRESETS, dpoConfigSchema, type DpoConfig } from './dpo/config.js';
import { DDPPO_PRESET_STEPS, DDPPO_PRESETS } from './ddppo/presets.js';
import { APG_PRESET_STEPS, APG_PRESETS } from './apg/presets.js';
import { trainApg } from './apg/train.js';
import { LM_ENV, LM_PRESET_STEPS, LM_PRESETS, pretrainConfigSchema, sftConfigSchema, type PretrainConfig, type SftConfig } from './lm/config.js';
import type { TrainResult, TrainRunOptions } from './loop.js';
import { ppoConfigSchema, type PpoConfig } from './ppo/config.js';
import { ppo } from './ppo/ppo.js';
import { PPO_PRESET_STEPS, PPO_PRESETS } from './ppo/presets.js';
import { RLHF_PPO_PRESET_STEPS, RLHF_PPO_PRESETS, rlhfPpoConfigSchema, type RlhfPpoConfig } from './rlhf-ppo/config.js';
import { reinforceConfigSchema, type ReinforceConfig } from './reinforce/config.js';
import { REINFORCE_PRESET_STEPS, REINFORCE_PRESETS } from './reinforce/presets.js';
import { reinforce } from './reinforce/reinforce.js';
import { REWARD_MODEL_DEFAULT_STEPS, REWARD_MODEL_PRESET_STEPS, REWARD_MODEL_PRESETS, rewardModelConfigSchema, type RewardModelConfig } from './reward-model/config.js';
import { trpoConfigSchema, type TrpoConfig } from './trpo/config.js';
import { TRPO_PRESET_STEPS, TRPO_PRESETS } from './trpo/presets.js';
import { trpo } from './trpo/trpo.js';
import type { AlgorithmImpl } from './types.js';

export const ALGO_IDS = ['reinforce', 'a2c', 'ppo', 'trpo', 'ddppo', 'apg', 'pretrain', 'sft', 'reward-model', 'dpo', 'rlhf-ppo'] as const;
export type AlgoId = (typeof ALGO_IDS)[number];
/** The algorithms that train over the shared loop (core/algos/loop.ts: collect → targets → update). */
export const LOOP_ALGO_IDS = ['reinforce', 'a2c', 'ppo', 'trpo'] as const satisfies readonly AlgoId[];
export type LoopAlgoId = (typeof LOOP_ALGO_IDS)[number];

export interface AlgoConfigs {
  reinforce: ReinforceConfig;
  a2c: A2cConfig;
  ppo: PpoConfig;
  trpo: TrpoConfig;
  ddppo: DdppoConfig;
  apg: ApgConfig;
  pretrain: PretrainConfig;
  sft: SftConfig;
  'reward-model': RewardModelConfig;
  dpo: DpoConfig;
  'rlhf-ppo': RlhfPpoConfig;
}
export type AlgoConfig = AlgoConfigs[AlgoId];

/** JSON-serialisable description (the shape `algos:describe` sends to the renderer). */
export interface AlgoDescription {
  id: AlgoId;
  title: string;
  description: string;
  /** JSON Schema of the config (input side: every field optional with its default). */
  configSchema: Record<string, unknown>;
  /** Config values per preset name (an env id). */
  presets: Record<string, Record<string, unknown>>;
  /** Run length each preset was tuned for (the RL Zoo's n_timesteps). */
  presetTotalSteps: Record<string, number>;
  /** Run length without a preset. */
  defaultTotalSteps: number;
  /** The envs it can train on (null: every registered env). */
  envs: string[] | null;
}

interface AlgoSpecBase<C> {
  id: AlgoId;
  title: string;
  description: string;
  configSchema: z.ZodType<C>;
  presets: Record<string, Partial<C>>;
  presetTotalSteps: Record<string, number>;
  defaultTotalSteps: number;
  /** The envs it can train on (null: every registered env). */
  envs: readonly string[] | null;
  describe(): AlgoDescription;
}

/** An algorithm over the shared loop: it supplies the per-algorithm half (types.ts). */
export interface LoopAlgoSpec<C> extends AlgoSpecBase<C> {
  impl: AlgorithmImpl<C>;
  train?: undefined;
}

/** An algorithm whose training does not fit collect → update (APG differentiates through its rollouts): trainRun hands the run to `train`. */
export interface OwnLoopAlgoSpec<C> extends AlgoSpecBase<C> {
  impl?: undefined;
  train(opts: TrainRunOptions): Promise<TrainResult>;
}

export type AlgoSpec<C> = LoopAlgoSpec<C> | OwnLoopAlgoSpec<C>;

function spec<C, S extends AlgoSpec<C>>(s: Omit<S, 'describe'> & { configSchema: z.ZodType<C> }): S {
  return {
    ...s,
    describe: () => ({
      id: s.id,
      title: s.title,
      description: s.description,
      configSchema: z.toJSONSchema(s.configSchema, { io: 'input' }) as Record<string, unknown>,
      presets: structuredClone(s.presets) as Record<string, Record<string, unknown>>,
      presetTotalSteps: { ...s.presetTotalSteps },
      defaultTotalSteps: s.defaultTotalSteps,
      envs: s.envs ? [...s.envs] : null,
    }),
  } as S;
}

export const ALGOS: { [K in LoopAlgoId]: LoopAlgoSpec<AlgoConfigs[K]> } & {
  ddppo: OwnLoopAlgoSpec<DdppoConfig>;
  apg: OwnLoopAlgoSpec<ApgConfig>;
  pretrain: OwnLoopAlgoSpec<PretrainConfig>;
  sft: OwnLoopAlgoSpec<SftConfig>;
  'reward-model': OwnLoopAlgoSpec<RewardModelConfig>;
  dpo: OwnLoopAlgoSpec<DpoConfig>;
  'rlhf-ppo': OwnLoopAlgoSpec<RlhfPpoConfig>;
} = {
  reinforce: spec<ReinforceConfig, LoopAlgoSpec<ReinforceConfig>>({
    id: 'reinforce',
    title: 'REINFORCE',
    description:
      'Monte-Carlo policy gradient (Williams, 1992): N complete episodes per update, weighted by the total return or the reward-to-go, optionally minus a learned baseline; used once, then discarded.',
    configSchema: reinforceConfigSchema,
    presets: REINFORCE_PRESETS,
    presetTotalSteps: REINFORCE_PRESET_STEPS,
    defaultTotalSteps: 300_000,
    envs: null,
    impl: reinforce,
  }),
  a2c: spec<A2cConfig, LoopAlgoSpec<A2cConfig>>({
    id: 'a2c',
    title: 'A2C',
    description:
      'Advantage actor-critic (synchronous A3C): short rollouts from parallel envs, n-step or GAE(λ) advantages, one shared actor+critic gradient step per rollout (RMSprop, as Stable-Baselines3).',
    configSchema: a2cConfigSchema,
    presets: A2C_PRESETS,
    presetTotalSteps: A2C_PRESET_STEPS,
    defaultTotalSteps: 500_000,
    envs: null,
    impl: a2c,
  }),
  ppo: spec<PpoConfig, LoopAlgoSpec<PpoConfig>>({
    id: 'ppo',
    title: 'PPO',
    description:
      'Proximal Policy Optimization with the clipped surrogate (Schulman et al., 2017) and the core implementation details of CleanRL: GAE, minibatch epochs, advantage normalisation, value clipping, entropy bonus, gradient clipping, LR annealing, optional target-KL stop.',
    configSchema: ppoConfigSchema,
    presets: PPO_PRESETS,
    presetTotalSteps: PPO_PRESET_STEPS,
    defaultTotalSteps: 500_000,
    envs: null,
    impl: ppo,
  }),
  trpo: spec<TrpoConfig, LoopAlgoSpec<TrpoConfig>>({
    id: 'trpo',
    title: 'TRPO',
    description:
      'Trust Region Policy Optimization (Schulman et al., 2015): natural-gradient step by conjugate gradient on Fisher-vector products, backtracking line search enforcing KL ≤ δ and surrogate improvement, critic fitted separately.',
    configSchema: trpoConfigSchema,
    presets: TRPO_PRESETS,
    presetTotalSteps: TRPO_PRESET_STEPS,
    defaultTotalSteps: 500_000,
    envs: null,
    impl: trpo,
  }),
  // DD-PPO's workers are threads of the training process (or processes joining through Redis): core/algos/ddppo.
  ddppo: spec<DdppoConfig, OwnLoopAlgoSpec<DdppoConfig>>({
    id: 'ddppo',
    title: 'DD-PPO',
    description:
      'Decentralized distributed PPO (Wijmans et al., 2020): N workers each collect a rollout with their own envs and a policy replica, average PPO gradients by all-reduce before an identical Adam step (no parameter server), and cut stragglers’ rollouts once syncFraction of the workers are done. Workers are threads of the training process (transport local) or `policylab ddppo-worker` processes on any machines (transport redis).',
    configSchema: ddppoConfigSchema,
    presets: DDPPO_PRESETS,
    presetTotalSteps: DDPPO_PRESET_STEPS,
    defaultTotalSteps: 500_000,
    envs: null,
    train: async (opts) => (await import('./ddppo/train.js')).trainDdppo(opts),
  }),
  apg: spec<ApgConfig, OwnLoopAlgoSpec<ApgConfig>>({
    id: 'apg',
    title: 'APG',
    description:
      'Analytic policy gradients (as Brax APG, with SHAC\'s optional critic bootstrap): the return of 32-step windows differentiated through the environment itself — reward, dynamics, tanh-squashed reparameterised actions — by hand-written adjoints; gradients stop between windows; Adam, clipping, non-finite updates skipped. Differentiable envs only: Pendulum-v1, MountainCarContinuous-v0.',
    configSchema: apgConfigSchema,
    presets: APG_PRESETS,
    presetTotalSteps: APG_PRESET_STEPS,
    defaultTotalSteps: 50_000,
    envs: ['Pendulum-v1', 'MountainCarContinuous-v0'],
    train: (opts) => trainApg(opts),
  }),
  // Language-model runs (core/algos/lm): they read text (env 'text'), not an environment; the engine is loaded on
  // first use, so the app's main process (which describes these) never loads it.
  pretrain: spec<PretrainConfig, OwnLoopAlgoSpec<PretrainConfig>>({
    id: 'pretrain',
    title: 'LM pretrain',
    description:
      'Language-model pretraining: next-token prediction on plain text (a shipped task corpus or your own file) with the decoder-only transformer of core/lm (named sizes tiny/small), a BPE or character tokenizer learned from the text, AdamW with warm-up and cosine decay, eval/loss on held-out text and sample generations stored with the run (Samples tab). Steps are optimizer steps.',
    configSchema: pretrainConfigSchema,
    presets: LM_PRESETS,
    presetTotalSteps: LM_PRESET_STEPS,
    defaultTotalSteps: 2_000,
    envs: [LM_ENV],
    train: async (opts) => (await import('./lm/train.js')).trainLm('pretrain', opts),
  }),
  sft: spec<SftConfig, OwnLoopAlgoSpec<SftConfig>>({
    id: 'sft',
    title: 'LM SFT',
    description:
      'Supervised fine-tuning of a language model on prompt → response pairs (JSONL {prompt, completion} or TRL conversational messages; a shipped task or your own file), loss on the response tokens only, optionally starting from a pretrain run\'s checkpoint; same schedule, evaluation, samples and checkpoints as pretraining.',
    configSchema: sftConfigSchema,
    presets: LM_PRESETS,
    presetTotalSteps: LM_PRESET_STEPS,
    defaultTotalSteps: 2_000,
    envs: [LM_ENV],
    train: async (opts) => (await import('./lm/train.js')).trainLm('sft', opts),
  }),
  // Preference learning (core/algos/reward-model): the SFT model plus a scalar head, on a preference dataset.
  'reward-model': spec<RewardModelConfig, OwnLoopAlgoSpec<RewardModelConfig>>({
    id: 'reward-model',
    title: 'Reward model',
    description:
      'Bradley–Terry reward model (as TRL\'s RewardTrainer): the SFT transformer with a scalar head on the last response token, trained on a preference dataset (or a TRL JSONL file) with −log σ(r(x, y_w) − r(x, y_l)); ties train towards ½, skips are left out, optional reward centring; held-out accuracy, margin, reward range and the Spearman correlation with the task oracle. Its checkpoints are what RLHF-PPO optimises against.',
    configSchema: rewardModelConfigSchema,
    presets: REWARD_MODEL_PRESETS,
    presetTotalSteps: REWARD_MODEL_PRESET_STEPS,
    defaultTotalSteps: REWARD_MODEL_DEFAULT_STEPS,
    envs: [LM_ENV],
    train: async (opts) => (await import('./reward-model/train.js')).trainRewardModel(opts),
  }),
  // DPO (core/algos/dpo): the SFT policy trained on preference pairs directly, the SFT model as frozen reference.
  dpo: spec<DpoConfig, OwnLoopAlgoSpec<DpoConfig>>({
    id: 'dpo',
    title: 'DPO',
    description:
      'Direct Preference Optimization (Rafailov et al., 2023; as TRL\'s DPOTrainer): the SFT policy trained on a preference dataset (or a TRL JSONL file) with −log σ(β·[log π/π_SFT(y_w) − log π/π_SFT(y_l)]), no reward model and no sampling during training; reference log-probs computed once and cached with the run; conservative-DPO label smoothing and the IPO loss as options; ties dropped. TRL\'s rewards/* and logps/* metrics, plus eval/oracleScore and eval/kl (KL to SFT) on held-out task prompts from step 0.',
    configSchema: dpoConfigSchema,
    presets: DPO_PRESETS,
    presetTotalSteps: DPO_PRESET_STEPS,
    defaultTotalSteps: 200,
    envs: [LM_ENV],
    train: async (opts) => (await import('./dpo/train.js')).trainDpo(opts),
  }),
  // RLHF (core/algos/rlhf-ppo): PPO on the SFT policy against a reward-model run, KL-penalised to the frozen SFT policy.
  'rlhf-ppo': spec<RlhfPpoConfig, OwnLoopAlgoSpec<RlhfPpoConfig>>({
    id: 'rlhf-ppo',
    title: 'RLHF (PPO)',
    description:
      'RLHF with PPO (Ziegler et al. 2019; as TRL\'s PPOTrainer): responses sampled from the policy on the task\'s prompts, rewarded by a reward-model run\'s r_φ(x, y) at the last token minus a per-token KL penalty β·(log π − log π_SFT) to the frozen SFT policy (fixed or adaptive β), a value head on the shared trunk, GAE over tokens, whitened advantages, clipped policy and value losses over several epochs per batch; eval/oracleScore and eval/kl on held-out prompts. rewardModel "oracle" uses the task\'s true reward instead (a synthetic ablation). A step is one PPO iteration.',
    configSchema: rlhfPpoConfigSchema,
    presets: RLHF_PPO_PRESETS,
    presetTotalSteps: RLHF_PPO_PRESET_STEPS,
    defaultTotalSteps: 200,
    envs: [LM_ENV],
    train: async (opts) => (await import('./rlhf-ppo/train.js')).trainRlhfPpo(opts),
  }),
};

export function isAlgoId(id: unknown): id is AlgoId {
  return typeof id === 'string' && (ALGO_IDS as readonly string[]).includes(id);
}

export function algoSpec(id: string): AlgoSpec<AlgoConfig> {
  if (!isAlgoId(id)) throw new Error(`unknown algorithm ${JSON.stringify(id)}; valid: ${ALGO_IDS.join(', ')}`);
  return ALGOS[id] as unknown as AlgoSpec<AlgoConfig>;
}

/** Every algorithm's description, in ALGO_IDS order. */
export function describeAlgos(): AlgoDescription[] {
  return ALGO_IDS.map((id) => ALGOS[id].describe());
}

export interface ResolvedConfig {
  config: AlgoConfig;
  /** The preset applied (null: none). */
  preset: string | null;
  /** Run length: explicit, else the preset's, else the algorithm's default. */
  totalSteps: number;
}

/**
 * Defaults ← preset ← overrides, validated. `preset`: an env id / preset name, 'none' for the plain defaults, or
 * undefined for the env's own preset when there is one (as the RL Zoo picks hyperparameters by env id).
 */
export function resolveConfig(
  algo: string,
  env: string,
  options: { preset?: string; overrides?: Record<string, unknown>; totalSteps?: number; label?: FieldLabel } = {},
): ResolvedConfig {
  const s = algoSpec(algo);
  if (s.envs && !s.envs.includes(env)) throw new Error(`${s.title} cannot train on ${JSON.stringify(env)}; it trains on ${s.envs.join(', ')}`);
  let preset: string | null;
  // Own keys only: `in` would accept inherited names such as __proto__ or toString as presets.
  if (options.preset === undefined) preset = Object.hasOwn(s.presets, env) ? env : null;
  else if (options.preset === 'none') preset = null;
  else if (Object.hasOwn(s.presets, options.preset)) preset = options.preset;
  else {
    const names = Object.keys(s.presets);
    throw new Error(`${s.title} has no preset ${JSON.stringify(options.preset)}; presets: ${[...names, 'none'].join(', ')}`);
  }
  const input = { ...(preset ? s.presets[preset] : {}), ...(options.overrides ?? {}) };
  const config = parseConfig(s.configSchema, input, options.label ?? configLabel());
  const totalSteps = options.totalSteps ?? (preset ? s.presetTotalSteps[preset] : undefined) ?? s.defaultTotalSteps;
  if (!Number.isInteger(totalSteps) || totalSteps < 1) throw new Error(`totalSteps must be a positive integer, got ${totalSteps}`);
  return { config, preset, totalSteps };
}
