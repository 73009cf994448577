/**
 * The reward model r_φ(x, y): the SFT transformer with a scalar head w·h + b read from the final hidden states.
 * Pooling 'last' (the issue's definition, TRL's, the default): the head on the last response token (the EOS the
 * response ends with). Pooling 'sum': the head's w·h_t summed over every response token t, plus b once — a
 * per-token reward, additive like a lexicon score. Checkpointed as the `lm` model (the trunk, core/lm's format),
 * the head's [w, b] as the Float32Array `rewardHead` and the pooling as `rewardPooling` ([0] last, [1] sum; absent
 * in checkpoints written before it existed, which are 'last'); RLHF loads it back with loadRewardModel.
 */
import type { LmEngine } from '../../lm/engine.js';
import { packSequences, ScalarHead, type PackedSequences } from '../../lm/seq.js';
import type { Tokenizer } from '../../lm/tokenizer.js';
import { encodePrompt, encodeResponse, loadLmFromRun } from '../prefs/common.js';

/** The checkpoint array holding the head's parameters [w (C), b]. */
export const REWARD_HEAD_ARRAY = 'rewardHead';
/** The checkpoint array holding the pooling's code (its index in REWARD_POOLINGS). */
export const REWARD_POOLING_ARRAY = 'rewardPooling';
export const REWARD_POOLINGS = ['last', 'sum'] as const;
export type RewardPooling = (typeof REWARD_POOLINGS)[number];

/**
 * The hidden-state positions the head reads, per sequence of a packed batch: for 'last', each sequence's last token;
 * for 'sum', every response token (position rows[i] + 1 holds response token i), or the last token when the
 * response is empty. `start` (length B + 1) delimits sequence b's positions in `positions`.
 */
export function pooledPositions(packed: PackedSequences, pooling: RewardPooling): { positions: Int32Array; start: Int32Array } {
  const B = packed.B;
  if (pooling === 'last') return { positions: packed.last, start: Int32Array.from({ length: B + 1 }, (_, b) => b) };
  const start = new Int32Array(B + 1);
  for (let b = 0; b < B; b++) start[b + 1] = start[b] + Math.max(1, packed.offsets[b + 1] - packed.offsets[b]);
  const positions = new Int32Array(start[B]);
  for (let b = 0; b < B; b++) {
    const from = packed.offsets[b];
    const n = packed.offsets[b + 1] - from;
    if (n === 0) positions[start[b]] = packed.last[b];
    else for (let i = 0; i < n; i++) positions[start[b] + i] = packed.rows[from + i] + 1;
  }
  return { positions, start };
}

export class RewardModel {
  readonly engine: LmEngine;
  readonly head: ScalarHead;
  readonly tokenizer: Tokenizer;
  readonly pooling: RewardPooling;

  constructor(engine: LmEngine, tokenizer: Tokenizer, head?: ScalarHead, pooling: RewardPooling = 'last') {
    this.engine = engine;
    this.tokenizer = tokenizer;
    this.head = head ?? new ScalarHead(engine.config.nEmbd);
    if (this.head.C !== engine.config.nEmbd) throw new Error(`reward head width ${this.head.C} ≠ model width ${engine.config.nEmbd}`);
    if (!REWARD_POOLINGS.includes(pooling)) throw new Error(`reward pooling must be one of ${REWARD_POOLINGS.join(', ')}, got ${JSON.stringify(pooling)}`);
    this.pooling = pooling;
  }

  /** Token ids of (prompt, response) pairs in the SFT layout, each fitting the context. */
  encode(prompts: readonly string[], responses: readonly string[]): { prompts: number[][]; responses: number[][] } {
    const ctx = this.engine.config.ctx;
    const p = prompts.map((x) => encodePrompt(this.tokenizer, x, ctx, Math.min(16, ctx - 1)));
    const r = responses.map((y, i) => encodeResponse(this.tokenizer, y, ctx - p[i].length));
    return { prompts: p, responses: r };
  }

  /** The last batch's pooled positions: scorePacked and backwardPacked of one step share them. */
  #lastPooled: { packed: PackedSequences; pooled: ReturnType<typeof pooledPositions> } | null = null;

  #pooled(packed: PackedSequences): ReturnType<typeof pooledPositions> {
    if (this.#lastPooled?.packed !== packed) this.#lastPooled = { packed, pooled: pooledPositions(packed, this.pooling) };
    return this.#lastPooled.pooled;
  }

  /** r of each sequence of a packed batch, by a forward of it (the head pooled as `pooling` says). */
  scorePacked(packed: PackedSequences, training = false): Float32Array {
    this.engine.forward(packed.tokens, packed.B, packed.T, training);
    if (this.pooling === 'last') return this.head.forward(this.engine.hidden, packed.last);
    const { positions, start } = this.#pooled(packed);
    const perToken = this.head.forward(this.engine.hidden, positions); // each w·h_t + b
    const bias = this.head.params[this.head.C];
    const out = new Float32Array(packed.B);
    for (let b = 0; b < packed.B; b++) {
      let s = 0;
      for (let i = start[b]; i < start[b + 1]; i++) s += perToken[i] - bias;
      out[b] = s + bias;
    }
    return out;
  }

  /**
   * After scorePacked(packed, true) and engine.zeroGrad / head.zeroGrad: given dRewards[b] = dL/dr_b, adds the
   * head's gradients into head.grads and dL/dhidden into `dhidden` ([B·T, C], zeroed by the caller); then
   * engine.backward(null, dhidden) finishes the trunk's.
   */
  backwardPacked(packed: PackedSequences, dRewards: ArrayLike<number>, dhidden: Float32Array): void {
    if (this.pooling === 'last') {
      this.head.backward(this.engine.hidden, packed.last, dRewards, dhidden);
      return;
    }
    const { positions, start } = this.#pooled(packed);
    const g = new Float32Array(positions.length);
    let extraBias = 0; // the bias enters r_b once, not once per token
    for (let b = 0; b < packed.B; b++) {
      g.fill(dRewards[b], start[b], start[b + 1]);
      extraBias += (start[b + 1] - start[b] - 1) * dRewards[b];
    }
    this.head.backward(this.engine.hidden, positions, g, dhidden);
    this.head.grads[this.head.C] -= extraBias;
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
  const pooling = poolingFromArray(lm.arrays[REWARD_POOLING_ARRAY], `${field}: run ${ref}'s checkpoint at step ${lm.step}`);
  return Object.assign(new RewardModel(lm.engine, lm.tokenizer, head, pooling), { from: lm.from, runId: lm.runId, step: lm.step });
}

/** The pooling a checkpoint's `rewardPooling` array names ('last' when absent: checkpoints written before it existed). */
export function poolingFromArray(arr: unknown, where: string): RewardPooling {
  if (arr === undefined) return 'last';
  const code = arr instanceof Float32Array && arr.length === 1 ? arr[0] : NaN;
  const pooling = REWARD_POOLINGS[code];
  if (!Number.isInteger(code) || pooling === undefined) throw new Error(`${where} has a damaged '${REWARD_POOLING_ARRAY}' array (want one of ${REWARD_POOLINGS.map((_, i) => `[${i}]`).join(', ')})`);
  return pooling;
}

export const poolingArray = (pooling: RewardPooling): Float32Array => Float32Array.of(REWARD_POOLINGS.indexOf(pooling));
