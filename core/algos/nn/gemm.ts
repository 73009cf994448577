/**
 * The one matrix kernel the plain-JS engine needs: C = A·Bᵀ with A [m, p] and B [n, p] both row-major, so the
 * innermost loop is a dot product over two contiguous rows. Forward (X·W with Wᵀ stored), input gradients
 * (dZ·Wᵀ with W stored) and weight gradients (Xᵀ·dZ with both transposed) are all this shape.
 *
 * This is the portable fallback (POLICYLAB_JS_KERNELS=1, or a runtime without WebAssembly SIMD); wasm-gemm.ts is
 * the fast path (see linalg.ts for the measurements). The 2×4 register blocking below reaches ~1–2 GMAC/s in V8,
 * where a plain triple loop reaches ~0.6.
 */

/** C[i, j] (= or +=) Σ_k A[i, k] · B[j, k] for i < m, j < n, k < p. */
export function gemmNT(A: Float32Array, B: Float32Array, C: Float32Array, m: number, n: number, p: number, accumulate: boolean): void {
  let i = 0;
  for (; i + 1 < m; i += 2) {
    const a0 = i * p;
    const a1 = a0 + p;
    const c0 = i * n;
    const c1 = c0 + n;
    let j = 0;
    for (; j + 3 < n; j += 4) {
      const b0 = j * p;
      const b1 = b0 + p;
      const b2 = b1 + p;
      const b3 = b2 + p;
      let s00 = 0, s01 = 0, s02 = 0, s03 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0; // prettier-ignore
      for (let k = 0; k < p; k++) {
        const x0 = A[a0 + k];
        const x1 = A[a1 + k];
        const y0 = B[b0 + k];
        const y1 = B[b1 + k];
        const y2 = B[b2 + k];
        const y3 = B[b3 + k];
        s00 += x0 * y0;
        s01 += x0 * y1;
        s02 += x0 * y2;
        s03 += x0 * y3;
        s10 += x1 * y0;
        s11 += x1 * y1;
        s12 += x1 * y2;
        s13 += x1 * y3;
      }
      if (accumulate) {
        C[c0 + j] += s00;
        C[c0 + j + 1] += s01;
        C[c0 + j + 2] += s02;
        C[c0 + j + 3] += s03;
        C[c1 + j] += s10;
        C[c1 + j + 1] += s11;
        C[c1 + j + 2] += s12;
        C[c1 + j + 3] += s13;
      } else {
        C[c0 + j] = s00;
        C[c0 + j + 1] = s01;
        C[c0 + j + 2] = s02;
        C[c0 + j + 3] = s03;
        C[c1 + j] = s10;
        C[c1 + j + 1] = s11;
        C[c1 + j + 2] = s12;
        C[c1 + j + 3] = s13;
      }
    }
    for (; j < n; j++) {
      const b0 = j * p;
      let s0 = 0;
      let s1 = 0;
      for (let k = 0; k < p; k++) {
        const y = B[b0 + k];
        s0 += A[a0 + k] * y;
        s1 += A[a1 + k] * y;
      }
      if (accumulate) {
        C[c0 + j] += s0;
        C[c1 + j] += s1;
      } else {
        C[c0 + j] = s0;
        C[c1 + j] = s1;
      }
    }
  }
  for (; i < m; i++) {
    const a0 = i * p;
    const c0 = i * n;
    for (let j = 0; j < n; j++) {
      const b0 = j * p;
      let s = 0;
      for (let k = 0; k < p; k++) s += A[a0 + k] * B[b0 + k];
      if (accumulate) C[c0 + j] += s;
      else C[c0 + j] = s;
    }
  }
}

/** dst [cols, rows] = srcᵀ for src [rows, cols] (row-major). */
export function transpose(src: Float32Array, rows: number, cols: number, dst: Float32Array): void {
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    for (let c = 0; c < cols; c++) dst[c * rows + r] = src[o + c];
  }
}
