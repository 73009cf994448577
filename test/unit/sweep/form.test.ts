import { describe, expect, it } from 'vitest';
import { emptyRow, formToSpec, parseValue, type SweepForm } from '../../../renderer/src/sweeps/spec-form.js';
import { axisFor, formatNumber, viridis } from '../../../renderer/src/sweeps/plot-scales.js';
import { parseSweepSpec } from '../../../core/sweep/spec.js';

const form = (patch: Partial<SweepForm> = {}): SweepForm => ({
  name: '',
  algo: 'ppo',
  env: 'CartPole-v1',
  totalSteps: '512',
  method: 'grid',
  count: '8',
  samplerSeed: '0',
  seeds: '1, 2',
  config: '',
  params: [{ ...emptyRow('lr'), values: '0.001, 3e-4' }],
  ...patch,
});

describe('the new-sweep form', () => {
  it('turns what a person types into a spec the back end accepts', () => {
    const spec = formToSpec(form({ params: [{ ...emptyRow('lr'), values: '0.001, 3e-4' }, { ...emptyRow('hiddenSizes'), values: '[64,64], [32]' }, { ...emptyRow('normAdv'), values: 'true, false' }], config: '{"numEnvs": 2}' }));
    expect(spec).toEqual({
      algo: 'ppo',
      env: 'CartPole-v1',
      totalSteps: 512,
      config: { numEnvs: 2 },
      method: 'grid',
      parameters: { lr: { values: [0.001, 3e-4] }, hiddenSizes: { values: [[64, 64], [32]] }, normAdv: { values: [true, false] } },
      seeds: [1, 2],
    });
    expect(() => parseSweepSpec(formToSpec(form()))).not.toThrow();
  });

  it('writes ranges, count and sampler seed for random search', () => {
    const spec = formToSpec(form({ method: 'random', count: '5', samplerSeed: '9', params: [{ ...emptyRow('numSteps'), kind: 'range', min: '16', max: '256', log: true, int: true }] }));
    expect(spec).toMatchObject({ method: 'random', count: 5, samplerSeed: 9, parameters: { numSteps: { min: 16, max: 256, log: true, int: true } } });
    expect(parseSweepSpec(spec).samplerSeed).toBe(9);
  });

  it.each([
    [{ seeds: '1, x' }, /seeds must be integers separated by commas, got "x"/],
    [{ seeds: '' }, /seeds needs at least one integer/],
    [{ config: '{nope' }, /fixed config is not valid JSON/],
    [{ config: '[1]' }, /fixed config must be a JSON object/],
    [{ params: [emptyRow()] }, /parameter 1: choose a config field/],
    [{ params: [{ ...emptyRow('lr'), values: ' ' }] }, /lr: type at least one value/],
    [{ params: [{ ...emptyRow('lr'), values: '1' }, { ...emptyRow('lr'), values: '2' }] }, /lr is swept twice/],
    [{ method: 'random' as const, params: [{ ...emptyRow('lr'), kind: 'range' as const, min: 'a', max: '1' }] }, /lr min must be a number, got "a"/],
  ])('names the field it cannot read: %o', (patch, message) => {
    expect(() => formToSpec(form(patch))).toThrow(message);
  });

  it('keeps unquoted words as strings', () => {
    expect(parseValue('tanh')).toBe('tanh');
    expect(parseValue('null')).toBeNull();
  });
});

describe('sweep plot scales', () => {
  it('places numbers linearly or on a log scale, and categories evenly', () => {
    const lin = axisFor('lr', [1, 2, 5]);
    expect([lin.pos(1), lin.pos(2), lin.pos(5)]).toEqual([0, 0.25, 1]);
    const log = axisFor('lr', [1e-4, 1e-3, 1e-2], true);
    expect(log.kind).toBe('log');
    expect(log.pos(1e-3)).toBeCloseTo(0.5, 12);
    const cat = axisFor('act', ['tanh', 'relu', 'tanh', true]);
    expect(cat.kind).toBe('category');
    expect([cat.pos('tanh'), cat.pos('relu'), cat.pos(true), cat.pos('gelu')]).toEqual([0, 0.5, 1, null]);
    expect(axisFor('x', [3, 3]).pos(3)).toBe(0.5);
  });

  it('formats numbers short and colours by viridis', () => {
    expect([formatNumber(0.0003), formatNumber(0.001), formatNumber(123456), formatNumber(21.6249)]).toEqual(['3e-4', '0.001', '1.23e5', '21.6']);
    expect(viridis(0)).toBe('rgb(68, 1, 84)');
    expect(viridis(1)).not.toBe(viridis(0.5));
  });
});
