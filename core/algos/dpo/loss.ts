/**
 * The DPO family of losses on summed sequence log-probs (pure: numbers in, numbers out).
 *
 * For a pair (x, y_w ≻ y_l), with the log-ratio of each response to the frozen reference
 *   ρ_w = log π(y_w|x) − log π_ref(y_w|x),   ρ_l = log π(y_l|x) − log π_ref(y_l|x),   Δ = ρ_w − ρ_l,
 * and h = β·Δ:
 *   sigmoid (DPO, Rafailov et al. 2023, eq. 7):         L = −log σ(h)
 *   + label smoothing ε (conservative DPO, Mitchell 2023): L = −(1−ε)·log σ(h) − ε·log σ(−h)
 *   ipo (Azar et al. 2023, "A General Theoretical Paradigm to Understand Learning from Human Preferences",
 *       eq. 17, τ = β; the form TRL's DPOTrainer uses):   L = (Δ − 1/(2β))² = (h/β − 1/(2β))²
 * The batch loss is the mean over pairs. DPO's implicit reward of a response is r̂(x, y) = β·ρ, so TRL's
 * rewards/chosen = mean β·ρ_w, rewards/rejected = mean β·ρ_l, rewards/margins = mean (β·ρ_w − β·ρ_l),
 * rewards/accuracies = fraction of pairs with β·ρ_w > β·ρ_l.
 * Note: TRL length-normalises log-probs for IPO (mean per token); here both losses use the summed log-probs of the
 * issue's formula, so β means the same thing for both.
 *
 * Gradients per pair (before the 1/n of the mean):
 *   sigmoid: dL/dh = σ(h) − (1 − ε);  dL/dlog π(y_w) = β·dL/dh,  dL/dlog π(y_l) = −β·dL/dh
 *   ipo:     dL/dΔ = 2(Δ − 1/(2β));   dL/dlog π(y_w) = dL/dΔ,    dL/dlog π(y_l) = −dL/dΔ
 */
import type { DpoLossType } from './config.js';

export interface DpoLossOptions {
  beta: number;
  loss: DpoLossType;
  /** ε of conservative DPO (sigmoid only), in [0, 0.5). */
  labelSmoothing: number;
}

/** TRL's DPO metric names (train side; evaluation prefixes them with `eval/`). */
export const DPO_METRIC = {
  rewardsChosen: 'rewards/chosen',
  rewardsRejected: 'rewards/rejected',
  rewardsAccuracies: 'rewards/accuracies',
  rewardsMargins: 'rewards/margins',
  logpsChosen: 'logps/chosen',
  logpsRejected: 'logps/rejected',
  logitsChosen: 'logits/chosen',
  logitsRejected: 'logits/rejected',
  loss: 'train/loss',
} as const;

export interface DpoLossResult {
  /** Mean loss over the pairs. */
  loss: number;
  /** Per-pair losses. */
  losses: Float64Array;
  /** dL/dlog π(y_w) of each pair, for the mean loss (includes the 1/n). */
  dChosen: Float64Array;
  /** dL/dlog π(y_l) of each pair, for the mean loss. */
  dRejected: Float64Array;
  /** Implicit rewards β·ρ of each pair's responses. */
  chosenRewards: Float64Array;
  rejectedRewards: Float64Array;
  /** rewards/* and logps/* (TRL's names), means over the pairs. */
  metrics: Record<string, number>;
}

/** log σ(x), stable for large |x|. */
export function logSigmoid(x: number): number {
  return x >= 0 ? -Math.log1p(Math.exp(-x)) : x - Math.log1p(Math.exp(x));
}

export function sigmoid(x: number): number {
  return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
}

