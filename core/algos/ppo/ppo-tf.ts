/**
 * PPO's loss written with tfjs ops and differentiated by tfjs autodiff — the same maths as `ppoLossJs`, term by
 * term, in CleanRL's vectorised form. Used when config.engine = "tfjs", and by the tests as the reference the
 * hand-written gradients must match.
 */
import * as tf from '@tensorflow/tfjs';
import type { ActorCritic } from '../model.js';
import { logProbTf, tfLossAndGrads } from '../pg-tf.js';
import type { Samples } from '../types.js';
import type { PpoLossCoefs, PpoLossStats } from './ppo.js';

export function ppoLossTf(model: ActorCritic, mb: Samples, c: PpoLossCoefs): PpoLossStats {
  const n = mb.size;
  const s = tfLossAndGrads(model, { obs: mb.obs, actions: mb.actions, n }, { actor: true, critic: true }, ({ dist, values, actions }) => {
    const oldLogProb = tf.tensor1d(mb.logProbs.subarray(0, n));
    const advantages = tf.tensor1d(mb.advantages.subarray(0, n));
    const returns = tf.tensor1d(mb.returns.subarray(0, n));
    const oldValues = tf.tensor1d(mb.values.subarray(0, n));

    const newLogProb = logProbTf(dist, actions);
    const logRatio = tf.sub(newLogProb, oldLogProb);
    const ratio = tf.exp(logRatio);
    const pgLoss1 = tf.mul(tf.neg(advantages), ratio);
    const pgLoss2 = tf.mul(tf.neg(advantages), tf.clipByValue(ratio, 1 - c.clipCoef, 1 + c.clipCoef));
    const pgLoss = c.clip ? tf.mean(tf.maximum(pgLoss1, pgLoss2)) : tf.mean(pgLoss1);

    const vLossUnclipped = tf.square(tf.sub(values, returns));
    const vLoss = c.clipVloss
      ? tf.maximum(vLossUnclipped, tf.square(tf.sub(tf.add(oldValues, tf.clipByValue(tf.sub(values, oldValues), -c.clipCoef, c.clipCoef)), returns)))
      : vLossUnclipped;
    const valueLoss = tf.mul(0.5, tf.mean(vLoss));
    const entropy = tf.mean(dist.entropy());
    const loss = tf.add(tf.sub(pgLoss, tf.mul(c.entCoef, entropy)), tf.mul(c.vfCoef, valueLoss)) as tf.Scalar;
    return {
      loss,
      stats: {
        pgLoss: pgLoss as tf.Scalar,
        valueLoss: valueLoss as tf.Scalar,
        entropy: entropy as tf.Scalar,
        approxKl: tf.mean(tf.sub(tf.sub(ratio, 1), logRatio)) as tf.Scalar,
        oldApproxKl: tf.mean(tf.neg(logRatio)) as tf.Scalar,
        clipFraction: tf.mean(tf.cast(tf.greater(tf.abs(tf.sub(ratio, 1)), c.clipCoef), 'float32')) as tf.Scalar,
      },
    };
  });
  return {
    loss: s.loss,
    pgLoss: s.pgLoss,
    valueLoss: s.valueLoss,
    entropy: s.entropy,
    approxKl: s.approxKl,
    oldApproxKl: s.oldApproxKl,
    clipFraction: s.clipFraction,
  };
}
