/** Filmstrip: which evaluation steps get a thumbnail, which frame stands for an episode, the Replay-tab hand-over. */
import { describe, expect, it } from 'vitest';
import { pickFilmstripSteps, representativeFrame, requestReplay, takeReplayRequest } from '../../../renderer/src/replay/filmstrip.js';

describe('pickFilmstripSteps', () => {
  it('keeps every step when they fit', () => {
    expect(pickFilmstripSteps([0, 500, 1000], 5)).toEqual([0, 500, 1000]);
  });
  it('spaces a long run evenly, first and last kept, no duplicates', () => {
    const steps = Array.from({ length: 101 }, (_, i) => i * 10);
    const picked = pickFilmstripSteps(steps, 5);
    expect(picked).toEqual([0, 250, 500, 750, 1000]);
    const many = pickFilmstripSteps(steps, 48);
    expect(many).toHaveLength(48);
    expect(new Set(many).size).toBe(48);
    expect([many[0], many.at(-1)]).toEqual([0, 1000]);
    expect(pickFilmstripSteps(steps, 1)).toEqual([1000]);
  });
  it('refuses a size below 1', () => {
    expect(() => pickFilmstripSteps([1, 2], 0)).toThrow(/filmstrip size/);
  });
});

describe('representativeFrame', () => {
  it('is the middle state', () => {
    expect(representativeFrame(1)).toBe(0);
    expect(representativeFrame(11)).toBe(5);
    expect(representativeFrame(10)).toBe(4);
    expect(() => representativeFrame(0)).toThrow(/at least one state/);
  });
});

describe('replay requests', () => {
  it('hands the step to that run once', () => {
    requestReplay('run-a', 300);
    expect(takeReplayRequest('run-b')).toBeNull();
    expect(takeReplayRequest('run-a')).toBe(300);
    expect(takeReplayRequest('run-a')).toBeNull();
  });
});

describe('mediaFileName', () => {
  it('names run, step and episode seed, with unsafe characters replaced', async () => {
    const { mediaFileName } = await import('../../../renderer/src/replay/media-name.js');
    expect(mediaFileName('0abc-12', 2000, 101, 'gif')).toBe('0abc-12-step2000-seed101.gif');
    expect(mediaFileName('a/b c', null, 7, 'webm')).toBe('a_b_c-seed7.webm');
  });
});
