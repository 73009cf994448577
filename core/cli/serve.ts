/**
 * `policylab serve`: browser mode on 127.0.0.1. The port and token are kept in the data folder
 * (browser-session.json, owner-only) so a restart serves the same URL and an open tab reconnects;
 * `--new-token` rotates the token, `--port` / `--token` override what was saved (and are saved).
 */
import { resolveHome } from '../store/home.js';
import { startServer } from '../host/server.js';
import { parseInteger } from './train.js';

export interface ServeCliOptions {
  port?: string;
  token?: string;
  newToken?: boolean;
  home?: string;
  maxRuns?: string;
}

/** Serves until SIGINT/SIGTERM. */
export async function serveCommand(opts: ServeCliOptions): Promise<void> {
  const maxConcurrent = opts.maxRuns === undefined ? undefined : parseInteger('--max-runs', opts.maxRuns, 1, 64);
  const port = opts.port === undefined ? undefined : parseInteger('--port', opts.port, 0, 65535);
  const home = opts.home ?? resolveHome();
  const server = await startServer({
    home,
    port,
    token: opts.token,
    session: { home, newToken: opts.newToken === true },
    ...(maxConcurrent !== undefined ? { maxConcurrent } : {}),
  });
  for (const note of server.notes) console.log(note);
  console.log(`PolicyLab is serving at ${server.url}\n(port and token kept in ${server.sessionFile}; --new-token rotates the token; Ctrl-C to stop)`);
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      void server.close().then(resolve, resolve);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
