import { describe, expect, it } from 'vitest';
import { emaSmooth, isSmoothing, runningAverage, smoothSeries } from '../../../renderer/src/analysis/smoothing.js';

const arr = (a: Float64Array) => Array.from(a);

describe('emaSmooth (TensorBoard debiased EMA)', () => {
  it('matches hand-computed values with debias 1 − wⁿ', () => {
    // w = 0.5: last = 0.5, 1.25, 2.125; debias 0.5, 0.75, 0.875
    const out = emaSmooth([1, 2, 3], 0.5);
    expect(out[0]).toBeCloseTo(1, 12);
    expect(out[1]).toBeCloseTo(5 / 3, 12);
    expect(out[2]).toBeCloseTo(17 / 7, 12);
    // w = 0.6: last = 4 → 4/0.4 = 10; last = 2.4 → 2.4/0.64 = 3.75
    expect(arr(emaSmooth([10, 0], 0.6)).map((v) => +v.toFixed(12))).toEqual([10, 3.75]);
  });

  it('starts at the first value (no bias towards 0) and is the identity at weight 0', () => {
    expect(emaSmooth([100, 50, 75], 0.999)[0]).toBeCloseTo(100, 9);
    expect(arr(emaSmooth([3, -1, 4, 1, 5], 0))).toEqual([3, -1, 4, 1, 5]);
  });

  it('passes non-finite values through without advancing the average', () => {
    const out = emaSmooth([1, Number.NaN, 3, Infinity], 0.5);
    expect(out[0]).toBe(1);
    expect(out[1]).toBeNaN();
    // second finite value: last = 0.25 + 1.5 = 1.75, debias 1 − 0.25
    expect(out[2]).toBeCloseTo(1.75 / 0.75, 12);
    expect(out[3]).toBe(Infinity);
  });

  it('returns a constant series unchanged (TensorBoard #786)', () => {
    expect(arr(emaSmooth([0.1, 0.1, 0.1, 0.1], 0.9))).toEqual([0.1, 0.1, 0.1, 0.1]);
    expect(arr(emaSmooth([], 0.9))).toEqual([]);
  });

  it('rejects weights outside [0, 1)', () => {
    expect(() => emaSmooth([1], 1)).toThrow('EMA smoothing weight must be in [0, 1), got 1');
    expect(() => emaSmooth([1], -0.1)).toThrow(/got -0.1/);
    expect(() => emaSmooth([1], Number.NaN)).toThrow(/got NaN/);
  });
});

describe('runningAverage (centred, truncated at the ends)', () => {
  it('window 3 averages one neighbour each side', () => {
    const out = runningAverage([1, 2, 3, 4, 10], 3);
    [1.5, 2, 3, 17 / 3, 7].forEach((v, i) => expect(out[i]).toBeCloseTo(v, 12));
  });

  it('even windows lean one point right; window 1 is the identity', () => {
    const out = runningAverage([1, 2, 3, 4, 10], 4);
    [2, 2.5, 4.75, 17 / 3, 7].forEach((v, i) => expect(out[i]).toBeCloseTo(v, 12));
    expect(arr(runningAverage([5, 6, 7], 1))).toEqual([5, 6, 7]);
  });

  it('leaves non-finite points in place and out of their neighbours', () => {
    const out = runningAverage([1, Number.NaN, 3], 3);
    expect(out[0]).toBe(1);
    expect(out[1]).toBeNaN();
    expect(out[2]).toBe(3);
    expect(runningAverage([1, Number.NaN, 3, 5], 5)[3]).toBe(4); // indices 1..3, NaN skipped
  });

  it('rejects a non-integer or zero window', () => {
    expect(() => runningAverage([1], 0)).toThrow('running-average window must be an integer ≥ 1, got 0');
    expect(() => runningAverage([1], 2.5)).toThrow(/got 2.5/);
  });
});

describe('smoothSeries', () => {
  it('dispatches on the spec and copies for none', () => {
    const input = [1, 2, 3];
    const none = smoothSeries(input, { kind: 'none' });
    expect(arr(none)).toEqual(input);
    expect(arr(smoothSeries(input, { kind: 'running', window: 3 }))).toEqual([1.5, 2, 2.5]);
    expect(isSmoothing({ kind: 'ema', weight: 0 })).toBe(false);
    expect(isSmoothing({ kind: 'ema', weight: 0.6 })).toBe(true);
    expect(isSmoothing({ kind: 'running', window: 1 })).toBe(false);
  });
});
