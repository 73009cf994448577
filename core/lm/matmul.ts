/**
 * C[m, n] (= or +=) A[m, p] · B[n, p]ᵀ for the LM engine, on the repo's WebAssembly SIMD gemm (core/algos/nn/kernels.wat)
 * where it validates, else the register-blocked JS kernel. Operands are copied into the kernel's memory padded to
 * its block shape (m even, n and p multiples of 4). `POLICYLAB_JS_KERNELS=1` forces the JS kernel.
 */
import { gemmNT } from '../algos/nn/gemm.js';
import { wasmGemm, wasmGemmAt, wasmHeap } from '../algos/nn/wasm-gemm.js';

export const LM_KERNEL: 'wasm-simd' | 'js' = process.env.POLICYLAB_JS_KERNELS !== '1' && wasmGemm() !== null ? 'wasm-simd' : 'js';

function place(h: Float32Array, at: number, src: Float32Array, rows: number, cols: number, padRows: number, stride: number): void {
  if (stride === cols) h.set(src.subarray(0, rows * cols), at);
  else {
    for (let r = 0; r < rows; r++) {
      const o = at + r * stride;
      h.set(src.subarray(r * cols, r * cols + cols), o);
      h.fill(0, o + cols, o + stride);
    }
  }
  h.fill(0, at + rows * stride, at + padRows * stride);
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
  place(h, 0, A, m, p, m2, p4);
  place(h, bAt, B, n, p, n4, p4);
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
