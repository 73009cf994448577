/**
 * Forward-only evaluations for TRPO's line search (no gradients, so both engines share them): the surrogate
 * L(θ) = mean(r(θ)·A) and the mean KL(π_old ‖ π_θ) over the batch, against a snapshot of the old policy's outputs.
 * With gSDE the snapshot keeps each sample's variance v_old(s) (it depends on the state through the latent φ(s)).
 */
import { categoricalEntropyJs, categoricalLogProbJs, gaussianEntropyJs, gaussianLogProbJs } from '../../common/distributions-js.js';
import { gsdeEntropy, gsdeKl, gsdeLogProb, gsdeStd, gsdeVariance } from '../gsde.js';
import type { ActorCritic } from '../model.js';
import { categoricalKl, gaussianKl } from '../nn/heads.js';
import type { Samples } from '../types.js';

export interface PolicySnapshot {
  /** Actor outputs at θ_old: logits or means, [n, numActions]. */
  outputs: Float32Array;
  logStd: Float32Array;
  /** log π_old(a_i|s_i). */
  logProbs: Float64Array;
  /** Mean entropy of π_old over the batch. */
  entropy: number;
  /** gSDE only: v_old(s_i), [n, numActions] (null otherwise). */
  variances: Float64Array | null;
}

export function snapshotPolicy(model: ActorCritic, samples: Samples): PolicySnapshot {
  const n = samples.size;
  const k = model.numActions;
  const outputs = model.actor.forward(samples.obs, n).slice();
  const logProbs = new Float64Array(n);
  let entropy = 0;
  if (model.gsde) {
    const s = model.gsde;
    const latent = model.latent(n);
    const std = gsdeStd(s, model.logStd);
    const variances = new Float64Array(n * k);
    for (let i = 0; i < n; i++) {
      const v = variances.subarray(i * k, (i + 1) * k);
      gsdeVariance(s, std, latent, i * s.latentDim, v);
      logProbs[i] = gsdeLogProb(outputs, i * k, samples.actions, i * k, v, k);
      entropy += gsdeEntropy(v, k);
    }
    return { outputs, logStd: model.logStd.slice(), logProbs, entropy: entropy / n, variances };
  }
  for (let i = 0; i < n; i++) {
    if (model.discrete) {
      logProbs[i] = categoricalLogProbJs(outputs, i * k, k, samples.actions[i]);
      entropy += categoricalEntropyJs(outputs, i * k, k);
    } else {
      logProbs[i] = gaussianLogProbJs(outputs, model.logStd, samples.actions, i * k, i * k);
    }
  }
  if (!model.discrete) entropy = n * gaussianEntropyJs(model.logStd);
  return { outputs, logStd: model.logStd.slice(), logProbs, entropy: entropy / n, variances: null };
}

/** Surrogate and mean KL(old ‖ current) at the model's current parameters. */
export function evaluatePolicy(model: ActorCritic, samples: Samples, old: PolicySnapshot): { surrogate: number; kl: number } {
  const n = samples.size;
  const k = model.numActions;
  const out = model.actor.forward(samples.obs, n);
  let surrogate = 0;
  let kl = 0;
  if (model.gsde) {
    const s = model.gsde;
    const latent = model.latent(n);
    const std = gsdeStd(s, model.logStd);
    const v = new Float64Array(k);
    for (let i = 0; i < n; i++) {
      gsdeVariance(s, std, latent, i * s.latentDim, v);
      surrogate += Math.exp(gsdeLogProb(out, i * k, samples.actions, i * k, v, k) - old.logProbs[i]) * samples.advantages[i];
      kl += gsdeKl(old.outputs, old.variances!, i * k, out, v, i * k, k);
    }
    return { surrogate: surrogate / n, kl: kl / n };
  }
  for (let i = 0; i < n; i++) {
    const logp = model.discrete
      ? categoricalLogProbJs(out, i * k, k, samples.actions[i])
      : gaussianLogProbJs(out, model.logStd, samples.actions, i * k, i * k);
    surrogate += Math.exp(logp - old.logProbs[i]) * samples.advantages[i];
    kl += model.discrete ? categoricalKl(old.outputs, out, i * k, k) : gaussianKl(old.outputs, old.logStd, out, model.logStd, i * k, k);
  }
  return { surrogate: surrogate / n, kl: kl / n };
}
