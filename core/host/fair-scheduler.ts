/**
 * Fair service of browser-mode connections: whose request runs next, and how much one connection may hold.
 *
 * Each connection (socket.ts) keeps its own queue of received requests. The scheduler serves them in turns:
 * a turn visits the connections round-robin and starts at most one request per connection per pass, so a client
 * with thousands of queued requests gets the same share as a client with one. Every turn runs from `setImmediate`,
 * never from the completion of a request: between two turns the event loop reads the other sockets, so a
 * request that just arrived on a quiet connection is started in the next turn, not after the flooder's backlog
 * (serving a backlog from completion callbacks would drain it in one chain of microtasks, the loop blocked).
 */

/** Per-connection caps (bytes are UTF-8 bytes on the wire). Defaults: DEFAULT_LIMITS. */
export interface HostLimits {
  /** Requests of one connection running in the back end at once. */
  maxInFlight: number;
  /** Requests started per turn over all connections (a turn yields to the event loop after it). */
  startsPerTurn: number;
  /** Stop reading a connection's socket while this many of its requests wait (resumed at half)... */
  pauseQueuedRequests: number;
  /** ...or this many bytes of them (resumed at half). */
  pauseQueuedBytes: number;
  /**
   * Replies and events handed to the socket but not yet taken by the client (`ws.bufferedAmount`): above this, the
   * connection's requests are not started and its socket is not read (resumed at half).
   */
  pauseUnsentBytes: number;
  /**
   * Hard caps; past any of them the connection is closed with CLOSE_OVERLOADED and a reason naming the cap.
   * Pausing takes effect at the next socket read, so the frames of the chunk already read (≤ 64 KB) still arrive:
   * the request caps are for a client that keeps sending into a paused socket faster than that.
   */
  maxQueuedRequests: number;
  maxQueuedBytes: number;
  /** Unsent replies and events: what a client that never reads makes the server hold for it. */
  maxUnsentBytes: number;
  /** After a cap closes a connection, how long its close handshake may take before the socket is destroyed. */
  closeGraceMs: number;
}

export const DEFAULT_LIMITS: Readonly<HostLimits> = Object.freeze({
  maxInFlight: 4,
  startsPerTurn: 64,
  pauseQueuedRequests: 64,
  pauseQueuedBytes: 1 << 20,
  pauseUnsentBytes: 1 << 20,
  maxQueuedRequests: 4096,
  maxQueuedBytes: 8 << 20,
  maxUnsentBytes: 32 << 20,
  closeGraceMs: 2000,
});

/** WebSocket close code for a connection closed by a cap (RFC 6455 1008: policy violation). */
export const CLOSE_OVERLOADED = 1008;

/** Merges overrides into the defaults; every limit must be a positive integer. */
export function resolveLimits(overrides: Partial<HostLimits> = {}): HostLimits {
  const limits = { ...DEFAULT_LIMITS };
  for (const [key, value] of Object.entries(overrides) as [keyof HostLimits, unknown][]) {
    if (!(key in DEFAULT_LIMITS)) throw new Error(`limits.${key} is not a server limit (known: ${Object.keys(DEFAULT_LIMITS).join(', ')})`);
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
      throw new Error(`limits.${key} must be a positive integer, got ${String(value)}`);
    }
    limits[key] = value;
  }
  return limits;
}

/** What the scheduler needs from a connection. */
export interface Tenant {
  /** Starts this connection's next request if it has one and may run it now; true when one was started. */
  startNext(): boolean;
}

export class FairScheduler {
  readonly #ring: Tenant[] = [];
  #next = 0;
  #turnPending = false;
  #turns = 0;

  constructor(readonly startsPerTurn: number = DEFAULT_LIMITS.startsPerTurn) {}

  /** Turns run so far (tests check that a turn happened). */
  get turns(): number {
    return this.#turns;
  }

  add(tenant: Tenant): void {
    if (!this.#ring.includes(tenant)) this.#ring.push(tenant);
  }

  remove(tenant: Tenant): void {
    const i = this.#ring.indexOf(tenant);
    if (i < 0) return;
    this.#ring.splice(i, 1);
    if (i < this.#next) this.#next--;
    if (this.#next >= this.#ring.length) this.#next = 0;
  }

  /** Asks for a turn (a request arrived, one finished, a backlog drained); several asks before it make one turn. */
  wake(): void {
    if (this.#turnPending) return;
    this.#turnPending = true;
    setImmediate(() => this.#turn());
  }

  #turn(): void {
    this.#turnPending = false;
    this.#turns++;
    let budget = this.startsPerTurn;
    // Round-robin from where the last turn stopped; stop after a full pass that started nothing.
    let idle = 0;
    while (budget > 0 && this.#ring.length > 0 && idle < this.#ring.length) {
      if (this.#next >= this.#ring.length) this.#next = 0;
      const tenant = this.#ring[this.#next]!;
      this.#next = (this.#next + 1) % this.#ring.length;
      if (tenant.startNext()) {
        budget--;
        idle = 0;
      } else {
        idle++;
      }
    }
    // Budget spent with work left: continue after the event loop has read the sockets again.
    if (budget === 0) this.wake();
  }
}
