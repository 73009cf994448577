/**
 * Action distributions for policy gradients, in two forms that agree numerically:
 *  - tensor classes (`Categorical`, `DiagGaussian`) for losses inside update steps — build and use them
 *    inside `tf.tidy`; they hold only tensors made there;
 *  - plain-JS helpers on Float32Array rows (distributions-js.ts, re-exported here) for the rollout loop,
 *    where one batched forward pass per vector step feeds allocation-free sampling.
 * Sampling draws from our `Rng` in the same order in both forms (row by row, one uniform per categorical
 * sample by inverse CDF, one normal per Gaussian coordinate), so a seed gives the same actions either way.
 */
import * as tf from '@tensorflow/tfjs';
import type { Rng } from './rng.js';
import { gaussianSampleJs, sampleCategoricalJs } from './distributions-js.js';

export * from './distributions-js.js';

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/** Categorical over n actions from unnormalised logits, one row per sample: logits [B, n]. */
export class Categorical {
  readonly logits: tf.Tensor2D;
  #logProbs: tf.Tensor2D | undefined;

  constructor(logits: tf.Tensor2D) {
    if (logits.rank !== 2) throw new Error(`Categorical: logits must be rank 2 [batch, n], got shape [${logits.shape}]`);
    this.logits = logits;
  }

  get batchSize(): number {
    return this.logits.shape[0];
  }

  get numActions(): number {
    return this.logits.shape[1];
  }

  /** log π(a) for every action: log-softmax of the logits (max-shifted, so large logits stay finite). */
  get logProbsAll(): tf.Tensor2D {
    this.#logProbs ??= tf.logSoftmax(this.logits) as tf.Tensor2D;
    return this.#logProbs;
  }

  /** Probabilities [B, n]. */
  probs(): tf.Tensor2D {
    return tf.exp(this.logProbsAll);
  }

  /** log π(a_i) for each row's action (int32 or float32 holding integers), shape [B]. */
  logProb(actions: tf.Tensor1D): tf.Tensor1D {
    if (actions.rank !== 1 || actions.shape[0] !== this.batchSize) {
      throw new Error(`Categorical.logProb: actions must have shape [${this.batchSize}], got [${actions.shape}]`);
    }
    const index = actions.dtype === 'int32' ? actions : tf.cast(actions, 'int32');
    const mask = tf.oneHot(index, this.numActions);
    return tf.sum(tf.mul(mask, this.logProbsAll), 1) as tf.Tensor1D;
  }

  /** H = −Σ p log p per row, shape [B]. */
  entropy(): tf.Tensor1D {
    const logp = this.logProbsAll;
    return tf.neg(tf.sum(tf.mul(tf.exp(logp), logp), 1)) as tf.Tensor1D;
  }

  /** The most probable action per row (int32 [B]). */
  mode(): tf.Tensor1D {
    return tf.argMax(this.logits, 1) as tf.Tensor1D;
  }

  /** One action per row (int32 [B]) by inverse CDF from `rng` — the same draws as `sampleCategoricalJs`. */
  sample(rng: Rng): tf.Tensor1D {
    const [b, n] = this.logits.shape;
    const logits = this.logits.dataSync() as Float32Array;
    const out = new Int32Array(b);
    for (let i = 0; i < b; i++) out[i] = sampleCategoricalJs(logits, i * n, n, rng);
    return tf.tensor1d(out, 'int32');
  }

  /** KL(this ‖ other) = Σ p (log p − log q) per row, shape [B]. */
  kl(other: Categorical): tf.Tensor1D {
    if (other.numActions !== this.numActions) {
      throw new Error(`Categorical.kl: ${this.numActions} actions vs ${other.numActions}`);
    }
    const logp = this.logProbsAll;
    return tf.sum(tf.mul(tf.exp(logp), tf.sub(logp, other.logProbsAll)), 1) as tf.Tensor1D;
  }
}

/**
 * Diagonal Gaussian N(mean, diag(exp(logStd))²): mean [B, d]; logStd [d] (state-independent, the usual
 * PPO parameterisation, broadcast over the batch) or [B, d].
 */
