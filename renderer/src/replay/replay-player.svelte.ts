/**
 * Frame clock for replays: play, pause, step, scrub and speed over one or more episodes ("tracks") that
 * share one frame index, so a side-by-side view stays in sync by construction. A track shorter than the
 * longest holds its last frame. Driven by requestAnimationFrame; tests inject a fake scheduler.
 */
import type { ReplayAction, ReplayEpisode } from './types.js';
import { replayFps } from './envs.js';

/** Requests a callback with the current time in ms (requestAnimationFrame's contract). */
export interface FrameScheduler {
  request(callback: (now: number) => void): number;
  cancel(handle: number): void;
}

/** The animation-frame functions, looked up on globalThis so this module also loads where they are absent. */
const frameApi = globalThis as {
  requestAnimationFrame?: (callback: (now: number) => void) => number;
  cancelAnimationFrame?: (handle: number) => void;
};

/** requestAnimationFrame where it exists, else a 16 ms timer (a worker, or Node). */
export const animationFrameScheduler: FrameScheduler = {
  request(callback) {
    if (frameApi.requestAnimationFrame) return frameApi.requestAnimationFrame(callback);
    return setTimeout(() => callback(performance.now()), 16) as unknown as number;
  },
  cancel(handle) {
    if (frameApi.cancelAnimationFrame) frameApi.cancelAnimationFrame(handle);
    else clearTimeout(handle);
  },
};

export const REPLAY_SPEEDS = [0.25, 0.5, 1, 2, 4, 8] as const;
export const MIN_SPEED = 0.25;
export const MAX_SPEED = 8;
/** A frame gap longer than this (a hidden tab, a debugger pause) advances as if only this much passed. */
export const MAX_FRAME_GAP_MS = 250;

export interface ReplayPlayerOptions {
  scheduler?: FrameScheduler;
  /** Frames per second at 1×; defaults to the first episode's Gymnasium render_fps. */
  fps?: number;
  loop?: boolean;
}

/** Checks an episode's arrays agree with each other; throws naming the episode and what is off. */
export function validateEpisode(ep: ReplayEpisode, label = 'episode'): void {
  const name = `${label} (${ep.envId}, seed ${ep.seed})`;
  if (ep.states.length < 1) throw new Error(`${name}: needs at least the initial state, got no states`);
  if (ep.rewards.length !== ep.actions.length) {
    throw new Error(`${name}: ${ep.actions.length} actions but ${ep.rewards.length} rewards`);
  }
  if (ep.states.length !== ep.actions.length + 1) {
    throw new Error(`${name}: states must have actions.length + 1 = ${ep.actions.length + 1} entries, got ${ep.states.length}`);
  }
}

/** Running return per frame: cum[f] = Σ rewards[0 .. f−1] (cum[0] = 0). */
function cumulativeReturns(rewards: readonly number[]): Float64Array {
  const cum = new Float64Array(rewards.length + 1);
  for (let i = 0; i < rewards.length; i++) cum[i + 1] = cum[i] + rewards[i];
  return cum;
}

export class ReplayPlayer {
  #episodes = $state.raw<readonly ReplayEpisode[]>([]);
  #frame = $state(0);
  #playing = $state(false);
  #speed = $state(1);
  #loop = $state(false);
  #fps = $state(30);
  #fixedFps: number | undefined;
  #cumReturns: Float64Array[] = [];
  #scheduler: FrameScheduler;
  #handle: number | null = null;
  #lastNow: number | null = null;
  /** Fractional frames owed to the next tick. */
  #carry = 0;

  constructor(episodes: ReplayEpisode | readonly ReplayEpisode[] = [], options: ReplayPlayerOptions = {}) {
    this.#scheduler = options.scheduler ?? animationFrameScheduler;
    this.#loop = options.loop ?? false;
    if (options.fps !== undefined) {
      if (!(options.fps > 0)) throw new Error(`replay fps must be positive, got ${options.fps}`);
      this.#fixedFps = options.fps;
    }
    this.load(episodes);
  }

  /** Replaces the episodes (one per track), rewinds to frame 0 and pauses. */
  load(episodes: ReplayEpisode | readonly ReplayEpisode[]): void {
    const list = Array.isArray(episodes) ? [...(episodes as readonly ReplayEpisode[])] : [episodes as ReplayEpisode];
    list.forEach((ep, i) => validateEpisode(ep, `episode ${i}`));
    this.pause();
    this.#cumReturns = list.map((ep) => cumulativeReturns(ep.rewards));
    this.#episodes = list;
    this.#fps = this.#fixedFps ?? (list.length > 0 ? replayFps(list[0].envId) : 30);
    this.#frame = 0;
    this.#carry = 0;
  }

