/**
 * What RLHF and DPO need from the model: `sequenceLogProb` (log p(response | prompt), summed and per token, batched
 * and right-padded) and sampling with a key/value cache (temperature, top-k, top-p, max new tokens, stop at EOS,
 * seeded per prompt, batched).
 */
import { Rng } from '../common/rng.js';
import type { LmEngine } from './engine.js';
import { geluForward, layernormForward } from './ops.js';
import { matmulNT } from './matmul.js';

export interface SequenceLogProb {
  /** Σ log p(response token | everything before it), one per pair. */
  sum: number[];
  /** The per-token log-probabilities, one array per pair (the response's length). */
  perToken: number[][];
}

/**
 * Log-probabilities of each response given its prompt. Pairs are concatenated, right-padded with `padId` to the
 * longest and run as one batch; the causal mask makes the padding irrelevant. Prompts must be non-empty (start them
 * with BOS) and prompt + response must fit the context.
 */
export function sequenceLogProb(engine: LmEngine, prompts: readonly (readonly number[])[], responses: readonly (readonly number[])[], padId = 0): SequenceLogProb {
  if (prompts.length !== responses.length || prompts.length === 0) throw new Error(`sequenceLogProb needs as many prompts as responses (≥ 1), got ${prompts.length} and ${responses.length}`);
  const { ctx, vocabSize: V } = engine.config;
  const lengths = prompts.map((p, i) => {
    if (p.length === 0) throw new Error(`prompt ${i} is empty (start it with BOS so the first response token has a context)`);
    const n = p.length + responses[i].length;
    if (n > ctx) throw new Error(`pair ${i} has ${n} tokens, more than the context length ${ctx}`);
    return n;
  });
  const B = prompts.length;
  const T = Math.max(...lengths);
  const tokens = new Int32Array(B * T).fill(padId);
  prompts.forEach((p, b) => {
    tokens.set(p, b * T);
    tokens.set(responses[b], b * T + p.length);
  });
  const logits = engine.forward(tokens, B, T, false);
  const sum: number[] = [];
  const perToken: number[][] = [];
  for (let b = 0; b < B; b++) {
    const P = prompts[b].length;
    const lp: number[] = [];
    for (let j = 0; j < responses[b].length; j++) {
      const o = (b * T + P + j - 1) * V;
      let max = -Infinity;
      for (let v = 0; v < V; v++) if (logits[o + v] > max) max = logits[o + v];
      let s = 0;
      for (let v = 0; v < V; v++) s += Math.exp(logits[o + v] - max);
      lp.push(logits[o + responses[b][j]] - max - Math.log(s));
    }
    perToken.push(lp);
    sum.push(lp.reduce((a, x) => a + x, 0));
  }
  return { sum, perToken };
}

export interface SampleOptions {
  /** Most tokens generated per prompt (also stopped by the context length). */
  maxNewTokens: number;
  /** Softmax temperature; 0 = greedy. */
  temperature?: number;
  /** Keep the k most likely tokens (0 = all). */
  topK?: number;
  /** Keep the smallest set of tokens whose probability reaches p (1 = all). */
  topP?: number;
  /** Stop a sequence when it samples this id (included in the output). */
  eosId?: number;
  /** Row i draws from Rng(seed + 7919·i): each prompt's sample is the same whatever the batch. */
  seed: number;
  /** false: recompute the whole prefix each step (the reference the KV cache is tested against). */
  useCache?: boolean;
}

/** Picks a token from one row of logits. */
export function pickToken(logits: Float32Array, o: number, V: number, rng: Rng, temperature: number, topK: number, topP: number): number {
  if (temperature === 0) {
    let best = 0;
    for (let v = 1; v < V; v++) if (logits[o + v] > logits[o + best]) best = v;
    rng.uniform(); // keep the stream aligned with sampled rows
    return best;
  }
  const order = Array.from({ length: V }, (_, v) => v).sort((a, b) => logits[o + b] - logits[o + a] || a - b);
  const k = topK > 0 ? Math.min(topK, V) : V;
  const max = logits[o + order[0]];
  const probs: number[] = [];
  let total = 0;
  for (let i = 0; i < k; i++) {
    const e = Math.exp((logits[o + order[i]] - max) / temperature);
    probs.push(e);
    total += e;
  }
  let keep = k;
  if (topP < 1) {
    let c = 0;
    for (let i = 0; i < k; i++) {
      c += probs[i] / total;
      if (c >= topP) {
        keep = i + 1;
        break;
      }
    }
  }
  let kept = 0;
  for (let i = 0; i < keep; i++) kept += probs[i];
  let u = rng.uniform() * kept;
  for (let i = 0; i < keep; i++) {
    u -= probs[i];
    if (u < 0) return order[i];
  }
  return order[keep - 1];
}

