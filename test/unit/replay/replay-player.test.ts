import { beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import type { FrameScheduler, ReplayPlayer as ReplayPlayerClass } from '../../../renderer/src/replay/replay-player.svelte.js';
import type { ReplayEpisode } from '../../../renderer/src/replay/types.js';
import { loadSvelteModule, svelteClientRuntime } from './helpers/svelte-module.js';

type PlayerModule = typeof import('../../../renderer/src/replay/replay-player.svelte.js');
let mod: PlayerModule;

beforeAll(async () => {
  mod = await loadSvelteModule<PlayerModule>(
    fileURLToPath(new URL('../../../renderer/src/replay/replay-player.svelte.ts', import.meta.url)),
  );
});

/** A scheduler whose time only moves when the test says so. */
class FakeScheduler implements FrameScheduler {
  now = 1000;
  #next = 1;
  pending = new Map<number, (now: number) => void>();
  request(callback: (now: number) => void): number {
    const id = this.#next++;
    this.pending.set(id, callback);
    return id;
  }
  cancel(handle: number): void {
    this.pending.delete(handle);
  }
  /** Advances time by `ms` in frames of `frameMs`, running the callbacks due at each frame. */
  advance(ms: number, frameMs = 10): void {
    for (let t = 0; t < ms; t += frameMs) {
      this.now += frameMs;
      const due = [...this.pending.entries()];
      this.pending.clear();
      for (const [, cb] of due) cb(this.now);
    }
  }
}

function episode(steps: number, envId = 'CartPole-v1', reward = (i: number) => i + 1): ReplayEpisode {
  return {
    envId,
    seed: 7,
    states: Array.from({ length: steps + 1 }, (_, i) => [i * 0.01, 0, i * 0.001, 0]),
    actions: Array.from({ length: steps }, (_, i) => i % 2),
    rewards: Array.from({ length: steps }, (_, i) => reward(i)),
    return: Array.from({ length: steps }, (_, i) => reward(i)).reduce((a, b) => a + b, 0),
  };
}

function player(eps: ReplayEpisode | ReplayEpisode[], fps = 10): { p: ReplayPlayerClass; clock: FakeScheduler } {
  const clock = new FakeScheduler();
  return { p: new mod.ReplayPlayer(eps, { scheduler: clock, fps }), clock };
}

describe('ReplayPlayer', () => {
  it('reports return so far, last action and reward per frame', () => {
    const { p } = player(episode(5));
    expect(p.frameCount).toBe(6);
    expect(p.returnSoFar()).toBe(0);
    expect(p.lastAction()).toBeNull();
    expect(p.lastReward()).toBeNull();
    expect(p.nextAction()).toBe(0);
    p.seek(3);
    expect(p.state()).toEqual([0.03, 0, 0.003, 0]);
    expect(p.returnSoFar()).toBe(1 + 2 + 3);
    expect(p.lastAction()).toBe(0); // actions[2]
    expect(p.lastReward()).toBe(3);
    expect(p.nextAction()).toBe(1);
    p.seek(5);
    expect(p.returnSoFar()).toBe(15);
    expect(p.nextAction()).toBeNull();
    expect(p.ended()).toBe(true);
  });

  it('advances fps × speed frames per second of clock time while playing', () => {
    const { p, clock } = player(episode(100), 10);
    p.play();
    expect(p.playing).toBe(true);
    clock.advance(10); // first tick only records the time
    clock.advance(1000);
    expect(p.frame).toBe(10);
    p.speed = 2;
    clock.advance(500);
    expect(p.frame).toBe(20);
    p.speed = 0.25;
    clock.advance(1200);
    expect(p.frame).toBe(23);
  });

  it('pause stops the frames and cancels the pending animation frame', () => {
    const { p, clock } = player(episode(100), 10);
    p.play();
    clock.advance(510);
    const at = p.frame;
    expect(at).toBe(5);
    p.pause();
    expect(clock.pending.size).toBe(0);
    clock.advance(2000);
    expect(p.frame).toBe(at);
    expect(p.playing).toBe(false);
  });

  it('stops on the last frame, and play at the end restarts from 0', () => {
    const { p, clock } = player(episode(4), 10);
    p.play();
    clock.advance(3000);
    expect(p.frame).toBe(4);
    expect(p.playing).toBe(false);
    expect(clock.pending.size).toBe(0);
    p.play();
    expect(p.frame).toBe(0);
    expect(p.playing).toBe(true);
  });

  it('loops when asked to', () => {
    const clock = new FakeScheduler();
    const p = new mod.ReplayPlayer(episode(4), { scheduler: clock, fps: 10, loop: true });
    p.play();
    clock.advance(10);
    clock.advance(700); // 7 frames over 5 frames (0..4): 0→…→4→0→1→2
    expect(p.frame).toBe(2);
    expect(p.playing).toBe(true);
  });

  it('scrubs and steps with clamping; stepping pauses', () => {
    const { p, clock } = player(episode(10));
    p.seek(-5);
    expect(p.frame).toBe(0);
    p.seek(99);
    expect(p.frame).toBe(10);
    p.seek(4.6);
    expect(p.frame).toBe(5);
    p.play();
    p.stepForward();
    expect(p.playing).toBe(false);
    expect(p.frame).toBe(6);
    p.stepBack();
    p.stepBack();
    expect(p.frame).toBe(4);
    expect(clock.pending.size).toBe(0);
    expect(() => p.seek(Number.NaN)).toThrow(/finite/);
  });

  it('a hidden-tab gap advances at most MAX_FRAME_GAP_MS worth of frames', () => {
    const { p, clock } = player(episode(1000), 100);
    p.play();
    clock.advance(10);
    clock.advance(10_000, 10_000);
    expect(p.frame).toBe(Math.floor((mod.MAX_FRAME_GAP_MS / 1000) * 100));
  });

  it('validates speed, fps and episode shapes with messages that name the problem', () => {
    const { p } = player(episode(3));
    expect(() => (p.speed = 16)).toThrow('replay speed must be in [0.25, 8], got 16');
    expect(() => (p.speed = 0.1)).toThrow(/got 0.1/);
    expect(() => new mod.ReplayPlayer(episode(3), { fps: 0 })).toThrow(/fps must be positive/);
    const bad = { ...episode(3), states: episode(3).states.slice(0, 3) };
    expect(() => new mod.ReplayPlayer(bad)).toThrow('episode 0 (CartPole-v1, seed 7): states must have actions.length + 1 = 4 entries, got 3');
    const badRewards = { ...episode(3), rewards: [1] };
    expect(() => new mod.ReplayPlayer(badRewards)).toThrow(/3 actions but 1 rewards/);
    expect(() => p.state(1)).toThrow(/track 1 does not exist/);
  });

  it('uses the env render fps at 1× by default', () => {
    expect(new mod.ReplayPlayer(episode(3, 'CartPole-v1')).fps).toBe(50);
    expect(new mod.ReplayPlayer(episode(3, 'Acrobot-v1')).fps).toBe(15);
    expect(new mod.ReplayPlayer([]).frameCount).toBe(0);
  });

  it('keeps two tracks in sync on one clock; the shorter holds its last frame', () => {
    const { p, clock } = player([episode(3), episode(8, 'CartPole-v1', () => 1)], 10);
    expect(p.trackCount).toBe(2);
    expect(p.frameCount).toBe(9);
    p.play();
    clock.advance(10);
    clock.advance(500);
    expect(p.frame).toBe(5);
    expect(p.trackFrame(0)).toBe(3);
    expect(p.ended(0)).toBe(true);
    expect(p.returnSoFar(0)).toBe(6);
    expect(p.trackFrame(1)).toBe(5);
    expect(p.returnSoFar(1)).toBe(5);
    expect(p.ended(1)).toBe(false);
  });

  it('load() rewinds, pauses and recomputes the running returns', () => {
    const { p, clock } = player(episode(10));
    p.play();
    clock.advance(300);
    p.load(episode(2, 'CartPole-v1', () => 10));
    expect(p.playing).toBe(false);
    expect(p.frame).toBe(0);
    p.seek(2);
    expect(p.returnSoFar()).toBe(20);
  });

  it('is reactive: an effect reading frame re-runs on seek', async () => {
    const $ = await svelteClientRuntime();
    const { p } = player(episode(10));
    const seen: number[] = [];
    const stop = $.effect_root(() => {
      $.user_effect(() => {
        seen.push(p.frame);
      });
    });
    $.flush();
    p.seek(4);
    $.flush();
    p.stepForward();
    $.flush();
    stop();
    expect(seen).toEqual([0, 4, 5]);
  });
});
