/**
 * The two ways the renderer reaches the back end, behind one interface:
 * Electron's preload bridge (`window.policylab`) or browser mode's WebSocket (token from the page URL).
 * No view knows which one it has.
 */
import type { ApiError, EventChannel, InvokeChannel, Result } from '../../../core/api/contract.js';

export interface Transport {
  readonly kind: 'electron' | 'browser';
  invoke(channel: InvokeChannel, payload: unknown): Promise<Result<unknown>>;
  on(event: EventChannel, listener: (payload: unknown) => void): () => void;
  /** Connection state changes (always connected for Electron). */
  onConnection(listener: (connected: boolean) => void): () => void;
}

/** The object electron/preload.ts exposes. */
interface ElectronBridge {
  transport: 'electron';
  invoke: Record<InvokeChannel, (payload?: unknown) => Promise<Result<unknown>>>;
  on(event: EventChannel, listener: (payload: unknown) => void): () => void;
}

declare global {
  interface Window {
    policylab?: ElectronBridge;
  }
}

export function electronTransport(bridge: ElectronBridge): Transport {
  return {
    kind: 'electron',
    invoke: (channel, payload) => bridge.invoke[channel](payload),
    on: (event, listener) => bridge.on(event, listener),
    onConnection: (listener) => {
      listener(true);
      return () => {};
    },
  };
}

type Pending = { resolve: (r: Result<unknown>) => void; channel: string };

/** WebSocket transport with automatic reconnection; requests made while disconnected wait for the socket. */
export function webSocketTransport(url: string): Transport {
  let socket: WebSocket | null = null;
  let connected = false;
  let nextId = 1;
  let retryMs = 250;
  const pending = new Map<number, Pending>();
  const queue: string[] = [];
  const listeners = new Map<string, Set<(payload: unknown) => void>>();
  const connectionListeners = new Set<(connected: boolean) => void>();

  const setConnected = (value: boolean) => {
    connected = value;
    for (const l of connectionListeners) l(value);
  };

  const failAll = (message: string) => {
    const error: ApiError = { code: 'internal', message };
    for (const [id, p] of pending) {
      pending.delete(id);
      p.resolve({ ok: false, error });
    }
  };

  const connect = () => {
    const ws = new WebSocket(url);
    socket = ws;
    ws.onopen = () => {
      retryMs = 250;
      setConnected(true);
      for (const text of queue.splice(0)) ws.send(text);
    };
    ws.onmessage = (e: MessageEvent) => {
      if (typeof e.data !== 'string') return;
      const msg = JSON.parse(e.data) as
        | { type: 'result'; id: number | null; result: Result<unknown> }
        | { type: 'event'; event: string; payload: unknown };
      if (msg.type === 'result') {
        const p = msg.id === null ? undefined : pending.get(msg.id);
        if (p && msg.id !== null) {
          pending.delete(msg.id);
          p.resolve(msg.result);
        }
      } else if (msg.type === 'event') {
        for (const l of listeners.get(msg.event) ?? []) l(msg.payload);
      }
    };
    ws.onclose = (e: CloseEvent) => {
      socket = null;
      if (connected) setConnected(false);
      failAll(`connection to the PolicyLab server closed (${e.code}${e.reason ? `: ${e.reason}` : ''})`);
      setTimeout(connect, retryMs);
      retryMs = Math.min(retryMs * 2, 5_000);
    };
  };
  connect();

  return {
    kind: 'browser',
    invoke(channel, payload) {
      const id = nextId++;
      const text = JSON.stringify({ id, channel, payload });
      return new Promise((resolve) => {
        pending.set(id, { resolve, channel });
        if (socket && connected) socket.send(text);
        else queue.push(text);
      });
    },
    on(event, listener) {
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      set.add(listener);
      return () => set.delete(listener);
    },
    onConnection(listener) {
      connectionListeners.add(listener);
      listener(connected);
      return () => connectionListeners.delete(listener);
    },
  };
}

/** Electron bridge when present, else the WebSocket of the server that served this page. */
export function pickTransport(): Transport {
  if (window.policylab) return electronTransport(window.policylab);
  const token = new URLSearchParams(location.search).get('token') ?? '';
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  return webSocketTransport(`${scheme}://${location.host}/ws?token=${encodeURIComponent(token)}`);
}
