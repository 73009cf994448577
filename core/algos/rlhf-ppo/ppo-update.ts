/**
 * PPO's update over an iteration's responses, on the hand-written engine and the value head (shared trunk, as TRL's
 * AutoModelForCausalLMWithValueHead):
 *   per minibatch of sequences, per response token i (n of them):
 *     ratio_i = exp(log π(y_i) − log π_old(y_i)),  pg_i = max(−A_i·ratio_i, −A_i·clip(ratio_i, 1 ± ε))
 *     vf_i    = max((V_i − R_i)², (V_old,i + clip(V_i − V_old,i, ±ε_V) − R_i)²)
 *     L = mean_i pg_i + vfCoef · ½ · mean_i vf_i          (TRL's PPOTrainer loss, token means over the minibatch)
 *   dL/dlog π_i → logProbBackward → dlogits (times 1/T: log-probs are of logits/T); dL/dV_i → head.backward → dhidden;
 *   one engine.backward(dlogits, dhidden); AdamW on trunk and head with one joint gradient-norm clip.
 * The per-token surrogate and value loss are the control algorithms' (core/algos/ppo/ppo.ts clippedSurrogate,
 * clippedValueLoss), so both PPOs clip the same way.
 */
import type { Rng } from '../../common/rng.js';
import type { LmEngine } from '../../lm/engine.js';
import { AdamW, gradNorm } from '../../lm/optim.js';
import { logProbBackward, packSequences, type PackedSequences, type ScalarHead } from '../../lm/seq.js';
import { clippedSurrogate, clippedValueLoss } from '../ppo/ppo.js';
import { scaledForward } from './rollout.js';

export interface PpoLossCoefs {
  clipRange: number;
  clipRangeValue: number;
  vfCoef: number;
  temperature: number;
}

/** A minibatch: packed sequences and, per response token (aligned with packed.rows), what the rollout recorded. */
export interface Minibatch {
  packed: PackedSequences;
  lpOld: Float32Array;
  advantages: Float32Array;
  returns: Float32Array;
  oldValues: Float32Array;
}

export interface MinibatchStats {
  loss: number;
  /** mean pg_i (loss/policy_avg). */
  pgLoss: number;
  /** ½·mean vf_i (loss/value_avg). */
  vfLoss: number;
  /** ½·mean (log π − log π_old)² (TRL's approxkl). */
  approxKl: number;
  /** Fraction of tokens whose clipped surrogate was the larger (policy/clipfrac_avg). */
  clipFrac: number;
  /** Fraction of tokens whose clipped value loss was the larger (val/clipfrac_avg). */
  vfClipFrac: number;
  /** mean ratio (val/ratio). */
  ratio: number;
  tokens: number;
}

/**
 * The PPO loss of one minibatch after a forward of it; with `backward` its gradient is added into engine.grads and
 * head.grads (zero them first). `dlogits` is optional scratch of ≥ B·T·V floats.
 */
export function minibatchLoss(engine: LmEngine, head: ScalarHead, mb: Minibatch, c: PpoLossCoefs, backward: boolean, dlogits?: Float32Array): MinibatchStats {
  const { packed } = mb;
  const n = packed.rows.length;
  if (mb.lpOld.length !== n || mb.advantages.length !== n || mb.returns.length !== n || mb.oldValues.length !== n) {
    throw new Error(`minibatch arrays must each have ${n} entries (one per response token)`);
  }
  const { logProbs, values } = scaledForward(engine, packed, c.temperature, head);
  const gLp = new Float64Array(n);
  const gV = new Float64Array(n);
  let pg = 0, vf = 0, kl = 0, clipped = 0, vClipped = 0, ratioSum = 0; // prettier-ignore
  for (let i = 0; i < n; i++) {
    const d = logProbs[i] - mb.lpOld[i];
    const ratio = Math.exp(d);
    const s = clippedSurrogate(ratio, mb.advantages[i], c.clipRange);
    pg += s.loss;
    gLp[i] = s.dLogProb / n;
    if (-mb.advantages[i] * Math.min(1 + c.clipRange, Math.max(1 - c.clipRange, ratio)) > -mb.advantages[i] * ratio) clipped++;
    const v = clippedValueLoss(values![i], mb.oldValues[i], mb.returns[i], c.clipRangeValue);
    vf += v.loss;
    gV[i] = (c.vfCoef * 0.5 * v.dValue) / n;
    const vc = mb.oldValues[i] + Math.min(c.clipRangeValue, Math.max(-c.clipRangeValue, values![i] - mb.oldValues[i]));
    if ((vc - mb.returns[i]) ** 2 > (values![i] - mb.returns[i]) ** 2) vClipped++;
    kl += d * d;
    ratioSum += ratio;
  }
  const pgLoss = pg / n;
  const vfLoss = (0.5 * vf) / n;
  if (backward) {
    const V = engine.config.vocabSize;
    const C = engine.config.nEmbd;
    if (c.temperature !== 1) for (let i = 0; i < n; i++) gLp[i] /= c.temperature;
    const dl = logProbBackward(engine.logits, V, packed, gLp, dlogits);
    const dhidden = new Float32Array(packed.B * packed.T * C);
    head.backward(engine.hidden, packed.rows, gV, dhidden);
    engine.backward(dl, dhidden);
  }
  return { loss: pgLoss + c.vfCoef * vfLoss, pgLoss, vfLoss, approxKl: (0.5 * kl) / n, clipFrac: clipped / n, vfClipFrac: vClipped / n, ratio: ratioSum / n, tokens: n };
}

