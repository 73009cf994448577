/**
 * The preload as Electron runs it: bundled to CommonJS by esbuild (a sandboxed preload cannot load ESM or
 * local files), evaluated with a fake `electron` module. Checks what reaches the page: named functions per
 * channel only (no ipcRenderer), listeners that drop the IPC event and return an unsubscribe.
 */
import { build } from 'esbuild';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { EVENT_CHANNELS, INVOKE_CHANNELS } from '../../../core/api/contract.js';

async function bundlePreload(): Promise<string> {
  const out = await build({
    entryPoints: ['electron/preload.ts'],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    external: ['electron'],
    write: false,
    logLevel: 'silent',
  });
  return out.outputFiles[0]!.text;
}

function loadPreload(code: string) {
  const exposed: Record<string, unknown> = {};
  const invoked: [string, unknown][] = [];
  const listeners = new Map<string, Set<(event: unknown, payload: unknown) => void>>();
  const electron = {
    contextBridge: { exposeInMainWorld: (key: string, api: unknown) => (exposed[key] = api) },
    ipcRenderer: {
      invoke: async (channel: string, payload: unknown) => (invoked.push([channel, payload]), { ok: true, value: channel }),
      on: (ch: string, l: (event: unknown, payload: unknown) => void) => (listeners.get(ch) ?? listeners.set(ch, new Set()).get(ch)!).add(l),
      removeListener: (ch: string, l: (event: unknown, payload: unknown) => void) => listeners.get(ch)?.delete(l),
    },
  };
  const module = { exports: {} };
  const require = (name: string) => {
    if (name === 'electron') return electron;
    throw new Error(`the sandboxed preload may not require "${name}"`);
  };
  runInNewContext(code, { require, module, exports: module.exports });
  return { exposed, invoked, listeners };
}

describe('preload bundle', () => {
  it('bundles to CommonJS that requires only electron and stays small (no zod)', async () => {
    const code = await bundlePreload();
    const requires = [...code.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]);
    expect(new Set(requires)).toEqual(new Set(['electron']));
    expect(code.length).toBeLessThan(20_000);
    expect(code).not.toMatch(/ZodError/);
  });

  it('exposes one named function per channel and a guarded event subscription', async () => {
    const { exposed, invoked, listeners } = loadPreload(await bundlePreload());
    expect(Object.keys(exposed)).toEqual(['policylab']);
    const api = exposed.policylab as {
      transport: string;
      invoke: Record<string, (p?: unknown) => Promise<unknown>>;
      on: (e: string, l: (p: unknown) => void) => () => void;
    };
    expect(api.transport).toBe('electron');
    expect(Object.keys(api.invoke).sort()).toEqual([...INVOKE_CHANNELS].sort());
    expect(Object.isFrozen(api.invoke)).toBe(true);
    expect(Object.keys(api)).not.toContain('ipcRenderer');
    expect(await api.invoke['runs:get']!({ id: 'a' })).toEqual({ ok: true, value: 'runs:get' });
    expect(invoked).toEqual([['runs:get', { id: 'a' }]]);

    const got: unknown[] = [];
    const off = api.on('run:status', (p) => got.push(p));
    const [l] = [...listeners.get('run:status')!];
    l!({ sender: 'the IpcRendererEvent must not reach the page' }, { id: 'x' });
    expect(got).toEqual([{ id: 'x' }]);
    off();
    expect(listeners.get('run:status')!.size).toBe(0);
    expect(() => api.on('ELECTRON_BROWSER_WINDOW_ALERT', () => {})).toThrow(/unknown event/);
    expect(EVENT_CHANNELS.length).toBeGreaterThan(0);
  });
});