/** Samples a continuation of every prompt; returns the new tokens of each (ending with EOS when it was sampled). */
export function sample(engine: LmEngine, prompts: readonly (readonly number[])[], options: SampleOptions): number[][] {
  const { ctx, vocabSize: V } = engine.config;
  const temperature = options.temperature ?? 1;
  const topK = options.topK ?? 0;
  const topP = options.topP ?? 1;
  if (!Number.isInteger(options.maxNewTokens) || options.maxNewTokens < 0) throw new Error(`maxNewTokens must be an integer ≥ 0, got ${options.maxNewTokens}`);
  if (!(temperature >= 0)) throw new Error(`temperature must be ≥ 0, got ${temperature}`);
  if (!Number.isInteger(topK) || topK < 0) throw new Error(`topK must be an integer ≥ 0, got ${topK}`);
  if (!(topP > 0 && topP <= 1)) throw new Error(`topP must be in (0, 1], got ${topP}`);
  if (!Number.isInteger(options.seed)) throw new Error(`seed must be an integer, got ${options.seed}`);
  prompts.forEach((p, i) => {
    if (p.length === 0 || p.length > ctx) throw new Error(`prompt ${i} must have 1–${ctx} tokens, got ${p.length}`);
    for (const t of p) if (!(Number.isInteger(t) && t >= 0 && t < V)) throw new Error(`prompt ${i} has token ${t} outside [0, ${V})`);
  });
  const rngs = prompts.map((_, i) => new Rng(options.seed + 7919 * i));
  const seqs = prompts.map((p) => [...p]);
  const outs: number[][] = prompts.map(() => []);
  const done = prompts.map((p) => options.maxNewTokens === 0 || p.length >= ctx);
  if (options.useCache === false) {
    while (done.some((d) => !d)) {
      for (let i = 0; i < seqs.length; i++) {
        if (done[i]) continue;
        const s = seqs[i];
        const logits = engine.forward(Int32Array.from(s), 1, s.length, false);
        const tok = pickToken(logits, (s.length - 1) * V, V, rngs[i], temperature, topK, topP);
        s.push(tok);
        outs[i].push(tok);
        if (tok === options.eosId || outs[i].length >= options.maxNewTokens || s.length >= ctx) done[i] = true;
      }
    }
    return outs;
  }
  const cache = new KvCache(engine, prompts.length);
  const fed = prompts.map(() => 0); // tokens of seqs[i] already in the cache
  const rows: number[] = [];
  while (done.some((d) => !d)) {
    rows.length = 0;
    for (let i = 0; i < seqs.length; i++) if (!done[i]) rows.push(i);
    const logits = cache.step(rows, rows.map((i) => seqs[i][fed[i]]), rows.map((i) => fed[i]));
    rows.forEach((i, r) => {
      fed[i]++;
      if (fed[i] < seqs[i].length) return; // still reading the prompt
      const tok = pickToken(logits, r * V, V, rngs[i], temperature, topK, topP);
      seqs[i].push(tok);
      outs[i].push(tok);
      if (tok === options.eosId || outs[i].length >= options.maxNewTokens || seqs[i].length >= ctx) done[i] = true;
    });
  }
  return outs;
}

/** Keys and values of every layer for each sequence, [seq, layer, pos, C] each; one token per sequence per step. */
export class KvCache {
  readonly #engine: LmEngine;
  readonly #k: Float32Array;
  readonly #v: Float32Array;
  constructor(engine: LmEngine, sequences: number) {
    const { nLayer, ctx, nEmbd } = engine.config;
    this.#engine = engine;
    this.#k = new Float32Array(sequences * nLayer * ctx * nEmbd);
    this.#v = new Float32Array(sequences * nLayer * ctx * nEmbd);
  }

