/**
 * A WebAssembly SIMD version of `gemmNT` (C = A·Bᵀ), for the matrix products that dominate an MLP update.
 *
 * Why: V8 does not vectorise JS loops, and the register-blocked JS kernel tops out near 2 GMAC/s; the same 2×4
 * blocking over f32x4 lanes does four multiply-adds per instruction. tfjs-wasm has such kernels (XNNPACK) but pays
 * ~20–70 µs of dispatch per op, more than a 64-unit layer's arithmetic; this module is called directly.
 *
 * The module is assembled here from its opcodes (about 200 bytes, no build step or binary blob): one exported
 * function `gemm(a, b, c, m, n, pBytes)` over an exported memory, for m even, n a multiple of 4 and rows of
 * pBytes = 16·k bytes. `gemmNTWasm` pads the operands into that shape (zeros), calls it and copies C back.
 * Accumulation order differs from the JS kernel (four float32 partial sums), so results agree to float32 rounding.
 */

// --- a minimal assembler: just what the kernel needs ---------------------------------------------------------
const I32 = 0x7f;
const V128 = 0x7b;
const op = {
  block: 0x02,
  loop: 0x03,
  end: 0x0b,
  brIf: 0x0d,
  localGet: 0x20,
  localSet: 0x21,
  localTee: 0x22,
  f32Store: 0x38,
  i32Const: 0x41,
  i32LtU: 0x49,
  i32Add: 0x6a,
  i32Mul: 0x6c,
  f32Add: 0x92,
  simd: 0xfd,
} as const;
const simd = { load: 0x00, store: 0x0b, const: 0x0c, splat: 0x13, extractLane: 0x1f, add: 0xe4, sub: 0xe5, mul: 0xe6, div: 0xe7, min: 0xe8, max: 0xe9 } as const;
const F32_CONST = 0x43;

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

function section(id: number, bytes: number[]): number[] {
  return [id, ...uleb(bytes.length), ...bytes];
}

