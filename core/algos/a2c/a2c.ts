/**
 * Advantage Actor-Critic (synchronous A3C; Mnih et al., 2016), as Stable-Baselines3's `A2C`: short rollouts from
 * every env copy, advantages by GAE(λ) (λ = 1: returns bootstrapped at the rollout end) or by n-step returns, and ONE
 * gradient step per rollout on the shared loss
 *     L = pgLoss + vfCoef · valueLoss − entCoef · entropy,   pgLoss = −mean(A · log π(a|s)),  valueLoss = mean((R − V(s))²)
 * over actor and critic together (one optimizer, one global gradient clip), RMSprop by default.
 */
import * as tf from '@tensorflow/tfjs';
import { explainedVariance, METRIC } from '../../common/metrics.js';
import { gae, normalizeInPlace, nStepReturns } from '../../common/returns.js';
import type { RolloutBuffer } from '../../common/rollout.js';
import { linear } from '../../common/schedules.js';
import type { ActorCritic } from '../model.js';
import { Adam, clipGradNorm, RmsProp } from '../nn/optim.js';
import { logProbTf, tfLossAndGrads } from '../pg-tf.js';
import { reinforceLossJs, valueMseJs } from '../reinforce/reinforce.js';
import { returnInputs } from '../samples.js';
import type { AlgorithmImpl, Samples, UpdateArgs, UpdateMetrics } from '../types.js';
import type { A2cConfig } from './config.js';

export interface A2cLossCoefs {
  entCoef: number;
  vfCoef: number;
}

export interface A2cLossStats {
  loss: number;
  pgLoss: number;
  valueLoss: number;
  entropy: number;
}

/** A2C's loss on a batch, its gradient written into model.grads (zero it first). Advantages are used as given. */
export function a2cLossJs(model: ActorCritic, batch: Samples, c: A2cLossCoefs): A2cLossStats {
  // Policy gradient + entropy bonus are REINFORCE's loss on these advantages; the value loss is
  // mean((R − V)²) (SB3: F.mse_loss, no ½) scaled by vfCoef. Actor and critic grads are disjoint.
  const { pgLoss, entropy } = reinforceLossJs(model, batch, c.entCoef);
  const valueLoss = valueMseJs(model, batch, c.vfCoef);
  return { loss: pgLoss + c.vfCoef * valueLoss - c.entCoef * entropy, pgLoss, valueLoss, entropy };
}

/** The same loss through tfjs autodiff (config.engine = "tfjs"; the tests' reference). */
export function a2cLossTf(model: ActorCritic, batch: Samples, c: A2cLossCoefs): A2cLossStats {
  const n = batch.size;
  const s = tfLossAndGrads(model, { obs: batch.obs, actions: batch.actions, n }, { actor: true, critic: true }, ({ dist, values, actions }) => {
    const advantages = tf.tensor1d(batch.advantages.subarray(0, n));
    const returns = tf.tensor1d(batch.returns.subarray(0, n));
    const pgLoss = tf.neg(tf.mean(tf.mul(advantages, logProbTf(dist, actions)))) as tf.Scalar;
    const valueLoss = tf.mean(tf.square(tf.sub(returns, values))) as tf.Scalar;
    const entropy = tf.mean(dist.entropy()) as tf.Scalar;
    const loss = tf.sub(tf.add(pgLoss, tf.mul(c.vfCoef, valueLoss)), tf.mul(c.entCoef, entropy)) as tf.Scalar;
    return { loss, stats: { pgLoss, valueLoss, entropy } };
  });
  return { loss: s.loss, pgLoss: s.pgLoss, valueLoss: s.valueLoss, entropy: s.entropy };
}

export function a2cUpdate({ model, samples, config, progress, optimizers }: UpdateArgs<A2cConfig>): UpdateMetrics {
  const lr = config.annealLr ? linear(config.lr, 0)(progress) : config.lr;
  const n = samples.size;
  if (config.normAdv) normalizeInPlace(samples.advantages.subarray(0, n));
  model.grads.fill(0);
  const loss = config.engine === 'js' ? a2cLossJs : a2cLossTf;
  const s = loss(model, samples, { entCoef: config.entCoef, vfCoef: config.vfCoef });
  const gradNorm = clipGradNorm(model.grads, config.maxGradNorm);
  optimizers.main.step(model.params, model.grads, lr);
  model.paramsChanged();
  return {
    [METRIC.policyLoss]: s.pgLoss,
    [METRIC.valueLoss]: s.valueLoss,
    [METRIC.entropy]: s.entropy,
    [METRIC.gradNorm]: gradNorm,
    [METRIC.explainedVariance]: explainedVariance(samples.values.subarray(0, n), samples.returns.subarray(0, n)),
    [METRIC.learningRate]: lr,
  };
}

export const a2c: AlgorithmImpl<A2cConfig> = {
  rolloutShape: (config) => ({ numEnvs: config.numEnvs, numSteps: config.numSteps }),
  createOptimizers: (model, config) => ({
    main: config.optimizer === 'rmsprop' ? new RmsProp(model.params.length, config.optimEps, config.rmsAlpha) : new Adam(model.params.length, config.optimEps),
  }),
  computeTargets: (buffer: RolloutBuffer, steps, config) => {
    const n = steps * buffer.numEnvs;
    const inputs = returnInputs(buffer, steps, config.gamma);
    const advantages = buffer.advantages.subarray(0, n);
    const returns = buffer.returns.subarray(0, n);
    if (config.advantage === 'gae') {
      gae(inputs, config.gaeLambda, { advantages, returns });
    } else {
      nStepReturns(inputs, config.nStep, returns);
      for (let i = 0; i < n; i++) advantages[i] = returns[i] - buffer.values[i];
    }
  },
  needsValues: () => true,
  update: a2cUpdate,
};
