/**
 * Electron main process: one window over the same back end browser mode uses (RunManager + store), with
 * training in utility processes. Data lives in Electron's userData folder unless POLICYLAB_HOME is set.
 * Built to dist/electron/main.js (ESM); the preload is bundled to dist/electron/preload.cjs.
 */
import { app, BrowserWindow, ipcMain } from 'electron';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openAppBackend, type AppBackend } from '../core/runner/service.js';
import { defaultWorkerPath } from '../core/runner/spawn.js';
import { forwardEvents, registerIpc } from './ipc.js';
import { spawnUtilityWorker } from './utility-worker.js';
import { createMainWindow, denyAllPermissions, lockDown, registerAppScheme, serveRenderer } from './window.js';

const here = dirname(fileURLToPath(import.meta.url));
/** dist/electron → dist/renderer (built layout). */
const rendererDir = resolve(here, '../renderer');
const preloadPath = join(here, 'preload.cjs');

registerAppScheme();
app.enableSandbox();
app.on('web-contents-created', (_e, contents) => lockDown(contents));

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  let backend: AppBackend | null = null;
  let window: BrowserWindow | null = null;

  const open = (): void => {
    if (!backend) return;
    window = createMainWindow(preloadPath);
    forwardEvents(backend, window.webContents);
    window.on('closed', () => (window = null));
  };

  app.on('second-instance', () => {
    if (window) {
      if (window.isMinimized()) window.restore();
      window.focus();
    }
  });

  app.whenReady().then(async () => {
    if (!existsSync(join(rendererDir, 'index.html'))) {
      throw new Error(`the renderer is not built (no ${join(rendererDir, 'index.html')}); run \`npm run build\``);
    }
    denyAllPermissions();
    serveRenderer(rendererDir);
    const home = process.env.POLICYLAB_HOME || app.getPath('userData');
    backend = await openAppBackend({
      home,
      transport: 'electron',
      spawn: spawnUtilityWorker,
      workerPath: defaultWorkerPath(),
      versions: { electron: process.versions.electron ?? '', chrome: process.versions.chrome ?? '' },
      probeAtStart: true,
    });
    registerIpc(ipcMain, backend);
    open();
    app.on('activate', () => {
      if (BrowserWindow.getAllWindows().length === 0) open();
    });
  }).catch((err: unknown) => {
    console.error(`PolicyLab failed to start: ${err instanceof Error ? err.message : String(err)}`);
    app.exit(1);
  });

  let quitting = false;
  app.on('before-quit', (event) => {
    // Stop running trainings gracefully (each saves a checkpoint) before the process goes.
    if (quitting || !backend) return;
    event.preventDefault();
    quitting = true;
    void backend.close().finally(() => app.quit());
  });

  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
}
