/**
 * Browser-mode WebSocket connections: requests `{id, channel, payload}` in, `{type:'result', id, result}` out,
 * and every back-end event pushed as `{type:'event', event, payload}`. Validation happens in the back end's
 * invoke (the same gate the Electron IPC uses); here only the envelope is checked. The connection is the client:
 * when it closes (tab closed or reloaded), what it started for itself (live rollouts) is stopped.
 *
 * One client must not slow the others or grow the server's memory (fair-scheduler.ts has the limits):
 * - received requests wait in the connection's own queue and are served round-robin between connections,
 *   at most `maxInFlight` of one connection at a time, replies in the order the back end finishes them;
 * - the socket stops being read (`ws.pause()`: the kernel's receive window then stops the client) while the queue
 *   holds `pauseQueuedRequests` requests or `pauseQueuedBytes` bytes, or while `pauseUnsentBytes` of replies and
 *   events are not taken by the client; a connection whose replies back up also has no new request started;
 *   both resume at half, when the socket's writes complete (no polling);
 * - past a hard cap the connection is closed with code 1008 (CLOSE_OVERLOADED) and one of these reasons:
 *     `too many requests waiting: N (limit M); wait for replies before sending more`
 *     `too many request bytes waiting: X MB (limit Y MB); wait for replies before sending more`
 *     `replies not read: X MB unsent (limit Y MB)`           (sizes in KB below 1 MB)
 *   and destroyed `closeGraceMs` later if the client does not complete the close (it may not be reading at all).
 */
import type { RawData, WebSocket } from 'ws';
import type { ApiBackend, Result } from '../api/contract.js';
import { CLOSE_OVERLOADED, FairScheduler, resolveLimits, type HostLimits, type Tenant } from './fair-scheduler.js';

/** Wire format shared with renderer/src/lib/transport.ts. */
export interface WsRequest {
  id: number;
  channel: string;
  payload?: unknown;
}
export type WsServerMessage =
  | { type: 'result'; id: number | null; result: Result<unknown> }
  | { type: 'event'; event: string; payload: unknown };

/** One connection's counters, read by tests and the bench (peaks are since the connection opened). */
export interface ConnectionStats {
  /** 1, 2, … in the order the server accepted the connections. */
  id: number;
  /** Requests received, and replies sent for them. */
  received: number;
  answered: number;
  /** Requests waiting for their turn, and their bytes. */
  queuedRequests: number;
  queuedBytes: number;
  /** Requests running in the back end. */
  inFlight: number;
  /** Replies and events handed to the socket but not yet taken by the client (ws.bufferedAmount). */
  unsentBytes: number;
  /** The socket is not being read. */
  readingPaused: boolean;
  /** No new request of this connection is started (its replies back up). */
  servingPaused: boolean;
  /** Times the socket was paused. */
  pauses: number;
  peakQueuedRequests: number;
  peakQueuedBytes: number;
  peakInFlight: number;
  peakUnsentBytes: number;
  /** Why a cap closed the connection; null while it has not. */
  closeReason: string | null;
}

interface Queued {
  /** The message's text; null for a binary message (answered with an envelope error in its turn). */
  text: string | null;
  bytes: number;
}

function envelopeError(id: number | null, message: string): WsServerMessage {
  return { type: 'result', id, result: { ok: false, error: { code: 'invalid_request', message } } };
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  return Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
}

