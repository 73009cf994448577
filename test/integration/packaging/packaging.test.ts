/**
 * The desktop package's file set. Electron's binary cannot be downloaded on every machine, so this builds the app
 * (`npm run build`) and runs electron-builder for Linux with `electronDist` pointed at a stand-in folder: everything
 * electron-builder does (file selection, asar, unpacking, dependency collection) is real, only the Electron
 * executable is a placeholder. Real installers (`npm run dist`) need the real binary.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
const asar = require('@electron/asar') as { listPackage(path: string, opts?: object): string[] };

const root = process.cwd();
const work = mkdtempSync(join(tmpdir(), 'policylab-pack-'));
const out = join(work, 'release');
const resources = join(out, 'linux-unpacked', 'resources');
let files: string[] = [];

beforeAll(() => {
  execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'pipe' });
  const standIn = join(work, 'electron-dist');
  mkdirSync(standIn);
  writeFileSync(join(standIn, 'electron'), '#!/bin/sh\necho "stand-in for the Electron binary"\n');
  chmodSync(join(standIn, 'electron'), 0o755);
  const version = (JSON.parse(readFileSync(join(root, 'node_modules/electron/package.json'), 'utf8')) as { version: string }).version;
  writeFileSync(join(standIn, 'version'), version);
  execFileSync(
    'npx',
    ['electron-builder', '--linux', 'dir', '--config', 'electron-builder.yml', `-c.electronDist=${standIn}`, `-c.directories.output=${out}`],
    { cwd: root, stdio: 'pipe', env: { ...process.env, CSC_IDENTITY_AUTO_DISCOVERY: 'false' } },
  );
  files = asar.listPackage(join(resources, 'app.asar'));
}, 600_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('packaged app (electron-builder, Linux dir target, stand-in Electron)', () => {
  it('contains the built main process, sandboxed CommonJS preload, renderer and training core', () => {
    for (const f of [
      '/package.json',
      '/dist/electron/main.js',
      '/dist/electron/preload.cjs',
      '/dist/renderer/index.html',
      '/dist/core/runner/worker.js',
      '/dist/core/algos/loop.js',
      '/dist/core/store/index.js',
    ]) {
      expect(files, `missing ${f}`).toContain(f);
    }
  });

  it('bundles production dependencies and unpacks the wasm binaries the training process loads from disk', () => {
    for (const dep of ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm', 'lowdb', 'zod', 'ws']) {
      expect(files).toContain(`/node_modules/${dep}/package.json`);
    }
    expect(existsSync(join(resources, 'app.asar.unpacked/node_modules/@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm'))).toBe(true);
  });

  it('leaves out sources, tests, source maps and development tools', () => {
    expect(files.filter((f) => f.startsWith('/test/') || f.startsWith('/renderer/src') || f.startsWith('/core/'))).toEqual([]);
    expect(files.filter((f) => f.endsWith('.map'))).toEqual([]);
    for (const dev of ['electron', 'vite', 'vitest', 'svelte', 'playwright-core', 'tsx', 'esbuild']) {
      expect(files, `dev dependency ${dev} packaged`).not.toContain(`/node_modules/${dev}/package.json`);
    }
  });
});
