/**
 * The three products a dense layer needs, on either kernel:
 *   affine:  H[r, j] (+)= Σ_k [X | a][r, k] · Wᵀaug[j, k]     forward (a = 1 adds the bias row; a = 0 for tangents)
 *   gradW:   G[k, j]  += Σ_r [X | 1][r, k] · dZ[r, j]          kernel and bias gradients in one product
 *   gradX:   dX[r, k]  = Σ_j dZ[r, j] · W[k, j]                 the gradient flowing to the layer input
 * A layer's parameters are the block [in + 1, out] = kernel rows then the bias row (the flat layout of mlp.ts), so
 * appending a constant column to the input folds the bias into the same product.
 *
 * Kernel choice, measured on this 2-core machine (tfjs 4.22, Node 20): the WebAssembly SIMD kernel (kernels.wat)
 * runs a 256×64×64 product in ~0.12 ms including the padded copies (~9 GMAC/s), the register-blocked JS kernel in
 * ~1.0 ms (~1 GMAC/s). Through tfjs the cost is dispatch, not arithmetic: one forward call of a 64×64 MLP on 8 rows
 * takes ~55 µs on tfjs-wasm (~165 µs on tfjs-cpu), and a PPO minibatch step (256 samples, actor + critic, Adam)
 * ~9 ms against ~1.4 ms here (test/bench/algos.ts prints both). The WASM kernel is used wherever WebAssembly SIMD
 * validates; `POLICYLAB_JS_KERNELS=1` forces the JS one.
 */
import { gemmNT, transpose } from './gemm.js';
import { wasmActivationAt, wasmGemm, wasmGemmAt, wasmHeap } from './wasm-gemm.js';

const useWasm = process.env.POLICYLAB_JS_KERNELS !== '1' && wasmGemm() !== null;

/** Which kernel the engine runs ('wasm-simd' or 'js'). */
export const KERNEL: 'wasm-simd' | 'js' = useWasm ? 'wasm-simd' : 'js';

const ceil4 = (x: number): number => (x + 3) & ~3;
const ceil2 = (x: number): number => (x + 1) & ~1;

/** Copies src [rows, cols] into h at `at` with row stride `stride` (≥ cols + aug), an optional constant column, zero padding up to padRows. */
function put(h: Float32Array, at: number, src: Float32Array, rows: number, cols: number, stride: number, padRows: number, augValue: number | null): void {
  const width = augValue === null ? cols : cols + 1;
  if (width === stride && augValue === null) {
    h.set(src.subarray(0, rows * cols), at);
  } else {
    for (let r = 0; r < rows; r++) {
      const o = at + r * stride;
      const s = r * cols;
      // Wide rows copy faster as a block (memcpy) than element by element.
      if (cols >= 16) h.set(src.subarray(s, s + cols), o);
      else for (let c = 0; c < cols; c++) h[o + c] = src[s + c];
      if (augValue !== null) h[o + cols] = augValue;
      for (let c = width; c < stride; c++) h[o + c] = 0;
    }
  }
  h.fill(0, at + rows * stride, at + padRows * stride);
}

/** Copies srcᵀ (src is [rows, cols]) into h at `at`: `cols` rows of stride `stride` (≥ rows), plus a row of ones when `onesRow`. */
function putTransposed(h: Float32Array, at: number, src: Float32Array, rows: number, cols: number, stride: number, padRows: number, onesRow: boolean): void {
  for (let c = 0; c < cols; c++) {
    const o = at + c * stride;
    for (let r = 0; r < rows; r++) h[o + r] = src[r * cols + c];
    h.fill(0, o + rows, o + stride);
  }
  let filled = cols;
  if (onesRow) {
    const o = at + cols * stride;
    h.fill(1, o, o + rows);
    h.fill(0, o + rows, o + stride);
    filled++;
  }
  h.fill(0, at + filled * stride, at + padRows * stride);
}

function copyOut(h: Float32Array, cAt: number, stride: number, C: Float32Array, m: number, n: number, accumulate: boolean): void {
  if (!accumulate && n === stride) {
    C.set(h.subarray(cAt, cAt + m * n));
    return;
  }
  for (let i = 0; i < m; i++) {
    const s = cAt + i * stride;
    const d = i * n;
    if (accumulate) for (let j = 0; j < n; j++) C[d + j] += h[s + j];
    else for (let j = 0; j < n; j++) C[d + j] = h[s + j];
  }
}

let jsScratch = new Float32Array(0);
function scratch(n: number): Float32Array {
  if (jsScratch.length < n) jsScratch = new Float32Array(n);
  return jsScratch;
}

