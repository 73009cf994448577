/**
 * The tfjs engine's plumbing: the agent's flat parameters become tensors, a loss written with tfjs ops and
 * core/common/distributions.ts is differentiated by tfjs autodiff, and the gradient is written back into
 * `model.grads` — the same vector the plain-JS engine fills — so both engines share the optimizer step and the
 * tests can compare their gradients entry by entry.
 *
 * Everything here runs inside tf.tidy / tf.valueAndGrads scopes; nothing outlives a call (see the leak tests).
 */
import * as tf from '@tensorflow/tfjs';
import { Categorical, DiagGaussian } from '../common/distributions.js';
import { GsdeDistributionTf } from './gsde-tf.js';
import type { ActorCritic } from './model.js';
import type { MlpNet } from './nn/mlp.js';

export interface TfHeads {
  /** π(·|s) for the batch. */
  dist: PolicyDistTf;
  /** V(s), [n]. */
  values: tf.Tensor1D;
  /** The batch's actions: int32 [n] (discrete) or float32 [n, actDim]. */
  actions: tf.Tensor1D | tf.Tensor2D;
}

/** The policy's distribution kinds in tfjs losses: categorical, state-independent Gaussian, gSDE. */
export type PolicyDistTf = Categorical | DiagGaussian | GsdeDistributionTf;

export interface TfLossResult {
  loss: tf.Scalar;
  /** Scalars to report (read back after the gradient). */
  stats?: Record<string, tf.Scalar>;
}

/** Which parameter groups the loss depends on (tfjs refuses gradients for disconnected inputs). */
export interface TfParts {
  actor: boolean;
  critic: boolean;
}

/** The flat parameters as tensors, in flat order: actor layers, logStd (Box), critic layers. */
export function paramTensors(model: ActorCritic): { actor: tf.Tensor[]; logStd: tf.Tensor1D | null; critic: tf.Tensor[] } {
  return {
    actor: netTensors(model.actor),
    logStd: model.discrete ? null : tf.tensor1d(model.logStd),
    critic: netTensors(model.critic),
  };
}

function netTensors(net: MlpNet): tf.Tensor[] {
  const out: tf.Tensor[] = [];
  for (let l = 0; l < net.numLayers; l++) {
    out.push(tf.tensor2d(net.kernels[l], [net.sizes[l], net.sizes[l + 1]]), tf.tensor1d(net.biases[l]));
  }
  return out;
}

/** Functional MLP forward on parameter tensors [k0, b0, k1, b1, …] (differentiable to any order). */
export function mlpApplyTf(ws: readonly tf.Tensor[], x: tf.Tensor2D, activation: 'tanh' | 'relu'): tf.Tensor2D {
  let h = x;
  const layers = ws.length / 2;
  for (let l = 0; l < layers; l++) {
    h = tf.add(tf.matMul(h, ws[2 * l] as tf.Tensor2D), ws[2 * l + 1]);
    if (l < layers - 1) h = activation === 'tanh' ? tf.tanh(h) : tf.relu(h);
  }
  return h;
}

/** The last hidden layer's features and the output of an MLP on parameter tensors (gSDE's latent and mean). */
export function mlpLatentTf(ws: readonly tf.Tensor[], x: tf.Tensor2D, activation: 'tanh' | 'relu'): { latent: tf.Tensor2D; out: tf.Tensor2D } {
  const hidden = mlpApplyTf(ws.slice(0, ws.length - 2), x, activation);
  const latent = (activation === 'tanh' ? tf.tanh(hidden) : tf.relu(hidden)) as tf.Tensor2D;
  const out = tf.add(tf.matMul(latent, ws[ws.length - 2] as tf.Tensor2D), ws[ws.length - 1]) as tf.Tensor2D;
  return { latent, out };
}