export class DiagGaussian {
  readonly mean: tf.Tensor2D;
  readonly logStd: tf.Tensor1D | tf.Tensor2D;

  constructor(mean: tf.Tensor2D, logStd: tf.Tensor1D | tf.Tensor2D) {
    if (mean.rank !== 2) throw new Error(`DiagGaussian: mean must be rank 2 [batch, dim], got shape [${mean.shape}]`);
    const d = mean.shape[1];
    const ok = logStd.rank === 1 ? logStd.shape[0] === d : logStd.rank === 2 && logStd.shape[0] === mean.shape[0] && logStd.shape[1] === d;
    if (!ok) throw new Error(`DiagGaussian: logStd must have shape [${d}] or [${mean.shape}], got [${logStd.shape}]`);
    this.mean = mean;
    this.logStd = logStd;
  }

  get batchSize(): number {
    return this.mean.shape[0];
  }

  get dim(): number {
    return this.mean.shape[1];
  }

  /** logStd broadcast to [B, d]. */
  logStdFull(): tf.Tensor2D {
    return this.logStd.rank === 2 ? (this.logStd as tf.Tensor2D) : tf.broadcastTo(this.logStd, this.mean.shape);
  }

  /** Σ_j [−½((a_j − μ_j)/σ_j)² − log σ_j − ½ log 2π] per row, shape [B]. */
  logProb(actions: tf.Tensor2D): tf.Tensor1D {
    if (actions.rank !== 2 || actions.shape[0] !== this.batchSize || actions.shape[1] !== this.dim) {
      throw new Error(`DiagGaussian.logProb: actions must have shape [${this.mean.shape}], got [${actions.shape}]`);
    }
    const z = tf.mul(tf.sub(actions, this.mean), tf.exp(tf.neg(this.logStd)));
    const perDim = tf.sub(tf.add(tf.mul(tf.square(z), -0.5), tf.neg(this.logStd)), HALF_LOG_2PI);
    return tf.sum(perDim, 1) as tf.Tensor1D;
  }

  /** Σ_j (½ + ½ log 2π + log σ_j) per row, shape [B]. */
  entropy(): tf.Tensor1D {
    return tf.sum(tf.add(this.logStdFull(), 0.5 + HALF_LOG_2PI), 1) as tf.Tensor1D;
  }

  /** The mean [B, d]. */
  mode(): tf.Tensor2D {
    return this.mean;
  }

  /** mean + σ·ε with ε from `rng.normal()` row by row — the same draws as `gaussianSampleJs`. Shape [B, d]. */
  sample(rng: Rng): tf.Tensor2D {
    const [b, d] = this.mean.shape;
    const mean = this.mean.dataSync() as Float32Array;
    const logStd = this.logStd.dataSync() as Float32Array;
    const out = new Float32Array(b * d);
    const perRow = this.logStd.rank === 2;
    for (let i = 0; i < b; i++) {
      gaussianSampleJs(mean, perRow ? logStd.subarray(i * d, i * d + d) : logStd, rng, out, i * d);
    }
    return tf.tensor2d(out, [b, d]);
  }

  /** KL(this ‖ other) = Σ_j [log(σ₂/σ₁) + (σ₁² + (μ₁ − μ₂)²) / (2σ₂²) − ½] per row, shape [B]. */
  kl(other: DiagGaussian): tf.Tensor1D {
    if (other.dim !== this.dim) throw new Error(`DiagGaussian.kl: dimension ${this.dim} vs ${other.dim}`);
    const logRatio = tf.sub(other.logStd, this.logStd);
    const var1 = tf.exp(tf.mul(this.logStd, 2));
    const var2 = tf.exp(tf.mul(other.logStd, 2));
    const num = tf.add(var1, tf.square(tf.sub(this.mean, other.mean)));
    const perDim = tf.sub(tf.add(logRatio, tf.div(num, tf.mul(var2, 2))), 0.5);
    return tf.sum(perDim, 1) as tf.Tensor1D;
  }
}
