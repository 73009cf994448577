/**
 * Trust Region Policy Optimization (Schulman et al., 2015), as sb3-contrib's `TRPO`:
 *   1. g = ∇_θ L(θ_old), the surrogate L(θ) = mean(r(θ) · A), r = π_θ(a|s)/π_old(a|s);
 *   2. x ≈ F⁻¹g by conjugate gradient, where F·v (Fisher-vector product = Hessian of the mean KL(π_old‖π_θ) at
 *      θ_old, times v) is computed without ever forming F: F·v = Jᵀ M J v with J the Jacobian of the policy outputs
 *      (a forward-mode pass), M the Fisher of the action distribution in output space, Jᵀ a backward pass;
 *   3. the full step β·x with β = √(2δ / xᵀFx) reaches KL ≈ δ to second order; a backtracking line search shrinks it
 *      until the exact KL ≤ δ AND the surrogate improves (else the policy is left unchanged);
 *   4. the critic is fitted separately, by Adam on mean((V − R)²) over minibatches.
 */
import { explainedVariance, METRIC } from '../../common/metrics.js';
import { normalizeInPlace } from '../../common/returns.js';
import { minibatchIndices, type RolloutBuffer } from '../../common/rollout.js';
import { linear } from '../../common/schedules.js';
import { gsdeLogStdFisherVector, gsdeStd, gsdeVariance } from '../gsde.js';
import { categoricalFisherVector } from '../nn/heads.js';
import { ALGO_METRIC } from '../metrics.js';
import type { ActorCritic } from '../model.js';
import { Adam, clipGradNorm } from '../nn/optim.js';
import { derivativeBuffer, policyBackward, policyForward } from '../pg-js.js';
import { valueMseJs, valueMseTf } from '../reinforce/reinforce.js';
import { gaeTargets, MinibatchGatherer } from '../samples.js';
import type { AlgorithmImpl, Samples, UpdateArgs, UpdateMetrics } from '../types.js';
import type { TrpoConfig } from './config.js';
import { evaluatePolicy, snapshotPolicy, type PolicySnapshot } from './policy-eval.js';
import { fisherVectorProductTf, surrogateGradTf } from './trpo-tf.js';

/**
 * Conjugate gradient for A·x = b with A symmetric positive definite, given only x ↦ A·x. Stops after `iters`
 * iterations or when the squared residual falls below `residualTol` (Shewchuk, 1994, §B2).
 */
export function conjugateGradient(Avp: (v: Float64Array) => Float64Array, b: ArrayLike<number>, iters: number, residualTol = 1e-10): Float64Array {
  const n = b.length;
  const x = new Float64Array(n);
  const r = Float64Array.from(b);
  const p = Float64Array.from(b);
  let rr = dot(r, r);
  for (let k = 0; k < iters && rr > residualTol; k++) {
    const Ap = Avp(p);
    const alpha = rr / dot(p, Ap);
    for (let i = 0; i < n; i++) {
      x[i] += alpha * p[i];
      r[i] -= alpha * Ap[i];
    }
    const rrNew = dot(r, r);
    const beta = rrNew / rr;
    for (let i = 0; i < n; i++) p[i] = r[i] + beta * p[i];
    rr = rrNew;
  }
  return x;
}

export interface LineSearchResult {
  accepted: boolean;
  /** Fraction of the full step taken (0 when rejected). */
  fraction: number;
  /** Candidates evaluated. */
  tries: number;
  surrogate: number;
  kl: number;
}

/**
 * Backtracking line search: tries fractions 1, shrink, shrink², … of the full step; accepts the first whose KL ≤ maxKl
 * and whose surrogate exceeds `surrogateBefore`. `evaluate(fraction)` sets the parameters to θ_old + fraction·step
 * and returns the surrogate and KL there. On failure, evaluate(0) restores θ_old.
 */
