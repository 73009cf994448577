import { describe, expect, it, vi } from 'vitest';
import * as wasmPath from '../../../core/lm/matmul.js';
import { Rng } from '../../../core/common/rng.js';

type Matmul = typeof wasmPath;

function randomArray(n: number, rng: Rng): Float32Array {
  return new Float32Array(n).map(() => rng.uniform() * 2 - 1);
}

/** Float64 reference: C[m, n] (+)= op(A)·op(B) with A(i, k) and B(k, j) given as functions. */
function reference(m: number, n: number, p: number, a: (i: number, k: number) => number, b: (k: number, j: number) => number, C0: Float32Array | null): Float64Array {
  const C = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = C0 ? C0[i * n + j] : 0;
      for (let k = 0; k < p; k++) s += a(i, k) * b(k, j);
      C[i * n + j] = s;
    }
  }
  return C;
}

function worstRel(got: Float32Array, want: Float64Array): number {
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]) / (1 + Math.abs(want[i])));
  return worst;
}

const GELU_S = Math.sqrt(2 / Math.PI);
const geluExact = (x: number): number => 0.5 * x * (1 + Math.tanh(GELU_S * (x + 0.044715 * x ** 3)));

// Odd sizes need the kernels' padding (rows to 4, columns to 8); p = 300 > the Aᵀ·B kernel's k chunk (128).
const shapes: [number, number, number][] = [[1, 1, 1], [3, 5, 7], [4, 8, 1], [7, 9, 300], [64, 32, 64], [33, 130, 129]];

async function jsPath(): Promise<Matmul> {
  vi.resetModules();
  process.env.POLICYLAB_JS_KERNELS = '1';
  try {
    return await import('../../../core/lm/matmul.js');
  } finally {
    delete process.env.POLICYLAB_JS_KERNELS;
  }
}

describe.each([
  ['wasm-simd', async (): Promise<Matmul> => wasmPath],
  ['js', jsPath],
])('LM matmul kernels (%s)', (kernel, load) => {
  it('selects the kernel asked for', async () => {
    const mm = await load();
    expect(mm.LM_KERNEL).toBe(process.env.POLICYLAB_JS_KERNELS === '1' ? 'js' : kernel);
  });

  it('A·Bᵀ, A·B and Aᵀ·B equal a float64 reference, with and without accumulation', async () => {
    const mm = await load();
    const rng = new Rng(3);
    for (const [m, n, p] of shapes) {
      for (const accumulate of [false, true]) {
        const C0 = randomArray(m * n, rng);
        const Ap = randomArray(m * p, rng); // A [m, p] (or, read as [p, m], Aᵀ's operand)
        const Bt = randomArray(n * p, rng); // B [n, p] for A·Bᵀ
        const Bn = randomArray(p * n, rng); // B [p, n] for A·B and Aᵀ·B
        const init = accumulate ? C0 : null;
        const cases: [string, (C: Float32Array) => void, Float64Array][] = [
          ['NT', (C) => mm.matmulNT(Ap, Bt, C, m, n, p, accumulate), reference(m, n, p, (i, k) => Ap[i * p + k], (k, j) => Bt[j * p + k], init)],
          ['NN', (C) => mm.matmulNN(Ap, Bn, C, m, n, p, accumulate), reference(m, n, p, (i, k) => Ap[i * p + k], (k, j) => Bn[k * n + j], init)],
          ['TN', (C) => mm.matmulTN(Ap, Bn, C, m, n, p, accumulate), reference(m, n, p, (i, k) => Ap[k * m + i], (k, j) => Bn[k * n + j], init)],
        ];
        for (const [name, run, want] of cases) {
          const C = C0.slice();
          run(C);
          expect(worstRel(C, want), `${name} ${m}×${n}×${p} accumulate=${accumulate}`).toBeLessThan(1e-5);
        }
      }
    }
  });

  it('Aᵀ·B adds A\'s column sums into colSums when given (the bias gradient)', async () => {
    const mm = await load();
    const rng = new Rng(6);
    for (const [m, n, p] of shapes) {
      const A = randomArray(p * m, rng);
      const sums = randomArray(m, rng);
      const want = Float64Array.from(sums, (s, i) => {
        let t = s;
        for (let k = 0; k < p; k++) t += A[k * m + i];
        return t;
      });
      mm.matmulTN(A, randomArray(p * n, rng), new Float32Array(m * n), m, n, p, false, sums);
      expect(worstRel(sums, want), `${m}×${n}×${p}`).toBeLessThan(1e-5);
    }
  });

  it('writes only the m·n outputs asked for', async () => {
    const mm = await load();
    const rng = new Rng(4);
    const [m, n, p] = [5, 6, 3];
    const C = new Float32Array(m * n + 10).fill(7);
    mm.matmulTN(randomArray(m * p, rng), randomArray(p * n, rng), C, m, n, p, false);
    expect(Array.from(C.subarray(m * n))).toEqual(new Array(10).fill(7));
  });

  it('linearForward is inp·Wᵀ + bias (and inp·Wᵀ without one)', async () => {
    const mm = await load();
    const rng = new Rng(5);
    for (const [N, OC, IC] of shapes) {
      const inp = randomArray(N * IC, rng);
      const W = randomArray(OC * IC, rng);
      const bias = randomArray(OC, rng);
      const noBias = reference(N, OC, IC, (i, k) => inp[i * IC + k], (k, j) => W[j * IC + k], null);
      const withBias = noBias.map((v, i) => v + bias[i % OC]);
      const out = new Float32Array(N * OC).fill(Number.NaN);
      mm.linearForward(out, inp, W, bias, N, IC, OC);
      expect(worstRel(out, withBias), `${N}×${OC}×${IC} with bias`).toBeLessThan(1e-5);
      mm.linearForward(out, inp, W, null, N, IC, OC);
      expect(worstRel(out, noBias), `${N}×${OC}×${IC} without bias`).toBeLessThan(1e-5);
    }
  });

  it('GELU and its derivative match the exact tanh form (derivative checked by central differences)', async () => {
    const mm = await load();
    const n = 1001; // not a multiple of 4
    const x = new Float32Array(n).map((_, i) => -12 + (24 * i) / (n - 1));
    const y = new Float32Array(n);
    mm.gelu(y, x, n);
    let worst = 0;
    for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs(y[i] - geluExact(x[i])));
    expect(worst).toBeLessThan(2e-6);
    const dy = new Float32Array(n).map((_, i) => 0.5 + (i % 3));
    const dx = new Float32Array(n);
    mm.geluBackward(dx, x, dy, n);
    worst = 0;
    const h = 1e-4;
    for (let i = 0; i < n; i++) {
      const fd = (geluExact(x[i] + h) - geluExact(x[i] - h)) / (2 * h);
      worst = Math.max(worst, Math.abs(dx[i] - dy[i] * fd) / dy[i]);
    }
    // float32: where |x| ≫ 1, 1 − tanh²(u) is a few ulps of 1 (≈ 1e-5 at x = −12, where GELU′ is ≈ 0)
    expect(worst).toBeLessThan(2e-5);
  });
});
