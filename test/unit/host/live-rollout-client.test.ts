/**
 * The browser tab's side of rollout ownership, through the real renderer code (LiveRollout, the rollout hub, the
 * API client and the WebSocket transport) over a scripted socket: a live-rollout view destroyed while its
 * rollout is still loading stops that rollout once its id arrives, one destroyed while running stops it at once,
 * and when the socket drops (the server then stops the tab's rollouts) the view ends instead of waiting forever
 * for frames that went to the closed socket.
 */
import { transform } from 'esbuild';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { compileModule } from 'svelte/compiler';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import type { RolloutFrame } from '../../../core/api/contract.js';
import type { FrameScheduler } from '../../../renderer/src/replay/replay-player.svelte.js';

/** What the test uses of renderer/src/state/live-rollout.svelte.ts (typed here: its imports need DOM types). */
interface LiveRolloutModule {
  LiveRollout: new (scheduler: FrameScheduler) => {
    readonly status: 'idle' | 'starting' | 'running' | 'ended' | 'error';
    readonly error: string | null;
    readonly received: number;
    readonly active: boolean;
    start(params: { id: string; checkpointStep: number; seed: number; deterministic: boolean }): Promise<void>;
    dispose(): void;
  };
  collectEpisode(params: { id: string; checkpointStep: number; seed: number; deterministic: boolean }, signal?: AbortSignal): Promise<{ states: unknown[] }>;
}

const require = createRequire(import.meta.url);
const outDir = join(tmpdir(), 'policylab-svelte-modules');

/**
 * Compiles a `*.svelte.ts` module the way Vite's Svelte plugin would (strip types, compileModule for the client)
 * and imports it; its `.svelte.js` imports are compiled the same way, other relative imports point at the `.ts`.
 */
async function compileSvelteModule(path: string): Promise<string> {
  const stripped = await transform(readFileSync(path, 'utf8'), { loader: 'ts', format: 'esm', target: 'es2022' });
  let code = compileModule(stripped.code, { filename: path.replace(/\.ts$/, '.js'), generate: 'client' }).js.code.replace(
    /from\s+['"]svelte\/internal\/client['"]/g,
    `from '${pathToFileURL(require.resolve('svelte/internal/client')).href}'`,
  );
  for (const [, spec] of code.matchAll(/from\s+['"](\.{1,2}\/[^'"]+)['"]/g)) {
    const target = resolve(dirname(path), spec!).replace(/\.js$/, '.ts');
    const url = target.endsWith('.svelte.ts') ? await compileSvelteModule(target) : pathToFileURL(target).href;
    code = code.replaceAll(`'${spec}'`, `'${url}'`).replaceAll(`"${spec}"`, `"${url}"`);
  }
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, `${path.replace(/[^A-Za-z0-9]+/g, '_').slice(-60)}-${createHash('sha256').update(code).digest('hex').slice(0, 16)}.mjs`);
  if (!existsSync(file)) writeFileSync(file, code);
  return pathToFileURL(file).href;
}

