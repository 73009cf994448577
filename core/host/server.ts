/**
 * Browser mode: serves the built renderer over HTTP and speaks the API contract over a WebSocket,
 * so the UI runs in any browser (a remote GPU box through an SSH tunnel, or tests driving Chromium).
 *
 * Security model: bound to 127.0.0.1 only; a random token (per launch, or kept owner-only in the data folder with
 * `session`, see session.ts) is required on every HTTP request
 * (query `?token=` once, then an HttpOnly SameSite=Strict cookie set from it) and on the WebSocket upgrade;
 * Host and Origin headers must name this server (DNS-rebinding and cross-site WebSocket defence);
 * strict CSP and no-referrer headers (the token is in the URL and must not leak).
 */
import { timingSafeEqual } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { WebSocketServer } from 'ws';
import type { ApiBackend } from '../api/contract.js';
import { resolveLimits, type HostLimits } from './fair-scheduler.js';
import { ensureRendererBuilt } from './renderer-build.js';
import { loadSession, newToken, saveSession, TOKEN_PATTERN } from './session.js';
import { SocketHost, type ConnectionStats } from './socket.js';
import { isNodeError } from '../store/errors.js';

export interface ServerOptions {
  /** Data folder (ignored when `backend` is given). Defaults to the store's resolveHome(). */
  home?: string;
  /** Port to listen on; 0 or omitted picks a free one. */
  port?: number;
  /** Access token; a random 32-character one per launch when omitted (or the saved one, with `session`). */
  token?: string;
  /**
   * Keep the port and token across restarts in `<home>/browser-session.json` (0600, see session.ts): reused when
   * `port`/`token` are not given, so an open tab reconnects; `newToken` rotates the token. Off when omitted.
   */
  session?: { home: string; newToken?: boolean };
  /** Folder with the built renderer (index.html + assets); defaults to dist/renderer (see renderer-build.ts). */
  staticDir?: string;
  /** An already opened back end (tests, or sharing one with another shell); otherwise one is opened on `home`. */
  backend?: ApiBackend & { close?(): Promise<void> };
  maxConcurrent?: number;
  /** Per-connection caps of the WebSocket (fair-scheduler.ts's DEFAULT_LIMITS for those not given). */
  limits?: Partial<HostLimits>;
}

export interface RunningServer {
  /** `http://127.0.0.1:<port>/?token=<token>`: what to open in a browser. */
  url: string;
  token: string;
  port: number;
  /** The saved session's file when `session` was given. */
  sessionFile: string | null;
  /** Lines for the user: a saved port that was taken, a rotated token, a damaged session file moved aside. */
  notes: string[];
  /** The bound socket address (always 127.0.0.1). */
  address: AddressInfo;
  /** Each open WebSocket connection's queue, backlog and pause counters (tests and the bench read them). */
  connections(): ConnectionStats[];
  close(): Promise<void>;
}

const HOST = '127.0.0.1';
const MAX_WS_PAYLOAD = 1024 * 1024;

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

