/**
 * The LM engine's per-op kernels over Float32Array, forward and backward: LayerNorm, GELU (on the SIMD kernel in
 * matmul.ts) and causal multi-head self-attention (its two products per sequence and head on the matmul kernels).
 * engine.ts composes them into the transformer; generate.ts reuses the forward ones for the KV-cache path.
 */
import { matmulNN, matmulNT, matmulTN } from './matmul.js';

export function layernormForward(out: Float32Array, mean: Float32Array, rstd: Float32Array, inp: Float32Array, P: Float32Array, w: number, b: number, N: number, C: number): void {
  for (let n = 0; n < N; n++) {
    const o = n * C;
    let m = 0;
    for (let i = 0; i < C; i++) m += inp[o + i];
    m /= C;
    let v = 0;
    for (let i = 0; i < C; i++) {
      const d = inp[o + i] - m;
      v += d * d;
    }
    const s = 1 / Math.sqrt(v / C + 1e-5);
    for (let i = 0; i < C; i++) out[o + i] = (inp[o + i] - m) * s * P[w + i] + P[b + i];
    mean[n] = m;
    rstd[n] = s;
  }
}

/** dinp += LN backward of dout; dw, db (at gw, gb in G) +=. */
export function layernormBackward(dinp: Float32Array, G: Float32Array, gw: number, gb: number, dout: Float32Array, inp: Float32Array, P: Float32Array, w: number, mean: Float32Array, rstd: Float32Array, N: number, C: number): void {
  for (let n = 0; n < N; n++) {
    const o = n * C;
    const m = mean[n];
    const s = rstd[n];
    let dnormMean = 0;
    let dnormNormMean = 0;
    for (let i = 0; i < C; i++) {
      const norm = (inp[o + i] - m) * s;
      const dnorm = P[w + i] * dout[o + i];
      dnormMean += dnorm;
      dnormNormMean += dnorm * norm;
    }
    dnormMean /= C;
    dnormNormMean /= C;
    for (let i = 0; i < C; i++) {
      const norm = (inp[o + i] - m) * s;
      const dnorm = P[w + i] * dout[o + i];
      G[gb + i] += dout[o + i];
      G[gw + i] += norm * dout[o + i];
      dinp[o + i] += (dnorm - dnormMean - norm * dnormNormMean) * s;
    }
  }
}

/** GELU (GPT-2's tanh form) forward and backward: the SIMD kernels in matmul.ts. */
export { gelu as geluForward, geluBackward } from './matmul.js';

/** Copies head h of part (0 = q, 1 = k, 2 = v) of sequence b from qkv [B, T, 3C] into dst [T, hs]. */
function gatherHead(dst: Float32Array, qkv: Float32Array, b: number, h: number, part: number, T: number, C: number, hs: number): void {
  for (let t = 0; t < T; t++) {
    const o = (b * T + t) * 3 * C + part * C + h * hs;
    dst.set(qkv.subarray(o, o + hs), t * hs);
  }
}

/**
 * Causal self-attention: qkv [B, T, 3C] → out [B, T, C]; att [B, H, T, T] keeps the softmax weights (0 above the
 * diagonal). Per (sequence, head) the two products — scores Q·Kᵀ and weights·V — run on the matmul kernel.
 */
export function attentionForward(out: Float32Array, att: Float32Array, qkv: Float32Array, B: number, T: number, C: number, H: number): void {
  const hs = C / H;
  const scale = 1 / Math.sqrt(hs);
  const q = new Float32Array(T * hs);
  const k = new Float32Array(T * hs);
  const v = new Float32Array(T * hs);
  const y = new Float32Array(T * hs);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      gatherHead(q, qkv, b, h, 0, T, C, hs);
      gatherHead(k, qkv, b, h, 1, T, C, hs);
      gatherHead(v, qkv, b, h, 2, T, C, hs);
      const a0 = (b * H + h) * T * T;
      const S = att.subarray(a0, a0 + T * T);
      matmulNT(q, k, S, T, T, hs, false);
      for (let t = 0; t < T; t++) {
        const a = t * T;
        let max = -Infinity;
        for (let t2 = 0; t2 <= t; t2++) {
          const x = (S[a + t2] *= scale);
          if (x > max) max = x;
        }
        let sum = 0;
        for (let t2 = 0; t2 <= t; t2++) sum += S[a + t2] = Math.exp(S[a + t2] - max);
        const inv = 1 / sum;
        for (let t2 = 0; t2 <= t; t2++) S[a + t2] *= inv;
        for (let t2 = t + 1; t2 < T; t2++) S[a + t2] = 0;
      }
      matmulNN(S, v, y, T, hs, T, false);
      for (let t = 0; t < T; t++) out.set(y.subarray(t * hs, t * hs + hs), (b * T + t) * C + h * hs);
    }
  }
}

export function attentionBackward(dqkv: Float32Array, datt: Float32Array, dout: Float32Array, qkv: Float32Array, att: Float32Array, B: number, T: number, C: number, H: number): void {
  const hs = C / H;
  const scale = 1 / Math.sqrt(hs);
  const f = (n: number): Float32Array => new Float32Array(n);
  const q = f(T * hs), k = f(T * hs), v = f(T * hs), dO = f(T * hs), dq = f(T * hs), dk = f(T * hs), dv = f(T * hs); // prettier-ignore
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      gatherHead(q, qkv, b, h, 0, T, C, hs);
      gatherHead(k, qkv, b, h, 1, T, C, hs);
      gatherHead(v, qkv, b, h, 2, T, C, hs);
      for (let t = 0; t < T; t++) {
        const o = (b * T + t) * C + h * hs;
        dO.set(dout.subarray(o, o + hs), t * hs);
      }
      const a0 = (b * H + h) * T * T;
      const P = att.subarray(a0, a0 + T * T);
      const dS = datt.subarray(a0, a0 + T * T);
      // y = P·V: dP = dO·Vᵀ, dV = Pᵀ·dO
      matmulNT(dO, v, dS, T, T, hs, false);
      matmulTN(P, dO, dv, T, hs, T, false);
      // softmax backward (rows t, columns t2 ≤ t), times the score scale
      for (let t = 0; t < T; t++) {
        const a = t * T;
        let dot = 0;
        for (let t2 = 0; t2 <= t; t2++) dot += dS[a + t2] * P[a + t2];
        for (let t2 = 0; t2 <= t; t2++) dS[a + t2] = P[a + t2] * (dS[a + t2] - dot) * scale;
        for (let t2 = t + 1; t2 < T; t2++) dS[a + t2] = 0;
      }
      // S = Q·Kᵀ: dQ = dS·K, dK = dSᵀ·Q
      matmulNN(dS, k, dq, T, hs, T, false);
      matmulTN(dS, q, dk, T, hs, T, false);
      for (let t = 0; t < T; t++) {
        const o = (b * T + t) * 3 * C + h * hs;
        dqkv.set(dq.subarray(t * hs, t * hs + hs), o);
        dqkv.set(dk.subarray(t * hs, t * hs + hs), o + C);
        dqkv.set(dv.subarray(t * hs, t * hs + hs), o + 2 * C);
      }
    }
  }
}
