/**
 * TRPO's configuration (Schulman et al., 2015, "Trust Region Policy Optimization"), with the defaults of
 * sb3-contrib's `TRPO`: natural-gradient step by conjugate gradient on Fisher-vector products, a backtracking line
 * search that enforces KL ≤ maxKl and an improvement of the surrogate, and a critic fitted separately by Adam.
 */
import { z } from 'zod';
import { commonDefaults, commonFields, networkFields, runFields, sdeFields } from '../config-common.js';

export const trpoConfigSchema = z
  .object({
    numEnvs: commonFields.numEnvs.default(4),
    numSteps: z.number().int().min(1).max(100_000).default(512).describe('Steps per env per rollout (one trust-region step per rollout).'),
    ...networkFields(),
    gamma: commonFields.gamma.default(0.99),
    gaeLambda: z.number().min(0).max(1).default(0.95).describe('λ of Generalized Advantage Estimation.'),
    normAdv: z.boolean().default(true).describe('Normalise advantages over the batch to zero mean and unit std.'),
    maxKl: z.number().gt(0).max(1).default(0.01).describe('Trust region δ: the mean KL(π_old ‖ π_new) a step may reach.'),
    annealMaxKl: z
      .boolean()
      .default(false)
      .describe('Shrink the trust region δ linearly to 0 over the run (as PPO\'s annealClipCoef does the clip range): late steps move the policy less.'),
    cgIters: z.number().int().min(1).max(100).default(15).describe('Conjugate-gradient iterations solving F·x = g.'),
    cgDamping: z.number().min(0).max(10).default(0.1).describe('Damping λ added to the Fisher matrix: (F + λI)·x = g.'),
    lineSearchShrink: z.number().gt(0).lt(1).default(0.8).describe('Backtracking factor: each rejected step is scaled by this.'),
    lineSearchMaxIter: z.number().int().min(1).max(50).default(10).describe('Step sizes tried before the update is skipped.'),
    lr: commonFields.lr.default(1e-3).describe('Learning rate of the critic (the policy step size comes from maxKl).'),
    annealLr: commonFields.annealLr.default(false),
    adamEps: commonFields.adamEps.default(commonDefaults.adamEps),
    criticEpochs: z.number().int().min(1).max(1000).default(10).describe('Epochs of minibatch regression of the critic on the returns per update.'),
    criticMinibatchSize: z.number().int().min(1).default(128).describe('Minibatch size of the critic regression.'),
    maxGradNorm: commonFields.maxGradNorm.default(null),
    ...runFields(),
    ...sdeFields(),
  })
  .strict();

export type TrpoConfig = z.output<typeof trpoConfigSchema>;
