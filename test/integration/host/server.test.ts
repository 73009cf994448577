/**
 * Browser mode's security and wiring: token on every HTTP request and on the WebSocket, Host/Origin checks,
 * loopback-only binding, CSP headers, static files without traversal, and the contract over the socket.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request, type IncomingMessage } from 'node:http';
import { connect } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { RunInfo } from '../../../core/api/contract.js';
import { startServer, type RunningServer } from '../../../core/host/server.js';
import type { AppBackend } from '../../../core/runner/service.js';
import { EventLog, openFake, tempHome } from '../../unit/runner/helpers.js';

let server: RunningServer;
let backend: AppBackend;
let staticDir: string;
let cleanupHome: () => void;

beforeAll(async () => {
  staticDir = mkdtempSync(join(tmpdir(), 'policylab-static-'));
  mkdirSync(join(staticDir, 'assets'));
  writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>PolicyLab</title>');
  writeFileSync(join(staticDir, 'assets', 'app.js'), 'console.log(1)');
  writeFileSync(join(tmpdir(), 'policylab-secret.txt'), 'secret');
  const t = tempHome();
  cleanupHome = t.cleanup;
  backend = await openFake(t.home);
  server = await startServer({ backend, staticDir });
});

afterAll(async () => {
  await server.close();
  await backend.close();
  cleanupHome();
  rmSync(staticDir, { recursive: true, force: true });
});

function get(path: string, headers: Record<string, string> = {}, host = '127.0.0.1'): Promise<{ res: IncomingMessage; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port: server.port, path, headers }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ res, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

function openSocket(url: string, headers: Record<string, string> = {}): Promise<{ ws?: WebSocket; status?: number }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers });
    ws.on('open', () => resolve({ ws }));
    ws.on('unexpected-response', (_req, res) => resolve({ status: res.statusCode }));
    ws.on('error', () => resolve({}));
  });
}

describe('browser-mode server', () => {
  it('listens on 127.0.0.1 only and prints a tokened URL', () => {
    expect(server.address.address).toBe('127.0.0.1');
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/?token=${server.token}`);
    expect(server.token).toMatch(/^[A-Za-z0-9_-]{32}$/);
  });

  it('is not reachable on non-loopback interface addresses', async () => {
    const external = Object.values(networkInterfaces())
      .flat()
      .filter((i) => i && !i.internal && i.family === 'IPv4')
      .map((i) => i!.address);
    if (external.length === 0) {
      console.log('no non-loopback IPv4 interface on this machine; the address() check above covers binding');
      return;
    }
    console.log(`checking that ${external.join(', ')} refuse port ${server.port}`);
    for (const address of external) {
      const outcome = await new Promise<string>((resolve) => {
        const socket = connect({ host: address, port: server.port });
        socket.on('connect', () => (socket.destroy(), resolve('connected')));
        socket.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
      });
      expect(outcome, `connecting via ${address}`).toBe('ECONNREFUSED');
    }
  });

  it('refuses HTTP without the token or with a wrong one (401)', async () => {
    expect((await get('/')).res.statusCode).toBe(401);
    expect((await get('/assets/app.js')).res.statusCode).toBe(401);
    expect((await get('/?token=wrong')).res.statusCode).toBe(401);
    expect((await get(`/?token=${server.token}x`)).res.statusCode).toBe(401);
    expect((await get('/', { Cookie: `policylab_token_${server.port}=nope` })).res.statusCode).toBe(401);
  });

  it('serves the app with the token, then via the cookie it sets, with strict headers', async () => {
    const { res, body } = await get(`/?token=${server.token}`);
    expect(res.statusCode).toBe(200);
    expect(body).toContain('<title>PolicyLab</title>');
    const cookie = res.headers['set-cookie']?.[0] ?? '';
    expect(cookie).toMatch(new RegExp(`^policylab_token_${server.port}=${server.token}; HttpOnly; SameSite=Strict; Path=/`));
    const csp = res.headers['content-security-policy'] as string;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).toContain(`connect-src 'self' ws://127.0.0.1:${server.port}`);
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    const asset = await get('/assets/app.js', { Cookie: cookie.split(';')[0]! });
    expect(asset.res.statusCode).toBe(200);
    expect(asset.res.headers['content-type']).toMatch(/javascript/);
    expect((await get('/assets/missing.js', { Cookie: cookie.split(';')[0]! })).res.statusCode).toBe(404);
  });

  it('refuses other Host headers (DNS rebinding), other methods, and paths outside the app folder', async () => {
    expect((await get(`/?token=${server.token}`, { Host: `evil.example:${server.port}` })).res.statusCode).toBe(421);
    // The URL parser folds `/../` and `/%2e%2e/` away (404); an encoded slash survives it and is refused (403).
    for (const path of ['/../policylab-secret.txt', '/%2e%2e/policylab-secret.txt', '/assets/..%2f..%2fpolicylab-secret.txt', '/..%5cpolicylab-secret.txt']) {
      const { res, body } = await get(`${path}?token=${server.token}`);
      expect([403, 404], path).toContain(res.statusCode);
      expect(body).not.toContain('secret');
    }
    expect((await get(`/..%2fpolicylab-secret.txt?token=${server.token}`)).res.statusCode).toBe(403);
    const post = await new Promise<number>((resolve) => {
      const req = request({ host: '127.0.0.1', port: server.port, path: `/?token=${server.token}`, method: 'POST' }, (res) => resolve(res.statusCode ?? 0));
      req.end('x');
    });
    expect(post).toBe(405);
  });

  it('refuses WebSocket connections without the token, with a wrong one, or from another origin', async () => {
    const base = `ws://127.0.0.1:${server.port}/ws`;
    expect((await openSocket(base)).status).toBe(401);
    expect((await openSocket(`${base}?token=wrong`)).status).toBe(401);
    expect((await openSocket(`${base}?token=${server.token}`, { Origin: 'https://evil.example' })).status).toBe(403);
    expect((await openSocket(`ws://127.0.0.1:${server.port}/other?token=${server.token}`)).status).toBe(404);
  });

  it('closes a WebSocket that sends a message over 1 MiB', async () => {
    const { ws } = await openSocket(`ws://127.0.0.1:${server.port}/ws?token=${server.token}`);
    const closed = new Promise<number>((resolve) => ws!.on('close', (code) => resolve(code)));
    ws!.send(JSON.stringify({ id: 1, channel: 'runs:update', payload: { id: 'a', notes: 'x'.repeat(2 * 1024 * 1024) } }));
    expect(await closed).toBe(1009);
  });

  it('speaks the contract over the WebSocket: results, validation errors and pushed events', async () => {
    const { ws } = await openSocket(`ws://127.0.0.1:${server.port}/ws?token=${server.token}`, { Origin: `http://127.0.0.1:${server.port}` });
    expect(ws).toBeDefined();
    const messages: { type: string; id?: number; result?: { ok: boolean; value?: unknown; error?: { code: string } }; event?: string; payload?: unknown }[] = [];
    const waiters: (() => void)[] = [];
    ws!.on('message', (d) => {
      messages.push(JSON.parse(d.toString()));
      waiters.splice(0).forEach((w) => w());
    });
    const next = (pred: (m: (typeof messages)[number]) => boolean) =>
      new Promise<(typeof messages)[number]>((resolve) => {
        const check = () => {
          const m = messages.find(pred);
          if (m) resolve(m);
          else waiters.push(check);
        };
        check();
      });
    ws!.send(JSON.stringify({ id: 1, channel: 'runs:list' }));
    expect((await next((m) => m.id === 1)).result).toEqual({ ok: true, value: [] });
    ws!.send(JSON.stringify({ id: 2, channel: 'runs:get', payload: { id: '../../etc' } }));
    expect((await next((m) => m.id === 2)).result?.error?.code).toBe('invalid_request');
    ws!.send(JSON.stringify({ id: 3, channel: 'fs:read', payload: {} }));
    expect((await next((m) => m.id === 3)).result?.error?.code).toBe('unknown_channel');
    ws!.send('{not json');
    expect((await next((m) => m.type === 'result' && m.id === null)).result?.ok).toBe(false);

    const log = new EventLog(backend);
    ws!.send(JSON.stringify({ id: 4, channel: 'runs:start', payload: { algo: 'fake', env: 'CartPole-v1', seeds: [1], totalSteps: 50 } }));
    const started = await next((m) => m.id === 4);
    const run = (started.result?.value as RunInfo[])[0]!;
    await log.status(run.id, 'finished');
    const finished = await next((m) => m.event === 'run:status' && (m.payload as RunInfo).status === 'finished');
    expect((finished.payload as RunInfo).id).toBe(run.id);
    expect(messages.some((m) => m.event === 'run:metrics')).toBe(true);

    // The replay channels over the socket: hostile payloads are refused before any handler runs, and a run's
    // checkpoint that is not a policy (the fake trainer saves no actor) is refused with the reason.
    const hostile: [string, unknown][] = [
      ['rollout:start', { id: run.id, checkpointStep: 50, seed: 1, runDir: '/etc' }],
      ['rollout:start', { id: run.id, checkpointStep: 50, seed: -1 }],
      ['rollout:start', { id: run.id, checkpointStep: 50, seed: 1, maxSteps: 1e9 }],
      ['rollout:stop', { rolloutId: '../../x' }],
      ['episodes:get', { id: run.id, step: '50' }],
      ['episodes:get', JSON.parse(`{"id":"${run.id}","step":50,"__proto__":{"x":1}}`)],
      ['metrics:query', { id: run.id, from: 10, to: 5 }],
    ];
    for (const [i, [channel, payload]] of hostile.entries()) {
      ws!.send(JSON.stringify({ id: 100 + i, channel, payload }));
      expect((await next((m) => m.id === 100 + i)).result?.error?.code).toBe('invalid_request');
    }
    ws!.send(JSON.stringify({ id: 200, channel: 'episodes:list', payload: { id: run.id } }));
    expect((await next((m) => m.id === 200)).result).toEqual({ ok: true, value: [] });
    ws!.send(JSON.stringify({ id: 201, channel: 'rollout:start', payload: { id: run.id, checkpointStep: 50, seed: 1 } }));
    const refused = (await next((m) => m.id === 201)).result as { ok: boolean; error?: { code: string; message?: string } };
    expect(refused.ok).toBe(false);
    expect(refused.error?.message).toMatch(/cannot roll out this checkpoint: .*no actor model/);
    ws!.close();
  });
});
