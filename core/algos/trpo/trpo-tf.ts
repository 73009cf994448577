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
import { gsdeStdTf } from '../gsde-tf.js';
import { GSDE_EPSILON } from '../gsde.js';
import { batchTensors, logProbTf, mlpApplyTf, mlpLatentTf, paramTensors, tfLossAndGrads, writeFlat } from '../pg-tf.js';
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
      const g = model.gsde;
      // gSDE: the variance v(s) = φ(s)² S² + ε at θ_old, φ detached (constant here).
      const phi2 = g ? tf.square(mlpLatentTf(p.actor, x, model.spec.activation).latent) : null;
      const varOf = (logStd: tf.Tensor): tf.Tensor2D => tf.add(tf.matMul(phi2!, tf.square(gsdeStdTf(g!, logStd))), GSDE_EPSILON) as tf.Tensor2D;
      // M·(J v) / n: categorical diag(p) − ppᵀ on the logits; Gaussian 1/σ² (gSDE: 1/v(s)) on the means.
      const mjv = model.discrete
        ? tf.mul(tf.softmax(out), tf.sub(tangent, tf.sum(tf.mul(tf.softmax(out), tangent), 1, true)))
        : g
          ? tf.div(tangent, varOf(p.logStd!))
          : tf.mul(tangent, tf.exp(tf.mul(p.logStd!, -2)));
      const weights = tf.div(mjv, n);
      // Jᵀ·w as a vector-Jacobian product: ∇_θ Σ out(θ) ⊙ w.
      const grads = tf.grads((...ws: tf.Tensor[]) => tf.sum(tf.mul(mlpApplyTf(ws, x, model.spec.activation), weights)) as tf.Scalar)(p.actor);
      writeFlat(grads, fv.subarray(0, netSize));
      if (g) {
        // Log-std block: J_v·u forward (dv = φ² · (2 S ⊙ S′(L) ⊙ u), S′ = exp(L), or 1/(1 + L + ε) above 0 with expln),
        // M = 1/(2v²), and Jᵀ by autodiff of Σ v(L) ⊙ w.
        const L = p.logStd!;
        const Lv = Array.from(L.dataSync());
        const dStd = tf.tensor1d(Lv.map((l) => (g.useExpln && l > 0 ? 1 / (1 + l + GSDE_EPSILON) : Math.exp(l))));
        const u = tf.tensor1d(Float32Array.from(v.subarray(netSize)));
        const S = gsdeStdTf(g, L);
        const dS = tf.mul(gsdeStdTf(g, tf.zeros(L.shape)), tf.reshape(tf.mul(dStd, u), g.fullStd ? [g.latentDim, g.actionDim] : [g.latentDim, 1]));
        const vOld = varOf(L);
        const dv = tf.matMul(phi2!, tf.mul(tf.mul(S, dS), 2));
        const w = tf.div(dv, tf.mul(tf.square(vOld), 2 * n));
        const [gl] = tf.grads((l: tf.Tensor) => tf.sum(tf.mul(varOf(l), w)) as tf.Scalar)([L]);
        fv.set(gl.dataSync() as Float32Array, netSize);
      }
    });
    const out = new Float64Array(v.length);
    for (let i = 0; i < netSize; i++) out[i] = fv[i] + damping * v[i];
    if (model.gsde) {
      for (let j = netSize; j < v.length; j++) out[j] = fv[j] + damping * v[j];
      return out;
    }
    // log σ block: the Gaussian's Fisher in log σ is 2 per dimension (state-independent, so the same for every sample).
    for (let j = netSize; j < v.length; j++) out[j] = 2 * v[j] + damping * v[j];
    return out;
  };
}
