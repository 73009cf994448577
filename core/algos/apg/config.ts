/**
 * APG's configuration: analytic policy gradients through a differentiable env (core/envs/diff), as Brax's APG trains
 * (windows of 32 steps, Adam, gradient clipping), with SHAC's optional critic bootstrap (Xu et al., ICLR 2022:
 * "Accelerated Policy Learning with Parallel Differentiable Simulation"). Every field documents itself here; the
 * same schema validates CLI flags, IPC input and the launch form, and is stored with the run.
 */
import { z } from 'zod';
import { commonFields } from '../config-common.js';

export const APG_STATE_GRADIENT_HELP =
  'How the reward is differentiated with respect to the state. "full": r(s_t, a_t) — the gradient flows through the ' +
  'state into the reward, so an action is credited for every later reward it changes (through the dynamics). ' +
  '"stopGradient": r(sg[s_t], a_t) — the state is a constant inside the reward; only the reward\'s direct ' +
  'dependence on the action reaches the policy (the state still carries gradient to the critic bootstrap and into ' +
  'later actions through the policy\'s input). On Pendulum-v1 the cost depends only on the state before the step and ' +
  'the torque, so "stopGradient" leaves the 0.001·u² term alone: every gradient pulls the torque to 0 and the policy ' +
  'learns nothing (measured: README, APG section). On PointReach-v0 the reward scores the state the action leads to, ' +
  'so "stopGradient" keeps a one-step, greedy gradient.';

export const apgConfigSchema = z
  .object({
    numEnvs: z
      .number()
      .int()
      .min(1)
      .max(1024)
      .default(2)
      .describe(
        'Env copies rolled through each window together (one batched forward pass per step). Each window gives ONE gradient step, so fewer copies mean more updates per env step: on Pendulum-v1 (seeds 1–5) 2 copies reached an evaluation return of −200 in a median of 11k env steps, 8 copies in 23k, 32 copies not within 60k (README, APG section).',
      ),
    windowLength: z
      .number()
      .int()
      .min(1)
      .max(1000)
      .default(32)
      .describe(
        'K, the steps of one differentiable window (Brax APG: 32). The policy is rolled K steps through the env, the loss is the window\'s discounted return, and the gradient stops at the window\'s start: longer windows see further ahead but their gradients grow and turn chaotic.',
      ),
    hiddenSizes: commonFields.hiddenSizes.default([128, 128]),
    activation: commonFields.activation
      .default('relu')
      .describe(
        'Hidden-layer activation of the actor and the critic. APG defaults to relu: with tanh hidden layers the pathwise gradient through 32 steps faded as the units saturated (Pendulum-v1, 2 copies, seeds 1–5: relu reached an evaluation return of −200 by 12k env steps in every seed, tanh in 2 of 5 within 60k).',
      ),
    gamma: commonFields.gamma.default(0.99),
    lr: commonFields.lr.default(3e-3),
    annealLr: commonFields.annealLr.default(true),
    adamBeta1: z.number().min(0).lt(1).default(0.7).describe('Adam β1 of the actor and critic optimizers (SHAC: 0.7).'),
    adamBeta2: z.number().min(0).lt(1).default(0.95).describe('Adam β2 of the actor and critic optimizers (SHAC: 0.95).'),
    adamEps: commonFields.adamEps.default(1e-8).describe('Adam ε of the actor and critic optimizers (PyTorch\'s default, as SHAC).'),
    maxGradNorm: commonFields.maxGradNorm.default(1.0),
    stateGradientInReward: z.enum(['full', 'stopGradient']).default('full').describe(APG_STATE_GRADIENT_HELP),
    criticBootstrap: z
      .boolean()
      .default(false)
      .describe(
        'SHAC\'s critic bootstrap: add γ^k·V̄(s) of a target critic at the window end (and where a time limit truncates an episode), differentiated through s, so the window sees past its own end. The critic learns TD(λ) targets of the windows\' rewards (criticLambda); the target critic follows it by Polyak averaging (targetCriticAlpha).',
      ),
    criticLr: z.number().gt(0).max(1).default(2e-3).describe('Learning rate of the critic (criticBootstrap only; annealed with lr when annealLr).'),
    criticLambda: z.number().min(0).max(1).default(0.95).describe('λ of the critic\'s TD(λ) targets, computed with the target critic (SHAC: 0.95).'),
    criticIterations: z.number().int().min(1).max(100).default(8).describe('Passes over each window\'s states per critic update (SHAC: 16).'),
    criticMinibatches: z.number().int().min(1).max(64).default(4).describe('Minibatches per critic pass (SHAC: 4).'),
    targetCriticAlpha: z
      .number()
      .min(0)
      .max(1)
      .default(0.2)
      .describe('Polyak weight of the target critic after each update: target ← α·target + (1 − α)·critic (SHAC: 0.2).'),
    logStdInit: commonFields.logStdInit
      .default(-1)
      .describe('Initial log σ of the exploration noise, added before the tanh squash: a = squash(μ(s) + σ·ε), ε ~ N(0, 1).'),
    learnStd: z
      .boolean()
      .default(true)
      .describe('Train log σ of the exploration noise through the reparameterised actions (false: keep logStdInit).'),
    normalizeObs: commonFields.normalizeObs.default(false),
    clipObs: commonFields.clipObs.default(10),
    evalInterval: commonFields.evalInterval.default(5_000),
    evalEpisodes: commonFields.evalEpisodes.default(5),
    checkpointInterval: commonFields.checkpointInterval.default(50_000),
    keepCheckpoints: commonFields.keepCheckpoints.default(3),
    engine: z
      .enum(['js', 'tfjs'])
      .default('js')
      .describe(
        'How the window\'s gradient is computed: "js" = hand-written adjoints of the env steps and the networks over the WebAssembly-SIMD kernels (0.3 ms for a 2 × 32-step Pendulum window of the preset, 4.2 ms for 32 × 32, on this 2-core machine); "tfjs" = the same loss through tfjs autodiff on the active backend (73 ms and 88 ms on tfjs-wasm; the test reference). `npm run bench -- apg` times both.',
      ),
  })
  .strict();

export type ApgConfig = z.output<typeof apgConfigSchema>;

/** Env steps one update consumes (numEnvs × windowLength). */
export function apgStepsPerUpdate(config: Pick<ApgConfig, 'numEnvs' | 'windowLength'>): number {
  return config.numEnvs * config.windowLength;
}
