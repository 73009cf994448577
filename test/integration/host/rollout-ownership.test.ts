/**
 * A live rollout belongs to the browser-mode connection that started it: when that WebSocket closes (tab closed
 * or reloaded) or drops, the rollout is stopped through the manager's stop path (its process exits, `rollout:end`
 * says 'stopped'), long before its episode would have ended; rollouts of other connections keep running. A start
 * still loading when its client goes away is killed. Real server, real sockets, real rollout processes (a fake
 * rollout worker, so no policy has to be trained first).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { CheckpointInfo, Result, RolloutStarted, RunInfo } from '../../../core/api/contract.js';
import { startServer, type RunningServer } from '../../../core/host/server.js';
import { openAppBackend, type AppBackend } from '../../../core/runner/service.js';
import { forkWorker, type SpawnWorker } from '../../../core/runner/spawn.js';
import { call, EventLog, FAKE_WORKER, fakeCatalog, tempHome } from '../../unit/runner/helpers.js';

const FAKE_ROLLOUT_WORKER = fileURLToPath(new URL('../../unit/runner/fixtures/fake-rollout-worker.ts', import.meta.url));
/** The fake rollout worker's seed that never finishes loading (see the fixture). */
const LOADS_FOREVER = 404;
/** At 5 fps the fake episode (500 steps) lasts 100 s; every stop here must come from the client going away. */
const FPS = 5;
const EPISODE_STEPS = 500;
/** A deadline for things that, when the feature works, happen within a second or two. */
const DEADLINE_MS = 20_000;

interface RolloutProcess {
  pid: number | undefined;
  exited: Promise<{ code: number | null; signal: string | null }>;
}

let server: RunningServer;
let backend: AppBackend;
let log: EventLog;
let staticDir: string;
let cleanupHome: () => void;
let runId: string;
let checkpointStep: number;
const rolloutProcesses: RolloutProcess[] = [];
let onRolloutSpawn: ((p: RolloutProcess) => void) | null = null;

/** forkWorker, remembering every rollout process and when it exits. */
const recordingSpawn: SpawnWorker = (modulePath, env, options) => {
  const proc = forkWorker(modulePath, env, options);
  if (modulePath === FAKE_ROLLOUT_WORKER) {
    const record: RolloutProcess = {
      pid: proc.pid,
      exited: new Promise((resolve) => proc.onExit((code, signal) => resolve({ code, signal }))),
    };
    rolloutProcesses.push(record);
    onRolloutSpawn?.(record);
  }
  return proc;
};

function within<T>(promise: Promise<T>, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} did not happen within ${DEADLINE_MS / 1000} s`)), DEADLINE_MS);
    promise.then(
      (v) => (clearTimeout(timer), resolve(v)),
      (e: unknown) => (clearTimeout(timer), reject(e instanceof Error ? e : new Error(String(e)))),
    );
  });
}

function isAlive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** One browser tab's connection: requests by id, results matched back. */
class Client {
  #nextId = 1;
  #pending = new Map<number, (r: Result<unknown>) => void>();
  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const msg = JSON.parse(data.toString()) as { type: string; id?: number; result?: Result<unknown> };
      if (msg.type !== 'result' || msg.id === undefined) return;
      this.#pending.get(msg.id)?.(msg.result!);
      this.#pending.delete(msg.id);
    });
  }

  static open(): Promise<Client> {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/ws?token=${server.token}`, { origin: `http://127.0.0.1:${server.port}` });
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new Client(ws)));
      ws.once('error', reject);
    });
  }

  /** Sends a request; the promise settles with its result (never, if the socket closes first). */
  send(channel: string, payload: unknown): Promise<Result<unknown>> {
    const id = this.#nextId++;
    return new Promise((resolve) => {
      this.#pending.set(id, resolve);
      this.ws.send(JSON.stringify({ id, channel, payload }));
    });
  }

  async call<T>(channel: string, payload: unknown): Promise<T> {
    const r = await this.send(channel, payload);
    if (!r.ok) throw new Error(`${channel} failed: ${r.error.code}: ${r.error.message}`);
    return r.value as T;
  }

  /** Starts a slow live rollout and waits until it streams; returns it with its process. */
  async startRollout(seed: number): Promise<{ rollout: RolloutStarted; proc: RolloutProcess }> {
    const before = rolloutProcesses.length;
    const rollout = await this.call<RolloutStarted>('rollout:start', { id: runId, checkpointStep, seed, fps: FPS });
    expect(rolloutProcesses).toHaveLength(before + 1);
    await log.wait('rollout:frame', (f) => f.rolloutId === rollout.rolloutId);
    return { rollout, proc: rolloutProcesses[before]! };
  }
}

beforeAll(async () => {
  staticDir = mkdtempSync(join(tmpdir(), 'policylab-static-'));
  mkdirSync(join(staticDir, 'assets'));
  writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>PolicyLab</title>');
  const t = tempHome();
  cleanupHome = t.cleanup;
  backend = await openAppBackend({
    home: t.home,
    transport: 'browser',
    catalog: fakeCatalog,
    workerPath: FAKE_WORKER,
    rolloutWorkerPath: FAKE_ROLLOUT_WORKER,
    spawn: recordingSpawn,
  });
  log = new EventLog(backend);
  server = await startServer({ backend, staticDir });
  // A finished (fake) run with a checkpoint to roll out.
  const [run] = await call<RunInfo[]>(backend, 'runs:start', { algo: 'fake', env: 'CartPole-v1', seeds: [1] });
  runId = run!.id;
  await log.status(runId, 'finished');
  const checkpoints = await call<CheckpointInfo[]>(backend, 'checkpoints:list', { id: runId });
  checkpointStep = checkpoints.at(-1)!.step;
});

