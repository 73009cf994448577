/**
 * Config fields every algorithm shares, and how configs are validated.
 *
 * Each algorithm's `config.ts` spreads the fields it uses from `commonFields` into its own `z.object`, so a field
 * means the same thing everywhere (same name, range, description). One schema validates CLI flags, IPC input and
 * the renderer's launch form, and is stored with the run. Every field has a default and a description; a value of
 * `null` is only ever an explicit, documented "off".
 */
import { z } from 'zod';

export const commonFields = {
  numEnvs: z.number().int().min(1).max(1024).describe('Number of environment copies stepped together (one batched forward pass per vector step).'),
  hiddenSizes: z
    .array(z.number().int().min(1).max(4096))
    .min(1)
    .max(8)
    .describe('Hidden layer widths of the actor and of the critic (separate networks), e.g. [64, 64].'),
  activation: z.enum(['tanh', 'relu']).describe('Hidden-layer activation of both networks.'),
  orthoInit: z
    .boolean()
    .describe(
      'Orthogonal initialisation (CleanRL, SB3 `ortho_init`: gain √2 hidden, 0.01 policy head, 1 value head, zero biases); false: PyTorch\'s nn.Linear default, weights and biases U(±1/√fan_in), as SB3 with ortho_init=False.',
    ),
  gamma: z.number().gt(0).max(1).describe('Discount factor γ.'),
  lr: z.number().gt(0).max(1).describe('Learning rate of the optimizer (of the policy, where the critic has its own).'),
  annealLr: z.boolean().describe('Anneal the learning rate linearly from lr to 0 over the run (CleanRL `anneal_lr`, RL Zoo `lin_`).'),
  adamEps: z.number().gt(0).max(1).describe('Adam ε (PPO implementation detail: 1e-5 rather than PyTorch\'s 1e-8).'),
  maxGradNorm: z
    .number()
    .gt(0)
    .nullable()
    .describe('Clip the global L2 norm of the gradient (over every trained parameter) to this value; null: no clipping.'),
  entCoef: z.number().min(0).max(1).describe('Entropy bonus coefficient: the loss subtracts entCoef · mean entropy.'),
  normalizeObs: z.boolean().describe('Normalise observations by a running mean/std (SB3 VecNormalize), clipped to ±clipObs.'),
  clipObs: z.number().gt(0).describe('Clip normalised observations to ±clipObs.'),
  normalizeReward: z.boolean().describe('Scale rewards by the std of a discounted running return (Gymnasium NormalizeReward).'),
  clipReward: z.number().gt(0).describe('Clip scaled rewards to ±clipReward.'),
  logStdInit: z.number().min(-5).max(2).describe('Continuous actions: initial value of the state-independent log standard deviation.'),
  useSde: z
    .boolean()
    .describe(
      'Continuous actions: generalized state-dependent exploration (gSDE; SB3 `use_sde`): noise φ(s)ᵀE from the actor\'s last hidden features φ and matrices E ~ N(0, σ²) resampled every sdeSampleFreq steps, instead of independent Gaussian noise per step.',
    ),
  sdeSampleFreq: z
    .number()
    .int()
    .min(-1)
    .describe('gSDE: resample the exploration matrices every this many steps (SB3 `sde_sample_freq`); −1 or 0: only at the start of each rollout.'),
  fullStd: z.boolean().describe('gSDE: one log σ per (feature, action) pair (SB3 `full_std`); false: one per feature, shared by the actions.'),
  useExpln: z.boolean().describe('gSDE: σ = exp(L) for L ≤ 0 and log1p(L) + 1 above (SB3 `use_expln`), so σ grows slowly; false: σ = exp(L).'),
  clipActions: z.boolean().describe('Continuous actions: clip sampled actions to the action space bounds before stepping the env.'),
  evalInterval: z.number().int().min(0).describe('Run deterministic evaluation episodes every this many env steps (and at the end); 0 disables.'),
  evalEpisodes: z.number().int().min(1).max(100).describe('Evaluation episodes per evaluation (the first is saved for replay).'),
  checkpointInterval: z.number().int().min(0).describe('Save a checkpoint every this many env steps (and on stop and at the end); 0: only on stop and at the end.'),
  keepCheckpoints: z.number().int().min(1).describe('How many of the latest checkpoints to keep on disk.'),
  engine: z
    .enum(['js', 'tfjs'])
    .describe(
      'How gradients are computed: "js" = hand-written batched forward/backward over WebAssembly-SIMD matrix kernels (a 256-sample PPO minibatch step of a 64×64 actor + critic in ~1.4 ms on this 2-core machine), "tfjs" = the same losses through tfjs autodiff on the active backend (~9 ms on tfjs-wasm).',
    ),
} as const;

/** Defaults shared by every algorithm unless its config overrides them. */
export const commonDefaults = {
  hiddenSizes: [64, 64],
  activation: 'tanh',
  orthoInit: true,
  adamEps: 1e-5,
  normalizeObs: false,
  clipObs: 10,
  normalizeReward: false,
  clipReward: 10,
  logStdInit: 0,
  useSde: false,
  sdeSampleFreq: -1,
  fullStd: true,
  useExpln: false,
  clipActions: true,
  evalInterval: 25_000,
  evalEpisodes: 5,
  checkpointInterval: 50_000,
  keepCheckpoints: 3,
  engine: 'js',
} as const;

/** The network fields (hiddenSizes, activation, orthoInit) with their defaults. */
export function networkFields() {
  return {
    hiddenSizes: commonFields.hiddenSizes.default([...commonDefaults.hiddenSizes]),
    activation: commonFields.activation.default(commonDefaults.activation),
    orthoInit: commonFields.orthoInit.default(commonDefaults.orthoInit),
  };
}