function vec(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

function name(s: string): number[] {
  const bytes = [...new TextEncoder().encode(s)];
  return [...uleb(bytes.length), ...bytes];
}

// --- the kernel ---------------------------------------------------------------------------------------------
// Params: 0 a, 1 b, 2 c (byte addresses), 3 m, 4 n, 5 p (row length in bytes).
// Locals: 6 i, 7 j, 8 k, 9 a0, 10 a1, 11 b0, 12 b1, 13 b2, 14 b3, 15 c0, 16 c1 (i32);
//         17–24 s00 s01 s02 s03 s10 s11 s12 s13, 25 x0, 26 x1, 27 y (v128).
const [A, B, C, M, N, P, I, J, K, A0, A1, B0, B1, B2, B3, C0, C1] = Array.from({ length: 17 }, (_, i) => i);
const S = [17, 18, 19, 20, 21, 22, 23, 24];
const X0 = 25;
const X1 = 26;
const Y = 27;

function kernelBody(): number[] {
  const get = (l: number) => [op.localGet, l];
  const set = (l: number) => [op.localSet, l];
  const i32 = (v: number) => [op.i32Const, ...sleb(v)];
  const v128Load = (addr: number[], k: number) => [...addr, ...get(k), op.i32Add, op.simd, ...uleb(simd.load), 4, 0];
  const code: number[] = [];
  const emit = (...parts: number[][]) => parts.forEach((p) => code.push(...p));
  // i = 0
  emit(i32(0), set(I));
  emit([op.loop, 0x40]);
  {
    // a0 = a + i·p; a1 = a0 + p; c0 = c + i·n·4; c1 = c0 + n·4
    emit(get(A), get(I), get(P), [op.i32Mul], [op.i32Add], [op.localTee, A0], get(P), [op.i32Add], set(A1));
    emit(get(C), get(I), get(N), [op.i32Mul], i32(4), [op.i32Mul], [op.i32Add], [op.localTee, C0], get(N), i32(4), [op.i32Mul], [op.i32Add], set(C1));
    emit(i32(0), set(J));
    emit([op.loop, 0x40]);
    {
      // b0..b3 = b + (j + r)·p
      emit(get(B), get(J), get(P), [op.i32Mul], [op.i32Add], [op.localTee, B0], get(P), [op.i32Add], [op.localTee, B1], get(P), [op.i32Add]);
      emit([op.localTee, B2], get(P), [op.i32Add], set(B3));
      for (const s of S) emit([op.simd, ...uleb(simd.const), ...new Array(16).fill(0)], set(s));
      emit(i32(0), set(K));
      emit([op.loop, 0x40]);
      {
        emit(v128Load(get(A0), K), set(X0), v128Load(get(A1), K), set(X1));
        [B0, B1, B2, B3].forEach((bRow, col) => {
          emit(v128Load(get(bRow), K), set(Y));
          // s0col += x0·y; s1col += x1·y
          emit(get(S[col]), get(X0), get(Y), [op.simd, ...uleb(simd.mul)], [op.simd, ...uleb(simd.add)], set(S[col]));
          emit(get(S[4 + col]), get(X1), get(Y), [op.simd, ...uleb(simd.mul)], [op.simd, ...uleb(simd.add)], set(S[4 + col]));
        });
        emit(get(K), i32(16), [op.i32Add], [op.localTee, K], get(P), [op.i32LtU], [op.brIf, 0]);
      }
      emit([op.end]);
      // C[i, j + col] = Σ lanes of s0col; C[i + 1, j + col] = Σ lanes of s1col
      for (let row = 0; row < 2; row++) {
        for (let col = 0; col < 4; col++) {
          const s = S[row * 4 + col];
          emit(get(row === 0 ? C0 : C1), get(J), i32(4), [op.i32Mul], [op.i32Add]);
          emit(get(s), [op.simd, ...uleb(simd.extractLane), 0], get(s), [op.simd, ...uleb(simd.extractLane), 1], [op.f32Add]);
          emit(get(s), [op.simd, ...uleb(simd.extractLane), 2], [op.f32Add], get(s), [op.simd, ...uleb(simd.extractLane), 3], [op.f32Add]);
          emit([op.f32Store, 2, ...uleb(col * 4)]);
        }
      }
      emit(get(J), i32(4), [op.i32Add], [op.localTee, J], get(N), [op.i32LtU], [op.brIf, 0]);
    }
    emit([op.end]);
    emit(get(I), i32(2), [op.i32Add], [op.localTee, I], get(M), [op.i32LtU], [op.brIf, 0]);
  }
  emit([op.end]);
  return code;
}

/**
 * In-place activations over `count` floats (a multiple of 4) at byte address `ptr`: params 0 ptr, 1 count; local 2 end.
 * tanh: clamp to ±9 (tanh(9) rounds to 1 in float32), a 7/8 rational of Lambert's continued fraction at y = x/4
 * (error < 2e-9 for |y| ≤ 2.25), then the double-angle formula tanh(2y) = 2t/(1 + t²) twice — no exp needed.
 * relu: max(x, 0).
 */
function activationBody(kind: 'tanh' | 'relu'): number[] {
  const PTR = 0;
  const COUNT = 1;
  const END = 2;
  const X = 3;
  const Y2 = 4;
  const T = 5;
  const get = (l: number) => [op.localGet, l];
  const set = (l: number) => [op.localSet, l];
  const v = (code: number) => [op.simd, ...uleb(code)];
  const splat = (c: number) => {
    const b = new Uint8Array(new Float32Array([c]).buffer);
    return [F32_CONST, ...b, ...v(simd.splat)];
  };
  const code: number[] = [];
  const emit = (...parts: number[][]) => parts.forEach((p) => code.push(...p));
  // end = ptr + count·4
  emit(get(PTR), get(COUNT), [op.i32Const, 4], [op.i32Mul], [op.i32Add], set(END));
  emit([op.loop, 0x40]);
  emit(get(PTR), get(PTR), v(simd.load), [4, 0]);
  if (kind === 'relu') {
    emit(splat(0), v(simd.max));
  } else {
    // x = clamp(x, −9, 9) / 4
    emit(splat(9), v(simd.min), splat(-9), v(simd.max), splat(0.25), v(simd.mul), set(X));
    emit(get(X), get(X), v(simd.mul), set(Y2));
    // numerator x·(2027025 + y²(270270 + y²(6930 + 36y²)))
    emit(get(Y2), splat(36), v(simd.mul), splat(6930), v(simd.add), get(Y2), v(simd.mul), splat(270270), v(simd.add));
    emit(get(Y2), v(simd.mul), splat(2027025), v(simd.add), get(X), v(simd.mul));
    // denominator 2027025 + y²(945945 + y²(51975 + y²(630 + y²)))
    emit(get(Y2), splat(630), v(simd.add), get(Y2), v(simd.mul), splat(51975), v(simd.add), get(Y2), v(simd.mul));
    emit(splat(945945), v(simd.add), get(Y2), v(simd.mul), splat(2027025), v(simd.add), v(simd.div), set(T));
    for (let k = 0; k < 2; k++) {
      // t = 2t / (1 + t²)
      emit(get(T), get(T), v(simd.add), get(T), get(T), v(simd.mul), splat(1), v(simd.add), v(simd.div), set(T));
    }
    emit(get(T));
  }
  emit(v(simd.store), [4, 0]);
  emit(get(PTR), [op.i32Const, 16], [op.i32Add], [op.localTee, PTR], get(END), [op.i32LtU], [op.brIf, 0]);
  emit([op.end]);
  return code;
}

function buildModule(): Uint8Array {
  const gemmType = [0x60, ...vec([[I32], [I32], [I32], [I32], [I32], [I32]]), ...vec([])];
  const actType = [0x60, ...vec([[I32], [I32]]), ...vec([])];
  const gemmBody = [...vec([[11, I32], [11, V128]]), ...kernelBody(), op.end];
  const tanhBody = [...vec([[1, I32], [3, V128]]), ...activationBody('tanh'), op.end];
  const reluBody = [...vec([[1, I32], [3, V128]]), ...activationBody('relu'), op.end];
  const bytes = [
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vec([gemmType, actType])),
    ...section(3, vec([[0], [1], [1]])),
    ...section(5, vec([[0x00, 1]])),
    ...section(7, vec([[...name('gemm'), 0x00, 0], [...name('tanh'), 0x00, 1], [...name('relu'), 0x00, 2], [...name('memory'), 0x02, 0]])),
    ...section(10, vec([gemmBody, tanhBody, reluBody].map((b) => [...uleb(b.length), ...b]))),
  ];
  return new Uint8Array(bytes);
}

