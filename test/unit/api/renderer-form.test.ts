/**
 * The renderer's launch-form logic against the JSON Schemas the contract serves (zod 4 `z.toJSONSchema`, io
 * 'input'), and its chart downsampler. Pure functions: no DOM needed.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { JsonSchema } from '../../../core/api/contract.js';
import { downsampleMinMax } from '../../../renderer/src/lib/downsample.js';
import { fieldsOf, parseField, parseSeeds, toRaw } from '../../../renderer/src/lib/schema-form.js';

const schema = z
  .object({
    lr: z.number().gt(0).max(1).default(3e-4).describe('Learning rate.'),
    clipCoef: z.number().gt(0).lt(1).default(0.2).describe('Clipping ε.'),
    numEnvs: z.number().int().min(1).max(1024).default(4),
    activation: z.enum(['tanh', 'relu']).default('tanh'),
    normAdv: z.boolean().default(true),
    hiddenSizes: z.array(z.number().int().min(1)).min(1).max(8).default([64, 64]),
    targetKl: z.number().gt(0).nullable().default(null),
  })
  .strict();
const json = z.toJSONSchema(schema, { io: 'input' }) as JsonSchema;
const fields = Object.fromEntries(fieldsOf(json).map((f) => [f.key, f]));

describe('schema form', () => {
  it('derives one field per property with kind, help and defaults', () => {
    expect(Object.keys(fields)).toEqual(['lr', 'clipCoef', 'numEnvs', 'activation', 'normAdv', 'hiddenSizes', 'targetKl']);
    expect(fields.lr).toMatchObject({ kind: 'number', label: 'Lr', description: 'Learning rate.', required: false });
    expect(fields.clipCoef!.label).toBe('Clip coef');
    expect(fields.numEnvs!.kind).toBe('integer');
    expect(fields.activation).toMatchObject({ kind: 'enum', options: ['tanh', 'relu'] });
    expect(fields.normAdv!.kind).toBe('boolean');
    expect(fields.hiddenSizes!.kind).toBe('numberList');
    expect(fields.targetKl).toMatchObject({ kind: 'number', nullable: true });
    expect(toRaw(fields.hiddenSizes!, [64, 64])).toBe('64, 64');
    expect(toRaw(fields.activation!, 'relu')).toBe('"relu"');
    expect(toRaw(fields.targetKl!, null)).toBe('');
  });

  it('validates inline with the schema bounds, and agrees with zod on what is valid', () => {
    expect(parseField(fields.clipCoef!, '1.5')).toEqual({ ok: false, error: 'must be < 1' });
    expect(parseField(fields.clipCoef!, '0')).toEqual({ ok: false, error: 'must be > 0' });
    expect(parseField(fields.clipCoef!, '0.1')).toEqual({ ok: true, value: 0.1 });
    expect(parseField(fields.lr!, '1e-3')).toEqual({ ok: true, value: 0.001 });
    expect(parseField(fields.lr!, 'abc')).toEqual({ ok: false, error: 'must be a number' });
    expect(parseField(fields.lr!, '1e-')).toEqual({ ok: false, error: 'must be a number' });
    expect(parseField(fields.numEnvs!, '2.5')).toEqual({ ok: false, error: 'must be a whole number' });
    expect(parseField(fields.numEnvs!, '0')).toEqual({ ok: false, error: 'must be ≥ 1' });
    expect(parseField(fields.hiddenSizes!, '64, 0')).toEqual({ ok: false, error: 'item 2 ("0") must be ≥ 1' });
    expect(parseField(fields.hiddenSizes!, '1 2 3 4 5 6 7 8 9')).toEqual({ ok: false, error: 'takes at most 8 values' });
    expect(parseField(fields.hiddenSizes!, '128,128')).toEqual({ ok: true, value: [128, 128] });
    expect(parseField(fields.activation!, '"relu"')).toEqual({ ok: true, value: 'relu' });
    expect(parseField(fields.targetKl!, '')).toEqual({ ok: true, value: null });
    expect(parseField(fields.lr!, '')).toEqual({ ok: true, value: undefined });

    // Whatever the form accepts, the real schema accepts too.
    const config: Record<string, unknown> = {};
    for (const [key, raw] of Object.entries({ lr: '0.01', clipCoef: '0.3', numEnvs: '8', activation: '"relu"', normAdv: false, hiddenSizes: '32', targetKl: '0.02' })) {
      const parsed = parseField(fields[key]!, raw);
      expect(parsed.ok).toBe(true);
      if (parsed.ok) config[key] = parsed.value;
    }
    expect(schema.safeParse(config).success).toBe(true);
  });

  it('parses seeds lists and ranges', () => {
    expect(parseSeeds('1, 2 3')).toEqual({ ok: true, value: [1, 2, 3] });
    expect(parseSeeds('1-4,4')).toEqual({ ok: true, value: [1, 2, 3, 4] });
    expect(parseSeeds('')).toEqual({ ok: false, error: 'needs at least one seed' });
    expect(parseSeeds('x')).toMatchObject({ ok: false });
    expect(parseSeeds('0-40')).toMatchObject({ ok: false });
  });
});

describe('chart downsampling', () => {
  it('keeps first, last and each bucket\'s extremes, so a spike survives', () => {
    const points = Array.from({ length: 10_000 }, (_, i) => ({ x: i, y: i === 5_000 ? 1_000 : Math.sin(i / 100) }));
    const out = downsampleMinMax(points, 500);
    expect(out.length).toBeLessThanOrEqual(500);
    expect(out[0]).toEqual(points[0]);
    expect(out.at(-1)).toEqual(points.at(-1));
    expect(out.some((p) => p.y === 1_000)).toBe(true);
    expect(out.every((p, i) => i === 0 || p.x > out[i - 1]!.x)).toBe(true);
    expect(downsampleMinMax(points.slice(0, 10), 500)).toEqual(points.slice(0, 10));
  });
});
