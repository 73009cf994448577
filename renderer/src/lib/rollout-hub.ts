/**
 * Routes rollout:frame / rollout:end events to whoever started that rollout. Events may arrive before the
 * rollout:start response has told the caller its id (both transports keep order, but nothing promises it), and
 * every window sees every rollout, so events for ids nobody has claimed yet are held briefly, then dropped.
 * A rollout belongs to the connection that started it: the server stops it when that connection closes, so when
 * browser mode's socket drops, every routed rollout is ended here (its real end event went to the closed socket).
 */
import type { EventPayloads, RolloutFrame, RolloutStarted } from '../../../core/api/contract.js';
import { api } from './api.js';

export type RolloutEnd = EventPayloads['rollout:end'];

export interface RolloutHandler {
  frames(frames: RolloutFrame[]): void;
  end(end: RolloutEnd): void;
}

/** How long events of an unclaimed rollout are kept, and for how many rollouts at most. */
const HOLD_MS = 15_000;
const HOLD_MAX = 16;

interface Routed {
  handler: RolloutHandler;
  /** Progress so far, for an end the hub has to make up itself. */
  steps: number;
  return: number;
}

interface Held {
  at: number;
  frames: RolloutFrame[];
  end: RolloutEnd | null;
}

class RolloutHub {
  #routed = new Map<string, Routed>();
  #held = new Map<string, Held>();
  #subscribed = false;

  #subscribe(): void {
    if (this.#subscribed) return;
    this.#subscribed = true;
    const a = api();
    a.on('rollout:frame', ({ rolloutId, frames }) => {
      const r = this.#routed.get(rolloutId);
      if (!r) return void this.#hold(rolloutId).frames.push(...frames);
      const last = frames.at(-1);
      if (last) [r.steps, r.return] = [last.step, last.return];
      r.handler.frames(frames);
    });
    a.on('rollout:end', (end) => {
      const r = this.#routed.get(end.rolloutId);
      if (r) {
        this.#routed.delete(end.rolloutId);
        r.handler.end(end);
      } else this.#hold(end.rolloutId).end = end;
    });
    a.onConnection((connected) => {
      if (!connected) this.#connectionLost();
    });
  }

  #connectionLost(): void {
    const routed = [...this.#routed];
    this.#routed.clear();
    this.#held.clear();
    const error = 'the connection to the PolicyLab server was lost, which stops the rollouts it started';
    for (const [rolloutId, r] of routed) r.handler.end({ rolloutId, reason: 'failed', steps: r.steps, return: r.return, error });
  }

  #hold(id: string): Held {
    const now = Date.now();
    for (const [k, v] of this.#held) if (now - v.at > HOLD_MS) this.#held.delete(k);
    let held = this.#held.get(id);
    if (!held) {
      if (this.#held.size >= HOLD_MAX) this.#held.delete(this.#held.keys().next().value!);
      this.#held.set(id, (held = { at: now, frames: [], end: null }));
    }
    return held;
  }

  /** Starts a rollout and routes its events to `handler` (events that came before the response included). */
  async start(request: Parameters<typeof rolloutStart>[0], handler: RolloutHandler): Promise<RolloutStarted> {
    this.#subscribe();
    const started = await rolloutStart(request);
    const held = this.#held.get(started.rolloutId);
    this.#held.delete(started.rolloutId);
    if (held?.frames.length) handler.frames(held.frames);
    if (held?.end) handler.end(held.end);
    else {
      const last = held?.frames.at(-1);
      this.#routed.set(started.rolloutId, { handler, steps: last?.step ?? 0, return: last?.return ?? 0 });
    }
    return started;
  }

  /** Stops routing a rollout's events (the caller is gone); the rollout itself is stopped separately. */
  release(rolloutId: string): void {
    this.#routed.delete(rolloutId);
  }
}

function rolloutStart(request: { id: string; checkpointStep: number; seed: number; deterministic?: boolean; realtime?: boolean; fps?: number; maxSteps?: number }) {
  return api().call('rollout:start', request);
}

export const rolloutHub = new RolloutHub();
