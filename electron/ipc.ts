/**
 * The one gate every IPC request passes through: the sender must be the main frame of our own app page
 * (`app://policylab/…`), the channel must be in the contract, and the payload must pass its schema
 * (the back end's invoke validates and maps every thrown error to `{ok:false, error}`).
 * Events from the back end are forwarded to the window's web contents. A window's page is the client: when it
 * navigates away, reloads, crashes or is destroyed, what it started for itself (live rollouts) is stopped.
 */
import type { IpcMain, IpcMainInvokeEvent, WebContents } from 'electron';
import { EVENT_CHANNELS, INVOKE_CHANNELS, type ApiBackend, type InvokeContext, type Result } from '../core/api/contract.js';

export const APP_SCHEME = 'app';
export const APP_HOST = 'policylab';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;

/** The web contents events that end a page's life as a client (a subset of Electron's WebContents). */
export interface ClientContents {
  on(event: 'did-start-navigation', listener: (details: { isMainFrame: boolean; isSameDocument: boolean }) => void): unknown;
  on(event: 'render-process-gone' | 'destroyed', listener: () => void): unknown;
}

/** The parts of an IpcMainInvokeEvent the gate looks at (so tests can pass a fake). */
export interface GateEvent {
  senderFrame: { url: string; parent: unknown } | null;
  /** The sending page's web contents; without it the request belongs to no client. */
  sender?: ClientContents;
}

/**
 * One AbortSignal per page a web contents shows, aborted when that page goes: a main-frame navigation to another
 * document (reload included; not in-page hash/history changes), a renderer crash, or the contents' destruction.
 */
export function clientSignals(): (contents: ClientContents) => AbortSignal {
  const watched = new WeakSet<ClientContents>();
  const current = new WeakMap<ClientContents, AbortController>();
  const pageGone = (contents: ClientContents) => {
    current.get(contents)?.abort();
    current.delete(contents);
  };
  return (contents) => {
    if (!watched.has(contents)) {
      watched.add(contents);
      contents.on('did-start-navigation', (details) => {
        if (details.isMainFrame && !details.isSameDocument) pageGone(contents);
      });
      contents.on('render-process-gone', () => pageGone(contents));
      contents.on('destroyed', () => pageGone(contents));
    }
    let client = current.get(contents);
    if (!client) current.set(contents, (client = new AbortController()));
    return client.signal;
  };
}

export function isAppUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === `${APP_SCHEME}:` && u.host === APP_HOST;
  } catch {
    return false;
  }
}

function forbidden(message: string): Result<never> {
  return { ok: false, error: { code: 'forbidden', message } };
}

export function createIpcGate(backend: ApiBackend, isTrustedUrl: (url: string) => boolean = isAppUrl) {
  const clientGone = clientSignals();
  return async function gate(event: GateEvent, channel: unknown, payload: unknown): Promise<Result<unknown>> {
    const frame = event.senderFrame;
    if (!frame) return forbidden('the sending frame is gone (navigated or destroyed)');
    if (frame.parent !== null) return forbidden('only the top-level app frame may call the API');
    if (!isTrustedUrl(frame.url)) {
      let origin = 'unknown origin';
      try {
        origin = new URL(frame.url).origin;
      } catch {
        /* keep 'unknown origin' */
      }
      return forbidden(`sender ${origin} is not the PolicyLab app`);
    }
    const context: InvokeContext | undefined = event.sender ? { clientGone: clientGone(event.sender) } : undefined;
    return backend.invoke(channel, payload, context);
  };
}

/** Registers one ipcMain handler per contract channel; returns a function removing them. */
export function registerIpc(ipcMain: IpcMain, backend: ApiBackend, isTrustedUrl: (url: string) => boolean = isAppUrl): () => void {
  const gate = createIpcGate(backend, isTrustedUrl);
  for (const channel of INVOKE_CHANNELS) {
    ipcMain.handle(channel, (event: IpcMainInvokeEvent, payload: unknown) => gate(event, channel, payload));
  }
  return () => {
    for (const channel of INVOKE_CHANNELS) ipcMain.removeHandler(channel);
  };
}

/** Sends every back-end event to one window's page while it lives; returns the unsubscribe. */
export function forwardEvents(backend: ApiBackend, contents: WebContents): () => void {
  const allowed = new Set<string>(EVENT_CHANNELS);
  const unsubscribe = backend.subscribe((e) => {
    if (!contents.isDestroyed() && allowed.has(e.event)) contents.send(e.event, e.payload);
  });
  contents.once('destroyed', unsubscribe);
  return unsubscribe;
}
