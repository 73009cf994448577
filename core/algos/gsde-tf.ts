/**
 * gSDE's log-probability and entropy in tfjs (the autodiff reference for gsde.ts's hand-written derivatives): the
 * same formulas as SB3's StateDependentNoiseDistribution with the latent detached (learn_features = False).
 */
import * as tf from '@tensorflow/tfjs';
import { stopGradient } from '../envs/diff/tf-util.js';
import { GSDE_EPSILON, type GsdeSpec } from './gsde.js';

/** S = get_std(L) as a [p, d] tensor. */
export function gsdeStdTf(s: GsdeSpec, logStd: tf.Tensor): tf.Tensor2D {
  return tf.tidy(() => {
    const shaped = s.fullStd ? logStd.reshape([s.latentDim, s.actionDim]) : logStd.reshape([s.latentDim, 1]);
    let std: tf.Tensor;
    if (s.useExpln) {
      // The branch mask as a constant (a comparison has no gradient, and none is needed: the branches meet at 0).
      const pos = tf.tensor(Array.from(shaped.dataSync(), (x) => x > 0), shaped.shape, 'bool');
      const below = tf.exp(tf.minimum(shaped, 0));
      const above = tf.log1p(tf.maximum(shaped, 0).add(GSDE_EPSILON)).add(1);
      std = tf.where(pos, above, below);
    } else {
      std = tf.exp(shaped);
    }
    return tf.mul(std, tf.ones([s.latentDim, s.actionDim])) as tf.Tensor2D;
  });
}

/** Per-sample log π(a|s) and H, [n] each, for mean [n, d], latent [n, p] (detached here), actions [n, d]. */
export function gsdeLogProbEntropyTf(
  s: GsdeSpec,
  mean: tf.Tensor2D,
  logStd: tf.Tensor,
  latent: tf.Tensor2D,
  actions: tf.Tensor2D,
): { logProb: tf.Tensor1D; entropy: tf.Tensor1D } {
  return tf.tidy(() => {
    const std = gsdeStdTf(s, logStd);
    const phi = stopGradient(latent);
    const variance = tf.matMul(phi.square(), std.square()).add(GSDE_EPSILON);
    const diff = actions.sub(mean);
    const halfLog2Pi = 0.5 * Math.log(2 * Math.PI);
    const logProb = diff.square().div(variance.mul(2)).neg().sub(variance.log().mul(0.5)).sub(halfLog2Pi).sum(1) as tf.Tensor1D;
    const entropy = variance.log().mul(0.5).add(0.5 + halfLog2Pi).sum(1) as tf.Tensor1D;
    return { logProb, entropy };
  });
}

/** π(·|s) under gSDE as a distribution object for tfjs losses (the role DiagGaussian plays without gSDE). */
export class GsdeDistributionTf {
  constructor(
    readonly spec: GsdeSpec,
    readonly mean: tf.Tensor2D,
    readonly logStd: tf.Tensor,
    /** The actor's last hidden features (detached inside). */
    readonly latent: tf.Tensor2D,
  ) {}

  /** v(s) = φ(s)² S² + ε, [n, d], with φ detached. */
  variance(): tf.Tensor2D {
    return tf.tidy(() => tf.matMul(stopGradient(this.latent).square(), gsdeStdTf(this.spec, this.logStd).square()).add(GSDE_EPSILON) as tf.Tensor2D);
  }

  logProb(actions: tf.Tensor2D): tf.Tensor1D {
    return gsdeLogProbEntropyTf(this.spec, this.mean, this.logStd, this.latent, actions).logProb;
  }

  entropy(): tf.Tensor1D {
    return gsdeLogProbEntropyTf(this.spec, this.mean, this.logStd, this.latent, this.mean).entropy;
  }
}