/** The policy distribution for observations `obs` from actor parameter tensors. */
export function distributionTf(model: ActorCritic, actorWs: readonly tf.Tensor[], logStd: tf.Tensor1D | null, obs: tf.Tensor2D): PolicyDistTf {
  if (model.gsde) {
    const { latent, out: mean } = mlpLatentTf(actorWs, obs, model.spec.activation);
    return new GsdeDistributionTf(model.gsde, mean, logStd!, latent);
  }
  const out = mlpApplyTf(actorWs, obs, model.spec.activation);
  return model.discrete ? new Categorical(out) : new DiagGaussian(out, logStd!);
}

export function batchTensors(model: ActorCritic, obs: Float32Array, actions: Float32Array, n: number): { obs: tf.Tensor2D; actions: tf.Tensor1D | tf.Tensor2D } {
  const obsDim = model.spec.obsDim;
  return {
    obs: tf.tensor2d(obs.subarray(0, n * obsDim), [n, obsDim]),
    actions: model.discrete
      ? tf.tensor1d(Int32Array.from(actions.subarray(0, n)), 'int32')
      : tf.tensor2d(actions.subarray(0, n * model.actDim), [n, model.actDim]),
  };
}

/**
 * Loss and gradient by tfjs autodiff. Overwrites `model.grads` (zeros for parts the loss does not use) and returns
 * the loss and the stats as numbers.
 */
export function tfLossAndGrads(
  model: ActorCritic,
  batch: { obs: Float32Array; actions: Float32Array; n: number },
  parts: TfParts,
  lossFn: (heads: TfHeads) => TfLossResult,
): Record<string, number> {
  const kept: Record<string, tf.Scalar> = {};
  const result: Record<string, number> = {};
  tf.tidy(() => {
    const p = paramTensors(model);
    const { obs, actions } = batchTensors(model, batch.obs, batch.actions, batch.n);
    const actorInputs = parts.actor ? [...p.actor, ...(p.logStd ? [p.logStd] : [])] : [];
    const criticInputs = parts.critic ? p.critic : [];
    const inputs = [...actorInputs, ...criticInputs];
    const f = (...xs: tf.Tensor[]): tf.Scalar => {
      const actorWs = parts.actor ? xs.slice(0, p.actor.length) : p.actor;
      const logStd = parts.actor && p.logStd ? (xs[p.actor.length] as tf.Tensor1D) : p.logStd;
      const criticWs = parts.critic ? xs.slice(actorInputs.length) : p.critic;
      const dist = distributionTf(model, actorWs, logStd, obs);
      const values = tf.squeeze(mlpApplyTf(criticWs, obs, model.spec.activation), [1]) as tf.Tensor1D;
      const r = lossFn({ dist, values, actions });
      for (const [k, v] of Object.entries(r.stats ?? {})) kept[k] = tf.keep(v);
      return r.loss;
    };
    const { value, grads } = tf.valueAndGrads(f)(inputs);
    model.grads.fill(0);
    if (parts.actor) writeFlat(grads.slice(0, actorInputs.length), model.actorGrads);
    if (parts.critic) writeFlat(grads.slice(actorInputs.length), model.criticGrads);
    result.loss = value.dataSync()[0];
  });
  for (const [k, v] of Object.entries(kept)) {
    result[k] = v.dataSync()[0];
    v.dispose();
  }
  return result;
}

/** Concatenates tensors' values into `out` (flat order). */
export function writeFlat(tensors: readonly tf.Tensor[], out: Float32Array): void {
  let o = 0;
  for (const t of tensors) {
    const d = t.dataSync() as Float32Array;
    out.set(d, o);
    o += d.length;
  }
  if (o !== out.length) throw new Error(`writeFlat: tensors hold ${o} values, the vector has ${out.length}`);
}

/** log π(a|s) of the batch's actions under either distribution kind. */
export function logProbTf(dist: PolicyDistTf, actions: tf.Tensor1D | tf.Tensor2D): tf.Tensor1D {
  return dist instanceof Categorical ? dist.logProb(actions as tf.Tensor1D) : dist.logProb(actions as tf.Tensor2D);
}
