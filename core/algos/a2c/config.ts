/**
 * A2C's configuration (Mnih et al., 2016, "Asynchronous Methods for Deep RL", synchronous variant), with the
 * defaults of Stable-Baselines3's `A2C` (5-step rollouts, RMSprop α = 0.99, ε = 1e-5, lr 7e-4, one update per rollout).
 */
import { z } from 'zod';
import { commonFields, networkFields, runFields, sdeFields } from '../config-common.js';

export const a2cConfigSchema = z
  .object({
    numEnvs: commonFields.numEnvs.default(8),
    numSteps: z.number().int().min(1).max(100_000).default(5).describe('Steps per env per rollout; each rollout gives one gradient step.'),
    ...networkFields(),
    lr: commonFields.lr.default(7e-4),
    annealLr: commonFields.annealLr.default(false),
    optimizer: z.enum(['rmsprop', 'adam']).default('rmsprop').describe('Optimizer of the shared update (SB3 A2C: RMSprop).'),
    rmsAlpha: z.number().gt(0).lt(1).default(0.99).describe('RMSprop smoothing constant α of the squared-gradient average.'),
    optimEps: z.number().gt(0).max(1).default(1e-5).describe('ε of RMSprop (or Adam) added to the denominator.'),
    gamma: commonFields.gamma.default(0.99),
    advantage: z
      .enum(['gae', 'nStep'])
      .default('gae')
      .describe('Advantage estimator: GAE(λ) (λ = 1 bootstraps at the rollout end, as SB3), or n-step returns minus V(s).'),
    gaeLambda: z.number().min(0).max(1).default(1).describe('λ of GAE when advantage = "gae".'),
    nStep: z.number().int().min(1).default(5).describe('n of the n-step returns when advantage = "nStep" (cut at the rollout end).'),
    normAdv: z.boolean().default(false).describe('Normalise advantages over the rollout to zero mean and unit std.'),
    entCoef: commonFields.entCoef.default(0),
    vfCoef: z.number().min(0).max(100).default(0.5).describe('Value-loss coefficient in the shared loss pgLoss + vfCoef·valueLoss − entCoef·entropy.'),
    maxGradNorm: commonFields.maxGradNorm.default(0.5),
    ...runFields(),
    ...sdeFields(),
  })
  .strict();

export type A2cConfig = z.output<typeof a2cConfigSchema>;
