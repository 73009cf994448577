/**
 * The Bradley–Terry reward-model loss and its gradient, per batch of pairs (pure functions over plain arrays):
 *   P(y_w ≻ y_l) = σ(r_w − r_l)
 *   L_pair = −log σ(d), d = r_w − r_l              a strict preference (label a or b)
 *          = −½ log σ(d) − ½ log σ(−d)             a tie: the target probability is ½ (cross-entropy against ½)
 *   L = mean over pairs of L_pair + c · mean over pairs of (r_w + r_l)²   (TRL's center_rewards_coefficient c)
 * dL/dr is returned per sequence in the packed order [chosen…; rejected…], what the scalar head's backward takes.
 * −log σ(d) is computed as softplus(−d) so large margins neither overflow nor lose the gradient.
 */

/** log(1 + e^x) without overflow. */
export function softplus(x: number): number {
  return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
}

/** σ(x) without overflow. */
export function sigmoid(x: number): number {
  return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
}

export interface BtLoss {
  /** The whole loss (mean pair loss + centring term). */
  loss: number;
  /** The mean Bradley–Terry term alone. */
  btLoss: number;
  /** The centring term alone (0 when off). */
  centerLoss: number;
  /** dL/dr for each sequence: [chosen 0…B−1, rejected 0…B−1]. */
  dRewards: Float64Array;
}

/**
 * The loss of B pairs from their rewards: `rewards` = [r_chosen 0…B−1, r_rejected 0…B−1] (the packed batch's order),
 * `tie[i]` marks pair i as a tie (its two responses are in shown order; the loss is symmetric in them).
 * `centerCoef`: TRL's center_rewards_coefficient (null or 0: off).
 */
export function bradleyTerryLoss(rewards: ArrayLike<number>, tie: ArrayLike<boolean>, centerCoef: number | null = null): BtLoss {
  const B = tie.length;
  if (B < 1) throw new Error('bradleyTerryLoss needs at least one pair');
  if (rewards.length !== 2 * B) throw new Error(`bradleyTerryLoss needs 2·B = ${2 * B} rewards (chosen then rejected), got ${rewards.length}`);
  const c = centerCoef ?? 0;
  if (!(c >= 0 && Number.isFinite(c))) throw new Error(`centerRewardsCoefficient must be a finite number ≥ 0, got ${centerCoef}`);
  const dRewards = new Float64Array(2 * B);
  let bt = 0;
  let center = 0;
  for (let i = 0; i < B; i++) {
    const rw = rewards[i];
    const rl = rewards[B + i];
    if (!Number.isFinite(rw) || !Number.isFinite(rl)) throw new Error(`reward of pair ${i} is not finite (chosen ${rw}, rejected ${rl})`);
    const d = rw - rl;
    let dd: number;
    if (tie[i]) {
      // −½ log σ(d) − ½ log σ(−d); d/dd = −½ (1 − σ(d)) + ½ σ(d) = σ(d) − ½.
      bt += 0.5 * softplus(-d) + 0.5 * softplus(d);
      dd = sigmoid(d) - 0.5;
    } else {
      // −log σ(d) = softplus(−d); d/dd = −(1 − σ(d)) = −σ(−d).
      bt += softplus(-d);
      dd = -sigmoid(-d);
    }
    dRewards[i] = dd / B;
    dRewards[B + i] = -dd / B;
    if (c > 0) {
      const s = rw + rl;
      center += s * s;
      dRewards[i] += (2 * c * s) / B;
      dRewards[B + i] += (2 * c * s) / B;
    }
  }
  const btLoss = bt / B;
  const centerLoss = c > 0 ? (c * center) / B : 0;
  return { loss: btLoss + centerLoss, btLoss, centerLoss, dRewards };
}

/** Average ranks (1-based; tied values share the mean of their ranks). */
export function ranks(values: ArrayLike<number>): Float64Array {
  const n = values.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => values[a] - values[b]);
  const out = new Float64Array(n);
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && values[order[j + 1]] === values[order[i]]) j++;
    const r = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) out[order[k]] = r;
    i = j + 1;
  }
  return out;
}

/** Spearman's rank correlation (Pearson over average ranks); NaN when either side is constant or n < 2. */
export function spearman(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`spearman needs two equally long series, got ${a.length} and ${b.length}`);
  const n = a.length;
  if (n < 2) return NaN;
  const ra = ranks(a);
  const rb = ranks(b);
  const mean = (n + 1) / 2;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    const x = ra[i] - mean;
    const y = rb[i] - mean;
    sab += x * y;
    saa += x * x;
    sbb += y * y;
  }
  return saa > 0 && sbb > 0 ? sab / Math.sqrt(saa * sbb) : NaN;
}

export interface PairEval {
  /** Fraction of strict pairs with r_chosen > r_rejected (an exact tie of the two rewards counts ½); NaN with no strict pairs. */
  accuracy: number;
  /** Mean r_chosen − r_rejected over strict pairs. */
  margin: number;
  /** Mean, min and max reward over every scored response (both sides of every pair). */
  meanReward: number;
  minReward: number;
  maxReward: number;
}

/**
 * TRL RewardTrainer's evaluation numbers from the rewards of scored pairs (`chosen[i]`, `rejected[i]`); tie-labelled
 * pairs have no right answer and count only towards the reward statistics.
 */
export function pairMetrics(chosen: ArrayLike<number>, rejected: ArrayLike<number>, tie: ArrayLike<boolean>): PairEval {
  const n = tie.length;
  if (chosen.length !== n || rejected.length !== n) throw new Error(`pairMetrics needs ${n} chosen and rejected rewards, got ${chosen.length} and ${rejected.length}`);
  let correct = 0;
  let strict = 0;
  let margin = 0;
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    const w = chosen[i];
    const l = rejected[i];
    sum += w + l;
    min = Math.min(min, w, l);
    max = Math.max(max, w, l);
    if (tie[i]) continue;
    strict++;
    correct += w > l ? 1 : w === l ? 0.5 : 0;
    margin += w - l;
  }
  return {
    accuracy: strict > 0 ? correct / strict : NaN,
    margin: strict > 0 ? margin / strict : NaN,
    meanReward: n > 0 ? sum / (2 * n) : NaN,
    minReward: n > 0 ? min : NaN,
    maxReward: n > 0 ? max : NaN,
  };
}
