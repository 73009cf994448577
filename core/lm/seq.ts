/**
 * Prompt + response sequences as one batch, and the per-token quantities preference learning differentiates:
 *   packSequences      right-padded [B, T] tokens and, for every response token, the row of logits that predicts it
 *   responseLogProbs   log p(response token | prefix) per response token, after engine.forward(packed)
 *   logProbBackward    dL/dlogits from dL/d(log p) per response token (g · (onehot − softmax)), for engine.backward
 *   tokenEntropy       the policy's entropy at each response position
 *   ScalarHead         r = w·h + b on the final hidden state of chosen rows (reward model, value head)
 * RLHF (per-token ratios and values), DPO (summed log-ratios) and the reward model (last response token) all use
 * these over the hand-written engine, so their gradients come from the same backward that SFT is tested with.
 */
import { Rng } from '../common/rng.js';
import type { LmEngine } from './engine.js';
import type { ParamSet } from './optim.js';

export interface PackedSequences {
  tokens: Int32Array;
  B: number;
  T: number;
  /** Prompt length of each sequence. */
  promptLen: Int32Array;
  /** Response length of each sequence. */
  responseLen: Int32Array;
  /** Start of sequence b's response tokens in `rows` / `targets` (length B + 1). */
  offsets: Int32Array;
  /** For every response token (all sequences, in order): the flat position b·T + t whose logits predict it. */
  rows: Int32Array;
  /** The response tokens themselves, aligned with `rows`. */
  targets: Int32Array;
  /** The flat position of each sequence's last token (its last response token, or its last prompt token if the response is empty). */
  last: Int32Array;
}

/**
 * Packs prompt + response pairs right-padded with `padId` to the longest (or to `T` when given). Prompts must be
 * non-empty (start them with BOS) and every pair must fit the engine's context.
 */
export function packSequences(ctx: number, prompts: readonly (readonly number[])[], responses: readonly (readonly number[])[], padId = 0, T?: number): PackedSequences {
  if (prompts.length !== responses.length || prompts.length === 0) throw new Error(`packSequences needs as many prompts as responses (≥ 1), got ${prompts.length} and ${responses.length}`);
  const B = prompts.length;
  let longest = 0;
  let total = 0;
  prompts.forEach((p, i) => {
    if (p.length === 0) throw new Error(`prompt ${i} is empty (start it with BOS so the first response token has a context)`);
    const n = p.length + responses[i].length;
    if (n > ctx) throw new Error(`pair ${i} has ${n} tokens, more than the context length ${ctx}`);
    longest = Math.max(longest, n);
    total += responses[i].length;
  });
  const TT = T ?? longest;
  if (TT < longest || TT > ctx) throw new Error(`packSequences: T = ${TT} must be in [${longest}, ${ctx}]`);
  const tokens = new Int32Array(B * TT).fill(padId);
  const promptLen = new Int32Array(B);
  const responseLen = new Int32Array(B);
  const offsets = new Int32Array(B + 1);
  const rows = new Int32Array(total);
  const targets = new Int32Array(total);
  const last = new Int32Array(B);
  let at = 0;
  for (let b = 0; b < B; b++) {
    const p = prompts[b];
    const r = responses[b];
    tokens.set(p, b * TT);
    tokens.set(r, b * TT + p.length);
    promptLen[b] = p.length;
    responseLen[b] = r.length;
    offsets[b] = at;
    for (let j = 0; j < r.length; j++) {
      rows[at] = b * TT + p.length + j - 1;
      targets[at] = r[j];
      at++;
    }
    last[b] = b * TT + p.length + r.length - 1;
  }
  offsets[B] = at;
  return { tokens, B, T: TT, promptLen, responseLen, offsets, rows, targets, last };
}

/** Runs the forward pass of a packed batch (dropout as `training` says) and returns the per-response-token log-probs. */
export function forwardLogProbs(engine: LmEngine, packed: PackedSequences, training = false): Float32Array {
  const logits = engine.forward(packed.tokens, packed.B, packed.T, training);
  return responseLogProbs(logits, engine.config.vocabSize, packed);
}

/** log softmax(logits[row])[target] for every response token of `packed` (read from the last forward's logits). */
export function responseLogProbs(logits: Float32Array, V: number, packed: PackedSequences): Float32Array {
  const out = new Float32Array(packed.rows.length);
  for (let i = 0; i < packed.rows.length; i++) {
    const o = packed.rows[i] * V;
    let max = -Infinity;
    for (let v = 0; v < V; v++) if (logits[o + v] > max) max = logits[o + v];
    let s = 0;
    for (let v = 0; v < V; v++) s += Math.exp(logits[o + v] - max);
    out[i] = logits[o + packed.targets[i]] - max - Math.log(s);
  }
  return out;
}