/** Stands in for the browser's WebSocket: the test sees what the page sends and plays the server. */
class ScriptedSocket {
  static all: ScriptedSocket[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((e: { data: string }) => void) | null = null;
  onclose: ((e: { code: number; reason: string }) => void) | null = null;
  readonly sent: { id: number; channel: string; payload: unknown }[] = [];
  constructor(readonly url: string) {
    ScriptedSocket.all.push(this);
  }
  send(text: string): void {
    this.sent.push(JSON.parse(text) as ScriptedSocket['sent'][number]);
  }
  reply(id: number, value: unknown): void {
    this.onmessage?.({ data: JSON.stringify({ type: 'result', id, result: { ok: true, value } }) });
  }
  event(event: string, payload: unknown): void {
    this.onmessage?.({ data: JSON.stringify({ type: 'event', event, payload }) });
  }
  dropped = false;
  drop(): void {
    this.dropped = true;
    this.onclose?.({ code: 1006, reason: '' });
  }
  /** The latest request on a channel. */
  request(channel: string) {
    const r = this.sent.filter((m) => m.channel === channel).at(-1);
    if (!r) throw new Error(`the page sent no ${channel} request (sent: ${this.sent.map((m) => m.channel).join(', ') || 'nothing'})`);
    return r;
  }
}

const idleScheduler: FrameScheduler = { request: () => 1, cancel: () => {} };
const params = { id: 'run-1', checkpointStep: 100, seed: 1, deterministic: true };
const frame = (step: number): RolloutFrame => ({ step, state: [step, 0, 0, 0], action: step ? 0 : null, reward: step ? 1 : null, return: step, done: false });
const flush = () => new Promise<void>((r) => setTimeout(r, 0));

let mod: LiveRolloutModule;
let socket: ScriptedSocket;

beforeAll(async () => {
  vi.stubGlobal('window', {});
  vi.stubGlobal('location', { search: '?token=t0k3n', protocol: 'http:', host: '127.0.0.1:5000' });
  vi.stubGlobal('WebSocket', ScriptedSocket);
  const path = fileURLToPath(new URL('../../../renderer/src/state/live-rollout.svelte.ts', import.meta.url));
  mod = (await import(/* @vite-ignore */ await compileSvelteModule(path))) as LiveRolloutModule;
});

/** The page's socket, opened on the first API call. */
function openSocket(): ScriptedSocket {
  const s = ScriptedSocket.all.at(-1)!;
  if (s !== socket) {
    socket = s;
    s.onopen?.();
  }
  return s;
}

describe('a live-rollout view and the rollouts it started', () => {
  it('stops a rollout whose view was destroyed while it was still loading', async () => {
    const live = new mod.LiveRollout(idleScheduler);
    const starting = live.start(params);
    await flush();
    const s = openSocket();
    const start = s.request('rollout:start');
    expect(live.status).toBe('starting');

    live.dispose(); // the user went to another view before the policy had loaded
    s.reply(start.id, { rolloutId: 'ro-loading', envId: 'CartPole-v1', checkpointStep: 100, fps: 50 });
    await starting;
    await flush();
    expect(s.request('rollout:stop').payload).toEqual({ rolloutId: 'ro-loading' });
  });

  it('stops a running rollout when its view is destroyed', async () => {
    const live = new mod.LiveRollout(idleScheduler);
    const starting = live.start(params);
    await flush();
    const s = openSocket();
    s.reply(s.request('rollout:start').id, { rolloutId: 'ro-running', envId: 'CartPole-v1', checkpointStep: 100, fps: 50 });
    await starting;
    s.event('rollout:frame', { rolloutId: 'ro-running', frames: [frame(0), frame(1)] });
    expect(live.status).toBe('running');
    expect(live.received).toBe(2);

    live.dispose();
    await flush();
    expect(s.request('rollout:stop').payload).toEqual({ rolloutId: 'ro-running' });
  });

  it('ends the view when the connection drops, since the server stops the rollouts of a closed connection', async () => {
    const live = new mod.LiveRollout(idleScheduler);
    const starting = live.start(params);
    await flush();
    const s = openSocket();
    s.reply(s.request('rollout:start').id, { rolloutId: 'ro-dropped', envId: 'CartPole-v1', checkpointStep: 100, fps: 50 });
    await starting;
    s.event('rollout:frame', { rolloutId: 'ro-dropped', frames: [frame(0), frame(1), frame(2)] });
    expect(live.status).toBe('running');

    s.drop();
    expect(live.status).toBe('error');
    expect(live.error).toMatch(/connection to the PolicyLab server was lost/);
    expect(live.active).toBe(false);
    live.dispose();
  });

  it('stops a side-by-side rollout cancelled while loading or collecting, and rejects its episode', async () => {
    const loading = new AbortController();
    const first = mod.collectEpisode(params, loading.signal);
    await flush();
    // After a dropped connection the page reconnects on a timer; the request waits in its queue until then.
    await vi.waitFor(() => expect(ScriptedSocket.all.at(-1)!.dropped).toBe(false), { timeout: 15_000, interval: 50 });
    const s = openSocket();
    await flush();
    const start = s.request('rollout:start');
    expect(start.payload).toMatchObject({ realtime: false });
    loading.abort(); // the panel closed before the policy had loaded
    await expect(first).rejects.toThrow(/cancelled/);
    s.reply(start.id, { rolloutId: 'ro-sbs-loading', envId: 'CartPole-v1', checkpointStep: 100, fps: 50 });
    await flush();
    expect(s.request('rollout:stop').payload).toEqual({ rolloutId: 'ro-sbs-loading' });

    const collecting = new AbortController();
    const second = mod.collectEpisode(params, collecting.signal);
    await flush();
    s.reply(s.request('rollout:start').id, { rolloutId: 'ro-sbs-running', envId: 'CartPole-v1', checkpointStep: 100, fps: 50 });
    await flush();
    s.event('rollout:frame', { rolloutId: 'ro-sbs-running', frames: [frame(0), frame(1)] });
    collecting.abort();
    await expect(second).rejects.toThrow(/cancelled/);
    await flush();
    expect(s.request('rollout:stop').payload).toEqual({ rolloutId: 'ro-sbs-running' });

    // Not cancelled: the whole episode arrives.
    const third = mod.collectEpisode(params, new AbortController().signal);
    await flush();
    s.reply(s.request('rollout:start').id, { rolloutId: 'ro-sbs-done', envId: 'CartPole-v1', checkpointStep: 100, fps: 50 });
    await flush();
    s.event('rollout:frame', { rolloutId: 'ro-sbs-done', frames: [frame(0), frame(1), frame(2)] });
    s.event('rollout:end', { rolloutId: 'ro-sbs-done', reason: 'done', steps: 2, return: 2, error: null });
    expect((await third).states).toHaveLength(3);
    expect(s.sent.filter((m) => m.channel === 'rollout:stop')).toHaveLength(2);
  });
});
