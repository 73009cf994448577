/**
 * REINFORCE's configuration (Williams, 1992): Monte-Carlo policy gradient from complete episodes.
 * Each update uses `episodesPerUpdate` fresh episodes (one per env copy) and discards them afterwards.
 */
import { z } from 'zod';
import { commonDefaults, commonFields, networkFields, runFields } from '../config-common.js';

export const reinforceConfigSchema = z
  .object({
    episodesPerUpdate: z
      .number()
      .int()
      .min(1)
      .max(1024)
      .default(8)
      .describe('Complete episodes per update (N). They run in parallel, one per env copy, and are discarded after the update.'),
    ...networkFields(),
    lr: commonFields.lr.default(1e-3),
    annealLr: commonFields.annealLr.default(false),
    adamEps: commonFields.adamEps.default(commonDefaults.adamEps),
    gamma: commonFields.gamma.default(0.99),
    return: z
      .enum(['total', 'rewardToGo'])
      .default('total')
      .describe('Weight of ∇log π(a_t|s_t): "total" = the whole episode\'s discounted return G_0; "rewardToGo" = G_t, the return from step t on.'),
    baseline: z
      .enum(['none', 'learnedValue'])
      .default('none')
      .describe('Subtract a baseline: "learnedValue" uses advantage G − V(s_t) with a critic fitted to the returns.'),
    normAdv: z.boolean().default(true).describe('Normalise the weights (returns or advantages) over the batch to zero mean and unit std.'),
    entCoef: commonFields.entCoef.default(0),
    maxGradNorm: commonFields.maxGradNorm.default(null),
    valueLr: z.number().gt(0).max(1).default(1e-3).describe('Learning rate of the critic (baseline = "learnedValue").'),
    valueSteps: z.number().int().min(1).max(1000).default(10).describe('Full-batch gradient steps on the critic per update.'),
    ...runFields(),
  })
  .strict();

export type ReinforceConfig = z.output<typeof reinforceConfigSchema>;