export function backtrackingLineSearch(
  evaluate: (fraction: number) => { surrogate: number; kl: number },
  surrogateBefore: number,
  maxKl: number,
  shrink: number,
  maxIter: number,
): LineSearchResult {
  let fraction = 1;
  for (let i = 0; i < maxIter; i++) {
    const { surrogate, kl } = evaluate(fraction);
    if (kl <= maxKl && surrogate > surrogateBefore && Number.isFinite(surrogate)) {
      return { accepted: true, fraction, tries: i + 1, surrogate, kl };
    }
    fraction *= shrink;
  }
  const { surrogate, kl } = evaluate(0);
  return { accepted: false, fraction: 0, tries: maxIter, surrogate, kl };
}

/** g = ∇L(θ_old) = mean(A · ∇log π(a|s)) into the actor part of model.grads (returned as float64). */
export function surrogateGradJs(model: ActorCritic, samples: Samples): Float64Array {
  const n = samples.size;
  model.grads.fill(0);
  policyForward(model, samples.obs, samples.actions, n);
  const dLogProb = derivativeBuffer('dLogProb', n);
  for (let i = 0; i < n; i++) dLogProb[i] = samples.advantages[i] / n;
  policyBackward(model, samples.actions, n, dLogProb, 0);
  return Float64Array.from(model.actorGrads);
}

/**
 * v ↦ (F + damping·I)·v over the actor's parameters [network | logStd], at the current parameters (= θ_old) on
 * `obs`. F = mean over samples of Jᵀ M J, with M = diag(p) − ppᵀ (categorical logits) or diag(1/σ²) for the means
 * and 2 for each log σ (Gaussian). The actor's forward pass is run once, here; the returned function reuses its
 * activations, so it is valid until the actor runs another forward pass (the line search).
 */
export function fisherVectorProductJs(model: ActorCritic, obs: Float32Array, n: number, damping: number): (v: Float64Array) => Float64Array {
  const k = model.numActions;
  const netSize = model.actor.numParams;
  const direction = new Float32Array(netSize);
  const mjv = new Float32Array(n * k);
  const outputs = model.actor.forward(obs, n).slice();
  // gSDE: F = blockdiag(Jᵀ diag(1/v) J over the means, Σ g gᵀ/(2v²) over the log-std parameters), φ detached.
  const s = model.gsde;
  const latent = s ? model.latent(n).slice() : null;
  const std = s ? gsdeStd(s, model.logStd) : null;
  const variances = s ? new Float64Array(n * k) : null;
  if (s) for (let i = 0; i < n; i++) gsdeVariance(s, std!, latent!, i * s.latentDim, variances!.subarray(i * k, (i + 1) * k));
  return (v) => {
    for (let i = 0; i < netSize; i++) direction[i] = v[i];
    const jv = model.actor.jvp(direction);
    if (model.discrete) {
      for (let s = 0; s < n; s++) categoricalFisherVector(outputs, s * k, k, jv, mjv, 1 / n);
    } else if (s) {
      for (let i = 0; i < n * k; i++) mjv[i] = jv[i] / variances![i] / n;
    } else {
      for (let s = 0; s < n; s++) {
        for (let j = 0; j < k; j++) mjv[s * k + j] = (jv[s * k + j] * Math.exp(-2 * model.logStd[j])) / n;
      }
    }
    model.actorNetGrads.fill(0);
    model.actor.backward(mjv, model.actorNetGrads);
    const out = new Float64Array(v.length);
    for (let i = 0; i < netSize; i++) out[i] = model.actorNetGrads[i] + damping * v[i];
    if (s) {
      const u = v.subarray(netSize);
      const fu = out.subarray(netSize);
      for (let i = 0; i < n; i++) gsdeLogStdFisherVector(s, model.logStd, std!, latent!, i * s.latentDim, variances!.subarray(i * k, (i + 1) * k), u, fu, 1 / n);
      for (let j = netSize; j < v.length; j++) out[j] += damping * v[j];
      return out;
    }
    for (let j = netSize; j < v.length; j++) out[j] = 2 * v[j] + damping * v[j];
    return out;
  };
}

