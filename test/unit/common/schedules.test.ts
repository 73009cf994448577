import { describe, expect, it } from 'vitest';
import { constant, linear, makeSchedule, progressOf } from '../../../core/common/schedules.js';

describe('schedules', () => {
  it('constant and linear', () => {
    expect(constant(3e-4)(0.7)).toBe(3e-4);
    const lr = linear(2.5e-4, 0);
    expect(lr(0)).toBe(2.5e-4);
    expect(lr(0.5)).toBeCloseTo(1.25e-4, 12);
    expect(lr(1)).toBe(0);
    expect(lr(-1)).toBe(2.5e-4);
    expect(lr(2)).toBe(0);
    expect(linear(1, 3)(0.25)).toBeCloseTo(1.5, 12);
  });

  it('matches CleanRL annealing: frac = 1 − (update − 1)/numUpdates', () => {
    const numUpdates = 10;
    const lr = linear(2.5e-4, 0);
    for (let update = 1; update <= numUpdates; update++) {
      const frac = 1 - (update - 1) / numUpdates;
      expect(lr(progressOf(update - 1, numUpdates))).toBeCloseTo(frac * 2.5e-4, 15);
    }
  });

  it('builds from a spec and rejects bad input', () => {
    expect(makeSchedule({ kind: 'linear', start: 1, end: 0 })(0.25)).toBe(0.75);
    expect(makeSchedule({ kind: 'constant', value: 2 })(0.9)).toBe(2);
    expect(() => makeSchedule({ kind: 'cosine' } as never)).toThrow(/unknown schedule kind "cosine"/);
    expect(() => linear(Number.NaN, 0)).toThrow(/must be finite/);
    expect(() => linear(1, 0)(Number.NaN)).toThrow(/progress is NaN/);
    expect(() => progressOf(0, 0)).toThrow(/numUpdates must be a positive integer, got 0/);
  });
});