/** What one iteration's update needs from the rollout (per-token arrays aligned with rollout.packed.rows). */
export interface UpdateInput {
  promptIds: readonly (readonly number[])[];
  responseIds: readonly (readonly number[])[];
  /** Start of each sequence's tokens in the per-token arrays (B + 1 entries). */
  offsets: Int32Array;
  lpOld: Float32Array;
  advantages: Float32Array;
  returns: Float32Array;
  oldValues: Float32Array;
}

export interface UpdateSettings extends PpoLossCoefs {
  ppoEpochs: number;
  miniBatches: number;
  lr: number;
  /** The value head's learning rate (its optimizer steps at this rate; the trunk at lr). */
  headLr: number;
  padId: number;
}

export interface UpdateStats extends Omit<MinibatchStats, 'loss' | 'tokens'> {
  /** Mean pre-clip global gradient norm of the optimizer steps. */
  gradNorm: number;
  /** Token positions through forward + backward (B·T summed over minibatches). */
  positions: number;
  optimizerSteps: number;
}

/** The minibatch of sequences `seqs` (indices into the iteration's responses). */
export function gatherMinibatch(input: UpdateInput, seqs: readonly number[], ctx: number, padId: number): Minibatch {
  const packed = packSequences(ctx, seqs.map((b) => input.promptIds[b]), seqs.map((b) => input.responseIds[b]), padId);
  const n = packed.rows.length;
  const take = (src: Float32Array): Float32Array => {
    const out = new Float32Array(n);
    let at = 0;
    for (const b of seqs) {
      out.set(src.subarray(input.offsets[b], input.offsets[b + 1]), at);
      at += input.offsets[b + 1] - input.offsets[b];
    }
    if (at !== n) throw new Error(`minibatch token count mismatch: ${at} recorded, ${n} packed`);
    return out;
  };
  return { packed, lpOld: take(input.lpOld), advantages: take(input.advantages), returns: take(input.returns), oldValues: take(input.oldValues) };
}

/**
 * ppoEpochs passes over the responses, each shuffled by `rng` and cut into miniBatches minibatches; one AdamW step
 * (trunk and head, joint clip) per minibatch. Returns the stats averaged over the minibatches.
 */
export function ppoUpdate(engine: LmEngine, head: ScalarHead, trunkOpt: AdamW, headOpt: AdamW, input: UpdateInput, s: UpdateSettings, rng: Rng): UpdateStats {
  const B = input.promptIds.length;
  if (s.miniBatches > B) throw new Error(`miniBatches (${s.miniBatches}) must not exceed the responses per iteration (${B})`);
  const order = Array.from({ length: B }, (_, i) => i);
  const acc = { pgLoss: 0, vfLoss: 0, approxKl: 0, clipFrac: 0, vfClipFrac: 0, ratio: 0, gradNorm: 0 };
  let steps = 0;
  let positions = 0;
  let dlogits = new Float32Array(0);
  for (let epoch = 0; epoch < s.ppoEpochs; epoch++) {
    rng.shuffle(order);
    for (let m = 0; m < s.miniBatches; m++) {
      const seqs = order.slice(Math.floor((m * B) / s.miniBatches), Math.floor(((m + 1) * B) / s.miniBatches));
      const mb = gatherMinibatch(input, seqs, engine.config.ctx, s.padId);
      const need = mb.packed.B * mb.packed.T * engine.config.vocabSize;
      if (dlogits.length < need) dlogits = new Float32Array(need);
      engine.zeroGrad();
      head.zeroGrad();
      const st = minibatchLoss(engine, head, mb, s, true, dlogits);
      if (!Number.isFinite(st.loss)) throw new Error(`the PPO loss is not finite (${st.loss}); try a lower lr`);
      const norm = gradNorm(engine, head);
      trunkOpt.step(engine, s.lr, norm);
      headOpt.step(head, s.headLr, norm);
      acc.pgLoss += st.pgLoss;
      acc.vfLoss += st.vfLoss;
      acc.approxKl += st.approxKl;
      acc.clipFrac += st.clipFrac;
      acc.vfClipFrac += st.vfClipFrac;
      acc.ratio += st.ratio;
      acc.gradNorm += norm;
      positions += mb.packed.B * mb.packed.T;
      steps++;
    }
  }
  const avg = (x: number): number => x / steps;
  return {
    pgLoss: avg(acc.pgLoss), vfLoss: avg(acc.vfLoss), approxKl: avg(acc.approxKl), clipFrac: avg(acc.clipFrac), vfClipFrac: avg(acc.vfClipFrac), // prettier-ignore
    ratio: avg(acc.ratio), gradNorm: avg(acc.gradNorm), positions, optimizerSteps: steps, // prettier-ignore
  };
}