/** Σ of per-token values over each sequence's response (e.g. summed log-probs): one number per sequence. */
export function sumPerSequence(values: ArrayLike<number>, packed: PackedSequences): Float64Array {
  const out = new Float64Array(packed.B);
  for (let b = 0; b < packed.B; b++) {
    let s = 0;
    for (let i = packed.offsets[b]; i < packed.offsets[b + 1]; i++) s += values[i];
    out[b] = s;
  }
  return out;
}

/**
 * dL/dlogits [B·T, V] for a loss L that depends on the response log-probs, given g[i] = dL/d(log p_i):
 * d log softmax(z)[t] / dz = onehot(t) − softmax(z), so dL/dz_row = g·(onehot − softmax). Rows that predict no
 * response token get 0. `into` (≥ B·T·V entries) is zeroed and filled; pass it to engine.backward.
 */
export function logProbBackward(logits: Float32Array, V: number, packed: PackedSequences, g: ArrayLike<number>, into?: Float32Array): Float32Array {
  const N = packed.B * packed.T;
  const d = into && into.length >= N * V ? into : new Float32Array(N * V);
  d.fill(0, 0, N * V);
  for (let i = 0; i < packed.rows.length; i++) {
    const gi = g[i];
    if (gi === 0) continue;
    const o = packed.rows[i] * V;
    let max = -Infinity;
    for (let v = 0; v < V; v++) if (logits[o + v] > max) max = logits[o + v];
    let s = 0;
    for (let v = 0; v < V; v++) s += Math.exp(logits[o + v] - max);
    const inv = 1 / s;
    for (let v = 0; v < V; v++) d[o + v] -= gi * Math.exp(logits[o + v] - max) * inv;
    d[o + packed.targets[i]] += gi;
  }
  return d;
}

/** The entropy (nats) of softmax(logits[row]) at every response position of `packed`. */
export function tokenEntropy(logits: Float32Array, V: number, packed: PackedSequences): Float32Array {
  const out = new Float32Array(packed.rows.length);
  for (let i = 0; i < packed.rows.length; i++) {
    const o = packed.rows[i] * V;
    let max = -Infinity;
    for (let v = 0; v < V; v++) if (logits[o + v] > max) max = logits[o + v];
    let s = 0;
    let sz = 0;
    for (let v = 0; v < V; v++) {
      const e = Math.exp(logits[o + v] - max);
      s += e;
      sz += e * (logits[o + v] - max);
    }
    out[i] = Math.log(s) - sz / s;
  }
  return out;
}

/**
 * A scalar head on the final hidden state: out = w·h[row] + b. The reward model reads it at each sequence's last
 * token, RLHF's value head at every response-predicting row. Parameters [w (C), b] in one flat vector, so AdamW
 * and checkpoints treat it like the trunk (w gets weight decay, b does not).
 */
export class ScalarHead implements ParamSet {
  readonly C: number;
  readonly params: Float32Array;
  readonly grads: Float32Array;
  readonly layout: { tensors: [string, number, number[]][] };

  constructor(C: number, seed = 0, std = 0) {
    if (!Number.isInteger(C) || C < 1) throw new Error(`ScalarHead needs a positive width, got ${C}`);
    this.C = C;
    this.params = new Float32Array(C + 1);
    this.grads = new Float32Array(C + 1);
    this.layout = { tensors: [['w', 0, [1, C]], ['b', C, [1]]] };
    if (std > 0) {
      const rng = new Rng(seed);
      for (let i = 0; i < C; i++) this.params[i] = rng.normal() * std;
    }
  }

  /** out[i] = w·hidden[rows[i]] + b. */
  forward(hidden: Float32Array, rows: ArrayLike<number>): Float32Array {
    const { C, params: p } = this;
    const out = new Float32Array(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const o = rows[i] * C;
      let s = p[C];
      for (let k = 0; k < C; k++) s += p[k] * hidden[o + k];
      out[i] = s;
    }
    return out;
  }

  /**
   * Given g[i] = dL/dout[i]: adds dL/dw, dL/db into `grads` and g[i]·w into dhidden[rows[i]] (dhidden is
   * [B·T, C], accumulated into — zero it first).
   */
  backward(hidden: Float32Array, rows: ArrayLike<number>, g: ArrayLike<number>, dhidden: Float32Array): void {
    const { C, params: p, grads: G } = this;
    for (let i = 0; i < rows.length; i++) {
      const gi = g[i];
      if (gi === 0) continue;
      const o = rows[i] * C;
      for (let k = 0; k < C; k++) {
        G[k] += gi * hidden[o + k];
        dhidden[o + k] += gi * p[k];
      }
      G[C] += gi;
    }
  }

  zeroGrad(): void {
    this.grads.fill(0);
  }
}
