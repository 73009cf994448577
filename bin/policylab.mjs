#!/usr/bin/env node
/**
 * The PolicyLab command line, run from compiled JavaScript (no TypeScript loader at run time: start-up is faster and
 * no loader process sits between the terminal and the training, relaying or escalating Ctrl-C).
 *
 * core/**\/*.ts is compiled file by file with esbuild into dist/core/ — the layout `npm run build` (tsc) produces,
 * so paths relative to a module (the training worker, package.json, the renderer) resolve the same way — whenever
 * a source is newer than the last compile (a stat per source file, a few milliseconds). Then the command runs in
 * this very process: `node bin/policylab.mjs <command> …` (`start` runs the app launcher, anything else the CLI).
 */
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const coreDir = join(root, 'core');
const stamp = join(root, 'dist', '.cli-compiled');

function sources(dir, out = []) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) sources(path, out);
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

function isStale(files) {
  const built = existsSync(stamp) ? statSync(stamp).mtimeMs : 0;
  return built === 0 || files.some((f) => statSync(f).mtimeMs > built);
}

async function compileIfStale() {
  if (!isStale(sources(coreDir))) return;
  // Several commands may start at once after an edit: one compiles, the others wait for it and reuse the result.
  mkdirSync(dirname(stamp), { recursive: true });
  const { default: lockfile } = await import('proper-lockfile');
  const release = await lockfile.lock(stamp, { realpath: false, stale: 30_000, retries: { retries: 300, minTimeout: 20, maxTimeout: 200 } });
  try {
    const files = sources(coreDir);
    if (isStale(files)) await compile(files);
  } finally {
    await release();
  }
}

async function compile(files) {
  let esbuild;
  try {
    esbuild = await import('esbuild');
  } catch (err) {
    console.error(`error: compiling the CLI needs esbuild (a devDependency; run npm install): ${err.message}`);
    process.exit(1);
  }
  const started = Date.now();
  await esbuild.build({
    entryPoints: files,
    outdir: join(root, 'dist'),
    outbase: root,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    bundle: false,
    sourcemap: 'inline',
    logLevel: 'error',
  });
  writeFileSync(stamp, `${new Date(started).toISOString()}\n`);
  if (process.env.POLICYLAB_DEBUG) console.error(`compiled ${files.length} files from ${relative(process.cwd(), coreDir)} in ${Date.now() - started} ms`);
}

await compileIfStale();
const entry = process.argv[2] === 'start' ? 'start.js' : 'policylab.js';
if (entry === 'start.js') process.argv.splice(2, 1);
await import(pathToFileURL(join(root, 'dist', 'core', 'cli', entry)).href);