// --- the wrapper --------------------------------------------------------------------------------------------
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
  memory: WasmMemory;
}

let kernel: Kernel | null | undefined;
let heap = new Float32Array(0);

/** The instantiated kernel, or null where WebAssembly SIMD is unavailable (the JS kernel is used then). */
export function wasmGemm(): Kernel | null {
  if (kernel !== undefined) return kernel;
  try {
    const instance = new WA.Instance(new WA.Module(buildModule()), {});
    kernel = {
      gemm: instance.exports.gemm as Kernel['gemm'],
      tanh: instance.exports.tanh as Kernel['tanh'],
      relu: instance.exports.relu as Kernel['relu'],
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

/** `gemmNT` (gemm.ts) on the WASM kernel: pads A and B into the heap, multiplies, copies C back (tests, benchmarks). */
export function gemmNTWasm(A: Float32Array, B: Float32Array, C: Float32Array, m: number, n: number, p: number, accumulate: boolean): void {
  const p4 = (p + 3) & ~3;
  const m2 = (m + 1) & ~1;
  const n4 = (n + 3) & ~3;
  const bAt = m2 * p4;
  const cAt = bAt + n4 * p4;
  const h = wasmHeap(cAt + m2 * n4);
  h.fill(0, 0, cAt);
  for (let i = 0; i < m; i++) h.set(A.subarray(i * p, i * p + p), i * p4);
  for (let j = 0; j < n; j++) h.set(B.subarray(j * p, j * p + p), bAt + j * p4);
  wasmGemmAt(0, bAt, cAt, m2, n4, p4);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) C[i * n + j] = (accumulate ? C[i * n + j] : 0) + h[cAt + i * n4 + j];
  }
}
