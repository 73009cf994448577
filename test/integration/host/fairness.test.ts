/**
 * Browser mode under a hostile client, with real sockets: a client that sends thousands of requests and never reads
 * its replies is paused and capped (the server's queued bytes stay bounded), and a well-behaved client on another
 * connection is answered meanwhile. Counters, not timings, are asserted (the latency figure is in the bench).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { HARD_PENDING, HARD_REPLY_BYTES } from '../../../core/host/fair-scheduler.js';
import { startServer, type RunningServer } from '../../../core/host/server.js';
import { scheduler } from '../../../core/host/socket.js';
import type { AppBackend } from '../../../core/runner/service.js';
import { call, openFake, tempHome } from '../../unit/runner/helpers.js';

let server: RunningServer;
let backend: AppBackend;
let staticDir: string;
let cleanupHome: () => void;

beforeAll(async () => {
  staticDir = mkdtempSync(join(tmpdir(), 'policylab-static-'));
  mkdirSync(join(staticDir, 'assets'));
  writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>PolicyLab</title>');
  const t = tempHome();
  cleanupHome = t.cleanup;
  backend = await openFake(t.home);
  // Many runs, so every runs:list reply is large (the non-reader's backlog grows quickly).
  for (let i = 0; i < 40; i++) await call(backend, 'runs:start', { algo: 'fake', env: 'CartPole-v1', seeds: [i], totalSteps: 10, notes: 'x'.repeat(2000) });
  server = await startServer({ backend, staticDir });
});

afterAll(async () => {
  await server.close();
  await backend.close();
  cleanupHome();
  rmSync(staticDir, { recursive: true, force: true });
});

function connect(): Promise<WebSocket> {
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}/ws?token=${server.token}`, { origin: `http://127.0.0.1:${server.port}` });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

function request(ws: WebSocket, id: number, channel: string): Promise<unknown> {
  return new Promise((resolve) => {
    const onMessage = (data: Buffer) => {
      const m = JSON.parse(data.toString()) as { type: string; id?: number; result?: unknown };
      if (m.type === 'result' && m.id === id) {
        ws.off('message', onMessage);
        resolve(m.result);
      }
    };
    ws.on('message', onMessage);
    ws.send(JSON.stringify({ id, channel }));
  });
}

describe('browser mode under a flooding, non-reading client', () => {
  it('pauses and caps the non-reader while another client is served', async () => {
    const hog = await connect();
    hog.pause(); // never reads a reply
    const polite = await connect();
    let maxPending = 0;
    let maxBuffered = 0;
    let closedWith: { code: number; reason: string } | null = null;
    hog.once('close', (code, reason) => (closedWith = { code, reason: reason.toString() }));
    const sample = () => {
      for (const c of scheduler.stats()) {
        maxPending = Math.max(maxPending, c.pending);
        maxBuffered = Math.max(maxBuffered, c.bufferedBytes);
      }
    };
    const timer = setInterval(sample, 5);
    for (let i = 0; i < 6000; i++) hog.send(JSON.stringify({ id: i, channel: 'runs:list' }));
    // The polite client's requests are answered while the hog's thousands wait.
    for (let i = 0; i < 20; i++) {
      const r = (await request(polite, 100_000 + i, 'runs:list')) as { ok: boolean; value: unknown[] };
      expect(r.ok).toBe(true);
      expect(r.value).toHaveLength(40);
      await new Promise((res) => setTimeout(res, 10));
    }
    sample();
    clearInterval(timer);
    // Input backpressure: the socket was paused; the queue never grew past its hard limit (6,000 were sent).
    expect(maxPending).toBeLessThan(HARD_PENDING);
    // Output backpressure: the unread backlog stayed under the hard cap, or the hog was closed for exceeding it.
    expect(maxBuffered).toBeLessThanOrEqual(HARD_REPLY_BYTES + (1 << 20));
    const hogStats = scheduler.stats().find((c) => c.paused);
    expect(hogStats !== undefined || closedWith !== null).toBe(true);
    hog.terminate();
    polite.close();
  });
});
