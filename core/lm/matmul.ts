/**
 * The LM engine's matrix products — C (= or +=) A·Bᵀ, A·B and Aᵀ·B — and GELU, on the repo's WebAssembly SIMD kernels
 * (core/algos/nn/kernels.wat) where they validate, else JS (the register-blocked gemm over transposed copies).
 * Operands are copied into the kernel's memory padded to its block shapes; A·B and Aᵀ·B read their operands in
 * place there (strides), so the backward pass makes no transposed copies. `POLICYLAB_JS_KERNELS=1` forces JS.
 */
import { gemmNT } from '../algos/nn/gemm.js';
import { fastTanh } from '../algos/nn/linalg.js';
import { wasmGemm, wasmGemmAt, wasmColsumAt, wasmGemmNNAt, wasmGeluAt, wasmGeluBackwardAt, wasmHeap } from '../algos/nn/wasm-gemm.js';

export const LM_KERNEL: 'wasm-simd' | 'js' = process.env.POLICYLAB_JS_KERNELS !== '1' && wasmGemm() !== null ? 'wasm-simd' : 'js';

/**
 * Copies src [rows, cols] into the heap at `at` with row stride `stride` (≥ cols). With `zeroPadRows` (the padded
 * row count), each row's tail and the rows after src are zeroed — what A·Bᵀ needs, whose padding enters the dot
 * products; null leaves the padding as it is (A·B and Aᵀ·B, where it only reaches outputs that are dropped).
 */
function placeRows(h: Float32Array, at: number, src: Float32Array, rows: number, cols: number, stride: number, zeroPadRows: number | null = null): void {
  if (stride === cols) h.set(src.subarray(0, rows * cols), at);
  else {
    for (let r = 0; r < rows; r++) {
      const o = at + r * stride;
      h.set(src.subarray(r * cols, r * cols + cols), o);
      if (zeroPadRows !== null) h.fill(0, o + cols, o + stride);
    }
  }
  if (zeroPadRows !== null) h.fill(0, at + rows * stride, at + zeroPadRows * stride);
}

export function matmulNT(A: Float32Array, B: Float32Array, C: Float32Array, m: number, n: number, p: number, accumulate: boolean): void {
  if (LM_KERNEL === 'js') {
    gemmNT(A, B, C, m, n, p, accumulate);
    return;
  }
  const m2 = m + (m & 1);
  const n4 = (n + 3) & ~3;
  const p4 = (p + 3) & ~3;
  const bAt = m2 * p4;
  const cAt = bAt + n4 * p4;
  const h = wasmHeap(cAt + m2 * n4);
  placeRows(h, 0, A, m, p, p4, m2);
  placeRows(h, bAt, B, n, p, p4, n4);
  wasmGemmAt(0, bAt, cAt, m2, n4, p4);
  if (!accumulate && n4 === n) {
    C.set(h.subarray(cAt, cAt + m * n));
    return;
  }
  for (let i = 0; i < m; i++) {
    const s = cAt + i * n4;
    const d = i * n;
    if (accumulate) for (let j = 0; j < n; j++) C[d + j] += h[s + j];
    else for (let j = 0; j < n; j++) C[d + j] = h[s + j];
  }
}

/** dst[cols, rows] = src[rows, cols]ᵀ. */
export function transposeInto(src: Float32Array, rows: number, cols: number, dst: Float32Array): void {
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    for (let c = 0; c < cols; c++) dst[c * rows + r] = src[o + c];
  }
}

const K_CHUNK = 128;


function copyOut(h: Float32Array, at: number, dst: Float32Array, rows: number, cols: number, stride: number): void {
  if (stride === cols) dst.set(h.subarray(at, at + rows * cols));
  else for (let r = 0; r < rows; r++) dst.set(h.subarray(at + r * stride, at + r * stride + cols), r * cols);
}

/**
 * C[m, n] (= or +=) op(A) · B[p, n], op(A) = A[m, p] (`transA` false) or A[p, m]ᵀ (`transA` true). Padding rows and
 * columns only reach outputs that are dropped, so they need no zeroing. With `transA`, `colSums` (m floats, or null)
 * gets A's column sums added (Σ_k A[k, i]: a linear layer's bias gradient, while A is in the kernel's memory).
 */
