/**
 * A live rollout as the UI sees it: starts one through the API, receives its frames in batches, and shows them one
 * by one at the env's pace (frames arrive a few at a time; drawing only the newest would stutter). Once it ends,
 * the whole episode is available for frame-by-frame replay. `collectEpisode` runs one unpaced for side-by-side.
 */
import type { RolloutEndReason, RolloutFrame } from '../../../core/api/contract.js';
import { api, errorText } from '../lib/api.js';
import { rolloutHub } from '../lib/rollout-hub.js';
import { framesToEpisode } from '../lib/rollout-frames.js';
import { animationFrameScheduler, MAX_FRAME_GAP_MS, type FrameScheduler } from '../replay/replay-player.svelte.js';
import type { ReplayEpisode } from '../replay/types.js';

export interface RolloutParams {
  id: string;
  checkpointStep: number;
  seed: number;
  deterministic: boolean;
}

export type LiveStatus = 'idle' | 'starting' | 'running' | 'ended' | 'error';

/** Frames further behind the newest than this many seconds of play are skipped (a hidden tab catching up). */
const MAX_LAG_SECONDS = 2;

export class LiveRollout {
  status = $state<LiveStatus>('idle');
  error = $state<string | null>(null);
  envId = $state<string | null>(null);
  fps = $state(30);
  endReason = $state<RolloutEndReason | null>(null);
  /** Index of the frame on screen, and how many have arrived. */
  shown = $state(0);
  received = $state(0);
  /** The finished episode (after the end), for replay. */
  episode = $state.raw<ReplayEpisode | null>(null);
  params = $state.raw<RolloutParams | null>(null);

  #frames: RolloutFrame[] = [];
  #rolloutId: string | null = null;
  #scheduler: FrameScheduler;
  #handle: number | null = null;
  #lastNow: number | null = null;
  #carry = 0;
  #generation = 0;

  constructor(scheduler: FrameScheduler = animationFrameScheduler) {
    this.#scheduler = scheduler;
  }

  get frame(): RolloutFrame | null {
    void this.received;
    return this.#frames[this.shown] ?? null;
  }

  get active(): boolean {
    return this.status === 'starting' || this.status === 'running';
  }

  async start(params: RolloutParams): Promise<void> {
    await this.stop();
    const generation = ++this.#generation;
    this.#reset();
    this.params = params;
    this.status = 'starting';
    try {
      const started = await rolloutHub.start(
        { ...params, realtime: true },
        {
          frames: (frames) => generation === this.#generation && this.#receive(frames),
          end: (end) => {
            if (generation !== this.#generation) return;
            this.endReason = end.reason;
            this.#rolloutId = null;
            if (end.reason === 'failed') {
              this.status = 'error';
              this.error = end.error ?? 'the rollout failed';
            } else {
              this.status = 'ended';
              if (this.envId) this.episode = framesToEpisode(this.envId, params.seed, this.#frames);
            }
          },
        },
      );
      if (generation !== this.#generation) {
        // Disposed or restarted while this one was loading: nothing shows it any more, so end it.
        rolloutHub.release(started.rolloutId);
        void stopRollout(started.rolloutId);
        return;
      }
      this.envId = started.envId;
      this.fps = started.fps > 0 ? started.fps : 30;
      if (this.status === 'starting') {
        this.status = 'running';
        this.#rolloutId = started.rolloutId;
      } else if (this.status === 'ended' && !this.episode) {
        this.episode = framesToEpisode(started.envId, params.seed, this.#frames);
      }
      this.#schedule();
    } catch (err) {
      if (generation !== this.#generation) return;
      this.status = 'error';
      this.error = errorText(err);
    }
  }

  /** Stops the rollout early (its last frames still arrive and play). */
  async stop(): Promise<void> {
    const id = this.#rolloutId;
    if (!id) return;
    this.#rolloutId = null;
    await stopRollout(id);
  }

  /** The component showing it is gone: stops the rollout, including one still loading (once it has an id). */
  dispose(): void {
    const id = this.#rolloutId;
    this.#generation++;
    if (id) {
      rolloutHub.release(id);
      void this.stop();
    }
    this.#cancel();
  }

  #reset(): void {
    this.#cancel();
    this.#frames = [];
    this.shown = 0;
    this.received = 0;
    this.episode = null;
    this.error = null;
    this.endReason = null;
    this.#lastNow = null;
    this.#carry = 0;
  }

  #receive(frames: RolloutFrame[]): void {
    this.#frames.push(...frames);
    this.received = this.#frames.length;
    this.#schedule();
  }

  #schedule(): void {
    if (this.#handle === null) this.#handle = this.#scheduler.request(this.#tick);
  }

  #cancel(): void {
    if (this.#handle !== null) this.#scheduler.cancel(this.#handle);
    this.#handle = null;
  }

  #tick = (now: number): void => {
    this.#handle = null;
    const last = this.#frames.length - 1;
    if (this.#lastNow !== null && last > this.shown) {
      this.#carry += (Math.min(MAX_FRAME_GAP_MS, now - this.#lastNow) / 1000) * this.fps;
      const advance = Math.floor(this.#carry);
      this.#carry -= advance;
      this.shown = Math.max(Math.min(last, this.shown + advance), last - Math.ceil(MAX_LAG_SECONDS * this.fps));
    }
    this.#lastNow = now;
    if (this.shown < last || this.active) this.#schedule();
  };
}

async function stopRollout(rolloutId: string): Promise<void> {
  try {
    await api().call('rollout:stop', { rolloutId });
  } catch {
    /* already over */
  }
}

/**
 * Runs one rollout unpaced and resolves with its whole episode (for side-by-side replays). `signal` cancels it:
 * the rollout is stopped (at once, or as soon as its id arrives) and the promise rejects.
 */
export function collectEpisode(params: RolloutParams, signal?: AbortSignal): Promise<ReplayEpisode> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new Error('the rollout was cancelled'));
    const frames: RolloutFrame[] = [];
    let envId: string | null = null;
    let rolloutId: string | null = null;
    let ended: { ok: boolean; error: string | null } | null = null;
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', cancel);
      fn();
    };
    const cancel = () => {
      if (rolloutId && !ended) void stopRollout(rolloutId);
      settle(() => reject(new Error('the rollout was cancelled')));
    };
    signal?.addEventListener('abort', cancel, { once: true });
    const finish = () => {
      if (!ended || !envId) return;
      const { ok, error } = ended;
      settle(() => (ok ? resolve(framesToEpisode(envId!, params.seed, frames)) : reject(new Error(error ?? 'the rollout failed'))));
    };
    rolloutHub
      .start(
        { ...params, realtime: false },
        {
          frames: (f) => frames.push(...f),
          end: (end) => {
            ended = { ok: end.reason !== 'failed' && end.reason !== 'stopped', error: end.error ?? (end.reason === 'stopped' ? 'the rollout was stopped' : null) };
            finish();
          },
        },
      )
      .then(
        (started) => {
          envId = started.envId;
          rolloutId = started.rolloutId;
          if (settled && !ended) void stopRollout(started.rolloutId); // cancelled while it was loading
          finish();
        },
        (err: unknown) => settle(() => reject(err instanceof Error ? err : new Error(String(err)))),
      );
  });
}
