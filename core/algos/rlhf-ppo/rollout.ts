/**
 * One PPO iteration's experience: responses sampled from the current policy with the KV cache (core/lm/generate.ts,
 * seeded per iteration), then one batched forward of the policy — log π_old per response token and the value head
 * at each response-predicting row — and one of the frozen SFT reference — log π_SFT — and the score of each
 * response (r_φ from the reward model, or the task's oracle). Log-probabilities are taken at the sampling
 * temperature (logits / T), as TRL does, so the ratios and the KL are those of the distribution sampled from.
 */
import type { LmEngine } from '../../lm/engine.js';
import { sample } from '../../lm/generate.js';
import { packSequences, responseLogProbs, type PackedSequences, type ScalarHead } from '../../lm/seq.js';
import type { Tokenizer } from '../../lm/tokenizer.js';
import { decodeResponse, encodePrompt } from '../prefs/common.js';

/** Scores (prompt, completion) texts: r_φ of a reward model, or a task's oracle. */
export type Scorer = (prompts: readonly string[], completions: readonly string[]) => Float64Array;

export interface SamplingConfig {
  temperature: number;
  topK: number;
  maxNewTokens: number;
}

export interface Rollout {
  prompts: string[];
  completions: string[];
  promptIds: number[][];
  responseIds: number[][];
  packed: PackedSequences;
  /** log π_old(y_t) per response token (at the sampling temperature). */
  lpOld: Float32Array;
  /** log π_SFT(y_t) per response token (at the sampling temperature). */
  lpRef: Float32Array;
  /** The value head's V(state before y_t) per response token. */
  values: Float32Array;
  /** The score of each response. */
  scores: Float64Array;
  /** Tokens sampled (Σ response lengths). */
  generated: number;
}

/**
 * A forward of `packed` (no dropout) with logits divided by `temperature` in place; returns the per-response-token
 * log-probs, and the head's values at the same rows when a head is given. engine.logits then hold the scaled logits
 * and engine.hidden the final hidden state — what the PPO loss's backward reads.
 */
export function scaledForward(engine: LmEngine, packed: PackedSequences, temperature: number, head: ScalarHead | null): { logProbs: Float32Array; values: Float32Array | null } {
  if (!(temperature > 0)) throw new Error(`temperature must be > 0 for log-probabilities, got ${temperature}`);
  const logits = engine.forward(packed.tokens, packed.B, packed.T, false);
  const V = engine.config.vocabSize;
  if (temperature !== 1) {
    const inv = 1 / temperature;
    const n = packed.B * packed.T * V;
    for (let i = 0; i < n; i++) logits[i] *= inv;
  }
  return { logProbs: responseLogProbs(logits, V, packed), values: head ? head.forward(engine.hidden, packed.rows) : null };
}

/** Samples one response per prompt (seeded) and records everything PPO needs about it. */
export function collectRollout(
  policy: LmEngine,
  head: ScalarHead,
  reference: LmEngine,
  tok: Tokenizer,
  prompts: readonly string[],
  scorer: Scorer,
  s: SamplingConfig,
  seed: number,
): Rollout {
  if (prompts.length === 0) throw new Error('collectRollout needs at least one prompt');
  const ctx = policy.config.ctx;
  const room = Math.min(s.maxNewTokens, ctx - 1);
  const promptIds = prompts.map((p) => encodePrompt(tok, p, ctx, room));
  const outs = sample(policy, promptIds, { maxNewTokens: s.maxNewTokens, temperature: s.temperature, topK: s.topK, eosId: tok.ids.eos, seed });
  // An empty response (the prompt filled the context) still needs a token to be scored and trained on: its EOS.
  const responseIds = outs.map((o, i) => (o.length > 0 ? o : [tok.ids.eos]).slice(0, ctx - promptIds[i].length));
  const packed = packSequences(ctx, promptIds, responseIds, tok.ids.pad);
  const { logProbs: lpOld, values } = scaledForward(policy, packed, s.temperature, head);
  const { logProbs: lpRef } = scaledForward(reference, packed, s.temperature, null);
  const completions = responseIds.map((r) => decodeResponse(tok, r));
  const scores = scorer(prompts, completions);
  if (scores.length !== prompts.length) throw new Error(`the scorer returned ${scores.length} scores for ${prompts.length} responses`);
  return { prompts: [...prompts], completions, promptIds, responseIds, packed, lpOld, lpRef, values: values!, scores, generated: packed.rows.length };
}