function gemmNN(A: Float32Array, B: Float32Array, C: Float32Array, m: number, n: number, p: number, accumulate: boolean, transA: boolean, colSums: Float32Array | null = null): void {
  if (LM_KERNEL === 'js') {
    let Am = A;
    if (transA) transposeInto(A, p, m, (Am = new Float32Array(m * p)));
    const Bt = new Float32Array(n * p);
    transposeInto(B, p, n, Bt);
    gemmNT(Am, Bt, C, m, n, p, accumulate);
    if (colSums) for (let k = 0; k < p; k++) for (let i = 0; i < m; i++) colSums[i] += A[k * m + i];
    return;
  }
  const m4 = (m + 3) & ~3;
  const n8 = (n + 7) & ~7;
  const aSize = transA ? p * m4 : m4 * p;
  const bAt = aSize;
  const cAt = bAt + p * n8;
  const sAt = cAt + m4 * n8;
  const h = wasmHeap(sAt + m4);
  if (transA) placeRows(h, 0, A, p, m, m4);
  else placeRows(h, 0, A, m, p, p);
  placeRows(h, bAt, B, p, n, n8);
  if (accumulate) placeRows(h, cAt, C, m, n, n8);
  if (transA) {
    // Aᵀ·B over long k (dW = dYᵀ·X sums over every token): runs of K_CHUNK rows of A and B stay in cache while
    // all of C's blocks take them in, instead of every block streaming all p rows (1.4× measured at p = 2048).
    for (let k0 = 0; k0 < p; k0 += K_CHUNK) wasmGemmNNAt(k0 * m4, bAt + k0 * n8, cAt, m4, n8, Math.min(K_CHUNK, p - k0), 1, m4, n8, n8, accumulate || k0 > 0);
  } else wasmGemmNNAt(0, bAt, cAt, m4, n8, p, p, 1, n8, n8, accumulate);
  copyOut(h, cAt, C, m, n, n8);
  if (transA && colSums) {
    h.set(colSums.subarray(0, m), sAt);
    wasmColsumAt(0, sAt, p, m4, m4);
    colSums.set(h.subarray(sAt, sAt + m));
  }
}

/** C[m, n] (= or +=) A[m, p] · B[p, n]. */
export function matmulNN(A: Float32Array, B: Float32Array, C: Float32Array, m: number, n: number, p: number, accumulate: boolean): void {
  gemmNN(A, B, C, m, n, p, accumulate, false);
}

/** C[m, n] (= or +=) A[p, m]ᵀ · B[p, n]; and colSums[i] += Σ_k A[k, i] when colSums is given. */
export function matmulTN(A: Float32Array, B: Float32Array, C: Float32Array, m: number, n: number, p: number, accumulate: boolean, colSums: Float32Array | null = null): void {
  gemmNN(A, B, C, m, n, p, accumulate, true, colSums);
}

const GELU_S = Math.sqrt(2 / Math.PI);

/** out[i] = GELU(x[i]) (GPT-2's tanh form) for i < n. */
export function gelu(out: Float32Array, x: Float32Array, n: number): void {
  if (LM_KERNEL === 'js') {
    for (let i = 0; i < n; i++) {
      const v = x[i];
      out[i] = 0.5 * v * (1 + fastTanh(GELU_S * (v + 0.044715 * v * v * v)));
    }
    return;
  }
  const n4 = (n + 3) & ~3;
  const h = wasmHeap(n4);
  h.set(x.subarray(0, n), 0);
  h.fill(0, n, n4);
  wasmGeluAt(0, 0, n4);
  out.set(h.subarray(0, n));
}

/** dx[i] = dy[i] · GELU′(x[i]) for i < n. */
export function geluBackward(dx: Float32Array, x: Float32Array, dy: Float32Array, n: number): void {
  if (LM_KERNEL === 'js') {
    for (let i = 0; i < n; i++) {
      const v = x[i];
      const th = fastTanh(GELU_S * (v + 0.044715 * v * v * v));
      dx[i] = dy[i] * (0.5 * (1 + th) + 0.5 * v * (1 - th * th) * GELU_S * (1 + 3 * 0.044715 * v * v));
    }
    return;
  }
  const n4 = (n + 3) & ~3;
  const h = wasmHeap(2 * n4);
  h.set(x.subarray(0, n), 0);
  h.fill(0, n, n4);
  h.set(dy.subarray(0, n), n4);
  h.fill(0, n4 + n, 2 * n4);
  wasmGeluBackwardAt(0, n4, n4, n4);
  dx.set(h.subarray(n4, n4 + n));
}

/**
 * A linear layer's forward: out[N, OC] = inp[N, IC] · W[OC, IC]ᵀ + bias (bias a view of OC floats, or null), on the
 * A·B kernel (W is transposed into the kernel's memory — it is small next to the activations — and the bias rows
 * seed the accumulators).
 */
export function linearForward(out: Float32Array, inp: Float32Array, W: Float32Array, bias: Float32Array | null, N: number, IC: number, OC: number): void {
  if (LM_KERNEL === 'js') {
    gemmNT(inp, W, out, N, OC, IC, false);
    if (bias) for (let n = 0; n < N; n++) for (let j = 0; j < OC; j++) out[n * OC + j] += bias[j];
    return;
  }
  const m4 = (N + 3) & ~3;
  const n8 = (OC + 7) & ~7;
  const bAt = m4 * IC;
  const cAt = bAt + IC * n8;
  const h = wasmHeap(cAt + m4 * n8);
  placeRows(h, 0, inp, N, IC, IC);
  for (let j = 0; j < OC; j++) {
    const o = j * IC;
    for (let k = 0; k < IC; k++) h[bAt + k * n8 + j] = W[o + k];
  }
  if (bias) {
    h.set(bias.subarray(0, OC), cAt);
    h.fill(0, cAt + OC, cAt + n8);
    let filled = n8;
    const total = N * n8;
    while (filled < total) {
      const len = Math.min(filled, total - filled);
      h.copyWithin(cAt + filled, cAt, cAt + len);
      filled += len;
    }
  }
  wasmGemmNNAt(0, bAt, cAt, m4, n8, IC, IC, 1, n8, n8, bias !== null);
  copyOut(h, cAt, out, N, OC, n8);
}
