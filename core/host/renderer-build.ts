/**
 * Makes sure dist/renderer holds a build of the current renderer sources (browser mode serves it; `npm start`
 * and `policylab serve` call this). Builds with Vite's API when the build is missing or older than any source.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The repository root when running from sources: core/host → ../.., or dist/core/host → ../../.. when the CLI runs
 * compiled inside a checkout (bin/policylab.mjs); null in a packaged build (no vite.config.ts beside it).
 */
export function sourceRoot(): string | null {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const up of ['../..', '../../..']) {
    const root = resolve(here, up);
    if (existsSync(join(root, 'vite.config.ts')) && existsSync(join(root, 'renderer', 'index.html'))) return root;
  }
  return null;
}

function newestMtime(path: string): number {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const name of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, name)));
  return newest;
}

/** Why the renderer needs (re)building, or null when dist/renderer is current. */
export function rendererBuildReason(root: string): string | null {
  const index = join(root, 'dist', 'renderer', 'index.html');
  if (!existsSync(index)) return 'no build yet';
  const built = statSync(index).mtimeMs;
  const sources = [join(root, 'renderer'), join(root, 'core', 'api'), join(root, 'vite.config.ts')];
  return sources.some((s) => existsSync(s) && newestMtime(s) > built) ? 'sources changed since the last build' : null;
}

/** Why the desktop app (main, preload, core, renderer) needs `npm run build`, or null when dist/ is current. */
export function appBuildReason(root: string): string | null {
  const outputs = ['dist/electron/main.js', 'dist/electron/preload.cjs', 'dist/core/runner/worker.js', 'dist/core/runner/rollout-worker.js'].map((f) => join(root, f));
  if (outputs.some((f) => !existsSync(f))) return 'no build yet';
  const built = Math.min(...outputs.map((f) => statSync(f).mtimeMs));
  const sources = [join(root, 'electron'), join(root, 'core')];
  if (sources.some((s) => existsSync(s) && newestMtime(s) > built)) return 'sources changed since the last build';
  return rendererBuildReason(root);
}

/** Builds the renderer when needed; returns the folder to serve. `log` gets one line when it builds. */
export async function ensureRendererBuilt(log: (line: string) => void = console.log): Promise<string> {
  const root = sourceRoot();
  if (!root) return resolve(dirname(fileURLToPath(import.meta.url)), '../../renderer'); // packaged: dist/renderer
  const reason = rendererBuildReason(root);
  if (reason) {
    log(`Building the renderer (${reason})…`);
    const { build } = await import('vite');
    await build({ configFile: join(root, 'vite.config.ts'), logLevel: 'warn' });
  }
  return join(root, 'dist', 'renderer');
}
