import { describe, expect, it } from 'vitest';
import { configDiff, flattenConfig, formatConfigValue, stableStringify } from '../../../renderer/src/analysis/config-diff.js';

describe('flattenConfig', () => {
  it('dots nested keys and keeps arrays and empty objects as leaves', () => {
    expect(flattenConfig({ a: 1, b: { c: 'x', d: { e: true } }, f: [1, 2], g: {}, h: undefined, i: null })).toEqual({
      a: 1,
      'b.c': 'x',
      'b.d.e': true,
      f: [1, 2],
      g: {},
      i: null,
    });
  });
});

describe('configDiff', () => {
  it('shows only keys whose values differ, treating a missing key as different', () => {
    const d = configDiff([
      { id: 'a', config: { lr: 3e-4, gamma: 0.99, net: { hidden: [64, 64], act: 'tanh' }, seed: 1 } },
      { id: 'b', config: { lr: 1e-3, gamma: 0.99, net: { act: 'tanh', hidden: [64, 64] }, seed: 2, clip: 0.2 } },
    ]);
    expect(d.keys).toEqual(['clip', 'lr', 'seed']);
    expect(d.values.lr).toEqual([3e-4, 1e-3]);
    expect(d.values.clip).toEqual([undefined, 0.2]);
    expect(d.shared).toEqual({ gamma: 0.99, 'net.act': 'tanh', 'net.hidden': [64, 64] });
    expect(d.runIds).toEqual(['a', 'b']);
  });

  it('compares arrays and objects by value, not identity or key order', () => {
    const d = configDiff([
      { id: 'a', config: { s: { x: 1, y: 2 }, h: [64, 64] } },
      { id: 'b', config: { s: { y: 2, x: 1 }, h: [64, 32] } },
    ]);
    expect(d.keys).toEqual(['h']);
    expect(stableStringify({ b: 1, a: [1, { d: 2, c: 3 }] })).toBe('{"a":[1,{"c":3,"d":2}],"b":1}');
  });

  it('one run differs on nothing', () => {
    expect(configDiff([{ id: 'a', config: { lr: 1 } }]).keys).toEqual([]);
    expect(configDiff([]).keys).toEqual([]);
  });

  it('formats values for display', () => {
    expect(formatConfigValue('ppo')).toBe('ppo');
    expect(formatConfigValue([64, 64])).toBe('[64, 64]');
    expect(formatConfigValue(undefined)).toBe('—');
    expect(formatConfigValue(0.0003)).toBe('0.0003');
  });
});
