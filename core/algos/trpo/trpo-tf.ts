/**
 * TRPO's derivatives in tfjs (config.engine = "tfjs", and the tests' reference for the JS engine): the surrogate
 * gradient by autodiff, and Fisher-vector products F·v = Jᵀ M J v — J·v by forward-mode propagation written with
 * tfjs ops, M (the action distribution's Fisher in output space) in closed form, Jᵀ by autodiff.
 *
 * Not by double backpropagation of the KL: measured, tfjs 4.22's second-order gradients are wrong for exp (d²/ds²
 * of a Gaussian KL in log σ comes out 4 instead of 2) and fail outright through logSoftmax's custom gradient.
 */
import * as tf from '@tensorflow/tfjs';
import type { ActorCritic } from '../model.js';
import { batchTensors, logProbTf, mlpApplyTf, paramTensors, tfLossAndGrads, writeFlat } from '../pg-tf.js';
import type { Samples } from '../types.js';

export function surrogateGradTf(model: ActorCritic, samples: Samples): Float64Array {
  const n = samples.size;
  tfLossAndGrads(model, { obs: samples.obs, actions: samples.actions, n }, { actor: true, critic: false }, ({ dist, actions }) => {
    const logProb = logProbTf(dist, actions);
    // r = exp(log π − log π_old) with log π_old held constant (the same values, outside the tape).
    const oldLogProb = tf.tensor1d(logProbTf(dist, actions).dataSync());
    const ratio = tf.exp(tf.sub(logProb, oldLogProb));
    return { loss: tf.mean(tf.mul(ratio, tf.tensor1d(samples.advantages.subarray(0, n)))) as tf.Scalar };
  });
  return Float64Array.from(model.actorGrads);
}

/** Outputs and their directional derivative along parameter direction `dWs` (forward mode), with tfjs ops. */
export function mlpJvpTf(ws: readonly tf.Tensor[], dWs: readonly tf.Tensor[], x: tf.Tensor2D, activation: 'tanh' | 'relu'): { out: tf.Tensor2D; tangent: tf.Tensor2D } {
  let h: tf.Tensor2D = x;
  let t: tf.Tensor2D | null = null;
  const layers = ws.length / 2;
  for (let l = 0; l < layers; l++) {
    const z = tf.add(tf.matMul(h, ws[2 * l] as tf.Tensor2D), ws[2 * l + 1]) as tf.Tensor2D;
    let dz = tf.add(tf.matMul(h, dWs[2 * l] as tf.Tensor2D), dWs[2 * l + 1]) as tf.Tensor2D;
    if (t) dz = tf.add(dz, tf.matMul(t, ws[2 * l] as tf.Tensor2D));
    if (l < layers - 1) {
      if (activation === 'tanh') {
        h = tf.tanh(z);
        t = tf.mul(dz, tf.sub(1, tf.square(h))) as tf.Tensor2D;
      } else {
        h = tf.relu(z);
        t = tf.mul(dz, tf.step(z)) as tf.Tensor2D;
      }
    } else {
      h = z;
      t = dz;
    }
  }
  return { out: h, tangent: t! };
}

export function fisherVectorProductTf(model: ActorCritic, obs: Float32Array, n: number, damping: number): (v: Float64Array) => Float64Array {
  const netSize = model.actor.numParams;
  return (v) => {
    const fv = new Float32Array(v.length);
    tf.tidy(() => {
      const p = paramTensors(model);
      const { obs: x } = batchTensors(model, obs, new Float32Array(n * model.actDim), n);
      const dWs: tf.Tensor[] = [];
      let o = 0;
      for (const w of p.actor) {
        dWs.push(tf.tensor(Float32Array.from(v.subarray(o, o + w.size)), w.shape));
        o += w.size;
      }
      const { out, tangent } = mlpJvpTf(p.actor, dWs, x, model.spec.activation);
      // M·(J v) / n: categorical diag(p) − ppᵀ on the logits; Gaussian 1/σ² on the means.
      const mjv = model.discrete
        ? tf.mul(tf.softmax(out), tf.sub(tangent, tf.sum(tf.mul(tf.softmax(out), tangent), 1, true)))
        : tf.mul(tangent, tf.exp(tf.mul(p.logStd!, -2)));
      const weights = tf.div(mjv, n);
      // Jᵀ·w as a vector-Jacobian product: ∇_θ Σ out(θ) ⊙ w.
      const grads = tf.grads((...ws: tf.Tensor[]) => tf.sum(tf.mul(mlpApplyTf(ws, x, model.spec.activation), weights)) as tf.Scalar)(p.actor);
      writeFlat(grads, fv.subarray(0, netSize));
    });
    const out = new Float64Array(v.length);
    for (let i = 0; i < netSize; i++) out[i] = fv[i] + damping * v[i];
    // log σ block: the Gaussian's Fisher in log σ is 2 per dimension (state-independent, so the same for every sample).
    for (let j = netSize; j < v.length; j++) out[j] = 2 * v[j] + damping * v[j];
    return out;
  };
}
