#!/usr/bin/env node
/**
 * The PolicyLab command line, run from compiled JavaScript: no TypeScript loader at run time, so start-up is fast
 * and no loader process sits between the terminal and the training, relaying or escalating Ctrl-C.
 *
 * Whenever a source is newer than the last compile (a stat per file, a few milliseconds), esbuild writes two things:
 * - dist/cli/policylab.mjs: the CLI (train, runs, export, algos, serve) as one file. Start-up is what
 *   the bundle is for (`train` to its first env step on a busy 2-core machine, medians of 10 taken side by side:
 *   per-file modules ~1.0 s, bundled with third-party packages left external 0.56 s, all bundled 0.42 s; `npm run
 *   bench -- cli` measures it). Two kinds of import stay outside:
 *   @tensorflow/* is loaded with require() — one tfjs-core for tfjs and its wasm backend, whose .wasm files are found
 *   beside its package; and an ESM `import` of tfjs costs ~0.45 s more than require() (Node lexes the CommonJS
 *   bundle and every module it re-exports for named exports) — and `serve`'s host/server.js, which runs from
 *   the per-file tree below. (dist/cli/ is a checkout's: the app's installers package dist/core, not this.)
 * - dist/core/**\/*.js, file by file: the layout `npm run build` (tsc) produces, so paths relative to a module (the
 *   run manager's training worker, package.json, the renderer) resolve the same way; `start` and `serve` use it.
 * Then the command runs in this very process, so performance.now() counts from the command's start; when npm
 * started it, npm's own start-up is added (POLICYLAB_COMMAND_STARTED_AT, epoch ms, read by `train`).
 */
import * as nodeModule from 'node:module';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const coreDir = join(root, 'core');
const distDir = join(root, 'dist');
const stamp = join(distDir, '.cli-compiled');
const bundle = join(distDir, 'cli', 'policylab.mjs');
/** Besides the sources: the launcher (build options) and what npm installed (bundled packages). */
const buildInputs = [fileURLToPath(import.meta.url), join(root, 'package.json'), join(root, 'node_modules', '.package-lock.json')];

process.env.POLICYLAB_COMMAND_STARTED_AT = String(commandStartedAt());

function sources(dir, out = []) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) sources(path, out);
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') && !entry.name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

function isStale(files) {
  if (!existsSync(stamp) || !existsSync(bundle)) return true;
  const built = statSync(stamp).mtimeMs;
  return [...files, ...buildInputs].some((f) => existsSync(f) && statSync(f).mtimeMs > built);
}

async function compileIfStale() {
  if (!isStale(sources(coreDir))) return;
  // Several commands may start at once after an edit: one compiles, the others wait for it and reuse the result.
  mkdirSync(distDir, { recursive: true });
  const { default: lockfile } = await import('proper-lockfile');
  const release = await lockfile.lock(stamp, { realpath: false, stale: 30_000, retries: { retries: 300, minTimeout: 20, maxTimeout: 200 } });
  try {
    const files = sources(coreDir);
    if (isStale(files)) await compile(files);
  } finally {
    await release();
  }
}

/** @tensorflow/* through require(), Node's built-ins as they are, serve's server from the per-file tree. */
const outsideTheBundle = {
  name: 'policylab-outside-the-bundle',
  setup(build) {
    const builtins = new Set(nodeModule.builtinModules);
    build.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.namespace === 'require') return { path: args.path, external: true };
      if (args.path.startsWith('node:') || builtins.has(args.path.split('/')[0])) return { path: args.path, external: true };
      if (args.path.startsWith('@tensorflow/')) return { path: args.path, namespace: 'require' };
      return undefined;
    });
    build.onLoad({ filter: /.*/, namespace: 'require' }, (args) => ({ contents: `module.exports = require(${JSON.stringify(args.path)});`, loader: 'js' }));
    // policylab.ts imports '../host/server.js'; from dist/cli/ that module of the per-file tree is here:
    build.onResolve({ filter: /^\.\.\/host\/server\.js$/ }, () => ({ path: '../core/host/server.js', external: true }));
  },
};

