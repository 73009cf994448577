import { describe, expect, it } from 'vitest';
import {
  aggregateGroup,
  groupRuns,
  interpolateOnGrid,
  linearGrid,
  membersRange,
  tCritical95,
} from '../../../renderer/src/analysis/grouping.js';

const a = { xs: [0, 10], ys: [0, 10] };
const b = { xs: [0, 10], ys: [2, 2] };
const c = { xs: [0, 5], ys: [4, 4] };
const grid = [0, 5, 10];

describe('aggregateGroup on a common grid (linear interpolation, no extrapolation)', () => {
  it('mean ± sample std', () => {
    const g = aggregateGroup([a, b, c], grid, 'std');
    expect(Array.from(g.count)).toEqual([3, 3, 2]);
    expect(g.mean[0]).toBeCloseTo(2, 12);
    expect(g.upper[0] - g.mean[0]).toBeCloseTo(2, 12); // sqrt((4 + 0 + 4) / 2)
    expect(g.mean[1]).toBeCloseTo(11 / 3, 12);
    expect(g.upper[1] - g.mean[1]).toBeCloseTo(Math.sqrt((16 / 9 + 25 / 9 + 1 / 9) / 2), 12);
    expect(g.mean[2]).toBeCloseTo(6, 12); // c stops at x = 5
    expect(g.mean[2] - g.lower[2]).toBeCloseTo(Math.sqrt(32), 12);
  });

  it('min–max', () => {
    const g = aggregateGroup([a, b, c], grid, 'minmax');
    expect(Array.from(g.lower)).toEqual([0, 2, 2]);
    expect(Array.from(g.upper)).toEqual([4, 5, 10]);
  });

  it('95% CI with Student t(n − 1)', () => {
    const g = aggregateGroup([a, b, c], grid, 'ci95');
    expect(g.upper[0] - g.mean[0]).toBeCloseTo((4.3026527 * 2) / Math.sqrt(3), 6);
    expect(g.upper[2] - g.mean[2]).toBeCloseTo((12.7062047 * Math.sqrt(32)) / Math.sqrt(2), 6);
  });

  it('a single member collapses the band; no member leaves a NaN gap', () => {
    for (const band of ['std', 'ci95', 'minmax'] as const) {
      const g = aggregateGroup([c], [0, 5, 10], band);
      expect(g.lower[0]).toBe(4);
      expect(g.upper[0]).toBe(4);
      expect(g.mean[2]).toBeNaN();
      expect(g.count[2]).toBe(0);
    }
  });

  it('interpolates between logged points and skips non-finite ones', () => {
    const v = interpolateOnGrid({ xs: [0, 4, 8, 12], ys: [0, Number.NaN, 8, 0] }, [-1, 0, 2, 8, 10, 12, 13]);
    expect(Array.from(v)).toEqual([Number.NaN, 0, 2, 8, 4, 0, Number.NaN]);
  });
});

describe('grid helpers', () => {
  it('linearGrid and membersRange', () => {
    expect(Array.from(linearGrid(0, 10, 3))).toEqual([0, 5, 10]);
    expect(Array.from(linearGrid(3, 3, 5))).toEqual([3]);
    expect(() => linearGrid(5, 1, 3)).toThrow('grid range must be finite with min ≤ max, got [5, 1]');
    expect(membersRange([a, c, { xs: [-2, 20], ys: [Number.NaN, 1] }])).toEqual({ min: 0, max: 20 });
    expect(membersRange([])).toBeNull();
  });
});

describe('tCritical95', () => {
  it('matches scipy.stats.t.ppf(0.975, df)', () => {
    expect(tCritical95(1)).toBeCloseTo(12.7062047, 6);
    expect(tCritical95(4)).toBeCloseTo(2.7764451, 6);
    expect(tCritical95(30)).toBeCloseTo(2.0422725, 6);
    expect(tCritical95(40)).toBeCloseTo(2.0210754, 6);
    expect(tCritical95(100)).toBeCloseTo(1.9839715, 6);
    expect(tCritical95(1000)).toBeCloseTo(1.9623391, 6);
    expect(() => tCritical95(0)).toThrow(/df ≥ 1, got 0/);
  });
});

describe('groupRuns', () => {
  const runs = [
    { id: 'r1', config: { algo: 'ppo', lr: 3e-4, seed: 1, net: { hidden: [64, 64] } } },
    { id: 'r2', config: { algo: 'ppo', lr: 3e-4, seed: 2, net: { hidden: [64, 64] } } },
    { id: 'r3', config: { algo: 'a2c', lr: 7e-4, seed: 1, net: { hidden: [64, 64] } } },
    { id: 'r4', config: { algo: 'ppo', lr: 1e-3, seed: 1, net: { hidden: [64, 64] } } },
  ];

  it('groups by every key except seed, labelling with the keys that differ', () => {
    const groups = groupRuns(runs, { allExcept: ['seed'] });
    expect(groups.map((g) => g.runIds)).toEqual([['r1', 'r2'], ['r3'], ['r4']]);
    // lr alone tells the three groups apart, so the label says only lr.
    expect(groups.map((g) => g.label)).toEqual(['lr=0.0003', 'lr=0.0007', 'lr=0.001']);
  });

  it('labels with the fewest keys that differ, preferring a key every group has over `—`', () => {
    const mixed = [
      { id: 'a', config: { algo: 'a2c', gamma: 0.99, lr: 7e-4 } },
      { id: 'p', config: { algo: 'ppo', gamma: 0.99, lr: 7e-4, clipCoef: 0.2, adamEps: 1e-5 } },
    ];
    expect(groupRuns(mixed, { allExcept: [] }).map((g) => g.label)).toEqual(['algo=a2c', 'algo=ppo']);
    // Two keys needed: neither alone separates all four groups.
    const grid = [0, 1, 2, 3].map((i) => ({ id: `g${i}`, config: { lr: i % 2, gamma: i >> 1, same: 1 } }));
    expect(groupRuns(grid, { allExcept: [] }).map((g) => g.label)).toEqual(['gamma=0, lr=0', 'gamma=0, lr=1', 'gamma=1, lr=0', 'gamma=1, lr=1']);
  });

  it('groups by chosen keys, including nested paths and missing values', () => {
    expect(groupRuns(runs, { keys: ['algo'] }).map((g) => [g.label, g.runIds])).toEqual([
      ['algo=ppo', ['r1', 'r2', 'r4']],
      ['algo=a2c', ['r3']],
    ]);
    const byNet = groupRuns([...runs, { id: 'r5', config: { algo: 'ppo' } }], { keys: ['net.hidden'] });
    expect(byNet.map((g) => g.label)).toEqual(['net.hidden=[64, 64]', 'net.hidden=—']);
    expect(groupRuns(runs.slice(0, 2), { keys: [] })[0].label).toBe('all runs');
  });
});
