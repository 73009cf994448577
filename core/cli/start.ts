/**
 * `npm start`: the desktop app when Electron's binary is installed, otherwise browser mode — said in one line,
 * with the URL (and its token, kept in the data folder across restarts; `npm start -- --new-token` rotates it) to open.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { startServer } from '../host/server.js';
import { resolveHome } from '../store/home.js';
import { appBuildReason, ensureRendererBuilt, sourceRoot } from '../host/renderer-build.js';

function electronBinary(): { path: string } | { reason: string } {
  try {
    const path = createRequire(import.meta.url)('electron') as unknown;
    if (typeof path !== 'string') return { reason: 'the electron package did not give a binary path' };
    return existsSync(path) ? { path } : { reason: `${path} is missing` };
  } catch (err) {
    const first = (err instanceof Error ? err.message : String(err)).split('\n')[0]!;
    return { reason: `${first}; \`node node_modules/electron/install.js\` downloads it where its host is reachable` };
  }
}

async function startElectron(binary: string): Promise<void> {
  const root = sourceRoot() ?? process.cwd();
  const reason = appBuildReason(root);
  if (reason) {
    console.log(`Building the app (npm run build: ${reason})…`);
    const r = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
    if (r.status !== 0) process.exit(r.status ?? 1);
  }
  const child = spawn(binary, [root], { stdio: 'inherit' });
  child.on('exit', (code) => process.exit(code ?? 0));
}

async function startBrowserMode(): Promise<void> {
  const staticDir = await ensureRendererBuilt();
  const port = process.env.POLICYLAB_PORT ? Number(process.env.POLICYLAB_PORT) : undefined;
  // Port and token kept in the data folder (owner-only), so a restart serves the same URL and open tabs reconnect.
  const home = resolveHome();
  const server = await startServer({ staticDir, home, session: { home, newToken: process.argv.includes('--new-token') }, ...(port !== undefined ? { port } : {}) });
  for (const note of server.notes) console.log(note);
  console.log(`PolicyLab is running in browser mode: open ${server.url}`);
  console.log('Press Ctrl-C to stop (running trainings save a checkpoint first).');
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    console.log('Stopping…');
    void server.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

if (process.argv.includes('--help') || process.argv.includes('-h')) {
  console.log(
    [
      'Usage: policylab start [--max-runs <n>] [--new-token]',
      '',
      'The desktop app when Electron\'s binary is installed, otherwise browser mode (a server on 127.0.0.1; its URL is printed).',
      '',
      'Options:',
      '  --max-runs <n>  runs that train at once (also POLICYLAB_MAX_RUNS)',
      '  --new-token     browser mode: rotate the access token kept in the data folder (open tabs must use the new URL)',
      '  -h, --help      display this help',
    ].join('\n'),
  );
  process.exit(0);
}

// `npm start -- --max-runs <n>`: runs that train at once, for the Electron app and browser mode alike (through the
// environment variable the run manager reads, so a bad value is refused there with its name).
const maxRunsAt = process.argv.indexOf('--max-runs');
if (maxRunsAt >= 0) process.env.POLICYLAB_MAX_RUNS = process.argv[maxRunsAt + 1] ?? '(missing)';

const electron = electronBinary();
if ('path' in electron && process.env.POLICYLAB_BROWSER !== '1') {
  await startElectron(electron.path);
} else {
  if ('reason' in electron) console.log(`Electron binary not available (${electron.reason}); starting browser mode`);
  await startBrowserMode();
}