/** `40 KB`, `1.5 MB`: sizes in close reasons. */
export function sizeText(bytes: number): string {
  if (bytes < 1 << 20) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / (1 << 20)).toFixed(1).replace(/\.0$/, '')} MB`;
}

class Connection implements Tenant {
  readonly #queue: Queued[] = [];
  #head = 0;
  #queuedBytes = 0;
  #inFlight = 0;
  #received = 0;
  #answered = 0;
  #readingPaused = false;
  #servingPaused = false;
  #pauses = 0;
  #peakQueuedRequests = 0;
  #peakQueuedBytes = 0;
  #peakInFlight = 0;
  #peakUnsentBytes = 0;
  #closeReason: string | null = null;
  #ended = false;
  #graceTimer: NodeJS.Timeout | null = null;
  readonly #client = new AbortController();
  readonly #unsubscribe: () => void;
  /** Called for every completed socket write: the backlog may have drained. */
  readonly #onWritten = (err?: Error | null): void => {
    if (!err) this.#checkOutput();
  };

  constructor(
    readonly id: number,
    readonly ws: WebSocket,
    readonly api: ApiBackend,
    readonly scheduler: FairScheduler,
    readonly limits: HostLimits,
    readonly onEnd: (c: Connection) => void,
  ) {
    this.#unsubscribe = api.subscribe((e) => this.#send({ type: 'event', event: e.event, payload: e.payload }));
    scheduler.add(this);
    ws.on('message', (data, isBinary) => this.#receive(data, isBinary));
    ws.on('close', () => this.#end());
    ws.on('error', () => this.#end());
  }

  stats(): ConnectionStats {
    return {
      id: this.id,
      received: this.#received,
      answered: this.#answered,
      queuedRequests: this.#queuedCount,
      queuedBytes: this.#queuedBytes,
      inFlight: this.#inFlight,
      unsentBytes: this.ws.bufferedAmount,
      readingPaused: this.#readingPaused,
      servingPaused: this.#servingPaused,
      pauses: this.#pauses,
      peakQueuedRequests: this.#peakQueuedRequests,
      peakQueuedBytes: this.#peakQueuedBytes,
      peakInFlight: this.#peakInFlight,
      peakUnsentBytes: this.#peakUnsentBytes,
      closeReason: this.#closeReason,
    };
  }

  get #closing(): boolean {
    return this.#closeReason !== null || this.#ended;
  }

  get #queuedCount(): number {
    return this.#queue.length - this.#head;
  }

  #receive(data: RawData, isBinary: boolean): void {
    if (this.#closing) return;
    const buf = toBuffer(data);
    this.#received++;
    // Kept as text, not as the read chunk's slice: a slice would keep the whole chunk alive.
    this.#queue.push({ text: isBinary ? null : buf.toString(), bytes: buf.length });
    this.#queuedBytes += buf.length;
    this.#peakQueuedRequests = Math.max(this.#peakQueuedRequests, this.#queuedCount);
    this.#peakQueuedBytes = Math.max(this.#peakQueuedBytes, this.#queuedBytes);
    const { maxQueuedRequests, maxQueuedBytes } = this.limits;
    if (this.#queuedCount > maxQueuedRequests) {
      return this.#closeForCap(`too many requests waiting: ${this.#queuedCount} (limit ${maxQueuedRequests}); wait for replies before sending more`);
    }
    if (this.#queuedBytes > maxQueuedBytes) {
      return this.#closeForCap(
        `too many request bytes waiting: ${sizeText(this.#queuedBytes)} (limit ${sizeText(maxQueuedBytes)}); wait for replies before sending more`,
      );
    }
    this.#updateReading();
    this.scheduler.wake();
  }

  startNext(): boolean {
    if (this.#closing || this.#queuedCount === 0 || this.#inFlight >= this.limits.maxInFlight || this.#servingPaused) return false;
    const item = this.#queue[this.#head]!;
    this.#queue[this.#head++] = undefined as unknown as Queued;
    if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue.splice(0, this.#head);
      this.#head = 0;
    }
    this.#queuedBytes -= item.bytes;
    this.#updateReading();
    this.#serve(item.text);
    return true;
  }

  #serve(text: string | null): void {
    if (text === null) return this.#reply(envelopeError(null, 'binary messages are not accepted'));
    let msg: unknown;
    try {
      msg = JSON.parse(text);
    } catch {
      return this.#reply(envelopeError(null, 'message is not valid JSON'));
    }
    if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) {
      return this.#reply(envelopeError(null, 'message must be an object {id, channel, payload}'));
    }
    const { id, channel, payload } = msg as Partial<WsRequest>;
    if (typeof id !== 'number' || !Number.isSafeInteger(id)) return this.#reply(envelopeError(null, 'message.id must be an integer'));
    this.#inFlight++;
    this.#peakInFlight = Math.max(this.#peakInFlight, this.#inFlight);
    this.api
      .invoke(channel, payload, { clientGone: this.#client.signal })
      .catch((err: unknown): Result<unknown> => ({ ok: false, error: { code: 'internal', message: err instanceof Error ? err.message : String(err) } }))
      .then((result) => {
        this.#inFlight--;
        this.#reply({ type: 'result', id, result });
        this.scheduler.wake();
      });
  }

  #reply(message: WsServerMessage): void {
    if (this.#closing) return;
    this.#answered++;
    this.#send(message);
  }

  #send(message: WsServerMessage): void {
    if (this.#closing || this.ws.readyState !== this.ws.OPEN) return;
    this.ws.send(JSON.stringify(message), this.#onWritten);
    this.#checkOutput();
  }

  /** After a send, and after every completed write: the reply caps and the serving pause. */
  #checkOutput(): void {
    if (this.#closing) return;
    const unsent = this.ws.bufferedAmount;
    this.#peakUnsentBytes = Math.max(this.#peakUnsentBytes, unsent);
    const { maxUnsentBytes, pauseUnsentBytes } = this.limits;
    if (unsent > maxUnsentBytes) return this.#closeForCap(`replies not read: ${sizeText(unsent)} unsent (limit ${sizeText(maxUnsentBytes)})`);
    if (!this.#servingPaused && unsent >= pauseUnsentBytes) {
      this.#servingPaused = true;
      this.#updateReading();
    } else if (this.#servingPaused && unsent <= pauseUnsentBytes / 2) {
      this.#servingPaused = false;
      this.#updateReading();
      this.scheduler.wake();
    }
  }

  #updateReading(): void {
    const { pauseQueuedRequests, pauseQueuedBytes } = this.limits;
    const queued = this.#queuedCount;
    if (!this.#readingPaused && (queued >= pauseQueuedRequests || this.#queuedBytes >= pauseQueuedBytes || this.#servingPaused)) {
      this.#readingPaused = true;
      this.#pauses++;
      this.ws.pause();
    } else if (this.#readingPaused && queued <= pauseQueuedRequests / 2 && this.#queuedBytes <= pauseQueuedBytes / 2 && !this.#servingPaused) {
      this.#readingPaused = false;
      this.ws.resume();
    }
  }

  /** Closes the connection for a cap: its queue is dropped, its work for itself stopped, its socket destroyed soon. */
  #closeForCap(reason: string): void {
    if (this.#closing) return;
    this.#closeReason = reason;
    this.#release();
    this.ws.close(CLOSE_OVERLOADED, reason);
    // Read again, to take the client's answering close frame (further requests are ignored).
    this.ws.resume();
    this.#graceTimer = setTimeout(() => this.ws.terminate(), this.limits.closeGraceMs);
    this.#graceTimer.unref();
  }

  #release(): void {
    this.#queue.length = 0;
    this.#head = 0;
    this.#queuedBytes = 0;
    this.#unsubscribe();
    this.#client.abort();
    this.scheduler.remove(this);
  }

  #end(): void {
    if (this.#ended) return;
    if (this.#closeReason === null) this.#release();
    this.#ended = true;
    if (this.#graceTimer) clearTimeout(this.#graceTimer);
    this.onEnd(this);
  }
}

/** Every WebSocket connection of one server, with one scheduler between them. */
export class SocketHost {
  readonly limits: HostLimits;
  readonly scheduler: FairScheduler;
  readonly #connections = new Map<WebSocket, Connection>();
  #nextId = 1;

  constructor(
    readonly api: ApiBackend,
    limits: Partial<HostLimits> = {},
  ) {
    this.limits = resolveLimits(limits);
    this.scheduler = new FairScheduler(this.limits.startsPerTurn);
  }

  accept(ws: WebSocket): void {
    const c = new Connection(this.#nextId++, ws, this.api, this.scheduler, this.limits, (ended) => this.#connections.delete(ended.ws));
    this.#connections.set(ws, c);
  }

  /** Open connections (and those a cap is closing), in the order they were accepted. */
  stats(): ConnectionStats[] {
    return [...this.#connections.values()].map((c) => c.stats());
  }

  terminateAll(): void {
    for (const ws of this.#connections.keys()) ws.terminate();
  }
}