  get episodes(): readonly ReplayEpisode[] {
    return this.#episodes;
  }
  get trackCount(): number {
    return this.#episodes.length;
  }
  /** Frames of the longest track (0 with no episodes). */
  get frameCount(): number {
    let n = 0;
    for (const ep of this.#episodes) n = Math.max(n, ep.states.length);
    return n;
  }
  get frame(): number {
    return this.#frame;
  }
  get playing(): boolean {
    return this.#playing;
  }
  get fps(): number {
    return this.#fps;
  }
  get loop(): boolean {
    return this.#loop;
  }
  set loop(value: boolean) {
    this.#loop = value;
  }
  get speed(): number {
    return this.#speed;
  }
  set speed(value: number) {
    if (!(value >= MIN_SPEED && value <= MAX_SPEED)) {
      throw new Error(`replay speed must be in [${MIN_SPEED}, ${MAX_SPEED}], got ${value}`);
    }
    this.#speed = value;
  }
  /** True on the last frame of the longest track. */
  get atEnd(): boolean {
    return this.#frame >= this.frameCount - 1;
  }

  play(): void {
    if (this.#playing || this.frameCount < 2) return;
    if (this.atEnd) this.#frame = 0; // like a video player: play at the end restarts
    this.#playing = true;
    this.#lastNow = null;
    this.#carry = 0;
    this.#schedule();
  }

  pause(): void {
    this.#playing = false;
    if (this.#handle !== null) this.#scheduler.cancel(this.#handle);
    this.#handle = null;
    this.#lastNow = null;
  }

  toggle(): void {
    if (this.#playing) this.pause();
    else this.play();
  }

  /** Moves to `frame` (rounded, clamped to the episode); playback continues from there if playing. */
  seek(frame: number): void {
    if (!Number.isFinite(frame)) throw new Error(`replay frame must be a finite number, got ${frame}`);
    this.#frame = Math.min(Math.max(0, Math.round(frame)), Math.max(0, this.frameCount - 1));
    this.#carry = 0;
  }

  /** One frame forward; pauses first, as frame stepping means looking closely. */
  stepForward(): void {
    this.pause();
    this.seek(this.#frame + 1);
  }

  stepBack(): void {
    this.pause();
    this.seek(this.#frame - 1);
  }

  /** Stops the animation loop; the player stays usable (play() restarts it). */
  dispose(): void {
    this.pause();
  }

  // Per-track read-outs. The track's frame is the shared frame clamped to its own length.
  trackFrame(track = 0): number {
    const ep = this.#track(track);
    return Math.min(this.#frame, ep.states.length - 1);
  }
  state(track = 0): readonly number[] {
    return this.#track(track).states[this.trackFrame(track)];
  }
  /** Σ of the rewards received before reaching this frame. */
  returnSoFar(track = 0): number {
    this.#track(track);
    return this.#cumReturns[track][this.trackFrame(track)];
  }
  /** The action that led to this frame (null on frame 0). */
  lastAction(track = 0): ReplayAction | null {
    const f = this.trackFrame(track);
    return f > 0 ? this.#track(track).actions[f - 1] : null;
  }
  /** The reward for the step that led to this frame (null on frame 0). */
  lastReward(track = 0): number | null {
    const f = this.trackFrame(track);
    return f > 0 ? this.#track(track).rewards[f - 1] : null;
  }
  /** The action the policy takes in this frame's state (null on the final state). */
  nextAction(track = 0): ReplayAction | null {
    const ep = this.#track(track);
    const f = this.trackFrame(track);
    return f < ep.actions.length ? ep.actions[f] : null;
  }
  /** True once this track has shown its final state. */
  ended(track = 0): boolean {
    return this.trackFrame(track) >= this.#track(track).states.length - 1;
  }

  #track(track: number): ReplayEpisode {
    const ep = this.#episodes[track];
    if (ep === undefined) throw new Error(`replay track ${track} does not exist (${this.#episodes.length} loaded)`);
    return ep;
  }

  #schedule(): void {
    this.#handle = this.#scheduler.request(this.#tick);
  }

  #tick = (now: number): void => {
    this.#handle = null;
    if (!this.#playing) return;
    if (this.#lastNow !== null) {
      const dt = Math.min(Math.max(0, now - this.#lastNow), MAX_FRAME_GAP_MS);
      this.#carry += (dt / 1000) * this.#fps * this.#speed;
      // The epsilon keeps float sums such as 10 × 0.1 = 0.9999999999999999 from losing a frame.
      const advance = Math.floor(this.#carry + 1e-9);
      if (advance > 0) {
        this.#carry -= advance;
        const last = this.frameCount - 1;
        const next = this.#frame + advance;
        if (next < last) this.#frame = next;
        else if (this.#loop) this.#frame = next === last ? last : (next - last - 1) % this.frameCount;
        else {
          this.#frame = last;
          this.pause();
          return;
        }
      }
    }
    this.#lastNow = now;
    this.#schedule();
  };
}
