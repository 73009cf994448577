import * as tf from '@tensorflow/tfjs';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { BACKEND_CHOICES, describeBackend, forcedBackend, formatBackend, initBackend } from '../../../core/tensor/backend.js';

const TF_NAME = { 'tensorflow-gpu': 'tensorflow', tensorflow: 'tensorflow', wasm: 'wasm', cpu: 'cpu' } as const;

describe('initBackend', () => {
  it('initialises once and describes the choice, with reasons for what it skipped', async () => {
    const first = initBackend();
    expect(initBackend()).toBe(first);
    const info = await first;
    expect(await initBackend()).toBe(info);
    expect(describeBackend()).toEqual(info);
    expect(tf.getBackend()).toBe(TF_NAME[info.name]);
    expect(info.tfjsVersion).toBe(tf.version.tfjs);
    const order = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node', '@tensorflow/tfjs-backend-wasm', 'cpu'];
    const chosen = { 'tensorflow-gpu': 0, tensorflow: 1, wasm: 2, cpu: 3 }[info.name];
    expect(info.skipped.map((s) => s.candidate)).toEqual(order.slice(0, chosen));
    for (const s of info.skipped) expect(s.reason.length).toBeGreaterThan(0);
    if (info.name === 'wasm') {
      expect(typeof info.simd).toBe('boolean');
      expect(info.threads).toBeGreaterThanOrEqual(1);
    }
    expect(formatBackend(info)).toContain(info.name);
    // the backend computes
    const y = tf.tidy(() => tf.matMul(tf.ones([2, 3]), tf.ones([3, 2])).dataSync());
    expect(Array.from(y)).toEqual([3, 3, 3, 3]);
  });

  it('parses POLICYLAB_BACKEND', () => {
    expect(BACKEND_CHOICES).toEqual(['gpu', 'node', 'wasm', 'cpu']);
    expect(forcedBackend({})).toBeUndefined();
    expect(forcedBackend({ POLICYLAB_BACKEND: '' })).toBeUndefined();
    expect(forcedBackend({ POLICYLAB_BACKEND: ' WASM ' })).toBe('wasm');
    expect(() => forcedBackend({ POLICYLAB_BACKEND: 'tpu' })).toThrow(/POLICYLAB_BACKEND must be one of gpu, node, wasm, cpu, got "tpu"/);
  });

  it('formats skipped candidates', () => {
    expect(
      formatBackend({ name: 'wasm', simd: true, threads: 1, tfjsVersion: '4.22.0', skipped: [{ candidate: '@tensorflow/tfjs-node', reason: 'not installed' }] }),
    ).toBe('wasm (SIMD, 1 thread) · tfjs 4.22.0 · skipped: @tensorflow/tfjs-node: not installed');
    expect(formatBackend({ name: 'cpu', tfjsVersion: '4.22.0', skipped: [] })).toBe('cpu · tfjs 4.22.0');
  });

  it('a forced backend that cannot load fails with a clear error; a forced one that can is used', () => {
    const script = (choice: string) =>
      spawnSync(
        process.execPath,
        ['--import', 'tsx', '--input-type=module', '-e',
          "const m = await import('./core/tensor/backend.ts'); try { const i = await m.initBackend(); console.log('OK ' + i.name + ' ' + i.skipped.length); } catch (e) { console.log('ERR ' + e.message); }"],
        { cwd: process.cwd(), env: { ...process.env, POLICYLAB_BACKEND: choice }, encoding: 'utf8', timeout: 60_000 },
      );
    const cpu = script('cpu');
    expect(cpu.stdout.trim()).toBe('OK cpu 3');
    // tfjs-node is an optional dependency; where it is installed this machine uses it instead.
    const node = script('node');
    expect(node.stdout.trim()).toMatch(/^(OK tensorflow 1|ERR POLICYLAB_BACKEND=node asked for @tensorflow\/tfjs-node, which failed to load: .+)$/);
    expect(script('tpu').stdout.trim()).toBe('ERR POLICYLAB_BACKEND must be one of gpu, node, wasm, cpu, got "tpu"');
  });
});
