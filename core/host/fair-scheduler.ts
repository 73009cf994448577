/**
 * Fair service of browser-mode connections: one flooding or non-reading client must not delay the others.
 * - Per connection, parsed requests wait in their own queue; at most PER_CONNECTION run at once.
 * - Connections are served round-robin: the next request always comes from the next connection with work, so a
 *   client with ten thousand queued requests gets one turn like a client with one.
 * - Backpressure on input: when a connection has MAX_PENDING requests waiting, its socket is paused (the kernel's
 *   receive window then stops the client); it resumes when the queue has drained to half.
 * - Backpressure on output: while a connection has more than SOFT_REPLY_BYTES of replies/events not yet taken by
 *   the client, its requests are not started (and its socket stays paused); above HARD_REPLY_BYTES it is closed
 *   with code 1008 and a reason saying why — memory stays bounded for a client that never reads.
 */
import type { WebSocket } from 'ws';

export const PER_CONNECTION = 4;
export const MAX_PENDING = 64;
/**
 * Pausing takes effect at the next socket read: the frames of the chunk already read (up to ~64 KB, about 1,600
 * tiny requests) still arrive. Past this many queued requests the connection is closed (1008) instead.
 */
export const HARD_PENDING = 4_096;
export const SOFT_REPLY_BYTES = 1 << 20;
export const HARD_REPLY_BYTES = 32 << 20;
/** How often a connection held back by unread replies is looked at again. */
const STALL_RECHECK_MS = 20;

type Job = () => Promise<void>;

export interface ConnectionStats {
  pending: number;
  inFlight: number;
  paused: boolean;
  bufferedBytes: number;
  /** Requests started so far. */
  served: number;
}

class Connection {
  readonly pending: Job[] = [];
  inFlight = 0;
  paused = false;
  served = 0;
  closed = false;
  constructor(readonly ws: WebSocket) {}
}

export class FairScheduler {
  readonly #ring: Connection[] = [];
  readonly #byWs = new Map<WebSocket, Connection>();
  #next = 0;
  #stallTimer: NodeJS.Timeout | null = null;

  add(ws: WebSocket): void {
    const c = new Connection(ws);
    this.#byWs.set(ws, c);
    this.#ring.push(c);
  }

  remove(ws: WebSocket): void {
    const c = this.#byWs.get(ws);
    if (!c) return;
    c.closed = true;
    c.pending.length = 0;
    this.#byWs.delete(ws);
    const i = this.#ring.indexOf(c);
    if (i >= 0) this.#ring.splice(i, 1);
    if (this.#next > i) this.#next--;
  }

  /** Every open connection's queue and backlog (tests and the bench read them). */
  stats(): ConnectionStats[] {
    return this.#ring.map((c) => ({ pending: c.pending.length, inFlight: c.inFlight, paused: c.paused, bufferedBytes: c.ws.bufferedAmount, served: c.served }));
  }

  /** Queues one request of `ws`; it runs when its connection's turn comes. */
  enqueue(ws: WebSocket, job: Job): void {
    const c = this.#byWs.get(ws);
    if (!c || c.closed) return;
    if (c.pending.length >= HARD_PENDING) {
      this.#close(c, `over ${HARD_PENDING} requests queued: the client is flooding`);
      return;
    }
    c.pending.push(job);
    if (c.pending.length >= MAX_PENDING && !c.paused) this.#pause(c);
    this.#pump();
  }

  /** Called after the server queued output on `ws` (a reply or an event): enforces the reply caps. */
  checkOutput(ws: WebSocket): void {
    const c = this.#byWs.get(ws);
    if (!c || c.closed) return;
    if (c.ws.bufferedAmount > HARD_REPLY_BYTES) {
      this.#close(c, `over ${HARD_REPLY_BYTES >> 20} MB of replies unread: the client is not reading`);
    } else if (c.ws.bufferedAmount > SOFT_REPLY_BYTES && !c.paused) {
      this.#pause(c);
      this.#armStallTimer();
    }
  }

  #close(c: Connection, reason: string): void {
    c.closed = true;
    c.ws.close(1008, reason);
    // close() waits for the unread data: end the socket so its memory goes now.
    setTimeout(() => c.ws.terminate(), 1000).unref();
    this.remove(c.ws);
  }

  #pause(c: Connection): void {
    c.paused = true;
    c.ws.pause();
  }

  #maybeResume(c: Connection): void {
    if (c.paused && c.pending.length <= MAX_PENDING / 2 && c.ws.bufferedAmount <= SOFT_REPLY_BYTES) {
      c.paused = false;
      c.ws.resume();
    }
  }

  #armStallTimer(): void {
    this.#stallTimer ??= setInterval(() => {
      const stalled = this.#ring.filter((c) => c.paused);
      for (const c of stalled) this.#maybeResume(c);
      this.#pump();
      if (!this.#ring.some((c) => c.paused && c.ws.bufferedAmount > SOFT_REPLY_BYTES)) {
        clearInterval(this.#stallTimer!);
        this.#stallTimer = null;
      }
    }, STALL_RECHECK_MS);
    this.#stallTimer.unref();
  }

  #pump(): void {
    const n = this.#ring.length;
    let idle = 0;
    while (n > 0 && idle < n) {
      const c = this.#ring[this.#next % n]!;
      this.#next = (this.#next + 1) % n;
      if (c.pending.length === 0 || c.inFlight >= PER_CONNECTION || c.ws.bufferedAmount > SOFT_REPLY_BYTES) {
        idle++;
        continue;
      }
      idle = 0;
      const job = c.pending.shift()!;
      c.inFlight++;
      c.served++;
      void job().finally(() => {
        c.inFlight--;
        if (c.closed) return;
        this.checkOutput(c.ws);
        this.#maybeResume(c);
        this.#pump();
      });
    }
  }
}
