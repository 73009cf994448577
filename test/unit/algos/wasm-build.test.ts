/**
 * The WebAssembly kernels are kept as text (core/algos/nn/*.wat) and compiled by wabt at build time into generated
 * modules (kernels-wasm.ts). Recompiling every .wat must give exactly the committed bytes, so the text is the
 * source of truth and nobody edits the bytes by hand.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { WASM_BYTES } from '../../../core/algos/nn/kernels-wasm.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));

describe('WebAssembly kernels built from text', () => {
  it('recompiling core/algos/nn/*.wat with wabt gives exactly the committed modules', () => {
    // --check exits 1 (and execFileSync throws, printing the stale files) when any generated module differs.
    expect(() => execFileSync(process.execPath, ['scripts/build-wasm.mjs', '--check'], { cwd: root, stdio: 'pipe' })).not.toThrow();
  });

  it('the bytes the engine instantiates are the generated file\'s, a valid module with the kernel\'s exports', () => {
    const text = readFileSync(new URL('../../../core/algos/nn/kernels-wasm.ts', import.meta.url), 'utf8');
    const listed = Uint8Array.from(text.match(/0x[0-9a-f]{2}/g)!.map(Number));
    expect(WASM_BYTES).toEqual(listed);
    const wasm = (globalThis as unknown as { WebAssembly: { Module: { new (b: Uint8Array): object; exports(m: object): { name: string; kind: string }[] } } }).WebAssembly;
    const exports = wasm.Module.exports(new wasm.Module(WASM_BYTES)).map((e) => `${e.kind} ${e.name}`);
    expect(exports).toEqual(['function gemm', 'function tanh', 'function relu', 'function gemm_nn', 'function gelu', 'function gelu_backward', 'function colsum', 'memory memory']);
  });
});