export function trpoUpdate({ model, samples, config, rng, progress, optimizers }: UpdateArgs<TrpoConfig>): UpdateMetrics {
  const n = samples.size;
  const js = config.engine === 'js';
  if (config.normAdv) normalizeInPlace(samples.advantages.subarray(0, n));

  // 1. Surrogate gradient at θ_old (where r = 1, so L(θ_old) = mean(A)).
  const old: PolicySnapshot = snapshotPolicy(model, samples);
  const g = js ? surrogateGradJs(model, samples) : surrogateGradTf(model, samples);
  const before = evaluatePolicy(model, samples, old);

  // 2. Natural-gradient direction x ≈ F⁻¹g and 3. the step that reaches the trust-region boundary.
  const fvp = js ? fisherVectorProductJs(model, samples.obs, n, config.cgDamping) : fisherVectorProductTf(model, samples.obs, n, config.cgDamping);
  const x = conjugateGradient(fvp, g, config.cgIters);
  const xFx = dot(x, fvp(x));
  const maxKl = config.annealMaxKl ? linear(config.maxKl, 0)(progress) : config.maxKl;
  const beta = xFx > 0 && maxKl > 0 ? Math.sqrt((2 * maxKl) / xFx) : 0;
  const thetaOld = model.actorParams.slice();
  const search = backtrackingLineSearch(
    (fraction) => {
      for (let i = 0; i < thetaOld.length; i++) model.actorParams[i] = thetaOld[i] + fraction * beta * x[i];
      model.paramsChanged();
      return evaluatePolicy(model, samples, old);
    },
    before.surrogate,
    maxKl,
    config.lineSearchShrink,
    config.lineSearchMaxIter,
  );
  if (!search.accepted) {
    model.actorParams.set(thetaOld);
    model.paramsChanged();
  }

  // 4. The critic, fitted separately: criticEpochs of minibatch Adam on mean((V − R)²).
  const lr = config.annealLr ? linear(config.lr, 0)(progress) : config.lr;
  const mbSize = Math.min(config.criticMinibatchSize, n);
  const gatherer = new MinibatchGatherer(model.spec.obsDim, model.actDim);
  let valueLoss = 0;
  let count = 0;
  for (let epoch = 0; epoch < config.criticEpochs; epoch++) {
    for (const indices of minibatchIndices(n, mbSize, rng)) {
      const mb = gatherer.gather(samples, indices);
      model.grads.fill(0);
      valueLoss += js ? valueMseJs(model, mb) : valueMseTf(model, mb);
      count++;
      clipGradNorm(model.criticGrads, config.maxGradNorm);
      optimizers.critic.step(model.criticParams, model.criticGrads, lr);
      model.paramsChanged();
    }
  }
  return {
    [METRIC.policyLoss]: -search.surrogate,
    [METRIC.valueLoss]: valueLoss / Math.max(1, count),
    [METRIC.entropy]: old.entropy,
    [METRIC.approxKl]: search.kl,
    [METRIC.explainedVariance]: explainedVariance(samples.values.subarray(0, n), samples.returns.subarray(0, n)),
    [METRIC.learningRate]: lr,
    [ALGO_METRIC.lineSearchSuccess]: search.accepted ? 1 : 0,
    [ALGO_METRIC.stepFraction]: search.fraction,
  };
}

export const trpo: AlgorithmImpl<TrpoConfig> = {
  rolloutShape: (config) => ({ numEnvs: config.numEnvs, numSteps: config.numSteps }),
  createOptimizers: (model, config) => ({ critic: new Adam(model.criticParams.length, config.adamEps) }),
  computeTargets: (buffer: RolloutBuffer, steps, config) => gaeTargets(buffer, steps, config.gamma, config.gaeLambda),
  needsValues: () => true,
  update: trpoUpdate,
};

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}