/**
 * The fields after the algorithm's own: observation/reward normalisation, continuous-action handling,
 * evaluation, checkpoints and the gradient engine, with the shared defaults (overridable per algorithm).
 */
export function runFields(overrides: Partial<Record<'evalInterval' | 'checkpointInterval', number>> = {}) {
  return {
    normalizeObs: commonFields.normalizeObs.default(commonDefaults.normalizeObs),
    clipObs: commonFields.clipObs.default(commonDefaults.clipObs),
    normalizeReward: commonFields.normalizeReward.default(commonDefaults.normalizeReward),
    clipReward: commonFields.clipReward.default(commonDefaults.clipReward),
    logStdInit: commonFields.logStdInit.default(commonDefaults.logStdInit),
    clipActions: commonFields.clipActions.default(commonDefaults.clipActions),
    evalInterval: commonFields.evalInterval.default(overrides.evalInterval ?? commonDefaults.evalInterval),
    evalEpisodes: commonFields.evalEpisodes.default(commonDefaults.evalEpisodes),
    checkpointInterval: commonFields.checkpointInterval.default(overrides.checkpointInterval ?? commonDefaults.checkpointInterval),
    keepCheckpoints: commonFields.keepCheckpoints.default(commonDefaults.keepCheckpoints),
    engine: commonFields.engine.default(commonDefaults.engine),
  };
}

/**
 * gSDE's fields (PPO, A2C and TRPO; continuous actions only — a discrete env refuses useSde), SB3's names in
 * camelCase with SB3's defaults. logStdInit (in runFields) is gSDE's initial log σ too.
 */
export function sdeFields() {
  return {
    useSde: commonFields.useSde.default(commonDefaults.useSde),
    sdeSampleFreq: commonFields.sdeSampleFreq.default(commonDefaults.sdeSampleFreq),
    fullStd: commonFields.fullStd.default(commonDefaults.fullStd),
    useExpln: commonFields.useExpln.default(commonDefaults.useExpln),
  };
}

/** gSDE's part of a parsed config (absent for algorithms without gSDE). */
export interface SdeConfig {
  useSde: boolean;
  sdeSampleFreq: number;
  fullStd: boolean;
  useExpln: boolean;
}

/** Shape of the fields every algorithm's parsed config carries (the loop reads only these). */
export interface CommonConfig {
  numEnvs: number;
  hiddenSizes: number[];
  activation: 'tanh' | 'relu';
  orthoInit: boolean;
  gamma: number;
  lr: number;
  annealLr: boolean;
  normalizeObs: boolean;
  clipObs: number;
  normalizeReward: boolean;
  clipReward: number;
  logStdInit: number;
  /** gSDE (PPO, A2C, TRPO only; see sdeFields). */
  useSde?: boolean;
  sdeSampleFreq?: number;
  fullStd?: boolean;
  useExpln?: boolean;
  clipActions: boolean;
  evalInterval: number;
  evalEpisodes: number;
  checkpointInterval: number;
  keepCheckpoints: number;
  engine: 'js' | 'tfjs';
}

/** How a field is named in messages: `config.clipCoef` by default, `--clip-coef` for the CLI. */
export type FieldLabel = (path: readonly PropertyKey[]) => string;

export const configLabel =
  (prefix = 'config'): FieldLabel =>
  (path) =>
    path.length ? `${prefix}.${path.map(String).join('.')}` : prefix;

/** A zod issue as one readable line: `config.clipCoef must be ≤ 1, got 1.5`. */
export function describeIssue(issue: z.core.$ZodIssue, input: unknown, label: FieldLabel = configLabel()): string {
  const where = label(issue.path);
  const got = valueAt(input, issue.path);
  const gotText = got === undefined ? '' : `, got ${JSON.stringify(got)}`;
  switch (issue.code) {
    case 'too_small': {
      const i = issue as z.core.$ZodIssueTooSmall;
      if (i.origin === 'array') return `${where} must have at least ${String(i.minimum)} entries${gotText}`;
      return `${where} must be ${i.inclusive ? '≥' : '>'} ${String(i.minimum)}${gotText}`;
    }
    case 'too_big': {
      const i = issue as z.core.$ZodIssueTooBig;
      if (i.origin === 'array') return `${where} must have at most ${String(i.maximum)} entries${gotText}`;
      return `${where} must be ${i.inclusive ? '≤' : '<'} ${String(i.maximum)}${gotText}`;
    }
    case 'invalid_value':
      return `${where} must be one of ${(issue as z.core.$ZodIssueInvalidValue).values.map((v) => JSON.stringify(v)).join(', ')}${gotText}`;
    case 'unrecognized_keys':
      return `${where} has unknown field(s) ${(issue as z.core.$ZodIssueUnrecognizedKeys).keys.join(', ')}`;
    case 'invalid_type':
      return `${where} must be ${(issue as z.core.$ZodIssueInvalidType).expected}${gotText}`;
    case 'invalid_format':
    case 'not_multiple_of':
    default:
      return `${where}: ${issue.message}${gotText}`;
  }
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let v = input;
  for (const key of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}

/** Parses `input` with `schema`, throwing one Error that lists every problem (one line each). */
export function parseConfig<S extends z.ZodType>(schema: S, input: unknown, label: FieldLabel = configLabel()): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => describeIssue(issue, input, label));
  throw new Error(lines.join('\n'));
}
