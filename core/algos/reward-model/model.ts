/**
 * The reward model r_φ(x, y): the SFT transformer with a scalar head on the final hidden state of the last response
 * token (the EOS the response ends with). Checkpointed as the `lm` model (the trunk, core/lm's format) plus the
 * head's [w, b] as the Float32Array `rewardHead`; RLHF loads it back with loadRewardModel.
 */
import type { LmEngine } from '../../lm/engine.js';
import { packSequences, ScalarHead, type PackedSequences } from '../../lm/seq.js';
import type { Tokenizer } from '../../lm/tokenizer.js';
import { encodePrompt, encodeResponse, loadLmFromRun } from '../prefs/common.js';

/** The checkpoint array holding the head's parameters [w (C), b]. */
export const REWARD_HEAD_ARRAY = 'rewardHead';

export class RewardModel {
  readonly engine: LmEngine;
  readonly head: ScalarHead;
  readonly tokenizer: Tokenizer;

  constructor(engine: LmEngine, tokenizer: Tokenizer, head?: ScalarHead) {
    this.engine = engine;
    this.tokenizer = tokenizer;
    this.head = head ?? new ScalarHead(engine.config.nEmbd);
    if (this.head.C !== engine.config.nEmbd) throw new Error(`reward head width ${this.head.C} ≠ model width ${engine.config.nEmbd}`);
  }

  /** Token ids of (prompt, response) pairs in the SFT layout, each fitting the context. */
  encode(prompts: readonly string[], responses: readonly string[]): { prompts: number[][]; responses: number[][] } {
    const ctx = this.engine.config.ctx;
    const p = prompts.map((x) => encodePrompt(this.tokenizer, x, ctx, Math.min(16, ctx - 1)));
    const r = responses.map((y, i) => encodeResponse(this.tokenizer, y, ctx - p[i].length));
    return { prompts: p, responses: r };
  }

  /** r for a packed batch after a forward of it (the head at each sequence's last token). */
  scorePacked(packed: PackedSequences, training = false): Float32Array {
    this.engine.forward(packed.tokens, packed.B, packed.T, training);
    return this.head.forward(this.engine.hidden, packed.last);
  }

  /** r_φ(x, y) of each pair, `batch` at a time. */
  score(prompts: readonly string[], responses: readonly string[], batch = 32): Float32Array {
    if (prompts.length !== responses.length) throw new Error(`score needs as many prompts as responses, got ${prompts.length} and ${responses.length}`);
    const out = new Float32Array(prompts.length);
    for (let s = 0; s < prompts.length; s += batch) {
      const enc = this.encode(prompts.slice(s, s + batch), responses.slice(s, s + batch));
      out.set(this.scoreIds(enc.prompts, enc.responses), s);
    }
    return out;
  }

  /** r_φ of token-id pairs (prompt ids in the SFT layout, response ids ending in EOS). */
  scoreIds(prompts: readonly (readonly number[])[], responses: readonly (readonly number[])[]): Float32Array {
    return this.scorePacked(packSequences(this.engine.config.ctx, prompts, responses, this.tokenizer.ids.pad));
  }
}

/**
 * A reward-model run's model by reference (a run id in the same runs folder as `runDir`, its checkpoint at `step`
 * or the latest): the trunk from its `lm` model and the head from its `rewardHead` array. `field` names the config
 * field in errors.
 */
export async function loadRewardModel(ref: string, runDir: string, step: number | null, field: string): Promise<RewardModel & { from: string; runId: string | null; step: number | null }> {
  const lm = await loadLmFromRun(ref, runDir, step, field);
  if (lm.checkpointDir === null) throw new Error(`${field} must name a reward-model run (a folder holds no reward head)`);
  const arr = lm.arrays[REWARD_HEAD_ARRAY];
  const C = lm.engine.config.nEmbd;
  if (!(arr instanceof Float32Array) || arr.length !== C + 1) {
    throw new Error(`${field}: run ${ref}'s checkpoint at step ${lm.step} holds no reward head (array '${REWARD_HEAD_ARRAY}' of ${C + 1} floats); is it a reward-model run?`);
  }
  const head = new ScalarHead(C);
  head.params.set(arr);
  return Object.assign(new RewardModel(lm.engine, lm.tokenizer, head), { from: lm.from, runId: lm.runId, step: lm.step });
}
