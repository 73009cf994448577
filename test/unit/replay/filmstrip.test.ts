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