  /** Feeds token tokens[r] at position positions[r] of sequence seqs[r]; returns logits [rows, V]. */
  step(seqs: number[], tokens: number[], positions: number[]): Float32Array {
    const e = this.#engine;
    const { nEmbd: C, nHead: H, nLayer: L, ctx, vocabSize: V } = e.config;
    const P = e.params;
    const Lo = e.layout;
    const R = seqs.length;
    const hs = C / H;
    const scale = 1 / Math.sqrt(hs);
    const x = new Float32Array(R * C);
    for (let r = 0; r < R; r++) {
      const t = positions[r];
      if (t >= ctx) throw new Error(`position ${t} is past the context length ${ctx}`);
      for (let i = 0; i < C; i++) x[r * C + i] = P[Lo.wte + tokens[r] * C + i] + P[Lo.wpe + t * C + i];
    }
    const ln = new Float32Array(R * C);
    const mean = new Float32Array(R);
    const rstd = new Float32Array(R);
    const qkv = new Float32Array(R * 3 * C);
    const y = new Float32Array(R * C);
    const proj = new Float32Array(R * C);
    const fc = new Float32Array(R * 4 * C);
    const fcg = new Float32Array(R * 4 * C);
    const lin = (out: Float32Array, inp: Float32Array, w: number, b: number, IC: number, OC: number): void => {
      matmulNT(inp, P.subarray(w, w + OC * IC), out, R, OC, IC, false);
      for (let r = 0; r < R; r++) for (let j = 0; j < OC; j++) out[r * OC + j] += P[b + j];
    };
    const att = new Float32Array(ctx);
    for (let l = 0; l < L; l++) {
      const w = Lo.layers[l];
      layernormForward(ln, mean, rstd, x, P, w.ln1w, w.ln1b, R, C);
      lin(qkv, ln, w.qkvw, w.qkvb, C, 3 * C);
      for (let r = 0; r < R; r++) {
        const base = ((seqs[r] * L + l) * ctx) * C;
        const t = positions[r];
        this.#k.set(qkv.subarray(r * 3 * C + C, r * 3 * C + 2 * C), base + t * C);
        this.#v.set(qkv.subarray(r * 3 * C + 2 * C, r * 3 * C + 3 * C), base + t * C);
        for (let h = 0; h < H; h++) {
          const q = r * 3 * C + h * hs;
          let max = -Infinity;
          for (let t2 = 0; t2 <= t; t2++) {
            const k = base + t2 * C + h * hs;
            let s = 0;
            for (let i = 0; i < hs; i++) s += qkv[q + i] * this.#k[k + i];
            att[t2] = s * scale;
            if (att[t2] > max) max = att[t2];
          }
          let sum = 0;
          for (let t2 = 0; t2 <= t; t2++) sum += att[t2] = Math.exp(att[t2] - max);
          const o = r * C + h * hs;
          for (let i = 0; i < hs; i++) y[o + i] = 0;
          for (let t2 = 0; t2 <= t; t2++) {
            const p = att[t2] / sum;
            const v = base + t2 * C + h * hs;
            for (let i = 0; i < hs; i++) y[o + i] += p * this.#v[v + i];
          }
        }
      }
      lin(proj, y, w.projw, w.projb, C, C);
      for (let i = 0; i < R * C; i++) x[i] += proj[i];
      layernormForward(ln, mean, rstd, x, P, w.ln2w, w.ln2b, R, C);
      lin(fc, ln, w.fcw, w.fcb, C, 4 * C);
      geluForward(fcg, fc, R * 4 * C);
      lin(proj, fcg, w.fcprojw, w.fcprojb, 4 * C, C);
      for (let i = 0; i < R * C; i++) x[i] += proj[i];
    }
    layernormForward(ln, mean, rstd, x, P, Lo.lnfw, Lo.lnfb, R, C);
    const logits = new Float32Array(R * V);
    matmulNT(ln, P.subarray(Lo.wte, Lo.wte + V * C), logits, R, V, C, false);
    return logits;
  }
}