export function contentSecurityPolicy(port: number): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    `connect-src 'self' ws://${HOST}:${port} ws://localhost:${port}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
    "object-src 'none'",
  ].join('; ');
}

function tokensEqual(given: string | null | undefined, token: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

function cookieValue(header: string | undefined, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

export async function startServer(options: ServerOptions = {}): Promise<RunningServer> {
  const loaded = options.session ? await loadSession(options.session.home) : null;
  const notes = [...(loaded?.notes ?? [])];
  const reusable = loaded && !loaded.leaked && !options.session?.newToken ? loaded.saved : null;
  const token = options.token ?? reusable?.token ?? newToken();
  if (options.session?.newToken && options.token === undefined && loaded?.saved) notes.push('a new access token was made (--new-token); open tabs must use the new URL');
  if (!TOKEN_PATTERN.test(token)) {
    throw new Error('token must be 16-128 characters of A-Z, a-z, 0-9, "_" or "-"');
  }
  // Without a folder: dist/renderer, built first when running from sources and the build is missing or stale.
  // Checked before anything is opened: a wrong limit throws here.
  const limits = resolveLimits(options.limits);
  const staticDir = resolve(options.staticDir ?? (await ensureRendererBuilt()));
  const ownsBackend = !options.backend;
  const api: ApiBackend & { close?(): Promise<void> } =
    options.backend ??
    (await (await import('../runner/service.js')).openAppBackend({
      home: options.home,
      transport: 'browser',
      maxConcurrent: options.maxConcurrent,
      probeAtStart: true,
    }));

  let port = 0;
  let cookieName = 'policylab_token';
  const allowedHosts = () => new Set([`${HOST}:${port}`, `localhost:${port}`]);
  const allowedOrigins = () => new Set([`http://${HOST}:${port}`, `http://localhost:${port}`]);

  /** Token from `?token=` or this server's cookie; null when neither matches. */
  const authorise = (req: IncomingMessage): { viaQuery: boolean } | null => {
    const url = new URL(req.url ?? '/', `http://${HOST}`);
    if (tokensEqual(url.searchParams.get('token'), token)) return { viaQuery: true };
    if (tokensEqual(cookieValue(req.headers.cookie, cookieName), token)) return { viaQuery: false };
    return null;
  };

  const securityHeaders = (res: ServerResponse): void => {
    res.setHeader('Content-Security-Policy', contentSecurityPolicy(port));
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
    res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
  };

  const refuse = (res: ServerResponse, status: number, text: string): void => {
    res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
    res.end(`${status}: ${text}\n`);
  };

  const serveFile = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', `http://${HOST}`);
    let rel: string;
    try {
      rel = decodeURIComponent(url.pathname);
    } catch {
      return refuse(res, 400, 'bad path');
    }
    if (rel.includes('\0')) return refuse(res, 400, 'bad path');
    let file = normalize(join(staticDir, rel));
    if (file !== staticDir && !file.startsWith(staticDir + sep)) return refuse(res, 403, 'outside the app folder');
    const info = await stat(file).catch(() => null);
    if (info?.isDirectory()) file = join(file, 'index.html');
    else if (!info) {
      // Client-side routes fall back to the app; a missing asset is a real 404.
      if (extname(rel)) return refuse(res, 404, 'not found');
      file = join(staticDir, 'index.html');
    }
    const body = await readFile(file).catch(() => null);
    if (!body) {
      return file.endsWith('index.html')
        ? refuse(res, 503, `the renderer is not built (no ${join(staticDir, 'index.html')}); run \`npm run build\``)
        : refuse(res, 404, 'not found');
    }
    const isHtml = extname(file) === '.html';
    res.writeHead(200, {
      'Content-Type': MIME[extname(file)] ?? 'application/octet-stream',
      'Content-Length': body.length,
      'Cache-Control': isHtml ? 'no-store' : 'private, max-age=3600',
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  };

  const server = createServer((req, res) => {
    securityHeaders(res);
    if (!allowedHosts().has(req.headers.host ?? '')) return refuse(res, 421, 'wrong Host header');
    if (req.method !== 'GET' && req.method !== 'HEAD') return refuse(res, 405, 'method not allowed');
    const auth = authorise(req);
    if (!auth) return refuse(res, 401, 'missing or wrong access token; open the URL printed when the server started');
    if (auth.viaQuery) {
      res.setHeader('Set-Cookie', `${cookieName}=${token}; HttpOnly; SameSite=Strict; Path=/`);
    }
    serveFile(req, res).catch((err: unknown) => {
      if (!res.headersSent) refuse(res, 500, err instanceof Error ? err.message : 'internal error');
      else res.destroy();
    });
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_WS_PAYLOAD });
  const host = new SocketHost(api, limits);
  const rejectUpgrade = (socket: Duplex, status: number, text: string): void => {
    socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  };
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', `http://${HOST}`);
    if (url.pathname !== '/ws') return rejectUpgrade(socket, 404, 'Not Found');
    if (!allowedHosts().has(req.headers.host ?? '')) return rejectUpgrade(socket, 421, 'Misdirected Request');
    const origin = req.headers.origin;
    if (origin !== undefined && !allowedOrigins().has(origin)) return rejectUpgrade(socket, 403, 'Forbidden');
    if (!authorise(req)) return rejectUpgrade(socket, 401, 'Unauthorized');
    wss.handleUpgrade(req, socket, head, (ws) => host.accept(ws));
  });

  const listen = (at: number) =>
    new Promise<void>((ok, fail) => {
      server.once('error', fail);
      server.listen(at, HOST, () => {
        server.off('error', fail);
        ok();
      });
    });
  const savedPort = options.port === undefined ? loaded?.saved?.port : undefined;
  try {
    await listen(options.port ?? savedPort ?? 0);
  } catch (e) {
    // The saved port is a wish, not a promise: another program may hold it now. An explicit --port is a promise.
    if (savedPort === undefined || !(isNodeError(e) && e.code === 'EADDRINUSE')) throw e;
    notes.push(`port ${savedPort} (saved from the last start) is in use; listening on a new one (open tabs must use the new URL)`);
    await listen(0);
  }
  const address = server.address() as AddressInfo;
  port = address.port;
  const sessionFile = options.session ? await saveSession(options.session.home, { port, token }) : null;
  // Cookies are not port-scoped: name ours per port so two servers on one machine don't clash.
  cookieName = `policylab_token_${port}`;

  let closed = false;
  return {
    url: `http://${HOST}:${port}/?token=${token}`,
    token,
    port,
    sessionFile,
    notes,
    address,
    connections: () => host.stats(),
    async close() {
      if (closed) return;
      closed = true;
      host.terminateAll();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((ok) => server.close(() => ok()));
      if (ownsBackend && api.close) await api.close();
    },
  };
}