export function checkLossOptions(o: DpoLossOptions): void {
  if (!(Number.isFinite(o.beta) && o.beta > 0)) throw new Error(`DPO beta must be a finite number > 0, got ${o.beta}`);
  if (o.loss !== 'sigmoid' && o.loss !== 'ipo') throw new Error(`DPO loss must be "sigmoid" or "ipo", got ${JSON.stringify(o.loss)}`);
  if (!(o.labelSmoothing >= 0 && o.labelSmoothing < 0.5)) throw new Error(`DPO labelSmoothing must be in [0, 0.5), got ${o.labelSmoothing}`);
  if (o.labelSmoothing > 0 && o.loss !== 'sigmoid') throw new Error(`DPO labelSmoothing applies to the sigmoid loss only, got ${o.labelSmoothing} with loss ${o.loss}`);
}

/**
 * The loss, its gradient with respect to each sequence's summed log-prob, the implicit rewards and TRL's metrics,
 * from the policy's and the reference's summed log-probs of the chosen and the rejected responses (one entry per pair).
 */
export function dpoLoss(
  policyChosen: ArrayLike<number>,
  policyRejected: ArrayLike<number>,
  refChosen: ArrayLike<number>,
  refRejected: ArrayLike<number>,
  options: DpoLossOptions,
): DpoLossResult {
  checkLossOptions(options);
  const n = policyChosen.length;
  if (n === 0) throw new Error('dpoLoss needs at least one pair');
  if (policyRejected.length !== n || refChosen.length !== n || refRejected.length !== n) {
    throw new Error(`dpoLoss needs as many log-probs of each kind, got ${n} (policy chosen), ${policyRejected.length} (policy rejected), ${refChosen.length} (ref chosen), ${refRejected.length} (ref rejected)`);
  }
  const { beta, loss: kind, labelSmoothing: eps } = options;
  const losses = new Float64Array(n);
  const dChosen = new Float64Array(n);
  const dRejected = new Float64Array(n);
  const chosenRewards = new Float64Array(n);
  const rejectedRewards = new Float64Array(n);
  let sumLoss = 0;
  let sumRc = 0;
  let sumRr = 0;
  let correct = 0;
  let sumLpc = 0;
  let sumLpr = 0;
  for (let i = 0; i < n; i++) {
    const rhoW = policyChosen[i] - refChosen[i];
    const rhoL = policyRejected[i] - refRejected[i];
    if (!Number.isFinite(rhoW) || !Number.isFinite(rhoL)) throw new Error(`dpoLoss: pair ${i} has a non-finite log-prob (policy ${policyChosen[i]}, ${policyRejected[i]}; reference ${refChosen[i]}, ${refRejected[i]})`);
    const delta = rhoW - rhoL;
    let l: number;
    let dDelta: number;
    if (kind === 'sigmoid') {
      const h = beta * delta;
      l = -(1 - eps) * logSigmoid(h) - (eps > 0 ? eps * logSigmoid(-h) : 0);
      dDelta = beta * (sigmoid(h) - (1 - eps));
    } else {
      const m = delta - 1 / (2 * beta);
      l = m * m;
      dDelta = 2 * m;
    }
    losses[i] = l;
    dChosen[i] = dDelta / n;
    dRejected[i] = -dDelta / n;
    chosenRewards[i] = beta * rhoW;
    rejectedRewards[i] = beta * rhoL;
    sumLoss += l;
    sumRc += chosenRewards[i];
    sumRr += rejectedRewards[i];
    if (chosenRewards[i] > rejectedRewards[i]) correct++;
    sumLpc += policyChosen[i];
    sumLpr += policyRejected[i];
  }
  return {
    loss: sumLoss / n,
    losses,
    dChosen,
    dRejected,
    chosenRewards,
    rejectedRewards,
    metrics: {
      [DPO_METRIC.rewardsChosen]: sumRc / n,
      [DPO_METRIC.rewardsRejected]: sumRr / n,
      [DPO_METRIC.rewardsAccuracies]: correct / n,
      [DPO_METRIC.rewardsMargins]: (sumRc - sumRr) / n,
      [DPO_METRIC.logpsChosen]: sumLpc / n,
      [DPO_METRIC.logpsRejected]: sumLpr / n,
    },
  };
}
