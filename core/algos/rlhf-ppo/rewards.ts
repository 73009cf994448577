/**
 * RLHF's reward shaping and return estimation over response tokens (flat arrays: every response token of the
 * iteration, sequence after sequence, sequence b at offsets[b] … offsets[b + 1] − 1 — core/lm/seq.ts's layout):
 *   tokenRewards   r_t = −β·(log π_old(y_t) − log π_SFT(y_t)), plus the sequence's score at its last token
 *   KlController   fixed β, or Ziegler et al. 2019's adaptive β (the form of TRL's AdaptiveKLController)
 *   tokenGae       GAE(γ, λ) over each response, which ends (terminates) at its last token — core/common's gae with
 *                  the responses laid end to end as one stream whose episodes end at each last token
 */
import { gae } from '../../common/returns.js';

export interface TokenRewards {
  /** Per-token reward, the KL penalty everywhere and the score added at each sequence's last token. */
  rewards: Float32Array;
  /** Σ_t (log π_old − log π_SFT) per sequence: the sampled KL estimate of each response (objective/kl). */
  kl: Float64Array;
  /** Σ_t −β·(log π_old − log π_SFT) per sequence (objective/non_score_reward). */
  nonScore: Float64Array;
}

function checkOffsets(offsets: Int32Array, n: number, B: number): void {
  if (offsets.length !== B + 1 || offsets[0] !== 0 || offsets[B] !== n) throw new Error(`offsets must have B + 1 = ${B + 1} entries from 0 to ${n}, got ${offsets.length} ending at ${offsets[offsets.length - 1]}`);
  for (let b = 0; b < B; b++) if (!(offsets[b + 1] > offsets[b])) throw new Error(`response ${b} is empty: every response needs at least one token (its EOS)`);
}

/** The shaped per-token rewards of a batch (see the module comment). `scores` has one entry per sequence. */
export function tokenRewards(lpOld: Float32Array, lpRef: Float32Array, offsets: Int32Array, scores: ArrayLike<number>, beta: number): TokenRewards {
  const n = lpOld.length;
  const B = scores.length;
  if (lpRef.length !== n) throw new Error(`tokenRewards: ${n} policy log-probs but ${lpRef.length} reference log-probs`);
  if (!(beta >= 0 && Number.isFinite(beta))) throw new Error(`tokenRewards: β must be finite and ≥ 0, got ${beta}`);
  checkOffsets(offsets, n, B);
  const rewards = new Float32Array(n);
  const kl = new Float64Array(B);
  const nonScore = new Float64Array(B);
  for (let b = 0; b < B; b++) {
    for (let i = offsets[b]; i < offsets[b + 1]; i++) {
      const k = lpOld[i] - lpRef[i];
      rewards[i] = -beta * k;
      kl[b] += k;
      nonScore[b] += -beta * k;
    }
    const s = scores[b];
    if (!Number.isFinite(s)) throw new Error(`tokenRewards: the score of response ${b} is not finite (${s})`);
    rewards[offsets[b + 1] - 1] += s;
  }
  return { rewards, kl, nonScore };
}

/**
 * β of the KL penalty. Adaptive (Ziegler et al. 2019, §2.2; the update of TRL's AdaptiveKLController in
 * trl/trainer/utils.py, called by its PPOTrainer with the batch's mean KL and the batch size):
 *   e = clip(KL / target − 1, −0.2, 0.2);  β ← β · (1 + e · n / horizon)
 * with KL the iteration's mean per-response KL and n the responses it used. Fixed: β never changes.
 */
export class KlController {
  value: number;
  readonly adaptive: boolean;
  readonly target: number;
  readonly horizon: number;

  constructor(init: number, adaptive: boolean, target: number, horizon: number) {
    if (!(init >= 0 && Number.isFinite(init))) throw new Error(`klCoef must be finite and ≥ 0, got ${init}`);
    if (adaptive && !(target > 0 && horizon > 0)) throw new Error(`adaptive KL needs targetKl > 0 and klHorizon > 0, got ${target} and ${horizon}`);
    this.value = init;
    this.adaptive = adaptive;
    this.target = target;
    this.horizon = horizon;
  }

  /** After an iteration whose responses (n of them) had mean KL `current`; returns the new β. */
  update(current: number, n: number): number {
    if (!this.adaptive) return this.value;
    if (!Number.isFinite(current)) throw new Error(`KlController.update: the KL is not finite (${current})`);
    const e = Math.min(0.2, Math.max(-0.2, current / this.target - 1));
    this.value *= 1 + (e * n) / this.horizon;
    return this.value;
  }
}

/**
 * GAE over response tokens: each response is an episode that terminates at its last token (nothing follows the
 * EOS, so V after it is 0). values[i] = V(state before token i) from the value head. returns = advantages + values.
 */
export function tokenGae(rewards: Float32Array, values: Float32Array, offsets: Int32Array, gamma: number, lam: number): { advantages: Float32Array; returns: Float32Array } {
  const n = rewards.length;
  if (values.length !== n) throw new Error(`tokenGae: ${n} rewards but ${values.length} values`);
  checkOffsets(offsets, n, offsets.length - 1);
  const terminated = new Uint8Array(n);
  for (let b = 1; b < offsets.length; b++) terminated[offsets[b] - 1] = 1;
  return gae(
    { rewards, values, terminated, truncated: new Uint8Array(n), finalValues: new Float32Array(n), lastValues: new Float32Array(1), numEnvs: 1, gamma },
    lam,
  );
}
