import { describe, expect, it } from 'vitest';
import { type EpisodeRecordLike, stepsToThreshold, storedEpisodes } from '../../../core/algos/threshold.js';

describe('stepsToThreshold (from stored per-episode records)', () => {
  const eps = [10, 20, 30, 40, 50].map((ret, i) => ({ step: (i + 1) * 100, ret }));
  it('finds the first step whose window mean reaches the threshold', () => {
    expect(stepsToThreshold(eps, 30, 3)).toBe(400); // means: 20 @300, 30 @400
    expect(stepsToThreshold(eps, 45, 2)).toBe(500);
    expect(stepsToThreshold(eps, 10, 1)).toBe(100);
  });
  it('needs a full window and returns null when never reached', () => {
    expect(stepsToThreshold(eps.slice(0, 2), 0, 3)).toBeNull();
    expect(stepsToThreshold(eps, 100, 3)).toBeNull();
    expect(() => stepsToThreshold(eps, 1, 0)).toThrow(/window must be a positive integer/);
  });
  it('reads the episodes from metric records, ignoring per-iteration ones', () => {
    const records: EpisodeRecordLike[] = [
      { step: 64, values: { 'charts/episodicReturn': 12, 'charts/episodicLength': 12 } },
      { step: 128, values: { 'train/policyLoss': 0.1 } },
      { step: 130, values: { 'charts/episodicReturn': 20, 'charts/episodicLength': 20 } },
    ];
    expect(storedEpisodes(records)).toEqual([
      { step: 64, ret: 12 },
      { step: 130, ret: 20 },
    ]);
  });
});
