import { describe, expect, it } from 'vitest';
import { buildLines, rawValueAt, SeriesCache, type CompareSeries } from '../../../renderer/src/compare/chart-model.js';

function series(runId: string, n: number, f: (i: number) => number): CompareSeries {
  return {
    runId,
    name: `run ${runId}`,
    steps: Array.from({ length: n }, (_, i) => i * 10),
    values: Array.from({ length: n }, (_, i) => f(i)),
    times: Array.from({ length: n }, (_, i) => 1_000 + i * 500),
  };
}

describe('SeriesCache', () => {
  it('smooths on the full series and recomputes only what changed', () => {
    const cache = new SeriesCache();
    const a = series('a', 1000, (i) => (i % 2 === 0 ? 1 : -1));
    const b = series('b', 10, (i) => i);
    const [pa, pb] = cache.prepare([a, b], { kind: 'ema', weight: 0.9 }, 'step');
    expect(Math.abs(pa.smooth[999])).toBeLessThan(0.1); // alternating ±1 smooths towards 0
    const b2 = { ...b, values: [...Array.from(b.values), 10], steps: [...Array.from(b.steps), 100], times: [...Array.from(b.times!), 6_000] };
    const [pa2, pb2] = cache.prepare([a, b2], { kind: 'ema', weight: 0.9 }, 'step');
    expect(pa2).toBe(pa);
    expect(pb2).not.toBe(pb);
    expect(pb2.xs.length).toBe(11);
    // A smoothing change re-smooths but reuses the x transform and the value copy.
    const [pa4] = cache.prepare([a], { kind: 'running', window: 5 }, 'step');
    expect(pa4.xs).toBe(pa.xs);
    expect(pa4.raw).toBe(pa.raw);
    expect(pa4.smooth).not.toBe(pa.smooth);
    const [pa3] = cache.prepare([a], { kind: 'ema', weight: 0.5 }, 'relative');
    expect(pa3).not.toBe(pa);
    expect(pa3.raw).toBe(pa.raw);
    expect(pa3.xs[2]).toBe(1);
  });
});

describe('buildLines', () => {
  const cache = new SeriesCache();
  const runs = [series('a', 5000, (i) => Math.sin(i / 50) + (i === 2500 ? 40 : 0)), series('b', 5000, (i) => i / 5000)];

  it('draws raw behind smoothed only while smoothing, each within the pixel budget', () => {
    const prepared = cache.prepare(runs, { kind: 'ema', weight: 0.6 }, 'step');
    const lines = buildLines(prepared, { maxPoints: 300, range: null, smoothing: { kind: 'ema', weight: 0.6 } });
    expect(lines.map((l) => `${l.role}:${l.id}`)).toEqual(['raw:a', 'raw:b', 'smooth:a', 'smooth:b']);
    for (const l of lines) expect(l.points.length).toBeLessThanOrEqual(300);
    expect(Math.max(...lines[0].points.map((p) => p.y))).toBe(Math.sin(50) + 40); // spike kept in the raw line
    const plain = buildLines(cache.prepare(runs, { kind: 'none' }, 'step'), { maxPoints: 300, range: null, smoothing: { kind: 'none' } });
    expect(plain.map((l) => l.role)).toEqual(['smooth', 'smooth']);
  });

  it('cuts to the visible range', () => {
    const prepared = cache.prepare(runs, { kind: 'none' }, 'step');
    const [a] = buildLines(prepared, { maxPoints: 100, range: { min: 1000, max: 2000 }, smoothing: { kind: 'none' } });
    expect(a.points[0].x).toBe(990);
    expect(a.points[a.points.length - 1].x).toBe(2010);
  });

  it('draws groups as band-lower, band-upper, members on demand, then mean', () => {
    const prepared = cache.prepare(
      [series('a', 11, () => 0), series('b', 11, () => 2), series('c', 11, (i) => i)],
      { kind: 'none' },
      'step',
    );
    const lines = buildLines(prepared, {
      maxPoints: 11,
      range: null,
      smoothing: { kind: 'none' },
      groups: [{ key: 'g1', label: 'algo=ppo', runIds: ['a', 'b'] }],
      band: 'minmax',
      showMembers: true,
    });
    expect(lines.map((l) => `${l.role}:${l.id}`)).toEqual(['band-lower:g1', 'band-upper:g1', 'member:a', 'member:b', 'mean:g1', 'smooth:c']);
    const mean = lines.find((l) => l.role === 'mean')!;
    expect(mean.points).toHaveLength(11);
    expect(mean.points.every((p) => p.y === 1)).toBe(true);
    expect(lines[0].points.every((p) => p.y === 0)).toBe(true);
    expect(lines[1].points.every((p) => p.y === 2)).toBe(true);
    expect(mean.label).toBe('algo=ppo (n=2)');
  });

  it('finds the raw value nearest an x for tooltips', () => {
    const [p] = cache.prepare([series('r', 5, (i) => i * i)], { kind: 'ema', weight: 0.5 }, 'step');
    expect(rawValueAt(p, 20)).toBe(4);
    expect(rawValueAt(p, 26)).toBe(9);
    expect(rawValueAt(p, 1e9)).toBe(16);
  });
});
