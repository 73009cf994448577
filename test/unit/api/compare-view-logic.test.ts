/**
 * The renderer logic behind the compare and replay views, as pure functions (no DOM): series taken from
 * metrics:query, zoomed ranges spliced in, live records appended, x ranges mapped back to steps, point budgets,
 * run colours and group labels, routes, and live frames turned into a replayable episode.
 */
import { describe, expect, it } from 'vitest';
import type { MetricRecord, MetricSeries, RolloutFrame } from '../../../core/api/contract.js';
import { buildLines, SeriesCache } from '../../../renderer/src/compare/chart-model.js';
import { compareColours, readableGroups } from '../../../renderer/src/lib/compare-look.js';
import { RUN_PALETTE } from '../../../renderer/src/analysis/colours.js';
import {
  appendRecords,
  emptySeries,
  foldLiveRecords,
  fromQuery,
  isFullResolution,
  pointBudget,
  relativeOrigin,
  seriesSummary,
  spliceRange,
  stepRangeFor,
  type RunSeries,
} from '../../../renderer/src/lib/compare-series.js';
import { framesToEpisode } from '../../../renderer/src/lib/rollout-frames.js';
import { parseRoute, routeHref, type Route } from '../../../renderer/src/lib/routes.js';

function query(steps: number[], values: number[], extremes?: [number[], number[]], total = steps.length): MetricSeries {
  return {
    key: 'k',
    steps,
    values,
    mins: extremes?.[0] ?? values,
    maxs: extremes?.[1] ?? values,
    wallTimes: steps.map((s) => 1_700_000_000 + s / 10),
    totalPoints: total,
  };
}