/**
 * tanh to float32 accuracy, ~5× faster than Math.tanh in V8 (~5 ns vs ~25 ns): Lambert's continued fraction
 * truncated to a 7/8 rational for |x| < 3 (error < 3.1e-8), and 1 − 2/(e^{2|x|} + 1) beyond. (The WASM kernel
 * uses the same rational at x/4 and the double-angle formula instead of exp.)
 */
export function fastTanh(x: number): number {
  if (x > -3 && x < 3) {
    const x2 = x * x;
    return (x * (2027025 + x2 * (270270 + x2 * (6930 + x2 * 36)))) / (2027025 + x2 * (945945 + x2 * (51975 + x2 * (630 + x2))));
  }
  const t = 1 - 2 / (Math.exp(2 * Math.abs(x)) + 1);
  return x < 0 ? -t : t;
}

export type Activation = 'tanh' | 'relu';

/**
 * H [rows, out] (+)= [X | augValue] · wAugT ᵀ, with X [rows, cols] and wAugT [out, cols + 1], then the activation
 * (when given; not with accumulate).
 */
export function affine(
  X: Float32Array,
  rows: number,
  cols: number,
  augValue: number,
  wAugT: Float32Array,
  out: number,
  H: Float32Array,
  accumulate: boolean,
  activation: Activation | null = null,
): void {
  if (accumulate && activation) throw new Error('affine: an activation cannot follow an accumulating product');
  const p = cols + 1;
  if (useWasm) {
    const p4 = ceil4(p);
    const m2 = ceil2(rows);
    const n4 = ceil4(out);
    const bAt = m2 * p4;
    const cAt = bAt + n4 * p4;
    const h = wasmHeap(cAt + m2 * n4);
    put(h, 0, X, rows, cols, p4, m2, augValue);
    put(h, bAt, wAugT, out, p, p4, n4, null);
    wasmGemmAt(0, bAt, cAt, m2, n4, p4);
    if (activation) wasmActivationAt(activation, cAt, m2 * n4);
    copyOut(h, cAt, n4, H, rows, out, accumulate);
    return;
  }
  const xa = scratch(rows * p);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) xa[r * p + c] = X[r * cols + c];
    xa[r * p + cols] = augValue;
  }
  gemmNT(xa, wAugT, H, rows, out, p, accumulate);
  const n = rows * out;
  if (activation === 'tanh') for (let i = 0; i < n; i++) H[i] = fastTanh(H[i]);
  else if (activation === 'relu') for (let i = 0; i < n; i++) if (H[i] < 0) H[i] = 0;
}

/** G [cols + 1, out] += [X | 1]ᵀ · dZ, with X [rows, cols], dZ [rows, out] (kernel and bias gradients). */
export function gradW(X: Float32Array, dZ: Float32Array, rows: number, cols: number, out: number, G: Float32Array): void {
  if (useWasm) {
    const p4 = ceil4(rows);
    const m2 = ceil2(cols + 1);
    const n4 = ceil4(out);
    const bAt = m2 * p4;
    const cAt = bAt + n4 * p4;
    const h = wasmHeap(cAt + m2 * n4);
    putTransposed(h, 0, X, rows, cols, p4, m2, true);
    putTransposed(h, bAt, dZ, rows, out, p4, n4, false);
    wasmGemmAt(0, bAt, cAt, m2, n4, p4);
    copyOut(h, cAt, n4, G, cols + 1, out, true);
    return;
  }
  const xt = scratch((cols + 1) * rows + out * rows);
  const xT = xt.subarray(0, (cols + 1) * rows);
  const dT = xt.subarray((cols + 1) * rows, (cols + 1) * rows + out * rows);
  transpose(X, rows, cols, xT);
  xT.fill(1, cols * rows, (cols + 1) * rows);
  transpose(dZ, rows, out, dT);
  gemmNT(xT, dT, G, cols + 1, out, rows, true);
}

/** dX [rows, cols] = dZ · Wᵀ, with dZ [rows, out] and W the kernel [cols, out] (the first cols rows of the block). */
export function gradX(dZ: Float32Array, W: Float32Array, rows: number, cols: number, out: number, dX: Float32Array): void {
  if (useWasm) {
    const p4 = ceil4(out);
    const m2 = ceil2(rows);
    const n4 = ceil4(cols);
    const bAt = m2 * p4;
    const cAt = bAt + n4 * p4;
    const h = wasmHeap(cAt + m2 * n4);
    put(h, 0, dZ, rows, out, p4, m2, null);
    put(h, bAt, W, cols, out, p4, n4, null);
    wasmGemmAt(0, bAt, cAt, m2, n4, p4);
    copyOut(h, cAt, n4, dX, rows, cols, false);
    return;
  }
  gemmNT(dZ, W, dX, rows, cols, out, false);
}
