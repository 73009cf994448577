/**
 * Loads a `*.svelte.ts` module in Node the way Vite's Svelte plugin would: strip types with esbuild,
 * compile the runes with `svelte/compiler`'s compileModule (client output), and import the result.
 * The unit project runs without the Svelte Vite plugin, so this is how runes classes get real tests.
 * Relative imports are rewritten to absolute paths of the sibling `.ts` sources.
 */
import { compileModule } from 'svelte/compiler';
import { transform } from 'esbuild';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);
// One fixed folder, files named by content hash: reruns reuse them instead of piling up temp dirs, and
// parallel test files writing the same module write the same bytes (temp file + rename).
const outDir = join(tmpdir(), 'policylab-svelte-modules');
mkdirSync(outDir, { recursive: true });

function resolveRelative(fromDir: string, spec: string): string {
  const base = resolve(fromDir, spec);
  for (const candidate of [base, base.replace(/\.js$/, '.ts'), `${base}.ts`, base.replace(/\.js$/, '.svelte.ts')]) {
    if (existsSync(candidate) && !candidate.endsWith('.svelte.ts')) return pathToFileURL(candidate).href;
  }
  throw new Error(`svelte-module: cannot resolve ${spec} from ${fromDir}`);
}

export async function loadSvelteModule<T>(path: string): Promise<T> {
  const source = readFileSync(path, 'utf8');
  const stripped = await transform(source, { loader: 'ts', format: 'esm', target: 'es2022' });
  const compiled = compileModule(stripped.code, { filename: path.replace(/\.ts$/, '.js'), generate: 'client' });
  const runtime = pathToFileURL(require.resolve('svelte/internal/client')).href;
  const code = compiled.js.code
    .replace(/from\s+['"]svelte\/internal\/client['"]/g, `from '${runtime}'`)
    .replace(/from\s+['"](\.{1,2}\/[^'"]+)['"]/g, (_m, spec: string) => `from '${resolveRelative(dirname(path), spec)}'`);
  const hash = createHash('sha256').update(code).digest('hex').slice(0, 16);
  const file = join(outDir, `${path.replace(/[^A-Za-z0-9]+/g, '_').slice(-80)}-${hash}.mjs`);
  if (!existsSync(file)) {
    const temp = `${file}.${process.pid}.tmp`;
    writeFileSync(temp, code);
    renameSync(temp, file);
  }
  return (await import(/* @vite-ignore */ pathToFileURL(file).href)) as T;
}

/** The Svelte client runtime the compiled module uses (for $effect roots in reactivity tests). */
export async function svelteClientRuntime(): Promise<{
  effect_root(fn: () => void | (() => void)): () => void;
  user_effect(fn: () => void | (() => void)): void;
  /** flushSync under its internal name. */
  flush(fn?: () => void): void;
}> {
  return (await import(/* @vite-ignore */ pathToFileURL(require.resolve('svelte/internal/client')).href)) as never;
}