describe('compare series', () => {
  it('takes a metrics:query series: wall times in ms, exact extremes even when bucketed', () => {
    const s = fromQuery(query([10, 20, 30], [1, 5, 2], [[0, 4, 2], [2, 9, 2]], 300));
    expect(s.times).toEqual([1_700_000_001_000, 1_700_000_002_000, 1_700_000_003_000]);
    expect([s.min, s.max]).toEqual([0, 9]);
    expect(isFullResolution(s)).toBe(false);
    expect(seriesSummary(s)).toEqual({ last: 2, lastStep: 30, min: 0, max: 9, count: 300 });
    expect(seriesSummary(emptySeries())).toEqual({ last: null, lastStep: null, min: null, max: null, count: 0 });
  });

  it('splices a zoomed range into the overview, keeping both sides', () => {
    const base = fromQuery(query([0, 100, 200, 300, 400], [0, 1, 2, 3, 4], undefined, 401));
    const zoomed = fromQuery(query([100, 150, 200], [1, 1.5, 2]));
    const s = spliceRange(base, zoomed, 100, 200);
    expect(s.steps).toEqual([0, 100, 150, 200, 300, 400]);
    expect(s.values).toEqual([0, 1, 1.5, 2, 3, 4]);
    expect(s.times).toHaveLength(6);
    expect(s.mins).toHaveLength(6);
    expect(s.totalPoints).toBe(401);
    expect(base.steps).toEqual([0, 100, 200, 300, 400]); // never mutated
  });

  it('appends live records after the last step only, as new arrays', () => {
    const base = fromQuery(query([10, 20], [1, 2]));
    const records: MetricRecord[] = [
      { step: 20, wallTime: 5, values: { k: 99 } },
      { step: 30, wallTime: 6, values: { k: 3, other: 1 } },
      { step: 40, wallTime: 7, values: { other: 2 } },
    ];
    const next = appendRecords(base, records, 'k')!;
    expect(next.steps).toEqual([10, 20, 30]);
    expect(next.values).toEqual([1, 2, 3]);
    expect(next.times.at(-1)).toBe(6_000);
    expect(next.totalPoints).toBe(3);
    expect(next.max).toBe(3);
    expect(base.steps).toEqual([10, 20]);
    expect(appendRecords(next, records, 'k')).toBeNull();
  });

  it('folds live batches into fetched keys only, reporting new keys', () => {
    const data = new Map<string, Map<string, RunSeries>>([['k', new Map([['a', fromQuery(query([1], [1]))]])]]);
    const result = foldLiveRecords(data, [
      { id: 'a', records: [{ step: 2, wallTime: 1, values: { k: 2, fresh: 1 } }] },
      { id: 'b', records: [{ step: 5, wallTime: 1, values: { k: 7 } }] },
    ]);
    expect(result.changed).toEqual(['k']);
    expect(result.mentioned.sort()).toEqual(['fresh', 'k']);
    expect(data.get('k')!.get('a')!.values).toEqual([1, 2]);
    expect(data.get('k')!.get('b')!.steps).toEqual([5]); // a run without a fetched series starts one
    expect(data.has('fresh')).toBe(false);
  });

  it('maps a visible range on any x axis back to the steps to refetch', () => {
    const s = fromQuery(query([0, 100, 200, 300, 400], [0, 1, 2, 3, 4]));
    expect(stepRangeFor(s, 'step', { min: 150, max: 250 })).toEqual({ from: 100, to: 300 });
    // Wall time: step s was logged at 1.7e9 + s / 10 seconds.
    expect(stepRangeFor(s, 'wall', { min: (1_700_000_000 + 10) * 1000, max: (1_700_000_000 + 30) * 1000 })).toEqual({ from: 0, to: 400 });
    expect(stepRangeFor(s, 'relative', { min: 15, max: 25 })).toEqual({ from: 100, to: 300 });
    // Relative to the run's start (5 s before the first point), as the chart draws it.
    expect(stepRangeFor(s, 'relative', { min: 20, max: 30 }, relativeOrigin(s, (1_700_000_000 - 5) * 1000))).toEqual({ from: 100, to: 300 });
    expect(relativeOrigin(s, (1_700_000_000 + 1) * 1000)).toBeUndefined(); // a start after the first point is not one
    expect(relativeOrigin(s, undefined)).toBeUndefined();
    expect(stepRangeFor(emptySeries(), 'step', { min: 0, max: 1 })).toBeNull();
  });

  it('asks for about one point per pixel with many runs and whole typical runs with few', () => {
    expect(pointBudget(20)).toBe(500);
    expect(pointBudget(40)).toBe(500);
    expect(pointBudget(5)).toBe(2000);
    expect(pointBudget(1)).toBe(4000);
    expect(pointBudget(3)).toBe(2000); // 3,333 rounds down to a size the store precomputes
    expect(pointBudget(7)).toBe(1000);
    expect(pointBudget(10)).toBe(1000);
    expect(pointBudget(11)).toBe(500);
  });
});

describe('bucketed series in the chart model', () => {
  it('draws the raw line through bucket extremes, so a spike averaged away in the means still shows', () => {
    const steps = Array.from({ length: 100 }, (_, i) => i * 10);
    const values = steps.map(() => 1);
    const highs = values.map((v, i) => (i === 50 ? 100 : v + 0.1));
    const lows = values.map((v) => v - 0.1);
    const [p] = new SeriesCache().prepare([{ runId: 'a', name: 'a', steps, values, lows, highs }], { kind: 'ema', weight: 0.5 }, 'step');
    expect(p!.envelope!.ys.length).toBe(200);
    const lines = buildLines([p!], { maxPoints: 40, range: null, smoothing: { kind: 'ema', weight: 0.5 } });
    const raw = lines.find((l) => l.role === 'raw')!;
    expect(Math.max(...raw.points.map((q) => q.y))).toBe(100);
    expect(raw.points.length).toBeLessThanOrEqual(40);
    const smooth = lines.find((l) => l.role === 'smooth')!;
    expect(Math.max(...smooth.points.map((q) => q.y))).toBeCloseTo(1, 10); // smoothing works on the means
  });
});

