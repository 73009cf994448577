/**
 * Proximal Policy Optimization (Schulman et al., 2017), as CleanRL's `ppo.py` implements it: the 13 core details of
 * "The 37 Implementation Details of PPO" (Huang et al., 2022). Where each lives:
 *   1 vectorized envs, 5 GAE, 13 separate actor/critic ........ the shared loop and core/common (returns.ts)
 *   2 orthogonal init, biases 0 ............................. model.ts
 *   3 Adam ε = 1e-5, 4 learning-rate annealing .............. createOptimizers / ppoUpdate below
 *   6 shuffled minibatches, 7 advantage normalisation,
 *   8 clipped surrogate, 9 value clipping, 10 entropy bonus,
 *   11 global gradient clipping, 12 approxKl/clipFraction ... ppoLossJs / ppoUpdate below
 * plus the optional target-KL early stop, and for continuous actions (ppo_continuous_action.py) a Gaussian with a
 * state-independent log-std, action clipping, observation normalisation and reward scaling (model.ts and the loop).
 *
 * The loss comes in two engines with identical maths: `ppoLossJs` (hand-written derivatives, the default, fast for
 * small MLPs) and `ppoLossTf` (tfjs autodiff, ppo-tf.ts). Both fill `model.grads`; the optimizer step is shared.
 */
import { explainedVariance, METRIC } from '../../common/metrics.js';
import { normalizeInPlace } from '../../common/returns.js';
import { minibatchIndices, type RolloutBuffer } from '../../common/rollout.js';
import { linear } from '../../common/schedules.js';
import { ALGO_METRIC } from '../metrics.js';
import type { ActorCritic } from '../model.js';
import { Adam, clipGradNorm, type Optimizer } from '../nn/optim.js';
import { derivativeBuffer, policyBackward, policyForward, valueBackward, valueForward } from '../pg-js.js';
import { gaeTargets, MinibatchGatherer } from '../samples.js';
import type { AlgorithmImpl, Samples, UpdateArgs, UpdateMetrics } from '../types.js';
import type { PpoConfig } from './config.js';
import { ppoLossTf } from './ppo-tf.js';

export interface PpoLossCoefs {
  clip: boolean;
  clipCoef: number;
  clipVloss: boolean;
  entCoef: number;
  vfCoef: number;
}

export interface PpoLossStats {
  /** pgLoss − entCoef·entropy + vfCoef·valueLoss. */
  loss: number;
  pgLoss: number;
  valueLoss: number;
  entropy: number;
  /** mean((r − 1) − log r), Schulman's low-variance KL(old‖new) estimator. */
  approxKl: number;
  /** mean(−log r). */
  oldApproxKl: number;
  /** Fraction of samples with |r − 1| > clipCoef. */
  clipFraction: number;
}

/**
 * The clipped surrogate for one sample, as a loss: max(−A·r, −A·clip(r, 1 − ε, 1 + ε)) (Schulman et al., 2017,
 * eq. 7, negated), and its derivative with respect to log π (r = exp(log π − log π_old), so ∂r/∂log π = r).
 * Where the clipped branch is the larger it is flat in r: no gradient — the policy gains nothing by moving further.
 */
export function clippedSurrogate(ratio: number, advantage: number, clipCoef: number): { loss: number; dLogProb: number } {
  const pgLoss1 = -advantage * ratio;
  const pgLoss2 = -advantage * Math.min(1 + clipCoef, Math.max(1 - clipCoef, ratio));
  return pgLoss1 >= pgLoss2 ? { loss: pgLoss1, dLogProb: pgLoss1 } : { loss: pgLoss2, dLogProb: 0 };
}

/** The plain importance-sampled surrogate −A·r (config.clip = false) and its derivative in log π. */
export function plainSurrogate(ratio: number, advantage: number): { loss: number; dLogProb: number } {
  return { loss: -advantage * ratio, dLogProb: -advantage * ratio };
}

/**
 * PPO's clipped value loss for one sample: max((V − R)², (V_old + clip(V − V_old, −ε, ε) − R)²) (before the ½ and
 * the mean), and its derivative in V (the clipped branch is flat once V left V_old ± ε).
 */
export function clippedValueLoss(value: number, oldValue: number, ret: number, clipCoef: number): { loss: number; dValue: number } {
  const unclipped = squaredError(value, ret);
  const delta = value - oldValue;
  const vClipped = oldValue + Math.min(clipCoef, Math.max(-clipCoef, delta));
  const clippedLoss = (vClipped - ret) ** 2;
  if (clippedLoss > unclipped.loss) return { loss: clippedLoss, dValue: Math.abs(delta) < clipCoef ? 2 * (vClipped - ret) : 0 };
  return unclipped;
}

export function squaredError(value: number, ret: number): { loss: number; dValue: number } {
  return { loss: (value - ret) ** 2, dValue: 2 * (value - ret) };
}

/**
 * PPO's loss on one minibatch, with its gradient written into model.grads (which must be zeroed first).
 * `mb.advantages` are used as given (normalise before calling).
 */
