/**
 * Win-rate math (core/api/prefs.ts) against hand-computed values: prompt-by-prompt counts, the tie-split rate, the
 * Wilson 95% interval, the table's order; and input errors.
 */
import { describe, expect, it } from 'vitest';
import { pairwiseCounts, wilsonInterval, winRate, winRateTable, Z95 } from '../../../core/api/prefs.js';

describe('Wilson score interval', () => {
  it('matches hand values', () => {
    // p = 0.5, n = 16: z²/n = 0.240091, centre 0.5, half = (1.959964 / 1.240091)·√(0.015625 + 0.003751) = 0.220004.
    const [lo, hi] = wilsonInterval(0.5, 16);
    expect(lo).toBeCloseTo(0.279996, 5);
    expect(hi).toBeCloseTo(0.720004, 5);
    // 10 of 10: centre (1 + 0.192073) / 1.384146 = 0.861226, half 1.416008 · √(0.384146 / 40) = 0.138766.
    const all = wilsonInterval(1, 10);
    expect(all[0]).toBeCloseTo(0.72246, 4);
    expect(all[1]).toBeCloseTo(1, 12);
    // 35 of 50: centre 0.685727, half 1.820124 · √(0.0042 + 0.000384) = 0.123234.
    const mid = wilsonInterval(0.7, 50);
    expect(mid[0]).toBeCloseTo(0.56249, 4);
    expect(mid[1]).toBeCloseTo(0.80896, 4);
    expect(Z95).toBeCloseTo(1.959964, 6);
  });

  it('is symmetric about 1/2, narrows with n, and refuses bad input', () => {
    const [a, b] = wilsonInterval(0.3, 40);
    const [c, d] = wilsonInterval(0.7, 40);
    expect(a).toBeCloseTo(1 - d, 12);
    expect(b).toBeCloseTo(1 - c, 12);
    const w = (n: number) => wilsonInterval(0.6, n)[1] - wilsonInterval(0.6, n)[0];
    expect(w(400)).toBeLessThan(w(100));
    expect(w(100)).toBeLessThan(w(25));
    expect(() => wilsonInterval(0.5, 0)).toThrow(/n > 0, got 0/);
    expect(() => wilsonInterval(1.2, 5)).toThrow(/p in \[0, 1\], got 1.2/);
  });
});

describe('win rates', () => {
  it('counts wins, losses and ties prompt by prompt; ties count half', () => {
    const a = [3, 1, 2, 5, 0, 4];
    const b = [1, 1, 4, 2, 0, -1];
    expect(pairwiseCounts(a, b)).toEqual({ wins: 3, losses: 1, ties: 2 });
    const r = winRate(0, -1, a, b);
    expect(r).toMatchObject({ a: 0, b: -1, wins: 3, losses: 1, ties: 2, n: 6, rate: 4 / 6 });
    expect(r.ci95).toEqual(wilsonInterval(4 / 6, 6));
    expect(winRate(1, 0, b, a).rate).toBeCloseTo(1 - r.rate, 12);
    expect(() => pairwiseCounts([1], [1, 2])).toThrow(/equal lengths, got 1 and 2/);
  });

  it('tabulates each policy vs the reference, then each pair', () => {
    const ref = [0, 0, 0, 0];
    const p = [
      [1, 1, 1, 1],
      [-1, 0, 1, 2],
      [0, 0, 0, 0],
    ];
    const t = winRateTable(p, ref);
    expect(t.map((w) => [w.a, w.b])).toEqual([[0, -1], [1, -1], [2, -1], [0, 1], [0, 2], [1, 2]]);
    // p1 vs ref: 2 wins, 1 loss, 1 tie; p0 vs p1: 2 wins (−1, 0), 1 tie (1), 1 loss (2).
    expect(t.map((w) => w.rate)).toEqual([1, 2.5 / 4, 0.5, 2.5 / 4, 1, 2.5 / 4]);
    expect(t[2]).toMatchObject({ wins: 0, losses: 0, ties: 4 });
  });
});
