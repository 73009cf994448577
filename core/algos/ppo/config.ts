/**
 * PPO's configuration (Schulman et al., 2017, "Proximal Policy Optimization Algorithms"), with the defaults of
 * CleanRL's `ppo.py` and the names of its arguments in camelCase.
 * Per-env presets (tuned here, in the spirit of the RL Zoo's `hyperparams/ppo.yml`) live in `presets.ts`.
 */
import { z } from 'zod';
import { commonDefaults, commonFields, networkFields, runFields, sdeFields } from '../config-common.js';

export const ppoConfigSchema = z
  .object({
    numEnvs: commonFields.numEnvs.default(4),
    numSteps: z.number().int().min(1).max(100_000).default(128).describe('Steps per env per rollout; the batch is numEnvs · numSteps samples.'),
    ...networkFields(),
    lr: commonFields.lr.default(2.5e-4),
    annealLr: commonFields.annealLr.default(true),
    adamEps: commonFields.adamEps.default(commonDefaults.adamEps),
    gamma: commonFields.gamma.default(0.99),
    gaeLambda: z.number().min(0).max(1).default(0.95).describe('λ of Generalized Advantage Estimation (1: Monte-Carlo advantages, 0: one-step TD).'),
    numMinibatches: z.number().int().min(1).default(4).describe('Minibatches the batch is cut into per epoch.'),
    updateEpochs: z.number().int().min(1).max(1000).default(4).describe('Passes (epochs) over the batch per update.'),
    normAdv: z.boolean().default(true).describe('Normalise advantages per minibatch to zero mean and unit std.'),
    clip: z
      .boolean()
      .default(true)
      .describe('Use the clipped surrogate objective; false gives the plain importance-sampled surrogate mean(r·A) (to see why clipping matters).'),
    clipCoef: z.number().gt(0).lt(1).default(0.2).describe('Clipping ε: the ratio r = π/π_old is clipped to [1 − ε, 1 + ε].'),
    annealClipCoef: z.boolean().default(false).describe('Anneal clipCoef linearly to 0 over the run (RL Zoo `clip_range: lin_…`).'),
    clipVloss: z.boolean().default(true).describe('Clip the value loss around the old values by ±clipCoef (PPO detail 9).'),
    entCoef: commonFields.entCoef.default(0.01),
    vfCoef: z.number().min(0).max(100).default(0.5).describe('Value-loss coefficient in the combined loss.'),
    maxGradNorm: commonFields.maxGradNorm.default(0.5),
    targetKl: z
      .number()
      .gt(0)
      .nullable()
      .default(null)
      .describe("Stop the update's epochs early when the approximate KL of the last minibatch exceeds this; null: never stop early."),
    ...runFields(),
    ...sdeFields(),
  })
  .strict()
  .superRefine((c, ctx) => {
    // A minibatch needs at least one sample: more minibatches than samples would train on empty batches.
    if (c.numMinibatches > c.numEnvs * c.numSteps) {
      ctx.addIssue({
        code: 'custom',
        path: ['numMinibatches'],
        message: `must be ≤ numEnvs · numSteps = ${c.numEnvs} · ${c.numSteps} = ${c.numEnvs * c.numSteps} (samples per rollout)`,
      });
    }
  });

export type PpoConfig = z.output<typeof ppoConfigSchema>;
