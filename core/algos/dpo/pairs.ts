/**
 * Preference pairs as token ids in the SFT layout, their summed log-probs under a model, the reference log-probs
 * DPO computes once per run, and the training batch [chosen…; rejected…] with its per-token gradient.
 */
import type { LmEngine } from '../../lm/engine.js';
import { logProbBackward, packSequences, responseLogProbs, sumPerSequence, type PackedSequences } from '../../lm/seq.js';
import type { Tokenizer } from '../../lm/tokenizer.js';
import { encodePrompt, encodeResponse, type PreferencePair } from '../prefs/common.js';

export interface EncodedPair {
  id: string;
  /** [BOS] prompt [SEP], cut from the left when the responses need the room. */
  prompt: number[];
  /** Response tokens + EOS (cut to fit the context). */
  chosen: number[];
  rejected: number[];
}

/**
 * Token ids of each pair: both responses fit the context after the prompt (the prompt is cut from the left first,
 * down to one token; then the longer response is cut). `truncated` counts pairs that lost response tokens.
 */
export function encodePairs(tok: Tokenizer, pairs: readonly PreferencePair[], ctx: number): { pairs: EncodedPair[]; truncated: number } {
  let truncated = 0;
  const out = pairs.map((p): EncodedPair => {
    const c = encodeResponse(tok, p.chosen, ctx);
    const r = encodeResponse(tok, p.rejected, ctx);
    const room = Math.min(ctx - 1, Math.max(c.length, r.length));
    const prompt = encodePrompt(tok, p.prompt, ctx, room);
    const max = ctx - prompt.length;
    if (c.length > max || r.length > max) truncated++;
    return { id: p.id, prompt, chosen: c.slice(0, max), rejected: r.slice(0, max) };
  });
  return { pairs: out, truncated };
}

/** Same token ids for chosen and rejected: DPO's Δ is 0 whatever the policy, so such a pair carries no signal. */
export function identicalResponses(p: EncodedPair): boolean {
  return p.chosen.length === p.rejected.length && p.chosen.every((t, i) => t === p.rejected[i]);
}

/** FNV-1a over every pair's ids and tokens: a resume checks that its pairs are the ones the run started with. */
export function pairsFingerprint(pairs: readonly EncodedPair[]): string {
  let h = 0x811c9dc5;
  const mix = (x: number): void => {
    h ^= x & 0xffff;
    h = Math.imul(h, 0x01000193) >>> 0;
    h ^= x >>> 16;
    h = Math.imul(h, 0x01000193) >>> 0;
  };
  for (const p of pairs) {
    for (let i = 0; i < p.id.length; i++) mix(p.id.charCodeAt(i));
    for (const part of [p.prompt, p.chosen, p.rejected]) {
      mix(0xfffffff0 + part.length);
      for (const t of part) mix(t);
    }
  }
  return h.toString(16).padStart(8, '0');
}

/** Σ log π(y|x) of each (prompt, response) under `engine` (dropout off), `batch` sequences per forward. */
export function sequenceLogProbs(engine: LmEngine, prompts: readonly (readonly number[])[], responses: readonly (readonly number[])[], padId: number, batch = 32): Float64Array {
  const out = new Float64Array(prompts.length);
  const V = engine.config.vocabSize;
  for (let s = 0; s < prompts.length; s += batch) {
    const packed = packSequences(engine.config.ctx, prompts.slice(s, s + batch), responses.slice(s, s + batch), padId);
    const logits = engine.forward(packed.tokens, packed.B, packed.T, false);
    out.set(sumPerSequence(responseLogProbs(logits, V, packed), packed), s);
  }
  return out;
}

export interface PairLogProbs {
  chosen: Float64Array;
  rejected: Float64Array;
}

/** Summed log-probs of both responses of every pair under `engine`. */
export function pairLogProbs(engine: LmEngine, pairs: readonly EncodedPair[], padId: number, batch = 32): PairLogProbs {
  const prompts = pairs.map((p) => p.prompt);
  return {
    chosen: sequenceLogProbs(engine, prompts, pairs.map((p) => p.chosen), padId, batch),
    rejected: sequenceLogProbs(engine, prompts, pairs.map((p) => p.rejected), padId, batch),
  };
}

/**
 * How often the reference log-probs were computed in this process (calls, and pairs scored): a run computes them
 * once when it starts and a resume reads them from the checkpoint, which tests check by these counts.
 */
export const referenceStats = { calls: 0, pairs: 0 };

/** The reference π_SFT's summed log-probs of every pair: computed once per run and cached in its checkpoints. */
export function referenceLogProbs(reference: LmEngine, pairs: readonly EncodedPair[], padId: number): PairLogProbs {
  referenceStats.calls++;
  referenceStats.pairs += pairs.length;
  return pairLogProbs(reference, pairs, padId);
}

export interface DpoBatch {
  /** Rows 0…n−1: the chosen responses; rows n…2n−1: the rejected ones, same prompts. */
  packed: PackedSequences;
  n: number;
}

export function packDpoBatch(ctx: number, pairs: readonly EncodedPair[], padId: number): DpoBatch {
  const prompts = pairs.map((p) => p.prompt);
  const packed = packSequences(ctx, [...prompts, ...prompts], [...pairs.map((p) => p.chosen), ...pairs.map((p) => p.rejected)], padId);
  return { packed, n: pairs.length };
}

/** Policy forward of a DPO batch: summed log-probs of the chosen and rejected responses and TRL's mean logits of each. */
export function dpoForward(engine: LmEngine, batch: DpoBatch, training: boolean): { chosen: Float64Array; rejected: Float64Array; logitsChosen: number; logitsRejected: number; logits: Float32Array } {
  const { packed, n } = batch;
  const V = engine.config.vocabSize;
  const logits = engine.forward(packed.tokens, packed.B, packed.T, training);
  const sums = sumPerSequence(responseLogProbs(logits, V, packed), packed);
  // TRL's logits/chosen, logits/rejected: the mean of all logits at the response positions of each half.
  const meanLogits = (from: number, to: number): number => {
    let s = 0;
    let count = 0;
    for (let i = packed.offsets[from]; i < packed.offsets[to]; i++) {
      const o = packed.rows[i] * V;
      for (let v = 0; v < V; v++) s += logits[o + v];
      count += V;
    }
    return count > 0 ? s / count : 0;
  };
  return { chosen: sums.subarray(0, n), rejected: sums.subarray(n, 2 * n), logitsChosen: meanLogits(0, n), logitsRejected: meanLogits(n, 2 * n), logits };
}

/**
 * dL/dlogits of a DPO batch after its forward: every response token of sequence b gets g = dL/dΣlog π(seq b)
 * (a sum's derivative is 1 for each term), then logProbBackward turns g into dL/dlogits for engine.backward.
 */
export function dpoLogitsGrad(logits: Float32Array, V: number, batch: DpoBatch, dChosen: ArrayLike<number>, dRejected: ArrayLike<number>, into?: Float32Array): Float32Array {
  const { packed, n } = batch;
  const g = new Float32Array(packed.rows.length);
  for (let b = 0; b < packed.B; b++) {
    const gb = b < n ? dChosen[b] : dRejected[b - n];
    g.fill(gb, packed.offsets[b], packed.offsets[b + 1]);
  }
  return logProbBackward(logits, V, packed, g, into);
}
