/**
 * One browser-mode WebSocket connection: requests `{id, channel, payload}` in, `{type:'result', id, result}` out,
 * and every back-end event pushed as `{type:'event', event, payload}`. Validation happens in the back end's
 * invoke (the same gate the Electron IPC uses); here only the envelope is checked. The connection is the client:
 * when it closes (tab closed or reloaded), what it started for itself (live rollouts) is stopped. Requests are served
 * through the fair scheduler (fair-scheduler.ts): round-robin between connections, with backpressure per connection.
 */
import type { WebSocket } from 'ws';
import type { ApiBackend, Result } from '../api/contract.js';
import { FairScheduler } from './fair-scheduler.js';

/** Wire format shared with renderer/src/lib/transport-ws.ts. */
export interface WsRequest {
  id: number;
  channel: string;
  payload?: unknown;
}
export type WsServerMessage =
  | { type: 'result'; id: number | null; result: Result<unknown> }
  | { type: 'event'; event: string; payload: unknown };

/** One scheduler for every connection of this server process: it decides whose request runs next. */
export const scheduler = new FairScheduler();

function send(ws: WebSocket, message: WsServerMessage): void {
  if (ws.readyState !== ws.OPEN) return;
  ws.send(JSON.stringify(message));
  scheduler.checkOutput(ws);
}

function envelopeError(id: number | null, message: string): WsServerMessage {
  return { type: 'result', id, result: { ok: false, error: { code: 'invalid_request', message } } };
}

export function handleSocket(ws: WebSocket, api: ApiBackend): void {
  const unsubscribe = api.subscribe((e) => send(ws, { type: 'event', event: e.event, payload: e.payload }));
  const client = new AbortController();
  scheduler.add(ws);
  const gone = () => {
    unsubscribe();
    scheduler.remove(ws);
    client.abort();
  };
  ws.on('close', gone);
  ws.on('error', gone);
  ws.on('message', (data, isBinary) => {
    if (isBinary) return send(ws, envelopeError(null, 'binary messages are not accepted'));
    let msg: unknown;
    try {
      msg = JSON.parse(data.toString());
    } catch {
      return send(ws, envelopeError(null, 'message is not valid JSON'));
    }
    if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) {
      return send(ws, envelopeError(null, 'message must be an object {id, channel, payload}'));
    }
    const { id, channel, payload } = msg as Partial<WsRequest>;
    if (typeof id !== 'number' || !Number.isSafeInteger(id)) {
      return send(ws, envelopeError(null, 'message.id must be an integer'));
    }
    scheduler.enqueue(ws, () => api.invoke(channel, payload, { clientGone: client.signal }).then((result) => send(ws, { type: 'result', id, result })));
  });
}
