/**
 * The LM training engine: forward and backward of the decoder-only transformer written out by hand over
 * Float32Array (llm.c's scheme: matmul, layernorm, causal attention, GELU, fused softmax–cross-entropy), with the
 * matrix products on the repo's WASM SIMD gemm (matmul.ts). Pre-LayerNorm blocks, learned positions, tied
 * embeddings, dropout on the embeddings and on both residual branches. GELU is the tanh approximation (GPT-2's).
 *
 * One engine owns its parameters, gradients and activation buffers (sized for the largest batch seen).
 */
import { Rng } from '../common/rng.js';
import { type LmConfig, type ParamLayout, paramLayout, validateConfig } from './config.js';
import { linearForward, matmulNN, matmulTN } from './matmul.js';
import { attentionBackward, attentionForward, geluBackward, geluForward, layernormBackward, layernormForward } from './ops.js';

interface LayerActs {
  ln1: Float32Array; ln1Mean: Float32Array; ln1Rstd: Float32Array; qkv: Float32Array; att: Float32Array; // prettier-ignore
  atty: Float32Array; attproj: Float32Array; res2: Float32Array; ln2: Float32Array; ln2Mean: Float32Array; // prettier-ignore
  ln2Rstd: Float32Array; fch: Float32Array; fchGelu: Float32Array; fcproj: Float32Array; res3: Float32Array; // prettier-ignore
  dropAtt: Float32Array | null; dropFc: Float32Array | null; // prettier-ignore
}

export interface Batch {
  /** Token ids, [B, T] row-major. */
  tokens: Int32Array;
  /** Next-token targets, [B, T]. */
  targets: Int32Array;
  /** Loss weight per position, [B, T] (1 = counted, 0 = masked, e.g. prompt tokens in SFT); default all ones. */
  mask?: Float32Array;
  B: number;
  T: number;
}

export class LmEngine {
  readonly config: LmConfig;
  readonly layout: ParamLayout;
  readonly params: Float32Array;
  readonly grads: Float32Array;
  #N = 0;
  #acts: LayerActs[] = [];
  #encoded: Float32Array = new Float32Array(0);
  #dropEmb: Float32Array | null = null;
  #lnf: Float32Array = new Float32Array(0);
  #lnfMean: Float32Array = new Float32Array(0);
  #lnfRstd: Float32Array = new Float32Array(0);
  /** Logits, then (after the loss) probabilities, [N, V]. */
  logits: Float32Array = new Float32Array(0);
  /** dLoss/dlogits of forwardBackward, [N, V]. */
  #dlogits: Float32Array = new Float32Array(0);
  #d1: Float32Array = new Float32Array(0);
  #d2: Float32Array = new Float32Array(0);
  #d3: Float32Array = new Float32Array(0);
  #d4: Float32Array = new Float32Array(0);
  #dAtt: Float32Array = new Float32Array(0);
  #training = false;
  #B = 0;
  #T = 0;
  #tokens: Int32Array = new Int32Array(0);
  #rng: Rng;

  constructor(config: LmConfig, seed = 0) {
    this.config = validateConfig(config);
    this.layout = paramLayout(this.config);
    this.params = new Float32Array(this.layout.total);
    this.grads = new Float32Array(this.layout.total);
    this.#rng = new Rng(seed);
    this.init(seed);
  }

  /** GPT-2 initialisation: N(0, 0.02) weights, residual projections scaled by 1/√(2·layers), LayerNorm 1/0, biases 0. */
  init(seed: number): void {
    const rng = new Rng(seed);
    const p = this.params;
    p.fill(0);
    const std = 0.02;
    const projStd = std / Math.sqrt(2 * this.config.nLayer);
    for (const [name, at, shape] of this.layout.tensors) {
      const n = shape.reduce((a, b) => a * b, 1);
      if (name.endsWith('.w') && shape.length === 1) p.fill(1, at, at + n);
      else if (shape.length === 2) {
        const s = name.endsWith('proj.w') ? projStd : std;
        for (let i = 0; i < n; i++) p[at + i] = rng.normal() * s;
      }
    }
  }

