/**
 * Browser mode under hostile clients, with real sockets on an in-process server: the round-robin scheduler serves a
 * second client between a flooder's requests, a client that never reads is paused with the server's queues bounded
 * (and gets every reply once it reads), and the hard caps close the offender with the documented code and reason.
 * The back end is a stub (the host is what is under test): it records the order requests reach it and can hold
 * them. Assertions are on ordering and on the server's own counters, never on time (latency is in the bench).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { ApiBackend, ApiEvent, Result } from '../../../core/api/contract.js';
import { CLOSE_OVERLOADED, DEFAULT_LIMITS, type HostLimits } from '../../../core/host/fair-scheduler.js';
import { startServer, type RunningServer } from '../../../core/host/server.js';

/** Requests carry `payload.tag`; the stub answers `{tag, pad}` with `pad` of `replyBytes` characters. */
class StubBackend implements ApiBackend {
  readonly invoked: string[] = [];
  readonly #held: (() => void)[] = [];
  readonly #listeners = new Set<(e: ApiEvent) => void>();
  /** Tags for which invoke waits until release(). */
  holdWhile: (tag: string) => boolean = () => false;
  replyBytes = 16;

  async invoke(_channel: unknown, payload: unknown): Promise<Result<unknown>> {
    const tag = String((payload as { tag?: unknown } | undefined)?.tag);
    this.invoked.push(tag);
    if (this.holdWhile(tag)) await new Promise<void>((resolve) => this.#held.push(resolve));
    return { ok: true, value: { tag, pad: 'x'.repeat(this.replyBytes) } };
  }

  release(): void {
    this.holdWhile = () => false;
    for (const resolve of this.#held.splice(0)) resolve();
  }

  subscribe(listener: (e: ApiEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  get subscribers(): number {
    return this.#listeners.size;
  }

  emit(payload: unknown): void {
    for (const l of this.#listeners) l({ event: 'run:log', payload } as unknown as ApiEvent);
  }
}

let staticDir: string;
let server: RunningServer | null = null;
let clients: WebSocket[] = [];

beforeAll(() => {
  staticDir = mkdtempSync(join(tmpdir(), 'policylab-static-'));
  writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>PolicyLab</title>');
});
afterAll(() => rmSync(staticDir, { recursive: true, force: true }));
afterEach(async () => {
  for (const ws of clients) ws.terminate();
  clients = [];
  await server?.close();
  server = null;
});

async function serve(backend: StubBackend, limits: Partial<HostLimits> = {}): Promise<RunningServer> {
  server = await startServer({ backend, staticDir, limits });
  return server;
}

async function connect(s: RunningServer): Promise<WebSocket> {
  const ws = new WebSocket(`ws://127.0.0.1:${s.port}/ws?token=${s.token}`, { origin: `http://127.0.0.1:${s.port}` });
  clients.push(ws);
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  return ws;
}

/** Waits (no assertion on how long) until `pred` holds; fails naming what it waited for. */
async function until(what: string, pred: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`waited ${timeoutMs} ms for: ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** Collects result ids (tags) as they arrive on `ws`. */
function replies(ws: WebSocket): string[] {
  const got: string[] = [];
  ws.on('message', (d: Buffer) => {
    const m = JSON.parse(d.toString()) as { type: string; result?: { ok: boolean; value?: { tag: string } } };
    if (m.type === 'result' && m.result?.ok) got.push(m.result.value!.tag);
  });
  return got;
}

function closed(ws: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
}

/** A masked client text frame (RFC 6455 §5.2). */
function textFrame(text: string): Buffer {
  const data = Buffer.from(text);
  const mask = randomBytes(4);
  const head = data.length < 126 ? Buffer.from([0x81, 0x80 | data.length]) : Buffer.from([0x81, 0x80 | 126, data.length >> 8, data.length & 0xff]);
  const body = Buffer.from(data.map((b, i) => b ^ mask[i % 4]!));
  return Buffer.concat([head, mask, body]);
}

/**
 * A client on a raw TCP socket that writes `messages` as one burst (one write, so the server reads them in one
 * chunk: what a client that ignores backpressure sends), then reads until the server's close frame.
 */
async function burst(s: RunningServer, messages: string[]): Promise<{ code: number; reason: string }> {
  const socket = tcpConnect(s.port, '127.0.0.1');
  await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  socket.write(
    `GET /ws?token=${s.token} HTTP/1.1\r\nHost: 127.0.0.1:${s.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  );
  let buf = Buffer.alloc(0);
  let upgraded = false;
  return new Promise((resolve, reject) => {
    socket.on('error', reject);
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      if (!upgraded) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        if (!buf.subarray(0, end).toString().startsWith('HTTP/1.1 101')) return reject(new Error(buf.toString()));
        upgraded = true;
        buf = buf.subarray(end + 4);
        socket.write(Buffer.concat(messages.map(textFrame)));
      }
      // Server frames are unmasked; skip data frames, stop at the close frame (opcode 8).
      while (buf.length >= 2) {
        let len = buf[1]! & 0x7f;
        let at = 2;
        if (len === 126) [len, at] = [buf.readUInt16BE(2), 4];
        else if (len === 127) [len, at] = [Number(buf.readBigUInt64BE(2)), 10];
        if (buf.length < at + len) return;
        if ((buf[0]! & 0x0f) === 8) {
          socket.destroy();
          return resolve({ code: buf.readUInt16BE(at), reason: buf.subarray(at + 2, at + len).toString() });
        }
        buf = buf.subarray(at + len);
      }
    });
  });
}

const message = (id: number, tag: string) => JSON.stringify({ id, channel: 'runs:list', payload: { tag } });
const request = (ws: WebSocket, id: number, tag: string) => ws.send(JSON.stringify({ id, channel: 'runs:list', payload: { tag } }));

describe('fair scheduling between connections', () => {
  it('serves a second client round-robin with a flooder, before the flooder\'s backlog is drained', async () => {
    const backend = new StubBackend();
    // Input pausing is out of this test's way (its own test is below): the whole backlog reaches the server.
    const s = await serve(backend, { maxInFlight: 1, pauseQueuedRequests: 1000 });
    const flooder = await connect(s);
    const second = await connect(s);
    const floodReplies = replies(flooder);
    const secondReplies = replies(second);

    // Everything waits in the back end until released, so the flooder's backlog is built before the second asks.
    backend.holdWhile = () => true;
    for (let i = 1; i <= 200; i++) request(flooder, i, `f${i}`);
    await until('the flooder to have 199 requests queued behind its first', () => s.connections()[0]?.queuedRequests === 199);
    for (let i = 1; i <= 3; i++) request(second, i, `s${i}`);
    await until('the second client\'s first request to reach the back end', () => backend.invoked.includes('s1'));
    expect(s.connections().map((c) => [c.queuedRequests, c.inFlight])).toEqual([
      [199, 1],
      [2, 1],
    ]);

    backend.release();
    await until('every reply', () => floodReplies.length === 200 && secondReplies.length === 3);
    // Round-robin: after the first request of each, the two connections alternate until the second has none left,
    // so its third request reaches the back end among the first six, while 196 of the flooder's still wait.
    expect(backend.invoked.slice(0, 2)).toEqual(['f1', 's1']);
    expect(backend.invoked.indexOf('s3')).toBeLessThan(6);
    expect(new Set(backend.invoked.slice(2, 6))).toEqual(new Set(['f2', 'f3', 's2', 's3']));
    // Nothing lost or reordered within a connection.
    expect(floodReplies).toEqual(Array.from({ length: 200 }, (_, i) => `f${i + 1}`));
    expect(secondReplies).toEqual(['s1', 's2', 's3']);
    expect(s.connections().map((c) => c.peakInFlight)).toEqual([1, 1]);
  });
});

describe('backpressure on a client that never reads', () => {
  it('stops serving and reading it with the server\'s queues bounded, and answers everything once it reads', async () => {
    const backend = new StubBackend();
    backend.replyBytes = 32 * 1024;
    const s = await serve(backend);
    const hog = await connect(s);
    const got = replies(hog);
    hog.pause(); // the client stops reading its socket
    const N = 6000;
    for (let i = 0; i < N; i++) request(hog, i, String(i));

    // Held back: replies back up to the pause threshold, then no request is started and the socket is not read.
    await until('the server to stop serving the non-reader', () => {
      const c = s.connections()[0]!;
      return c.servingPaused && c.readingPaused && c.inFlight === 0;
    });
    const held = s.connections()[0]!;
    const replySize = 32 * 1024 + 100;
    expect(held.answered).toBeLessThan(N / 10); // what fits in the kernel's socket buffers and the 1 MB allowance
    expect(held.peakUnsentBytes).toBeLessThanOrEqual(DEFAULT_LIMITS.pauseUnsentBytes + DEFAULT_LIMITS.maxInFlight * replySize);
    // Requests: pausing stops reading at the next socket read; one read chunk (≤ 64 KB of small frames) may follow.
    expect(held.peakQueuedBytes).toBeLessThan(DEFAULT_LIMITS.pauseQueuedBytes);
    expect(held.peakQueuedRequests).toBeLessThan(DEFAULT_LIMITS.pauseQueuedRequests + 65536 / 40);
    expect(held.closeReason).toBeNull();
    // 6,000 replies of 32 KB would be 190 MB held for this client without backpressure.
    expect(held.answered * replySize).toBeLessThan(N * replySize);

    hog.resume();
    await until('all replies after the client reads again', () => got.length === N);
    expect(got).toEqual(Array.from({ length: N }, (_, i) => String(i)));
    const after = s.connections()[0]!;
    expect(after).toMatchObject({ received: N, answered: N, queuedRequests: 0, inFlight: 0, readingPaused: false, servingPaused: false });
    expect(after.pauses).toBeGreaterThanOrEqual(1);
  });
});

describe('hard caps close the offender with the documented reason', () => {
  it('closes a client whose unread replies and events pass maxUnsentBytes; the others keep being served', async () => {
    const backend = new StubBackend();
    const s = await serve(backend, { maxUnsentBytes: 4 << 20, closeGraceMs: 60_000 });
    const hog = await connect(s);
    const other = await connect(s);
    const otherReplies = replies(other);
    hog.pause();
    const hogClosed = closed(hog);
    const blob = 'e'.repeat(256 * 1024);
    // Events reach every subscriber whatever it reads; the non-reader's backlog grows until the cap closes it.
    for (let i = 0; i < 400 && s.connections()[0]!.closeReason === null; i++) {
      backend.emit({ i, blob });
      await new Promise((r) => setImmediate(r));
    }
    const hogStats = s.connections()[0]!;
    expect(hogStats.closeReason).toMatch(/^replies not read: [\d.]+ MB unsent \(limit 4 MB\)$/);
    expect(backend.subscribers).toBe(1); // the closed connection gets no more events
    hog.resume(); // reads its backlog, then the close frame with the reason
    expect(await hogClosed).toEqual({ code: CLOSE_OVERLOADED, reason: hogStats.closeReason });
    request(other, 1, 'still served');
    await until('the other client\'s reply', () => otherReplies.length === 1);
    expect(otherReplies).toEqual(['still served']);
  });

  it('closes a client that keeps more than maxQueuedRequests waiting', async () => {
    const backend = new StubBackend();
    const s = await serve(backend, { maxInFlight: 1, pauseQueuedRequests: 4, maxQueuedRequests: 16 });
    backend.holdWhile = () => true;
    // One read holds all 100: pausing the socket after the 4th comes too late for the rest of the chunk.
    const close = await burst(s, Array.from({ length: 100 }, (_, i) => message(i + 1, `f${i + 1}`)));
    expect(close).toEqual({ code: CLOSE_OVERLOADED, reason: 'too many requests waiting: 17 (limit 16); wait for replies before sending more' });
    expect(backend.invoked).toEqual([]); // closed while parsing the chunk, before the first turn
    backend.release();
  });

  it('closes a client whose waiting requests pass maxQueuedBytes', async () => {
    const backend = new StubBackend();
    const s = await serve(backend, { maxInFlight: 1, pauseQueuedBytes: 16 * 1024, maxQueuedBytes: 32 * 1024 });
    backend.holdWhile = () => true;
    const tag = 't'.repeat(12 * 1024);
    const close = await burst(s, Array.from({ length: 4 }, (_, i) => message(i + 1, tag)));
    expect(close).toEqual({ code: CLOSE_OVERLOADED, reason: 'too many request bytes waiting: 36 KB (limit 32 KB); wait for replies before sending more' });
    backend.release();
  });

  it('refuses limits that are not positive integers, naming the limit', async () => {
    await expect(startServer({ backend: new StubBackend(), staticDir, limits: { maxInFlight: 0 } })).rejects.toThrow(
      'limits.maxInFlight must be a positive integer, got 0',
    );
  });
});
