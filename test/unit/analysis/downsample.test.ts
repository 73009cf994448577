import { describe, expect, it } from 'vitest';
import { downsampleMinMax, lowerBound, upperBound, visibleSpan } from '../../../renderer/src/analysis/downsample.js';

/** Deterministic noise (LCG) so the test needs no RNG dependency. */
function noise(n: number, seed = 1): Float64Array {
  const out = new Float64Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 32 - 0.5;
  }
  return out;
}

describe('downsampleMinMax', () => {
  const n = 100_000;
  const xs = Float64Array.from({ length: n }, (_, i) => i * 2);
  const ys = noise(n);
  const spikes = [137, 5_001, 77_777, 99_998];
  ys[spikes[0]] = 50;
  ys[spikes[1]] = -80;
  ys[spikes[2]] = 1e6;
  ys[spikes[3]] = -1e6;

  it('never returns more than maxPoints, in x order, first and last kept', () => {
    for (const maxPoints of [2, 3, 4, 5, 100, 801, 1920]) {
      const d = downsampleMinMax(xs, ys, maxPoints);
      expect(d.xs.length).toBeLessThanOrEqual(maxPoints);
      expect(d.indices[0]).toBe(0);
      expect(d.indices[d.indices.length - 1]).toBe(n - 1);
      for (let i = 1; i < d.indices.length; i++) expect(d.indices[i]).toBeGreaterThan(d.indices[i - 1]);
    }
  });

  it('keeps every spike and the min and max of every bucket', () => {
    const maxPoints = 400;
    const d = downsampleMinMax(xs, ys, maxPoints);
    const kept = new Set(d.indices);
    for (const s of spikes) expect(kept.has(s)).toBe(true);
    // Recompute bucket extremes independently: 199 equal-width buckets, bucket b = [x0 + b·w/B, x0 + (b+1)·w/B).
    const buckets = Math.floor((maxPoints - 2) / 2);
    const width = xs[n - 1] - xs[0];
    const mins = new Map<number, number>();
    const maxs = new Map<number, number>();
    for (let i = 1; i < n - 1; i++) {
      let b = 0;
      while (b < buckets - 1 && xs[i] >= xs[0] + (width * (b + 1)) / buckets) b++;
      if (!mins.has(b) || ys[i] < ys[mins.get(b)!]) mins.set(b, i);
      if (!maxs.has(b) || ys[i] > ys[maxs.get(b)!]) maxs.set(b, i);
    }
    for (const i of [...mins.values(), ...maxs.values()]) expect(kept.has(i)).toBe(true);
    for (let j = 0; j < d.xs.length; j++) expect(d.ys[j]).toBe(ys[d.indices[j]]);
  });

  it('returns short series untouched', () => {
    const d = downsampleMinMax([1, 2, 3], [4, 5, 6], 10);
    expect(Array.from(d.xs)).toEqual([1, 2, 3]);
    expect(Array.from(d.ys)).toEqual([4, 5, 6]);
  });

  it('restricts to a visible range plus one neighbour each side, with the bound kept', () => {
    const d = downsampleMinMax(xs, ys, 100, { min: 10_000, max: 20_000 });
    expect(d.xs[0]).toBe(9_998);
    expect(d.xs[d.xs.length - 1]).toBe(20_002);
    expect(d.xs.length).toBeLessThanOrEqual(100);
    const spikeInRange = downsampleMinMax(xs, ys, 50, { min: 9_000, max: 11_000 });
    expect(Array.from(spikeInRange.indices)).toContain(spikes[1]);
  });

  it('drops non-finite values and handles unsorted or degenerate x within the bound', () => {
    const d = downsampleMinMax([0, 1, 2, 3], [Number.NaN, 1, Infinity, 2], 10);
    expect(Array.from(d.indices)).toEqual([1, 3]);
    const same = downsampleMinMax(new Float64Array(1000).fill(5), noise(1000, 3), 20);
    expect(same.xs.length).toBeLessThanOrEqual(20);
    const unsorted = downsampleMinMax(noise(5000, 9), noise(5000, 4), 30);
    expect(unsorted.xs.length).toBeLessThanOrEqual(30);
    expect(downsampleMinMax([], [], 10).xs.length).toBe(0);
  });

  it('validates its arguments', () => {
    expect(() => downsampleMinMax([1], [1, 2], 10)).toThrow('downsample: xs has 1 points, ys has 2');
    expect(() => downsampleMinMax([1], [1], 1)).toThrow('downsample: maxPoints must be an integer ≥ 2, got 1');
  });
});

describe('binary searches', () => {
  it('find bounds and the visible span', () => {
    const xs = [0, 10, 10, 20, 30];
    expect(lowerBound(xs, 10)).toBe(1);
    expect(upperBound(xs, 10)).toBe(3);
    expect(visibleSpan(xs, { min: 12, max: 25 })).toEqual([2, 4]);
    expect(visibleSpan(xs, null)).toEqual([0, 4]);
  });
});
