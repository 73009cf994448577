/**
 * Routes rollout:frame / rollout:end events to whoever started that rollout. Events may arrive before the
 * rollout:start response has told the caller its id (both transports keep order, but nothing promises it), and
 * every window sees every rollout, so events for ids nobody has claimed yet are held briefly, then dropped.
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

interface Held {
  at: number;
  frames: RolloutFrame[];
  end: RolloutEnd | null;
}

class RolloutHub {
  #handlers = new Map<string, RolloutHandler>();
  #held = new Map<string, Held>();
  #subscribed = false;

  #subscribe(): void {
    if (this.#subscribed) return;
    this.#subscribed = true;
    const a = api();
    a.on('rollout:frame', ({ rolloutId, frames }) => {
      const h = this.#handlers.get(rolloutId);
      if (h) h.frames(frames);
      else this.#hold(rolloutId).frames.push(...frames);
    });
    a.on('rollout:end', (end) => {
      const h = this.#handlers.get(end.rolloutId);
      if (h) {
        this.#handlers.delete(end.rolloutId);
        h.end(end);
      } else this.#hold(end.rolloutId).end = end;
    });
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
    else this.#handlers.set(started.rolloutId, handler);
    return started;
  }

  /** Stops routing a rollout's events (the caller is gone); the rollout itself is stopped separately. */
  release(rolloutId: string): void {
    this.#handlers.delete(rolloutId);
  }
}

function rolloutStart(request: { id: string; checkpointStep: number; seed: number; deterministic?: boolean; realtime?: boolean; fps?: number; maxSteps?: number }) {
  return api().call('rollout:start', request);
}

export const rolloutHub = new RolloutHub();
