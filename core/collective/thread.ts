/**
 * Starts a worker thread on a module URL. A `.ts` module (tests, tsx runs) is loaded through tsx's ESM API from a
 * tiny bootstrap: on Node 20 a worker's `--import` execArgv does not carry the loader hooks into the thread.
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

export function startWorker(url: URL, workerData: unknown): Worker {
  if (!url.pathname.endsWith('.ts')) return new Worker(url, { workerData });
  // The ESM entry beside the CommonJS one require() resolves (the thread imports it).
  const api = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api').replace(/index\.cjs$/, 'index.mjs')).href;
  const code = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(url.href)}); });`;
  return new Worker(code, { eval: true, workerData });
}

/**
 * The URL of a module of core/ (`path` from core/, without extension) for a worker thread, from any module's
 * import.meta.url: the TypeScript source under tsx, the per-file tree (dist/core/…), or the CLI bundle
 * (dist/cli/policylab.mjs, whose per-file tree is ../core/).
 */
export function coreModuleUrl(metaUrl: string, path: string): URL {
  const ext = metaUrl.endsWith('.ts') ? '.ts' : '.js';
  const at = metaUrl.lastIndexOf('/core/');
  const root = at >= 0 ? new URL(metaUrl.slice(0, at + '/core/'.length)) : new URL('../core/', metaUrl);
  return new URL(`${path}${ext}`, root);
}
