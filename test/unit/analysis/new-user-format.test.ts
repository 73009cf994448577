/**
 * What a new user tripped over (issue 11), pure parts: step counts in B/M/k with at most three significant figures
 * (never "10000.0M"), "Started" with the date when not today, hidden sizes in the `[64, 64]` form and empty refused.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { JsonSchema } from '../../../core/api/contract.js';
import { formatStep } from '../../../renderer/src/analysis/x-axis.js';
import { formatSteps, formatTime } from '../../../renderer/src/lib/format.js';
import { fieldsOf, parseField } from '../../../renderer/src/lib/schema-form.js';

describe('step counts', () => {
  it('print billions as B and drop trailing zeros', () => {
    expect(formatSteps(10_000_000_000)).toBe('10B');
    expect(formatSteps(2_500_000_000)).toBe('2.5B');
    expect(formatSteps(123_456_789_012)).toBe('123B');
    expect(formatSteps(3_000_000_000_000)).toBe('3T');
    expect(formatSteps(1_000_000)).toBe('1M');
    expect(formatSteps(2_340_000)).toBe('2.34M');
    expect(formatSteps(12_500_000)).toBe('12.5M');
    expect(formatSteps(125_000)).toBe('125k');
    expect(formatSteps(12_500)).toBe('12.5k');
    expect(formatSteps(9_999)).toBe('9999');
    expect(formatSteps(null)).toBe('—');
  });

  it('never print four digits before a unit', () => {
    for (let v = 1e4; v < 1e15; v *= 1.37) expect(formatSteps(Math.round(v)), String(v)).not.toMatch(/\d{4}(\.\d+)?[kMBT]/);
  });

  it('axis ticks use B for billions too', () => {
    expect(formatStep(10_000_000_000)).toBe('10B');
    expect(formatStep(3_000_000)).toBe('3M');
  });
});

describe('"Started" time', () => {
  it('is the time alone today and carries the date on another day', () => {
    const now = new Date();
    const today = formatTime(now.toISOString());
    const long = new Date(now.getFullYear() - 1, 0, 15, 10, 30).toISOString();
    const month = now.toLocaleString(undefined, { month: 'short' });
    expect(today).not.toContain(month);
    expect(today).toMatch(/\d{1,2}:\d{2}:\d{2}/);
    expect(formatTime(long)).toMatch(/Jan/);
    expect(formatTime(long)).toMatch(/15/);
    const earlierThisYear = new Date(now.getTime() - 3 * 86_400_000);
    if (earlierThisYear.getFullYear() === now.getFullYear()) {
      expect(formatTime(earlierThisYear.toISOString())).toContain(earlierThisYear.toLocaleString(undefined, { month: 'short' }));
      expect(formatTime(earlierThisYear.toISOString())).not.toContain(String(now.getFullYear()));
    }
    expect(formatTime(long)).toMatch(new RegExp(String(now.getFullYear() - 1)));
  });
});

describe('hidden sizes', () => {
  const schema = z.object({ hiddenSizes: z.array(z.number().int().min(1)).min(1).max(8).default([64, 64]) }).strict();
  const field = fieldsOf(z.toJSONSchema(schema, { io: 'input' }) as JsonSchema)[0]!;

  it('accept the JSON form the help text shows', () => {
    expect(parseField(field, '[64,64]')).toEqual({ ok: true, value: [64, 64] });
    expect(parseField(field, ' [ 128, 32 ] ')).toEqual({ ok: true, value: [128, 32] });
    expect(parseField(field, '64 64')).toEqual({ ok: true, value: [64, 64] });
  });

  it('refuse an empty value, an empty list and nested lists', () => {
    expect(parseField(field, '')).toMatchObject({ ok: false, error: expect.stringMatching(/needs at least 1 value/) });
    expect(parseField(field, '[]')).toMatchObject({ ok: false, error: expect.stringMatching(/needs at least 1 value/) });
    expect(parseField(field, '[[64]]')).toMatchObject({ ok: false, error: expect.stringMatching(/flat list/) });
  });
});
