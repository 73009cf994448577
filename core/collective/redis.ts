/**
 * The `redis` transport: DD-PPO's collective across machines, through one Redis server (ioredis client).
 *
 * Keys (all under the run key K, then the session S that rank 0 opens, so a resumed run never meets an old attempt's
 * counters):
 *   K:session            S — set by rank 0 while it lives (a lease it refreshes); workers join the session it names
 *   K:S:spec             the run's spec as JSON (env, config, seed, totalSteps), K:S:world_size
 *   K:S:rank:<r>         rank r's claim (host:pid), a lease refreshed by its heartbeat; K:S:joined the ranks that claimed
 *   K:S:num_done         habitat-lab's counter (INCRBY / GET / SET)
 *   K:S:g:<op>:<r>       rank r's Float32 vector (little-endian bytes) for collective operation number <op>
 *   K:S:n:<op>           arrivals at operation <op> (INCR); the rank that makes it N pushes N − 1 tokens to K:S:go:<op>,
 *                        the others wait for one (BLPOP on a second connection); then every rank MGETs the N vectors
 *                        and averages them with meanInRankOrder, so every rank gets the same bits
 *   K:S:abort            the first failure a rank reported ({rank, message}): every waiting rank stops with it
 *   K:S:state:<it>:<r>   rank r's own state (JSON) at the checkpoint of iteration <it>, until rank 0 gathers it
 * Every rank runs the same sequence of collective operations (all-reduces and barriers share one numbering), so <op>
 * agrees across ranks. Operation <op>'s keys are deleted by the last rank to arrive at <op> + 1 (by then every rank
 * has read them); every key also carries a TTL, so a crashed run's keys go away by themselves.
 *
 * Nothing here waits unboundedly: connecting, each wait for the other ranks, and each Redis command are bounded by
 * timeoutMs; a rank whose lease lapses (its process died), a reported failure, or a lost connection to Redis (Redis
 * restarted: with `--save ''` its keys are gone, so the run cannot continue) fails every waiting rank with an error
 * naming the rank, the operation and the URL. The client never reconnects on its own for the same reason.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { Redis } from 'ioredis';
import { meanInRankOrder, type Collective } from './collective.js';
import { CounterWatch } from './counter-watch.js';

export interface RedisConnectOptions {
  /** redis://[:password@]host:port[/db] (or rediss:// for TLS). */
  url: string;
  /** Names the run: every key lives under it (letters, digits, `_ . - :`). */
  runKey: string;
  rank: number;
  /** Required for rank 0 (it publishes it); other ranks learn it from rank 0 and check it when given. */
  worldSize?: number;
  /** Bound on connecting, on each wait for the other ranks, and on each Redis command (default 60 s). */
  timeoutMs?: number;
  /**
   * Bound on waiting for ranks that have not joined yet: rank 0's spec (fetchSpec) and, in a collective operation,
   * ranks that never claimed their rank (pods being scheduled, images pulled). Default max(timeoutMs, 5 min).
   */
  joinTimeoutMs?: number;
}

export const DEFAULT_TIMEOUT_MS = 60_000;
export const DEFAULT_JOIN_TIMEOUT_MS = 5 * 60_000;
/** How long a BLPOP blocks before the waiting rank looks at the abort key, the leases and its deadline. */
const WAIT_SLICE_S = 0.25;
const POLL_MS = 100;
const RUN_KEY = /^[A-Za-z0-9_.:-]{1,200}$/;

/** Thrown on a rank that stops because another rank reported a failure (that rank's message is the run's error). */
export class RedisCollectiveAborted extends Error {
  constructor(
    readonly failedRank: number,
    readonly failure: string,
  ) {
    super(`DD-PPO worker ${failedRank} failed: ${failure}`);
    this.name = 'RedisCollectiveAborted';
  }
}

