import { describe, expect, it } from 'vitest';
import { canUseLogScale, canUseLogX, formatDuration, formatStep, formatValue, supportsXMode, xValues } from '../../../renderer/src/analysis/x-axis.js';

describe('x-axis transforms', () => {
  const src = { steps: [0, 100, 200], times: [1_000_000, 1_002_500, 1_010_000] };

  it('maps to steps, wall ms and seconds since start', () => {
    expect(Array.from(xValues(src, 'step'))).toEqual([0, 100, 200]);
    expect(Array.from(xValues(src, 'wall'))).toEqual([1_000_000, 1_002_500, 1_010_000]);
    expect(Array.from(xValues(src, 'relative'))).toEqual([0, 2.5, 10]);
    expect(Array.from(xValues({ ...src, startTime: 999_000 }, 'relative'))).toEqual([1, 3.5, 11]);
  });

  it('needs times for the time modes and says so', () => {
    expect(supportsXMode({ steps: [1] }, 'wall')).toBe(false);
    expect(supportsXMode(src, 'relative')).toBe(true);
    expect(() => xValues({ steps: [1, 2] }, 'relative', 'run ab12')).toThrow('run ab12: x-axis "relative" needs a wall time per point, got none');
    expect(() => xValues({ steps: [1, 2], times: [5] }, 'wall')).toThrow(/got 1 for 2 points/);
  });

  it('allows log scales only for positive values, never for wall time', () => {
    expect(canUseLogScale([1, 2, Number.NaN])).toBe(true);
    expect(canUseLogScale([0, 1])).toBe(false);
    expect(canUseLogScale([])).toBe(false);
    expect(canUseLogX([[1, 2], [3]], 'step')).toBe(true);
    expect(canUseLogX([[0, 2]], 'step')).toBe(false);
    expect(canUseLogX([[1e12]], 'wall')).toBe(false);
  });

  it('formats ticks and values', () => {
    expect(formatStep(950)).toBe('950');
    expect(formatStep(12_500)).toBe('12.5k');
    expect(formatStep(3_000_000)).toBe('3M');
    expect(formatDuration(4.25)).toBe('4.3s');
    expect(formatDuration(185)).toBe('3m 05s');
    expect(formatDuration(7384)).toBe('2h 03m 04s');
    expect(formatValue(123.456789)).toBe('123.457');
    expect(formatValue(1e-6)).toBe('1.0000e-6');
    expect(formatValue(null)).toBe('—');
  });
});