  /** Seeds dropout's masks. */
  seedDropout(seed: number): void {
    this.#rng = new Rng(seed);
  }

  #ensure(B: number, T: number): void {
    const { nEmbd: C, nHead: H, vocabSize: V, nLayer: L, dropout } = this.config;
    if (T < 1 || T > this.config.ctx || !Number.isInteger(T)) throw new Error(`sequence length must be an integer in [1, ${this.config.ctx}], got ${T}`);
    if (!Number.isInteger(B) || B < 1) throw new Error(`batch size must be a positive integer, got ${B}`);
    const N = B * T;
    if (N <= this.#N && this.#acts.length > 0 && this.#acts[0].att.length >= B * H * T * T) return;
    this.#N = N;
    const f = (n: number): Float32Array => new Float32Array(n) as Float32Array;
    const drop = dropout > 0;
    this.#acts = [];
    for (let l = 0; l < L; l++) {
      this.#acts.push({
        ln1: f(N * C), ln1Mean: f(N), ln1Rstd: f(N), qkv: f(N * 3 * C), att: f(B * H * T * T), atty: f(N * C), // prettier-ignore
        attproj: f(N * C), res2: f(N * C), ln2: f(N * C), ln2Mean: f(N), ln2Rstd: f(N), fch: f(N * 4 * C), // prettier-ignore
        fchGelu: f(N * 4 * C), fcproj: f(N * C), res3: f(N * C), // prettier-ignore
        dropAtt: drop ? f(N * C) : null, dropFc: drop ? f(N * C) : null, // prettier-ignore
      });
    }
    this.#encoded = f(N * C);
    this.#dropEmb = drop ? f(N * C) : null;
    this.#lnf = f(N * C);
    this.#lnfMean = f(N);
    this.#lnfRstd = f(N);
    this.logits = f(N * V);
    this.#dlogits = f(N * V);
    this.#d1 = f(N * 4 * C);
    this.#d2 = f(N * 4 * C);
    this.#d3 = f(N * C);
    this.#d4 = f(N * 3 * C);
    this.#dAtt = f(B * H * T * T);
  }

  #dropoutMask(mask: Float32Array | null, x: Float32Array, n: number): void {
    if (!mask || !this.#training) return;
    const p = this.config.dropout;
    const keep = 1 / (1 - p);
    for (let i = 0; i < n; i++) {
      mask[i] = this.#rng.uniform() < p ? 0 : keep;
      x[i] *= mask[i];
    }
  }

  /**
   * Forward pass over tokens [B, T]: fills `logits` [B·T, V]. `training` turns dropout on (masks drawn from the
   * engine's dropout seed) and is what backward needs.
   */
  forward(tokens: Int32Array, B: number, T: number, training = false): Float32Array {
    this.#ensure(B, T);
    this.#training = training;
    this.#B = B;
    this.#T = T;
    const { nEmbd: C, vocabSize: V, ctx } = this.config;
    const N = B * T;
    if (tokens.length < N) throw new Error(`tokens has ${tokens.length} entries, need B·T = ${N}`);
    this.#tokens = tokens;
    const P = this.params;
    const Lo = this.layout;
    const x = this.#encoded;
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < T; t++) {
        const tok = tokens[b * T + t];
        if (!(tok >= 0 && tok < V)) throw new Error(`token ${tok} at [${b}, ${t}] is outside the vocabulary [0, ${V})`);
        const o = (b * T + t) * C;
        const e = Lo.wte + tok * C;
        const pe = Lo.wpe + t * C;
        for (let i = 0; i < C; i++) x[o + i] = P[e + i] + P[pe + i];
      }
    }
    void ctx;
    this.#dropoutMask(this.#dropEmb, x, N * C);
    let residual = x;
    for (let l = 0; l < this.config.nLayer; l++) {
      const a = this.#acts[l];
      const w = Lo.layers[l];
      layernormForward(a.ln1, a.ln1Mean, a.ln1Rstd, residual, P, w.ln1w, w.ln1b, N, C);
      this.#linear(a.qkv, a.ln1, w.qkvw, w.qkvb, N, C, 3 * C);
      attentionForward(a.atty, a.att, a.qkv, B, T, C, this.config.nHead);
      this.#linear(a.attproj, a.atty, w.projw, w.projb, N, C, C);
      this.#dropoutMask(a.dropAtt, a.attproj, N * C);
      for (let i = 0; i < N * C; i++) a.res2[i] = residual[i] + a.attproj[i];
      layernormForward(a.ln2, a.ln2Mean, a.ln2Rstd, a.res2, P, w.ln2w, w.ln2b, N, C);
      this.#linear(a.fch, a.ln2, w.fcw, w.fcb, N, C, 4 * C);
      geluForward(a.fchGelu, a.fch, N * 4 * C);
      this.#linear(a.fcproj, a.fchGelu, w.fcprojw, w.fcprojb, N, 4 * C, C);
      this.#dropoutMask(a.dropFc, a.fcproj, N * C);
      for (let i = 0; i < N * C; i++) a.res3[i] = a.res2[i] + a.fcproj[i];
      residual = a.res3;
    }
    layernormForward(this.#lnf, this.#lnfMean, this.#lnfRstd, residual, P, Lo.lnfw, Lo.lnfb, N, C);
    linearForward(this.logits, this.#lnf, P.subarray(Lo.wte, Lo.wte + V * C), null, N, C, V);
    return this.logits;
  }

  /** out[N, OC] = inp[N, IC] · Wᵀ + b, W at `w` [OC, IC]. */
  #linear(out: Float32Array, inp: Float32Array, w: number, b: number, N: number, IC: number, OC: number): void {
    const P = this.params;
    linearForward(out, inp, P.subarray(w, w + OC * IC), P.subarray(b, b + OC), N, IC, OC);
  }

  /** Backward of #linear: dinp (=) dout·W, dW += doutᵀ·inp, db += Σ dout. */
  #linearBackward(dinp: Float32Array, dout: Float32Array, inp: Float32Array, w: number, b: number, N: number, IC: number, OC: number): void {
    const P = this.params;
    const G = this.grads;
    matmulNN(dout, P.subarray(w, w + OC * IC), dinp, N, IC, OC, false);
    matmulTN(dout, inp, G.subarray(w, w + OC * IC), OC, IC, N, true, G.subarray(b, b + OC));
  }

  /**
   * Mean masked cross-entropy of the batch after a training forward; turns `logits` into probabilities and, when
   * `dlogitsInto` is not null, writes dLoss/dlogits there. Returns the loss and the mask's total weight.
   */
  #loss(targets: Int32Array, mask: Float32Array | undefined, N: number, dlogits: Float32Array | null): { loss: number; weight: number } {
    const V = this.config.vocabSize;
    let weight = 0;
    for (let n = 0; n < N; n++) weight += mask ? mask[n] : 1;
    if (!(weight > 0)) throw new Error('the loss mask selects no tokens (its weights sum to 0)');
    let loss = 0;
    const L = this.logits;
    for (let n = 0; n < N; n++) {
      const o = n * V;
      let max = -Infinity;
      for (let v = 0; v < V; v++) if (L[o + v] > max) max = L[o + v];
      let sum = 0;
      for (let v = 0; v < V; v++) {
        const e = Math.exp(L[o + v] - max);
        L[o + v] = e;
        sum += e;
      }
      const inv = 1 / sum;
      for (let v = 0; v < V; v++) L[o + v] *= inv;
      const t = targets[n];
      if (!(t >= 0 && t < V)) throw new Error(`target ${t} at row ${n} is outside the vocabulary [0, ${V})`);
      const m = (mask ? mask[n] : 1) / weight;
      loss -= m * Math.log(Math.max(L[o + t], 1e-30));
      if (dlogits) {
        for (let v = 0; v < V; v++) dlogits[o + v] = L[o + v] * m;
        dlogits[o + t] -= m;
      }
    }
    return { loss, weight };
  }

  /** Mean masked next-token loss of a batch (no gradients, dropout off). */
  evalLoss(batch: Batch): number {
    checkBatch(batch, this.config.vocabSize);
    this.forward(batch.tokens, batch.B, batch.T, false);
    return this.#loss(batch.targets, batch.mask, batch.B * batch.T, null).loss;
  }

  /** Forward + backward: gradients of the mean masked loss are added into `grads` (call zeroGrad first). */
  forwardBackward(batch: Batch, training = true): number {
    checkBatch(batch, this.config.vocabSize);
    const { B, T } = batch;
    const N = B * T;
    this.forward(batch.tokens, B, T, training);
    const dlogits = this.#dlogits.subarray(0, N * this.config.vocabSize);
    const { loss } = this.#loss(batch.targets, batch.mask, N, dlogits);
    this.#backward(dlogits, null);
    return loss;
  }

  /**
   * The final LayerNorm's output [B·T, C] of the last forward (what the logits — and a scalar head such as a reward
   * model's or a value head — read). Valid until the next forward.
   */
  get hidden(): Float32Array {
    return this.#lnf.subarray(0, this.#B * this.#T * this.config.nEmbd);
  }

  /**
   * Backward of an arbitrary scalar loss L of the last forward's outputs: adds dL/dparams into `grads` given
   * dL/dlogits [B·T, V] and/or dL/dhidden [B·T, C] (either may be null). What RLHF, DPO and reward models use; the
   * last forward may have had training on or off (dropout masks are applied only when it was on).
   */
  backward(dlogits: Float32Array | null, dhidden: Float32Array | null): void {
    const N = this.#B * this.#T;
    if (N === 0) throw new Error('backward needs a forward first');
    if (dlogits && dlogits.length < N * this.config.vocabSize) throw new Error(`dlogits must have B·T·V = ${N * this.config.vocabSize} entries, got ${dlogits.length}`);
    if (dhidden && dhidden.length < N * this.config.nEmbd) throw new Error(`dhidden must have B·T·C = ${N * this.config.nEmbd} entries, got ${dhidden.length}`);
    if (!dlogits && !dhidden) throw new Error('backward needs dlogits or dhidden');
    this.#backward(dlogits, dhidden);
  }

  #backward(dlogits: Float32Array | null, dhidden: Float32Array | null): void {
    const B = this.#B;
    const T = this.#T;
    const { nEmbd: C, vocabSize: V, nHead: H } = this.config;
    const N = B * T;
    const P = this.params;
    const G = this.grads;
    const Lo = this.layout;
    const tokens = this.#tokens;
    // logits = lnf · wteᵀ: dlnf = dlogits · wte, dwte += dlogitsᵀ · lnf
    const dres = this.#d3; // d(residual stream) [N, C]
    const dlnf = this.#d1.subarray(0, N * C);
    if (dlogits) {
      matmulNN(dlogits, P.subarray(Lo.wte, Lo.wte + V * C), dlnf, N, C, V, false);
      matmulTN(dlogits, this.#lnf, G.subarray(Lo.wte, Lo.wte + V * C), V, C, N, true);
      if (dhidden) for (let i = 0; i < N * C; i++) dlnf[i] += dhidden[i];
    } else if (dhidden) dlnf.set(dhidden.subarray(0, N * C));
    const L = this.config.nLayer;
    dres.fill(0, 0, N * C);
    layernormBackward(dres, G, Lo.lnfw, Lo.lnfb, dlnf, L > 0 ? this.#acts[L - 1].res3 : this.#encoded, P, Lo.lnfw, this.#lnfMean, this.#lnfRstd, N, C);
    for (let l = L - 1; l >= 0; l--) {
      const a = this.#acts[l];
      const w = Lo.layers[l];
      const resIn = l === 0 ? this.#encoded : this.#acts[l - 1].res3;
      // res3 = res2 + drop(fcproj(gelu(fc(ln2(res2)))))
      const dfcproj = this.#d2.subarray(0, N * C);
      dfcproj.set(dres.subarray(0, N * C));
      if (a.dropFc && this.#training) for (let i = 0; i < N * C; i++) dfcproj[i] *= a.dropFc[i];
      const dgelu = this.#d1.subarray(0, N * 4 * C);
      this.#linearBackward(dgelu, dfcproj, a.fchGelu, w.fcprojw, w.fcprojb, N, 4 * C, C);
      const dfch = this.#d2.subarray(0, N * 4 * C);
      geluBackward(dfch, a.fch, dgelu, N * 4 * C);
      const dln2 = this.#d1.subarray(0, N * C);
      this.#linearBackward(dln2, dfch, a.ln2, w.fcw, w.fcb, N, C, 4 * C);
      layernormBackward(dres, G, w.ln2w, w.ln2b, dln2, a.res2, P, w.ln2w, a.ln2Mean, a.ln2Rstd, N, C);
      // res2 = resIn + drop(proj(attn(qkv(ln1(resIn)))))
      const dattproj = this.#d2.subarray(0, N * C);
      dattproj.set(dres.subarray(0, N * C));
      if (a.dropAtt && this.#training) for (let i = 0; i < N * C; i++) dattproj[i] *= a.dropAtt[i];
      const datty = this.#d1.subarray(0, N * C);
      this.#linearBackward(datty, dattproj, a.atty, w.projw, w.projb, N, C, C);
      const dqkv = this.#d4.subarray(0, N * 3 * C);
      attentionBackward(dqkv, this.#dAtt, datty, a.qkv, a.att, B, T, C, H);
      const dln1 = this.#d1.subarray(0, N * C);
      this.#linearBackward(dln1, dqkv, a.ln1, w.qkvw, w.qkvb, N, C, 3 * C);
      layernormBackward(dres, G, w.ln1w, w.ln1b, dln1, resIn, P, w.ln1w, a.ln1Mean, a.ln1Rstd, N, C);
    }
    if (this.#dropEmb && this.#training) for (let i = 0; i < N * C; i++) dres[i] *= this.#dropEmb[i];
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < T; t++) {
        const o = (b * T + t) * C;
        const e = Lo.wte + tokens[b * T + t] * C;
        const pe = Lo.wpe + t * C;
        for (let i = 0; i < C; i++) {
          G[e + i] += dres[o + i];
          G[pe + i] += dres[o + i];
        }
      }
    }
  }

  zeroGrad(): void {
    this.grads.fill(0);
  }
}

export function checkBatch(batch: Batch, V: number): void {
  const { B, T, tokens, targets, mask } = batch;
  const N = B * T;
  if (!(tokens instanceof Int32Array) || !(targets instanceof Int32Array)) throw new Error('batch.tokens and batch.targets must be Int32Array');
  if (tokens.length !== N || targets.length !== N) throw new Error(`batch.tokens/targets must have B·T = ${N} entries, got ${tokens.length}/${targets.length}`);
  if (mask !== undefined && (!(mask instanceof Float32Array) || mask.length !== N)) throw new Error(`batch.mask must be a Float32Array of B·T = ${N} entries`);
  if (mask) for (let i = 0; i < N; i++) if (!(mask[i] >= 0 && Number.isFinite(mask[i]))) throw new Error(`batch.mask[${i}] must be finite and ≥ 0, got ${mask[i]}`);
  void V;
}
