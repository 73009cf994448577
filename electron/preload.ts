/**
 * Runs in the sandboxed preload context and exposes `window.policylab`: one named function per contract channel
 * (each can reach only its own channel) and `on(event, listener)` for events, which drops the IPC event object
 * and returns an unsubscribe. `ipcRenderer` itself is never exposed.
 * Bundled to CommonJS with esbuild (a sandboxed preload cannot load ES modules or local files).
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { EVENT_CHANNELS, INVOKE_CHANNELS, isEventChannel, type InvokeChannel } from '../core/api/contract.js';

const invoke = {} as Record<InvokeChannel, (payload?: unknown) => Promise<unknown>>;
for (const channel of INVOKE_CHANNELS) {
  invoke[channel] = (payload?: unknown) => ipcRenderer.invoke(channel, payload);
}

contextBridge.exposeInMainWorld('policylab', {
  transport: 'electron',
  invoke: Object.freeze(invoke),
  events: [...EVENT_CHANNELS],
  on(event: string, listener: (payload: unknown) => void): () => void {
    if (!isEventChannel(event)) throw new Error(`unknown event "${String(event).slice(0, 80)}"`);
    if (typeof listener !== 'function') throw new Error('listener must be a function');
    const wrapped = (_e: IpcRendererEvent, payload: unknown) => listener(payload);
    ipcRenderer.on(event, wrapped);
    return () => {
      ipcRenderer.removeListener(event, wrapped);
    };
  },
});
