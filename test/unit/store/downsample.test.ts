import { describe, expect, it } from 'vitest';
import { downsampleChunks } from '../../../core/store/downsample.js';
import { MetricReader, MetricWriter } from '../../../core/store/index.js';
import { tempDir } from './temp.js';

function series(n: number, value: (i: number) => number, step = (i: number) => i): Float64Array {
  const out = new Float64Array(n * 3);
  for (let i = 0; i < n; i++) {
    out[i * 3] = step(i);
    out[i * 3 + 1] = 1000 + i;
    out[i * 3 + 2] = value(i);
  }
  return out;
}

describe('downsample', () => {
  it('keeps every spike and dip in the bucket min/max, with at most maxPoints points', () => {
    const n = 100_000;
    const spikeAt = 61_234;
    const dipAt = 7;
    const data = series(n, (i) => (i === spikeAt ? 1e6 : i === dipAt ? -1e6 : Math.sin(i / 100)));
    // Split in two chunks like a column file plus a jsonl tail.
    const { points, total } = downsampleChunks([data.subarray(0, 50_000 * 3), data.subarray(50_000 * 3)], 200);
    expect(total).toBe(n);
    expect(points.length).toBeLessThanOrEqual(200);
    expect(points.length).toBeGreaterThan(190);
    expect(Math.max(...points.map((p) => p.max))).toBe(1e6);
    expect(Math.min(...points.map((p) => p.min))).toBe(-1e6);
    expect(points.reduce((s, p) => s + p.count, 0)).toBe(n);
    // The spike's bucket is the one whose step range holds it, and its mean is pulled up but not to 1e6.
    const spiky = points.find((p) => p.max === 1e6)!;
    expect(Math.abs(spiky.step - spikeAt)).toBeLessThan(n / 200);
    expect(spiky.value).toBeLessThan(1e6);
    for (let i = 1; i < points.length; i++) expect(points[i].step).toBeGreaterThan(points[i - 1].step);
  });

  it('returns raw points when there are no more than maxPoints', () => {
    const data = series(5, (i) => i * i);
    const { points } = downsampleChunks([data], 5);
    expect(points).toEqual([0, 1, 2, 3, 4].map((i) => ({ step: i, wallTime: 1000 + i, value: i * i, min: i * i, max: i * i, count: 1 })));
  });

  it('restricts to a step window before bucketing', () => {
    const data = series(1000, (i) => i);
    const { points, total } = downsampleChunks([data], 10, 100, 199);
    expect(total).toBe(100);
    expect(points).toHaveLength(10);
    expect(points[0]).toMatchObject({ min: 100, max: 109, count: 10, value: 104.5, step: 104.5 });
    expect(points.at(-1)).toMatchObject({ min: 190, max: 199 });
  });

  it('puts points logged at one step into one bucket', () => {
    const data = series(10, (i) => i, () => 64);
    const { points } = downsampleChunks([data], 3);
    expect(points).toEqual([{ step: 64, wallTime: 1004.5, value: 4.5, min: 0, max: 9, count: 10 }]);
  });

  it('rejects a bad maxPoints or step window', () => {
    expect(() => downsampleChunks([], 0)).toThrow(/maxPoints must be an integer >= 1, got 0/);
    expect(() => downsampleChunks([], 2.5)).toThrow(/maxPoints/);
    expect(() => downsampleChunks([], 10, 5, 1)).toThrow(/from <= to/);
  });

  it('downsamples several keys of a stream through the reader', async () => {
    const dir = tempDir();
    const w = new MetricWriter(dir, { chunkBytes: 8192 });
    for (let i = 0; i < 5000; i++) {
      w.append(i * 4, { 'rollout/episodeReturn': i === 4321 ? 500 : i % 50, ...(i % 10 === 0 ? { 'train/approxKl': i / 1e5 } : {}) });
      if (i === 2500) await w.flush(); // part of it in the sidecar, part in the jsonl tail
    }
    await w.flush();
    w.append(5000 * 4, { 'rollout/episodeReturn': -3 });
    await w.close();
    const out = await new MetricReader(dir).downsample(['rollout/episodeReturn', 'train/approxKl', 'unknown'], 100);
    expect(out['rollout/episodeReturn']).toMatchObject({ totalPoints: 5001, downsampled: true });
    expect(out['rollout/episodeReturn'].points.length).toBeLessThanOrEqual(100);
    expect(Math.max(...out['rollout/episodeReturn'].points.map((p) => p.max))).toBe(500);
    expect(Math.min(...out['rollout/episodeReturn'].points.map((p) => p.min))).toBe(-3);
    expect(out['train/approxKl']).toMatchObject({ totalPoints: 500, downsampled: true });
    expect(out.unknown).toEqual({ key: 'unknown', points: [], totalPoints: 0, downsampled: false });
    const window = await new MetricReader(dir).downsample(['rollout/episodeReturn'], 100, { from: 0, to: 396 });
    expect(window['rollout/episodeReturn']).toMatchObject({ totalPoints: 100, downsampled: false });
  });
});