/** The URL with any password replaced, for messages and logs. */
export function redactUrl(url: string): string {
  return url.replace(/^(rediss?:\/\/)([^@/]*)@/, (_m, scheme: string) => `${scheme}***@`);
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export class RedisCollective implements Collective {
  readonly rank: number;
  readonly #url: string;
  readonly #runKey: string;
  readonly #timeoutMs: number;
  readonly #joinTimeoutMs: number;
  /** Lease of a rank's claim (and rank 0's session): refreshed every third of it. */
  readonly #leaseMs: number;
  /** TTL of every data key: long enough for the slowest reader, short enough that a dead run's keys disappear. */
  readonly #ttlMs: number;
  readonly #client: Redis;
  /** A second connection for BLPOP (a blocked connection would delay every other command). */
  readonly #blocking: Redis;
  readonly #identity = `${hostname()}:${process.pid}`;
  #worldSize: number | null;
  #session: string | null = null;
  #op = 0;
  #heartbeat: NodeJS.Timeout | null = null;
  /** Why the collective can no longer be used (lost connection, lapsed lease, closed). */
  #broken: string | null = null;
  #closed = false;
  /** The unredacted URL (the counter watcher's own connection); #url is for messages. */
  readonly #rawUrl: string;
  /** counterPeek's background reader of num_done (started by the first counter operation). */
  #watch: CounterWatch | null = null;

  private constructor(client: Redis, blocking: Redis, o: Required<Omit<RedisConnectOptions, 'worldSize'>> & { worldSize: number | null }) {
    this.#client = client;
    this.#blocking = blocking;
    this.rank = o.rank;
    this.#url = redactUrl(o.url);
    this.#rawUrl = o.url;
    this.#runKey = o.runKey;
    this.#timeoutMs = o.timeoutMs;
    this.#joinTimeoutMs = o.joinTimeoutMs;
    this.#worldSize = o.worldSize;
    this.#leaseMs = Math.max(1000, Math.min(Math.floor(o.timeoutMs / 2), 15_000));
    this.#ttlMs = Math.max(10 * 60_000, 10 * o.timeoutMs);
    for (const c of [client, blocking]) {
      c.on('close', () => {
        if (!this.#closed) this.#broken ??= this.#lostMessage();
      });
      c.on('error', () => {
        // Reported through the failing command and the 'close' event; without a listener ioredis logs to stderr.
      });
    }
  }

  /**
   * Connects to Redis (retrying until timeoutMs while the server is not up yet, as when a cluster starts Redis and
   * the workers together). Rank 0 also opens a new session of the run; other ranks join one in fetchSpec().
   */
  static async connect(opts: RedisConnectOptions): Promise<RedisCollective> {
    const { url, runKey, rank } = opts;
    const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (typeof url !== 'string' || !/^rediss?:\/\/./.test(url)) throw new Error(`redis url must look like redis://host:port, got ${JSON.stringify(url)}`);
    if (typeof runKey !== 'string' || !RUN_KEY.test(runKey)) throw new Error(`runKey must be 1–200 characters of letters, digits, _ . - :, got ${JSON.stringify(runKey)}`);
    if (!Number.isInteger(rank) || rank < 0) throw new Error(`rank must be a non-negative integer, got ${rank}`);
    if (!Number.isInteger(timeoutMs) || timeoutMs < 100) throw new Error(`timeoutMs must be an integer ≥ 100, got ${timeoutMs}`);
    const joinTimeoutMs = opts.joinTimeoutMs ?? Math.max(timeoutMs, DEFAULT_JOIN_TIMEOUT_MS);
    if (!Number.isInteger(joinTimeoutMs) || joinTimeoutMs < 100) throw new Error(`joinTimeoutMs must be an integer ≥ 100, got ${joinTimeoutMs}`);
    const worldSize = opts.worldSize ?? null;
    if (worldSize !== null && (!Number.isInteger(worldSize) || worldSize < 1)) throw new Error(`worldSize must be a positive integer, got ${worldSize}`);
    if (rank === 0 && worldSize === null) throw new Error('rank 0 must be given worldSize (it publishes it to the other ranks)');
    if (worldSize !== null && rank >= worldSize) throw new Error(`rank must be in [0, ${worldSize}) for worldSize ${worldSize}, got ${rank}`);

    const options = {
      lazyConnect: true,
      // A lost connection fails the run (Redis without persistence lost the run's keys); never reconnect or queue.
      retryStrategy: () => null,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      connectTimeout: Math.min(timeoutMs, 10_000),
    };
    const deadline = Date.now() + timeoutMs;
    let lastError = '';
    for (;;) {
      const client = new Redis(url, { ...options, commandTimeout: timeoutMs });
      const blocking = new Redis(url, { ...options, commandTimeout: timeoutMs + WAIT_SLICE_S * 1000 });
      // The socket's own error (ECONNREFUSED, ENOTFOUND…) says more than the rejected connect()'s "Connection is closed".
      let socketError = '';
      const quiet = (e: Error): void => {
        socketError ||= e.message;
      };
      client.on('error', quiet);
      blocking.on('error', quiet);
      try {
        await client.connect();
        await blocking.connect();
        client.off('error', quiet);
        blocking.off('error', quiet);
        const coll = new RedisCollective(client, blocking, { url, runKey, rank, timeoutMs, joinTimeoutMs, worldSize });
        if (rank === 0) await coll.#openSession();
        return coll;
      } catch (e) {
        client.disconnect();
        blocking.disconnect();
        if (e instanceof RankClaimError) throw e;
        lastError = socketError || message(e);
      }
      if (Date.now() + 500 > deadline) break;
      await sleep(500);
    }
    throw new Error(`DD-PPO rank ${rank}: cannot connect to Redis at ${redactUrl(url)} within ${timeoutMs} ms: ${lastError}`);
  }

  get worldSize(): number {
    if (this.#worldSize === null) throw new Error(`DD-PPO rank ${this.rank}: the world size is known once fetchSpec() has joined the run`);
    return this.#worldSize;
  }

  /** The session rank 0 opened (null on a worker before fetchSpec()). */
  get session(): string | null {
    return this.#session;
  }

  #key(...parts: (string | number)[]): string {
    return [this.#runKey, this.#session, ...parts].join(':');
  }

  /** Rank 0: a fresh session under K:session, refused while another live rank 0 holds the run key. */
  async #openSession(): Promise<void> {
    const session = randomUUID();
    const ok = await this.#client.set(`${this.#runKey}:session`, session, 'PX', this.#leaseMs, 'NX');
    if (ok !== 'OK') {
      const holder = await this.#client.get(`${this.#runKey}:session`);
      const ttl = await this.#client.pttl(`${this.#runKey}:session`);
      throw new RankClaimError(
        `DD-PPO rank 0: run key ${JSON.stringify(this.#runKey)} on ${this.#url} is held by another live rank 0 (session ${holder}; its lease ends in ${Math.max(0, ttl)} ms unless it is still running). Two trainings cannot share one run key.`,
      );
    }
    this.#session = session;
    await this.#claim();
  }

  /** Claims this rank in the session (SET NX with a lease); a rank claimed by a live process is refused. */
  async #claim(): Promise<void> {
    const key = this.#key('rank', this.rank);
    const ok = await this.#client.set(key, this.#identity, 'PX', this.#leaseMs, 'NX');
    if (ok !== 'OK') {
      const holder = await this.#client.get(key);
      throw new RankClaimError(
        `DD-PPO rank ${this.rank}: rank ${this.rank} of run ${JSON.stringify(this.#runKey)} is already taken by ${holder ?? 'another process'}; each rank must be started once (check RANK / JOB_COMPLETION_INDEX)`,
      );
    }
    await this.#client.multi().sadd(this.#key('joined'), String(this.rank)).pexpire(this.#key('joined'), this.#ttlMs).exec();
    this.#startHeartbeat();
  }

  #startHeartbeat(): void {
    const refresh = async (): Promise<void> => {
      if (this.#closed || this.#broken) return;
      try {
        const m = this.#client.multi().pexpire(this.#key('rank', this.rank), this.#leaseMs);
        if (this.rank === 0) m.pexpire(`${this.#runKey}:session`, this.#leaseMs);
        const res = await m.exec();
        if (res?.some(([, v]) => v === 0)) this.#broken ??= `its claim on Redis at ${this.#url} lapsed (the process stalled longer than the ${this.#leaseMs} ms lease)`;
      } catch {
        // A failing heartbeat means a lost connection: the 'close' handler records it for the next operation.
      }
    };
    this.#heartbeat = setInterval(() => void refresh(), Math.max(200, Math.floor(this.#leaseMs / 3)));
    this.#heartbeat.unref();
  }

  /** Rank 0: publishes the run's spec (and the world size) for the other ranks. */
  async publishSpec(spec: unknown): Promise<void> {
    if (this.rank !== 0) throw new Error(`DD-PPO rank ${this.rank}: only rank 0 publishes the run's spec`);
    const text = JSON.stringify(spec);
    if (text === undefined) throw new Error('DD-PPO rank 0: the spec must be JSON-serialisable');
    await this.#run('publishSpec', () => this.#client.multi().set(this.#key('spec'), text, 'PX', this.#ttlMs).set(this.#key('world_size'), String(this.worldSize), 'PX', this.#ttlMs).exec());
  }

  /** Other ranks: waits (at most joinTimeoutMs) for rank 0's session and spec, joins the session and returns the spec. */
  async fetchSpec(): Promise<unknown> {
    if (this.rank === 0) throw new Error('DD-PPO rank 0: rank 0 publishes the spec; it does not fetch it');
    if (this.#session !== null) throw new Error(`DD-PPO rank ${this.rank}: fetchSpec() was already called`);
    const deadline = Date.now() + this.#joinTimeoutMs;
    let text: string | null = null;
    let sizeText: string | null = null;
    let session: string | null = null;
    while (text === null) {
      session = await this.#run('fetchSpec', () => this.#client.get(`${this.#runKey}:session`));
      if (session !== null) [text, sizeText] = await this.#run('fetchSpec', () => this.#client.mget(`${this.#runKey}:${session}:spec`, `${this.#runKey}:${session}:world_size`));
      if (text !== null) break;
      if (Date.now() > deadline) {
        throw new Error(
          `DD-PPO rank ${this.rank}: no run ${JSON.stringify(this.#runKey)} was published on Redis at ${this.#url} within ${this.#joinTimeoutMs} ms (${session === null ? 'no rank 0 is running' : 'rank 0 started but published no spec'}); start the training with --transport redis and the same run key`,
        );
      }
      await sleep(POLL_MS);
    }
    const worldSize = Number(sizeText);
    if (!Number.isInteger(worldSize) || worldSize < 1) throw new Error(`DD-PPO rank ${this.rank}: run ${this.#runKey} has a malformed world size ${JSON.stringify(sizeText)} on ${this.#url}`);
    if (this.#worldSize !== null && this.#worldSize !== worldSize) throw new Error(`DD-PPO rank ${this.rank}: started with worldSize ${this.#worldSize}, but run ${this.#runKey} has ${worldSize} workers`);
    if (this.rank >= worldSize) throw new Error(`DD-PPO rank ${this.rank}: run ${this.#runKey} has ${worldSize} workers (ranks 0–${worldSize - 1}); rank ${this.rank} does not exist`);
    this.#worldSize = worldSize;
    this.#session = session;
    await this.#run('fetchSpec', () => this.#claim()).catch((e: unknown) => {
      this.#session = null;
      throw e;
    });
    try {
      return JSON.parse(text) as unknown;
    } catch (e) {
      throw new Error(`DD-PPO rank ${this.rank}: run ${this.#runKey}'s spec on ${this.#url} is not JSON: ${message(e)}`);
    }
  }

  async counterAdd(delta: number): Promise<number> {
    if (!Number.isInteger(delta)) throw new Error(`counterAdd: delta must be an integer, got ${delta}`);
    const v = await this.#run('counterAdd', () => this.#client.incrby(this.#key('num_done'), delta));
    this.#watcher().set(v);
    return v;
  }

  async counterGet(): Promise<number> {
    const text = await this.#run('counterGet', () => this.#client.get(this.#key('num_done')));
    const v = text === null ? 0 : Number(text);
    this.#watcher().set(v);
    return v;
  }

  /** The watcher's latest read of num_done, never older than this rank's own last counter operation (no I/O). */
  counterPeek(): number {
    try {
      this.#checkBroken();
    } catch (e) {
      throw new Error(`DD-PPO rank ${this.rank}: counterPeek on Redis at ${this.#url} failed: ${message(e)}`);
    }
    return this.#watcher().peek();
  }

  #watcher(): CounterWatch {
    if (this.#session === null) throw new Error(`DD-PPO rank ${this.rank}: the run is not joined yet (rank 0: connect() opens it; other ranks: call fetchSpec() first)`);
    return (this.#watch ??= CounterWatch.start(this.#rawUrl, this.#key('num_done')));
  }

  async counterSet(value: number): Promise<void> {
    if (!Number.isInteger(value)) throw new Error(`counterSet: value must be an integer, got ${value}`);
    await this.#run('counterSet', () => this.#client.set(this.#key('num_done'), String(value), 'PX', this.#ttlMs));
    this.#watcher().set(value);
  }

  async allReduceMean(x: Float32Array): Promise<void> {
    const op = this.#op++;
    const name = `allReduceMean (operation ${op})`;
    // A copy: the command is written to the socket later, and x is the caller's.
    const bytes = Buffer.from(new Uint8Array(x.buffer, x.byteOffset, x.byteLength));
    const keys = Array.from({ length: this.worldSize }, (_, r) => this.#key('g', op, r));
    const bufs = await this.#run(name, () => this.#arrive(op, bytes, keys));
    const vectors = bufs.map((b, r) => {
      if (b === null) throw new Error(`DD-PPO rank ${this.rank}: ${name}: rank ${r}'s vector is missing on Redis at ${this.#url} (expired or deleted)`);
      if (b.byteLength !== bytes.byteLength) throw new Error(`DD-PPO rank ${this.rank}: ${name}: rank ${r} sent ${b.byteLength / 4} floats, this rank ${x.length}; every rank must all-reduce the same length`);
      const v = new Float32Array(x.length);
      new Uint8Array(v.buffer).set(b);
      return v;
    });
    meanInRankOrder(vectors, x);
  }

  async barrier(): Promise<void> {
    const op = this.#op++;
    await this.#run(`barrier (operation ${op})`, () => this.#arrive(op, null, []));
  }

  /**
   * Ranks ≥ 1: leaves this rank's own state at a checkpoint (JSON; tag: the iteration) for rank 0 to gather — what a
   * resume needs to continue this rank's envs exactly.
   */
  async putState(tag: number, state: unknown): Promise<void> {
    if (this.rank === 0) throw new Error('DD-PPO rank 0: rank 0 gathers the states (gatherStates); it does not put its own');
    const text = JSON.stringify(state);
    if (text === undefined) throw new Error(`DD-PPO rank ${this.rank}: the state must be JSON-serialisable`);
    await this.#run(`putState (iteration ${tag})`, () => this.#client.set(this.#key('state', tag, this.rank), text, 'PX', this.#ttlMs));
  }

  /**
   * Rank 0: ranks 1 … N − 1's putState(tag) values, index r − 1 for rank r, waiting at most timeoutMs for them; a
   * rank whose state did not come (it failed: the run's next collective operation says so) is null. The keys are
   * deleted once read.
   */
  async gatherStates(tag: number): Promise<(unknown | null)[]> {
    if (this.rank !== 0) throw new Error(`DD-PPO rank ${this.rank}: only rank 0 gathers the states`);
    const keys = Array.from({ length: this.worldSize - 1 }, (_, i) => this.#key('state', tag, i + 1));
    if (keys.length === 0) return [];
    const name = `gatherStates (iteration ${tag})`;
    const deadline = Date.now() + this.#timeoutMs;
    let texts: (string | null)[];
    for (;;) {
      texts = await this.#run(name, () => this.#client.mget(...keys));
      if (texts.every((t) => t !== null) || Date.now() > deadline) break;
      if ((await this.#run(name, () => this.#client.exists(this.#key('abort')))) > 0) break;
      await sleep(POLL_MS);
    }
    await this.#run(name, () => this.#client.del(...keys));
    return texts.map((t) => {
      if (t === null) return null;
      try {
        return JSON.parse(t) as unknown;
      } catch {
        return null;
      }
    });
  }

  /**
   * Reports this rank's failure to every other rank (the first report wins; best effort: Redis may be the failure).
   * Ranks waiting in a collective operation then stop with RedisCollectiveAborted carrying it.
   */
  async abort(failure: string): Promise<void> {
    if (this.#session === null || this.#closed) return;
    try {
      await this.#client.set(this.#key('abort'), JSON.stringify({ rank: this.rank, message: failure }), 'PX', this.#ttlMs, 'NX');
    } catch {
      // Nothing more to do: the other ranks find out through their own timeouts or lost connections.
    }
  }

  /** Stops the heartbeat, gives up this rank's claim (rank 0: the run key too) and closes both connections. */
  async close(): Promise<void> {
    if (this.#closed) return;
    if (this.#heartbeat) clearInterval(this.#heartbeat);
    await this.#watch?.stop();
    if (!this.#broken && this.#session !== null) {
      try {
        await this.#client.del(this.#key('rank', this.rank));
        // The last rank to leave has seen every other rank finish reading: the session's keys can all go.
        const res = await this.#client.multi().srem(this.#key('joined'), String(this.rank)).scard(this.#key('joined')).exec();
        if (res?.[1]?.[1] === 0) await this.#deleteSession();
        // Only this session's pointer: a newer rank 0 may have taken the run key after this one's lease lapsed.
        if (this.rank === 0 && (await this.#client.get(`${this.#runKey}:session`)) === this.#session) await this.#client.del(`${this.#runKey}:session`);
      } catch {
        // Closing after a failure: the keys expire by themselves.
      }
    }
    this.#closed = true;
    this.#client.disconnect();
    this.#blocking.disconnect();
  }

  async #deleteSession(): Promise<void> {
    let cursor = '0';
    do {
      const [next, keys] = await this.#client.scan(cursor, 'MATCH', `${this.#key()}:*`, 'COUNT', 500);
      if (keys.length) await this.#client.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  }

  /**
   * Writes this rank's vector (if any), counts its arrival, and once every rank has arrived at `op` returns the
   * values of `keys` (the ranks' vectors). The MGET is pipelined behind the command that ends the wait (the go
   * tokens' RPUSH, or the BLPOP on the same connection), so it costs no round trip of its own.
   */
  async #arrive(op: number, bytes: Buffer | null, keys: string[]): Promise<(Buffer | null)[]> {
    if (this.#session === null) throw new Error('the run is not joined yet (rank 0: connect() opens it; other ranks: call fetchSpec() first)');
    const N = this.worldSize;
    const m = this.#client.multi();
    if (bytes) m.set(this.#key('g', op, this.rank), bytes, 'PX', this.#ttlMs);
    m.incr(this.#key('n', op)).pexpire(this.#key('n', op), this.#ttlMs);
    const res = await m.exec();
    if (!res) throw new Error('the arrival transaction was discarded');
    for (const [err] of res) if (err) throw err;
    const arrived = res[bytes ? 1 : 0][1] as number;
    if (arrived > N) throw new Error(`${arrived} arrivals for ${N} ranks: two processes are running as one rank`);
    if (arrived === N) {
      const cleanup = this.#client.multi();
      if (N > 1) cleanup.rpush(this.#key('go', op), ...Array.from({ length: N - 1 }, () => '1')).pexpire(this.#key('go', op), this.#ttlMs);
      // Every rank has finished operation op − 1 (it arrived here after reading it): its keys can go.
      if (op > 0) cleanup.del(this.#key('n', op - 1), this.#key('go', op - 1), ...Array.from({ length: N }, (_, r) => this.#key('g', op - 1, r)));
      const [, values] = await Promise.all([cleanup.exec(), keys.length ? this.#client.mgetBuffer(...keys) : []]);
      return values;
    }
    return this.#waitForGo(op, keys);
  }

  async #waitForGo(op: number, keys: string[]): Promise<(Buffer | null)[]> {
    const started = Date.now();
    for (;;) {
      // Redis runs a connection's commands in order: the MGET runs the moment the BLPOP returns (a timed-out slice's
      // MGET is discarded).
      const [got, values] = await Promise.all([this.#blocking.blpop(this.#key('go', op), WAIT_SLICE_S), keys.length ? this.#blocking.mgetBuffer(...keys) : []]);
      if (got !== null) return values;
      this.#checkBroken();
      const [abort, joined, arrivedText] = await Promise.all([this.#client.get(this.#key('abort')), this.#client.smembers(this.#key('joined')), this.#client.get(this.#key('n', op))]);
      if (abort !== null) {
        let a: { rank?: unknown; message?: unknown } = {};
        try {
          a = JSON.parse(abort) as typeof a;
        } catch {
          // A malformed report still stops the run.
        }
        throw new RedisCollectiveAborted(typeof a.rank === 'number' ? a.rank : -1, typeof a.message === 'string' ? a.message : abort);
      }
      const claimed = await this.#client.exists(...joined.map((r) => this.#key('rank', r)));
      if (joined.length > 0 && claimed < joined.length) {
        const alive = await Promise.all(joined.map(async (r) => [r, await this.#client.exists(this.#key('rank', r))] as const));
        const gone = alive.filter(([, e]) => e === 0).map(([r]) => r);
        if (gone.length) throw new Error(`rank(s) ${gone.join(', ')} stopped (their lease on Redis lapsed: the process died or lost its connection)`);
      }
      // Ranks that have not joined yet get the join timeout; once all have, a wait is bounded by timeoutMs.
      const missing = Array.from({ length: this.worldSize }, (_, r) => r).filter((r) => !joined.includes(String(r)));
      const limit = missing.length ? this.#joinTimeoutMs : this.#timeoutMs;
      if (Date.now() - started > limit) {
        throw new Error(
          `timed out after ${limit} ms waiting for the other ranks (${Number(arrivedText ?? 0)} of ${this.worldSize} arrived${missing.length ? `; never joined: rank(s) ${missing.join(', ')}` : ''})`,
        );
      }
    }
  }

  #lostMessage(): string {
    return `lost the connection to Redis at ${this.#url} (did Redis restart? its keys, and this run's state, are gone)`;
  }

  #checkBroken(): void {
    if (this.#closed) throw new Error('the collective is closed');
    if (this.#broken) throw new Error(this.#broken);
  }

  /** Runs one operation; any failure becomes an error naming the rank, the operation and the URL. */
  async #run<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    try {
      this.#checkBroken();
      return await fn();
    } catch (e) {
      if (e instanceof RedisCollectiveAborted || e instanceof RankClaimError || (e instanceof Error && e.message.startsWith('DD-PPO rank '))) throw e;
      // A command that failed because the connection dropped says so better through #broken. ioredis may reject
      // the command ("Connection is closed.", ECONNRESET) before it emits 'close': recognise that case here too.
      if (!this.#broken && !this.#closed && (CONNECTION_ERROR.test(message(e)) || this.#client.status !== 'ready' || this.#blocking.status !== 'ready')) {
        this.#broken = this.#lostMessage();
      }
      const why = this.#broken ?? message(e);
      throw new Error(`DD-PPO rank ${this.rank}: ${operation} on Redis at ${this.#url} failed: ${why}`);
    }
  }
}

/** ioredis's errors for a connection that dropped under a command. */
const CONNECTION_ERROR = /Connection is closed|ECONNRESET|ECONNREFUSED|EPIPE|ETIMEDOUT|Stream isn't writeable|socket (closed|hang up)/i;

/** A refused rank claim (duplicate rank, or a second rank 0 on one run key): never retried. */
export class RankClaimError extends Error {
  constructor(msg: string) {
    super(msg);
    this.name = 'RankClaimError';
  }
}
