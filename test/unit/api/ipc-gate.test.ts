import { describe, expect, it } from 'vitest';
import { INVOKE_CHANNELS, type ApiBackend, type ApiEvent } from '../../../core/api/contract.js';
import { dispatch } from '../../../core/api/validate.js';
import { createIpcGate, forwardEvents, isAppUrl, registerIpc } from '../../../electron/ipc.js';
import type { Handlers } from '../../../core/api/contract.js';

function fakeBackend() {
  const calls: { channel: unknown; payload: unknown }[] = [];
  const listeners = new Set<(e: ApiEvent) => void>();
  const handlers = { 'runs:get': async ({ id }: { id: string }) => ({ id, name: 'r' }) } as unknown as Handlers;
  const backend: ApiBackend = {
    invoke: async (channel, payload) => {
      calls.push({ channel, payload });
      return dispatch(handlers, channel, payload);
    },
    subscribe: (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
  };
  return { backend, calls, listeners };
}

const appFrame = { url: 'app://policylab/index.html#/runs', parent: null };

describe('IPC gate', () => {
  it('passes requests from the app main frame to the validated back end', async () => {
    const { backend, calls } = fakeBackend();
    const gate = createIpcGate(backend);
    expect(await gate({ senderFrame: appFrame }, 'runs:get', { id: 'a' })).toEqual({ ok: true, value: { id: 'a', name: 'r' } });
    expect(calls).toHaveLength(1);
  });

  it('refuses other origins, subframes and vanished frames without reaching the back end', async () => {
    const { backend, calls } = fakeBackend();
    const gate = createIpcGate(backend);
    const foreign = await gate({ senderFrame: { url: 'https://evil.example/x', parent: null } }, 'runs:get', { id: 'a' });
    expect(foreign).toEqual({ ok: false, error: { code: 'forbidden', message: 'sender https://evil.example is not the PolicyLab app' } });
    const file = await gate({ senderFrame: { url: 'file:///tmp/index.html', parent: null } }, 'runs:list', undefined);
    expect(file.ok || file.error.code).toBe('forbidden');
    const sub = await gate({ senderFrame: { url: appFrame.url, parent: {} } }, 'runs:list', undefined);
    expect(sub.ok || sub.error.message).toMatch(/top-level/);
    const gone = await gate({ senderFrame: null }, 'runs:list', undefined);
    expect(gone.ok || gone.error.message).toMatch(/frame is gone/);
    const lookalike = await gate({ senderFrame: { url: 'app://policylab.evil/index.html', parent: null } }, 'runs:list', undefined);
    expect(lookalike.ok || lookalike.error.code).toBe('forbidden');
    expect(calls).toHaveLength(0);
  });

  it('maps invalid payloads and unknown channels to errors (never throws)', async () => {
    const { backend } = fakeBackend();
    const gate = createIpcGate(backend);
    const bad = await gate({ senderFrame: appFrame }, 'runs:get', { id: 5 });
    expect(bad.ok || bad.error.code).toBe('invalid_request');
    const unknown = await gate({ senderFrame: appFrame }, 'shell:exec', { cmd: 'rm -rf /' });
    expect(unknown.ok || unknown.error.code).toBe('unknown_channel');
    const proto = await gate({ senderFrame: appFrame }, 'runs:get', JSON.parse('{"id":"a","__proto__":{}}'));
    expect(proto.ok || proto.error.message).toMatch(/__proto__/);
  });

  it('recognises only app://policylab URLs as the app', () => {
    expect(isAppUrl('app://policylab/index.html')).toBe(true);
    expect(isAppUrl('app://other/index.html')).toBe(false);
    expect(isAppUrl('http://policylab/')).toBe(false);
    expect(isAppUrl('not a url')).toBe(false);
  });

  it('registers one handler per channel and removes them all', async () => {
    const { backend } = fakeBackend();
    const handlers = new Map<string, (event: unknown, payload: unknown) => Promise<unknown>>();
    const ipcMain = {
      handle: (ch: string, fn: (event: unknown, payload: unknown) => Promise<unknown>) => handlers.set(ch, fn),
      removeHandler: (ch: string) => handlers.delete(ch),
    };
    const off = registerIpc(ipcMain as never, backend);
    expect([...handlers.keys()].sort()).toEqual([...INVOKE_CHANNELS].sort());
    expect(await handlers.get('runs:get')!({ senderFrame: appFrame }, { id: 'z' })).toEqual({ ok: true, value: { id: 'z', name: 'r' } });
    expect(await handlers.get('runs:get')!({ senderFrame: { url: 'https://x.test/', parent: null } }, { id: 'z' })).toMatchObject({ ok: false });
    off();
    expect(handlers.size).toBe(0);
  });

  it('gates the replay channels like every other: origin first, then the payload schema', async () => {
    const { backend, calls } = fakeBackend();
    const gate = createIpcGate(backend);
    const foreign = await gate({ senderFrame: { url: 'https://evil.example/', parent: null } }, 'rollout:start', { id: 'a', checkpointStep: 1, seed: 1 });
    expect(foreign.ok || foreign.error.code).toBe('forbidden');
    expect(calls).toHaveLength(0);
    const hostile: [string, unknown, RegExp][] = [
      ['rollout:start', { id: 'a', checkpointStep: 1, seed: 1, runDir: '/etc' }, /runDir/],
      ['rollout:start', { id: 'a', checkpointStep: 1, seed: 1, fps: 1e9 }, /fps/],
      ['rollout:stop', { rolloutId: '../x' }, /rolloutId/],
      ['episodes:get', { id: 'a', step: '1; rm -rf' }, /step/],
      ['metrics:query', { id: 'a', from: 10, to: 1 }, /to/],
    ];
    for (const [channel, payload, message] of hostile) {
      const r = await gate({ senderFrame: appFrame }, channel, payload);
      expect(r.ok || r.error.code).toBe('invalid_request');
      expect(r.ok || r.error.message).toMatch(message);
    }
  });

  it('forwards back-end events to the window until it is destroyed', () => {
    const { backend, listeners } = fakeBackend();
    const sent: [string, unknown][] = [];
    let onDestroyed: () => void = () => {};
    const contents = {
      isDestroyed: () => false,
      send: (ch: string, payload: unknown) => sent.push([ch, payload]),
      once: (_e: string, fn: () => void) => (onDestroyed = fn),
    };
    forwardEvents(backend, contents as never);
    for (const l of listeners) l({ event: 'run:deleted', payload: { id: 'a' } });
    const frame = { rolloutId: 'ro-1', frames: [{ step: 0, state: [0, 0, 0, 0], action: null, reward: null, return: 0, done: false }] };
    for (const l of listeners) l({ event: 'rollout:frame', payload: frame });
    expect(sent).toEqual([
      ['run:deleted', { id: 'a' }],
      ['rollout:frame', frame],
    ]);
    onDestroyed();
    expect(listeners.size).toBe(0);
  });
});
