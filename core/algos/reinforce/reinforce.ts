/**
 * REINFORCE (Williams, 1992): the Monte-Carlo policy gradient
 *     ∇J(θ) ≈ mean over steps of  w_t · ∇log π(a_t|s_t)
 * from N complete episodes that are used for one update and then discarded (it is on-policy: after the step, they
 * were sampled by a different policy). The weight w_t is the episode's total return G_0 ("total"), or the
 * reward-to-go G_t ("rewardToGo": a step cannot affect rewards before it, so dropping them removes noise), minus a
 * learned baseline V(s_t) when `baseline` = "learnedValue" (the critic is fitted to G_t by its own optimizer).
 */
import * as tf from '@tensorflow/tfjs';
import { explainedVariance, METRIC } from '../../common/metrics.js';
import { discountedReturns, normalizeInPlace, totalReturns } from '../../common/returns.js';
import type { RolloutBuffer } from '../../common/rollout.js';
import { linear } from '../../common/schedules.js';
import type { ActorCritic } from '../model.js';
import { Adam, clipGradNorm, type Optimizer } from '../nn/optim.js';
import { derivativeBuffer, policyBackward, policyForward, valueBackward, valueForward } from '../pg-js.js';
import { logProbTf, tfLossAndGrads } from '../pg-tf.js';
import { returnInputs } from '../samples.js';
import type { AlgorithmImpl, Samples, UpdateArgs, UpdateMetrics } from '../types.js';
import type { ReinforceConfig } from './config.js';

export interface ReinforceLossStats {
  pgLoss: number;
  entropy: number;
}

/**
 * The policy loss −mean(w · log π(a|s)) − entCoef · mean(H), with w = batch.advantages; its gradient goes into
 * the actor part of model.grads (zero it first).
 */
export function reinforceLossJs(model: ActorCritic, batch: Samples, entCoef: number): ReinforceLossStats {
  const n = batch.size;
  const { logProbs, entropy } = policyForward(model, batch.obs, batch.actions, n);
  const dLogProb = derivativeBuffer('dLogProb', n);
  let pgLoss = 0;
  let entropySum = 0;
  for (let i = 0; i < n; i++) {
    pgLoss += -batch.advantages[i] * logProbs[i];
    dLogProb[i] = -batch.advantages[i] / n;
    entropySum += entropy[i];
  }
  policyBackward(model, batch.actions, n, dLogProb, -entCoef / n);
  return { pgLoss: pgLoss / n, entropy: entropySum / n };
}

export function reinforceLossTf(model: ActorCritic, batch: Samples, entCoef: number): ReinforceLossStats {
  const n = batch.size;
  const s = tfLossAndGrads(model, { obs: batch.obs, actions: batch.actions, n }, { actor: true, critic: false }, ({ dist, actions }) => {
    const weights = tf.tensor1d(batch.advantages.subarray(0, n));
    const pgLoss = tf.neg(tf.mean(tf.mul(weights, logProbTf(dist, actions)))) as tf.Scalar;
    const entropy = tf.mean(dist.entropy()) as tf.Scalar;
    return { loss: tf.sub(pgLoss, tf.mul(entCoef, entropy)) as tf.Scalar, stats: { pgLoss, entropy } };
  });
  return { pgLoss: s.pgLoss, entropy: s.entropy };
}

/** The baseline's regression loss mean((V(s) − G)²); gradient into the critic part of model.grads. */
/** mean((V − R)²) with its gradient (times `scale`, e.g. a value-loss coefficient) written into the critic's grads. */
export function valueMseJs(model: ActorCritic, batch: Samples, scale = 1): number {
  const n = batch.size;
  const values = valueForward(model, batch.obs, n);
  const dValue = derivativeBuffer('dValue', n);
  let loss = 0;
  for (let i = 0; i < n; i++) {
    const diff = values[i] - batch.returns[i];
    loss += diff * diff;
    dValue[i] = (scale * 2 * diff) / n;
  }
  valueBackward(model, dValue);
  return loss / n;
}

export function valueMseTf(model: ActorCritic, batch: Samples): number {
  const n = batch.size;
  return tfLossAndGrads(model, { obs: batch.obs, actions: batch.actions, n }, { actor: false, critic: true }, ({ values }) => ({
    loss: tf.mean(tf.square(tf.sub(values, tf.tensor1d(batch.returns.subarray(0, n))))) as tf.Scalar,
  })).loss;
}

export function reinforceUpdate({ model, samples, config, progress, optimizers }: UpdateArgs<ReinforceConfig>): UpdateMetrics {
  const lr = config.annealLr ? linear(config.lr, 0)(progress) : config.lr;
  const n = samples.size;
  const js = config.engine === 'js';
  // Weights: G (total or reward-to-go), minus V(s) with a baseline; the loop filled advantages that way.
  if (config.normAdv) normalizeInPlace(samples.advantages.subarray(0, n));
  model.grads.fill(0);
  const s = js ? reinforceLossJs(model, samples, config.entCoef) : reinforceLossTf(model, samples, config.entCoef);
  const gradNorm = clipGradNorm(model.actorGrads, config.maxGradNorm);
  optimizers.policy.step(model.actorParams, model.actorGrads, lr);
  const metrics: UpdateMetrics = {
    [METRIC.policyLoss]: s.pgLoss,
    [METRIC.entropy]: s.entropy,
    [METRIC.gradNorm]: gradNorm,
    [METRIC.learningRate]: lr,
  };
  if (config.baseline === 'learnedValue') {
    let valueLoss = 0;
    for (let k = 0; k < config.valueSteps; k++) {
      model.criticGrads.fill(0);
      const loss = js ? valueMseJs(model, samples) : valueMseTf(model, samples);
      if (k === 0) valueLoss = loss;
      clipGradNorm(model.criticGrads, config.maxGradNorm);
      optimizers.value.step(model.criticParams, model.criticGrads, config.valueLr);
      model.paramsChanged();
    }
    metrics[METRIC.valueLoss] = valueLoss;
    metrics[METRIC.explainedVariance] = explainedVariance(samples.values.subarray(0, n), samples.returns.subarray(0, n));
  }
  model.paramsChanged();
  return metrics;
}

export const reinforce: AlgorithmImpl<ReinforceConfig> = {
  rolloutShape: (config) => ({ numEnvs: config.episodesPerUpdate, numSteps: 'episodes' }),
  createOptimizers: (model, config): Record<string, Optimizer> => ({
    policy: new Adam(model.actorParams.length, config.adamEps),
    value: new Adam(model.criticParams.length, config.adamEps),
  }),
  computeTargets: (buffer: RolloutBuffer, steps, config) => {
    const n = steps * buffer.numEnvs;
    const baseline = config.baseline === 'learnedValue';
    const inputs = returnInputs(buffer, steps, config.gamma);
    // Without a critic there is nothing to bootstrap a time-limit cut from: the sum stops there (finalValues 0).
    const mc = baseline ? inputs : { ...inputs, finalValues: undefined, lastValues: undefined };
    const returns = buffer.returns.subarray(0, n);
    if (config.return === 'total') totalReturns(mc, returns);
    else discountedReturns(mc, returns);
    for (let i = 0; i < n; i++) buffer.advantages[i] = returns[i] - (baseline ? buffer.values[i] : 0);
  },
  needsValues: (config) => config.baseline === 'learnedValue',
  update: reinforceUpdate,
};