describe('compare look', () => {
  const runs = [
    { id: 'b', createdAt: '2026-01-02T00:00:00Z', algo: 'ppo', env: 'CartPole-v1' },
    { id: 'a', createdAt: '2026-01-01T00:00:00Z', algo: 'ppo', env: 'CartPole-v1' },
    { id: 'c', createdAt: '2026-01-03T00:00:00Z', algo: 'a2c', env: 'CartPole-v1' },
  ];

  it('gives runs distinct colours by creation order, the same whatever the list order', () => {
    const colours = compareColours(runs);
    expect(new Set(colours.values()).size).toBe(3);
    expect(compareColours([...runs].reverse())).toEqual(colours);
    const withGroup = compareColours(runs, [{ key: 'g', label: 'g', runIds: ['a', 'b'] }]);
    expect(withGroup.get('a')).toBe(colours.get('a'));
    expect(withGroup.get('group:g')).toBeDefined();
    expect([...withGroup.values()]).not.toContain(undefined);
  });

  it('gives groups the most distinct colours of their own, however many runs come before them', () => {
    const many = Array.from({ length: 9 }, (_, i) => ({ id: `r${i}`, createdAt: `2026-01-0${i + 1}T00:00:00Z`, algo: 'ppo', env: 'CartPole-v1' }));
    const groups = [
      { key: 'x', label: 'lr=1e-3', runIds: ['r0', 'r1', 'r2', 'r3'] },
      { key: 'y', label: 'lr=3e-4', runIds: ['r4', 'r5', 'r6', 'r7', 'r8'] },
    ];
    const colours = compareColours(many, groups);
    // the first two palette slots (blue, vermillion), not slots 9 and 10
    expect(colours.get('group:x')).toBe(RUN_PALETTE[0]);
    expect(colours.get('group:y')).toBe(RUN_PALETTE[1]);
    expect(colours.get('r8')).toBe(RUN_PALETTE[8]);
  });

  it('names a single all-config group by algorithm and env, and cuts long labels', () => {
    const one = readableGroups([{ key: 'x', label: 'a=1, b=2, c=3, d=4', runIds: ['a', 'b'] }], runs)!;
    expect(one[0]!.label).toBe('ppo on CartPole-v1');
    const two = readableGroups(
      [
        { key: 'x', label: `lr=${'9'.repeat(80)}`, runIds: ['a'] },
        { key: 'y', label: 'algo=a2c', runIds: ['c'] },
      ],
      runs,
    )!;
    expect(two[0]!.label).toHaveLength(60);
    expect(two[0]!.label.endsWith('…')).toBe(true);
    expect(two[1]!.label).toBe('algo=a2c');
    expect(readableGroups(null, runs)).toBeNull();
  });
});

describe('routes', () => {
  it('round-trips every route, and keeps a compare selection in the URL', () => {
    const routes: Route[] = [
      { name: 'runs' },
      { name: 'launch', from: null },
      { name: 'launch', from: 'r1' },
      { name: 'run', id: 'r 1', tab: 'overview' },
      { name: 'run', id: 'r1', tab: 'replay' },
      { name: 'compare', ids: ['a', 'b-c', 'd_e'] },
    ];
    for (const route of routes) expect(parseRoute(routeHref(route))).toEqual(route);
    expect(routeHref({ name: 'compare', ids: ['a', 'b'] })).toBe('#/compare/a,b');
    expect(parseRoute('#/compare/a,,a,b')).toEqual({ name: 'compare', ids: ['a', 'b'] });
    expect(parseRoute('#/compare')).toEqual({ name: 'compare', ids: [] });
    expect(parseRoute('#/run/%E0%A4%A')).toEqual({ name: 'runs' });
    expect(parseRoute('#/nowhere')).toEqual({ name: 'runs' });
  });
});

describe('live frames', () => {
  it('become a replayable episode: states after reset and each step, the actions and rewards between', () => {
    const frames: RolloutFrame[] = [
      { step: 0, state: [0, 0], action: null, reward: null, return: 0, done: false },
      { step: 1, state: [1, 0], action: 1, reward: 1, return: 1, done: false },
      { step: 2, state: [2, 0], action: 0, reward: 1, return: 2, done: true },
    ];
    expect(framesToEpisode('CartPole-v1', 3, frames)).toEqual({
      envId: 'CartPole-v1',
      seed: 3,
      states: [[0, 0], [1, 0], [2, 0]],
      actions: [1, 0],
      rewards: [1, 1],
      return: 2,
    });
  });
});