async function compile(files) {
  let esbuild;
  try {
    esbuild = await import('esbuild');
  } catch (err) {
    console.error(`error: compiling the CLI needs esbuild (a devDependency; run npm install): ${err.message}`);
    process.exit(1);
  }
  const started = Date.now();
  const common = { format: 'esm', platform: 'node', target: 'node20', logLevel: 'error', write: false };
  const [perFile, bundled] = await Promise.all([
    esbuild.build({ ...common, entryPoints: files, outdir: distDir, outbase: root, bundle: false, sourcemap: 'inline' }),
    esbuild.build({
      ...common,
      entryPoints: [join(coreDir, 'cli', 'policylab.ts')],
      outfile: bundle,
      bundle: true,
      // Beside the bundle, read only on request (NODE_OPTIONS=--enable-source-maps maps stack traces to core/):
      // parsing the ~3 MB map costs ~0.2 s of start-up.
      sourcemap: 'linked',
      plugins: [outsideTheBundle],
      // The bundle is an ES module: the require() that esbuild emits for @tensorflow/* needs one in scope.
      banner: { js: "import { createRequire as __policylabCreateRequire } from 'node:module';\nconst require = __policylabCreateRequire(import.meta.url);" },
    }),
  ]);
  // Each file replaced atomically: a command that started before this compile may be reading the old ones.
  for (const out of [...perFile.outputFiles, ...bundled.outputFiles]) {
    mkdirSync(dirname(out.path), { recursive: true });
    const tmp = `${out.path}.${process.pid}.tmp`;
    writeFileSync(tmp, out.contents);
    renameSync(tmp, out.path);
  }
  // The stamp carries the compile's start: a source saved while esbuild ran is still newer than it.
  writeFileSync(stamp, `${new Date(started).toISOString()}\n`);
  utimesSync(stamp, new Date(started), new Date(started));
  if (process.env.POLICYLAB_DEBUG) console.error(`compiled ${files.length} files from ${relative(process.cwd(), coreDir)} and the CLI bundle in ${Date.now() - started} ms`);
}

/** Fields of /proc/<pid>/stat after the command name (which may hold spaces): [0] state, [1] ppid, [19] start time. */
function procStat(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/**
 * When the user's command started, epoch ms: this process's start, or — when an npm script launched it (npm → sh →
 * node) — npm's: the parent, or the parent's parent through a `sh -c`, if its command line is npm's (Linux /proc;
 * start times in clock ticks of 10 ms). Only the direct chain counts: a command run from inside some other npm
 * script (a test, a bench) has npm further up, and that start is not this command's.
 */
function commandStartedAt() {
  const self = performance.timeOrigin;
  if (!process.env.npm_lifecycle_event) return self;
  const mine = procStat(process.pid);
  if (!mine) return self;
  let pid = Number(mine[1]);
  for (let depth = 0; depth < 2 && pid > 1; depth++) {
    const stat = procStat(pid);
    let argv;
    try {
      argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    } catch {
      return self;
    }
    if (!stat) return self;
    // npm sets its process title ("npm run train …"); without it, argv holds …/npm or …/npm-cli.js.
    if (/^npm( |$)/.test(argv[0]) || argv.slice(0, 2).some((a) => /(^|\/)npm(-cli\.js)?$/.test(a))) {
      return self - ((Number(mine[19]) - Number(stat[19])) / 100) * 1000;
    }
    if (!(/(^|\/)(sh|bash|dash)$/.test(argv[0]) && argv[1] === '-c')) return self;
    pid = Number(stat[1]);
  }
  return self;
}

await compileIfStale();
// V8's compile cache for the bundle and tfjs (Node ≥ 22.1; Node 20 has no such API, and this line does nothing there).
nodeModule.enableCompileCache?.(join(distDir, '.compile-cache'));
if (process.argv[2] === 'start') {
  process.argv.splice(2, 1);
  await import(pathToFileURL(join(distDir, 'core', 'cli', 'start.js')).href);
} else {
  await import(pathToFileURL(bundle).href);
}