afterAll(async () => {
  await server?.close();
  await backend?.close();
  cleanupHome?.();
  rmSync(staticDir, { recursive: true, force: true });
});

describe('live rollouts are owned by the connection that started them', () => {
  it('stops the rollouts of a WebSocket that closes, and only those', async () => {
    const tab = await Client.open();
    const other = await Client.open();
    const mine = await tab.startRollout(1);
    const theirs = await other.startRollout(2);
    expect(backend.rollouts.activeCount).toBe(2);

    tab.ws.close(); // the tab is closed or reloaded
    const end = await within(log.wait('rollout:end', (e) => e.rolloutId === mine.rollout.rolloutId), 'rollout:end after the socket closed');
    expect(end).toMatchObject({ reason: 'stopped', error: null });
    expect(end.steps).toBeLessThan(EPISODE_STEPS);
    // Stopped through the normal stop path: the process finished its episode early and exited by itself.
    expect(await within(mine.proc.exited, 'the rollout process exiting')).toEqual({ code: 0, signal: null });
    expect(isAlive(mine.proc.pid)).toBe(false);

    // The other connection's rollout is untouched and still streaming.
    expect(backend.rollouts.activeCount).toBe(1);
    expect(log.of('rollout:end').some((e) => e.rolloutId === theirs.rollout.rolloutId)).toBe(false);
    const framesSoFar = log.of('rollout:frame').filter((f) => f.rolloutId === theirs.rollout.rolloutId).length;
    await log.wait('rollout:frame', (f) => f.rolloutId === theirs.rollout.rolloutId && f.frames[0]!.step >= framesSoFar);

    // A connection that drops without a closing handshake (a crashed tab) is the same.
    other.ws.terminate();
    const otherEnd = await within(log.wait('rollout:end', (e) => e.rolloutId === theirs.rollout.rolloutId), 'rollout:end after the socket dropped');
    expect(otherEnd.reason).toBe('stopped');
    expect(otherEnd.steps).toBeLessThan(EPISODE_STEPS);
    await within(theirs.proc.exited, 'the second rollout process exiting');
    expect(backend.rollouts.activeCount).toBe(0);
  });

  it('keeps a rollout that its open connection stops, and one started without a client, under their own control', async () => {
    const tab = await Client.open();
    const { rollout, proc } = await tab.startRollout(3);
    expect(await tab.call('rollout:stop', { rolloutId: rollout.rolloutId })).toEqual({ rolloutId: rollout.rolloutId, stopped: true });
    expect((await within(log.wait('rollout:end', (e) => e.rolloutId === rollout.rolloutId), 'rollout:end')).reason).toBe('stopped');
    await within(proc.exited, 'the rollout process exiting');
    tab.ws.close(); // nothing left to stop: closing must not disturb anything

    // The CLI and tests call the back end directly, with no client: such a rollout is not tied to any socket.
    const direct = await call<RolloutStarted>(backend, 'rollout:start', { id: runId, checkpointStep, seed: 4, fps: FPS });
    const passerby = await Client.open();
    passerby.ws.close();
    await new Promise<void>((resolve) => passerby.ws.once('close', () => resolve()));
    await log.wait('rollout:frame', (f) => f.rolloutId === direct.rolloutId && f.frames[0]!.step >= 2);
    expect(backend.rollouts.activeCount).toBe(1);
    await call(backend, 'rollout:stop', { rolloutId: direct.rolloutId });
    await within(log.wait('rollout:end', (e) => e.rolloutId === direct.rolloutId), 'rollout:end');
    await within(rolloutProcesses.at(-1)!.exited, 'the rollout process exiting');
  });

  it('kills a rollout process that is still loading when the connection that asked for it closes', async () => {
    const tab = await Client.open();
    const spawned = new Promise<RolloutProcess>((resolve) => (onRolloutSpawn = resolve));
    const endsBefore = log.of('rollout:end').length;
    const framesBefore = log.of('rollout:frame').length;
    const result = tab.send('rollout:start', { id: runId, checkpointStep, seed: LOADS_FOREVER, fps: FPS });
    const proc = await within(spawned, 'the rollout process starting');
    onRolloutSpawn = null;

    tab.ws.close();
    const exit = await within(proc.exited, 'the loading rollout process exiting');
    expect(exit.signal).toBe('SIGKILL');
    expect(isAlive(proc.pid)).toBe(false);
    expect(backend.rollouts.activeCount).toBe(0);
    // It never went live: no events for it, and the closed socket got no result.
    expect(log.of('rollout:end')).toHaveLength(endsBefore);
    expect(log.of('rollout:frame')).toHaveLength(framesBefore);
    expect(await Promise.race([result.then(() => 'answered'), Promise.resolve('unanswered')])).toBe('unanswered');
  });
});
