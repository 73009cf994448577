/**
 * The WebAssembly SIMD kernels of the update engine — `gemm` (C = A·Bᵀ, for the matrix products that dominate an
 * MLP update) and in-place `tanh` / `relu` — and of the language model's engine (`gemm_nn`: A·B and Aᵀ·B through
 * strides; GELU forward and backward), with the thin wrappers the engines call them through.
 *
 * The kernels are written as WebAssembly text in kernels.wat (the why, the blocking and the tanh approximation are
 * explained there), compiled by wabt at build time (`npm run build:wasm` → kernels-wasm.ts, the bytes instantiated
 * here; a unit test recompiles the .wat and requires exactly those bytes). `gemm(a, b, c, m, n, pBytes)` runs over
 * the exported memory for m even, n a multiple of 4 and rows of pBytes = 16·k bytes; callers (linalg.ts) pad the
 * operands into that shape with zeros. Accumulation order differs from the JS kernel (four float32 partial sums),
 * so results agree to float32 rounding.
 */
import { WASM_BYTES } from './kernels-wasm.js';

// Node's typings here (lib ES2023, no DOM) do not declare the WebAssembly JS API; these are the parts used.
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}
const WA = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

interface Kernel {
  gemm: (a: number, b: number, c: number, m: number, n: number, pBytes: number) => void;
  tanh: (ptr: number, count: number) => void;
  relu: (ptr: number, count: number) => void;
  gemmNN: (a: number, b: number, c: number, m: number, n: number, p: number, sai: number, sak: number, ldb: number, ldc: number, acc: number) => void;
  gelu: (x: number, y: number, count: number) => void;
  geluBackward: (x: number, dy: number, dx: number, count: number) => void;
  colsum: (src: number, dst: number, rows: number, n: number, ld: number) => void;
  memory: WasmMemory;
}

let kernel: Kernel | null | undefined;
let heap = new Float32Array(0);

/** The instantiated kernel, or null where WebAssembly SIMD is unavailable (the JS kernel is used then). */
export function wasmGemm(): Kernel | null {
  if (kernel !== undefined) return kernel;
  try {
    const instance = new WA.Instance(new WA.Module(WASM_BYTES), {});
    kernel = {
      gemm: instance.exports.gemm as Kernel['gemm'],
      tanh: instance.exports.tanh as Kernel['tanh'],
      relu: instance.exports.relu as Kernel['relu'],
      gemmNN: instance.exports.gemm_nn as Kernel['gemmNN'],
      gelu: instance.exports.gelu as Kernel['gelu'],
      geluBackward: instance.exports.gelu_backward as Kernel['geluBackward'],
      colsum: instance.exports.colsum as Kernel['colsum'],
      memory: instance.exports.memory as WasmMemory,
    };
    heap = new Float32Array(kernel.memory.buffer);
  } catch {
    kernel = null;
  }
  return kernel;
}

/**
 * The kernel's memory as floats, at least `floats` long (grown as needed). Operands are laid out by the caller:
 * A rows (stride p4, m2 rows), then B rows (stride p4, n4 rows), then C (stride n4).
 */
export function wasmHeap(floats: number): Float32Array {
  const k = kernel!;
  const bytes = floats * 4;
  if (k.memory.buffer.byteLength < bytes) k.memory.grow(Math.ceil((bytes - k.memory.buffer.byteLength) / 65536));
  if (heap.buffer !== k.memory.buffer) heap = new Float32Array(k.memory.buffer);
  return heap;
}

/** Runs the kernel on operands already in the heap (float offsets aAt, bAt, cAt; m2 even, n4 and p4 multiples of 4). */
export function wasmGemmAt(aAt: number, bAt: number, cAt: number, m2: number, n4: number, p4: number): void {
  kernel!.gemm(aAt * 4, bAt * 4, cAt * 4, m2, n4, p4 * 4);
}

/** Applies tanh or relu in place to `count` floats (a multiple of 4) at float offset `at` of the heap. */
export function wasmActivationAt(kind: 'tanh' | 'relu', at: number, count: number): void {
  kernel![kind](at * 4, count);
}

/**
 * C (+)= A·B or Aᵀ·B on operands in the heap (float offsets and strides): A(i, k) at aAt + i·sai + k·sak, B [p, ldb],
 * C [m4, ldc]; m4 a multiple of 4, n8 of 8 (the padded sizes), p ≥ 1.
 */
export function wasmGemmNNAt(aAt: number, bAt: number, cAt: number, m4: number, n8: number, p: number, sai: number, sak: number, ldb: number, ldc: number, accumulate: boolean): void {
  kernel!.gemmNN(aAt * 4, bAt * 4, cAt * 4, m4, n8, p, sai * 4, sak * 4, ldb * 4, ldc * 4, accumulate ? 1 : 0);
}

/** y = GELU(x) over `count` floats (a multiple of 4) at heap float offsets (y may be x). */
export function wasmGeluAt(xAt: number, yAt: number, count: number): void {
  kernel!.gelu(xAt * 4, yAt * 4, count);
}

/** dx = dy · GELU′(x) over `count` floats (a multiple of 4) at heap float offsets (dx may be dy). */
export function wasmGeluBackwardAt(xAt: number, dyAt: number, dxAt: number, count: number): void {
  kernel!.geluBackward(xAt * 4, dyAt * 4, dxAt * 4, count);
}

/** dst[j] += Σ_r src[r, j] over heap float offsets: `rows` rows of stride `ld`, n4 columns (a multiple of 4). */
export function wasmColsumAt(srcAt: number, dstAt: number, rows: number, n4: number, ld: number): void {
  kernel!.colsum(srcAt * 4, dstAt * 4, rows, n4, ld * 4);
}