export function ppoLossJs(model: ActorCritic, mb: Samples, c: PpoLossCoefs): PpoLossStats {
  const n = mb.size;

  // Policy loss: the clipped surrogate  L = mean(max(−A·r, −A·clip(r, 1−ε, 1+ε))),  r = π(a|s) / π_old(a|s).
  const { logProbs: newLogProb, entropy } = policyForward(model, mb.obs, mb.actions, n);
  const dLogProb = derivativeBuffer('dLogProb', n);
  let pgLoss = 0;
  let entropySum = 0;
  let approxKl = 0;
  let oldApproxKl = 0;
  let clipped = 0;
  for (let i = 0; i < n; i++) {
    const logRatio = newLogProb[i] - mb.logProbs[i];
    const ratio = Math.exp(logRatio);
    oldApproxKl += -logRatio;
    approxKl += ratio - 1 - logRatio;
    if (Math.abs(ratio - 1) > c.clipCoef) clipped++;
    const term = c.clip ? clippedSurrogate(ratio, mb.advantages[i], c.clipCoef) : plainSurrogate(ratio, mb.advantages[i]);
    pgLoss += term.loss;
    dLogProb[i] = term.dLogProb / n;
    entropySum += entropy[i];
  }
  // Entropy bonus: the loss subtracts entCoef · mean(H).
  policyBackward(model, mb.actions, n, dLogProb, -c.entCoef / n);

  // Value loss: ½·mean(max((V − R)², (V_old + clip(V − V_old, −ε, ε) − R)²)), or ½·mean((V − R)²) unclipped.
  const newValue = valueForward(model, mb.obs, n);
  const dValue = derivativeBuffer('dValue', n);
  let vLossSum = 0;
  for (let i = 0; i < n; i++) {
    const term = c.clipVloss ? clippedValueLoss(newValue[i], mb.values[i], mb.returns[i], c.clipCoef) : squaredError(newValue[i], mb.returns[i]);
    vLossSum += term.loss;
    dValue[i] = (c.vfCoef * 0.5 * term.dValue) / n;
  }
  valueBackward(model, dValue);

  const valueLoss = (0.5 * vLossSum) / n;
  const meanEntropy = entropySum / n;
  return {
    loss: pgLoss / n - c.entCoef * meanEntropy + c.vfCoef * valueLoss,
    pgLoss: pgLoss / n,
    valueLoss,
    entropy: meanEntropy,
    approxKl: approxKl / n,
    oldApproxKl: oldApproxKl / n,
    clipFraction: clipped / n,
  };
}

/** One PPO update: `updateEpochs` passes of shuffled minibatches over the rollout. */
export function ppoUpdate({ model, samples, config, rng, progress, optimizers }: UpdateArgs<PpoConfig>): UpdateMetrics {
  const lr = config.annealLr ? linear(config.lr, 0)(progress) : config.lr;
  const coefs: PpoLossCoefs = {
    clip: config.clip,
    clipCoef: config.annealClipCoef ? linear(config.clipCoef, 0)(progress) : config.clipCoef,
    clipVloss: config.clipVloss,
    entCoef: config.entCoef,
    vfCoef: config.vfCoef,
  };
  const loss = config.engine === 'js' ? ppoLossJs : ppoLossTf;
  const minibatchSize = Math.max(1, Math.floor(samples.size / config.numMinibatches));
  const gatherer = new MinibatchGatherer(model.spec.obsDim, model.actDim);
  const sums = { pgLoss: 0, valueLoss: 0, entropy: 0, approxKl: 0, oldApproxKl: 0, clipFraction: 0, gradNorm: 0 };
  let steps = 0;
  let epochs = 0;
  for (let epoch = 0; epoch < config.updateEpochs; epoch++) {
    let last: PpoLossStats | null = null;
    for (const indices of minibatchIndices(samples.size, minibatchSize, rng)) {
      const mb = gatherer.gather(samples, indices);
      if (config.normAdv) normalizeInPlace(mb.advantages);
      model.grads.fill(0);
      last = loss(model, mb, coefs);
      const gradNorm = clipGradNorm(model.grads, config.maxGradNorm);
      optimizers.main.step(model.params, model.grads, lr);
      model.paramsChanged();
      sums.pgLoss += last.pgLoss;
      sums.valueLoss += last.valueLoss;
      sums.entropy += last.entropy;
      sums.approxKl += last.approxKl;
      sums.oldApproxKl += last.oldApproxKl;
      sums.clipFraction += last.clipFraction;
      sums.gradNorm += gradNorm;
      steps++;
    }
    epochs++;
    // Target-KL early stop (CleanRL: checked after each epoch on the last minibatch's estimate).
    if (config.targetKl !== null && last !== null && last.approxKl > config.targetKl) break;
  }
  return {
    [METRIC.policyLoss]: sums.pgLoss / steps,
    [METRIC.valueLoss]: sums.valueLoss / steps,
    [METRIC.entropy]: sums.entropy / steps,
    [METRIC.approxKl]: sums.approxKl / steps,
    [ALGO_METRIC.oldApproxKl]: sums.oldApproxKl / steps,
    [METRIC.clipFraction]: sums.clipFraction / steps,
    [METRIC.gradNorm]: sums.gradNorm / steps,
    [METRIC.explainedVariance]: explainedVariance(samples.values.subarray(0, samples.size), samples.returns.subarray(0, samples.size)),
    [METRIC.learningRate]: lr,
    [ALGO_METRIC.epochs]: epochs,
  };
}

export const ppo: AlgorithmImpl<PpoConfig> = {
  rolloutShape: (config) => ({ numEnvs: config.numEnvs, numSteps: config.numSteps }),
  // One Adam over actor and critic together, as CleanRL (the networks are separate, the optimizer is shared).
  createOptimizers: (model: ActorCritic, config): Record<string, Optimizer> => ({ main: new Adam(model.params.length, config.adamEps) }),
  computeTargets: (buffer: RolloutBuffer, steps, config) => gaeTargets(buffer, steps, config.gamma, config.gaeLambda),
  needsValues: () => true,
  update: ppoUpdate,
};

