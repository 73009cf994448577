/**
 * The plain-JS engine's policy-gradient plumbing, shared by every algorithm: forward the actor over a batch to get
 * log π(a|s) and H per sample, then push per-sample loss derivatives ∂L/∂log π and ∂L/∂H back into the gradient
 * vector; the same for the critic with ∂L/∂V. An algorithm's loss is then a readable loop over samples that
 * computes its terms and their derivatives (see ppo/ppo.ts), with no autodiff machinery in sight.
 *
 * Results live in reused scratch arrays: valid until the next call of the same function.
 */
import { categoricalEntropyJs, categoricalLogProbJs, gaussianEntropyJs, gaussianLogProbJs } from '../common/distributions-js.js';
import { gsdeBackward, gsdeEntropy, gsdeLogProb, gsdeStd, gsdeVariance } from './gsde.js';
import type { ActorCritic } from './model.js';
import { categoricalBackward, gaussianBackward } from './nn/heads.js';

class Scratch {
  #arrays = new Map<string, Float32Array>();
  get(name: string, n: number): Float32Array {
    let a = this.#arrays.get(name);
    if (!a || a.length < n) {
      a = new Float32Array(Math.max(n, (a?.length ?? 0) * 2));
      this.#arrays.set(name, a);
    }
    return a.subarray(0, n);
  }
}
const scratch = new Scratch();

export interface PolicyOutputs {
  /** log π(a_i | s_i), [n]. */
  logProbs: Float32Array;
  /** H(π(·|s_i)), [n]. */
  entropy: Float32Array;
}

/** Actor forward over `n` rows: log-probabilities of `actions` and entropies. Keeps activations for `policyBackward`. */
export function policyForward(model: ActorCritic, obs: Float32Array, actions: Float32Array, n: number): PolicyOutputs {
  const out = model.actor.forward(obs, n);
  const logProbs = scratch.get('logProbs', n);
  const entropy = scratch.get('entropy', n);
  const k = model.numActions;
  if (model.discrete) {
    for (let i = 0; i < n; i++) {
      logProbs[i] = categoricalLogProbJs(out, i * k, k, actions[i]);
      entropy[i] = categoricalEntropyJs(out, i * k, k);
    }
  } else if (model.gsde) {
    // gSDE: N(μ(s), v(s)) with v_j = Σ_i φ_i(s)² S_ij² + ε, φ the actor's last hidden features (detached).
    const s = model.gsde;
    const latent = model.latent(n);
    const std = gsdeStd(s, model.logStd);
    const v = new Float64Array(k);
    for (let i = 0; i < n; i++) {
      gsdeVariance(s, std, latent, i * s.latentDim, v);
      logProbs[i] = gsdeLogProb(out, i * k, actions, i * k, v, k);
      entropy[i] = gsdeEntropy(v, k);
    }
  } else {
    const h = gaussianEntropyJs(model.logStd);
    for (let i = 0; i < n; i++) {
      logProbs[i] = gaussianLogProbJs(out, model.logStd, actions, i * k, i * k);
      entropy[i] = h;
    }
  }
  return { logProbs, entropy };
}

/**
 * Adds ∂L/∂θ_actor to `model.grads` for L with per-sample derivatives `dLogProb[i]` = ∂L/∂log π(a_i|s_i) and
 * `dEntropy[i]` = ∂L/∂H_i (a number: the same for every sample). Uses the activations of the last policyForward.
 */
export function policyBackward(model: ActorCritic, actions: Float32Array, n: number, dLogProb: Float32Array, dEntropy: number | Float32Array): void {
  const k = model.numActions;
  const out = model.actor.lastOutput(n);
  const dOut = scratch.get('dActorOut', n * k);
  if (model.discrete) {
    for (let i = 0; i < n; i++) {
      const dEnt = typeof dEntropy === 'number' ? dEntropy : dEntropy[i];
      categoricalBackward(out, i * k, k, actions[i], dLogProb[i], dEnt, dOut);
    }
  } else if (model.gsde) {
    // Only μ and the log-std parameters get gradient: φ is detached (SB3's learn_features = False).
    const s = model.gsde;
    const latent = model.latent(n);
    const std = gsdeStd(s, model.logStd);
    const v = new Float64Array(k);
    for (let i = 0; i < n; i++) {
      const dEnt = typeof dEntropy === 'number' ? dEntropy : dEntropy[i];
      gsdeVariance(s, std, latent, i * s.latentDim, v);
      gsdeBackward(s, model.logStd, std, latent, i * s.latentDim, out, i * k, actions, i * k, v, dLogProb[i], dEnt, dOut, model.logStdGrads);
    }
  } else {
    for (let i = 0; i < n; i++) {
      const dEnt = typeof dEntropy === 'number' ? dEntropy : dEntropy[i];
      gaussianBackward(out, i * k, model.logStd, actions, i * k, k, dLogProb[i], dEnt, dOut, model.logStdGrads);
    }
  }
  model.actor.backward(dOut, model.actorNetGrads);
}

/** Critic forward over `n` rows: V(s_i), [n]. Keeps activations for `valueBackward`. */
export function valueForward(model: ActorCritic, obs: Float32Array, n: number): Float32Array {
  const values = scratch.get('values', n);
  values.set(model.critic.forward(obs, n));
  return values;
}

/** Adds ∂L/∂θ_critic to `model.grads` given dValue[i] = ∂L/∂V(s_i). */
export function valueBackward(model: ActorCritic, dValue: Float32Array): void {
  model.critic.backward(dValue, model.criticGrads);
}

/** A zeroed scratch vector of length n for per-sample derivatives (distinct names give distinct arrays). */
export function derivativeBuffer(name: 'dLogProb' | 'dValue' | 'dEntropy', n: number): Float32Array {
  return scratch.get(name, n).fill(0);
}
