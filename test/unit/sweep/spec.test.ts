import { describe, expect, it } from 'vitest';
import { fromRegistry } from '../../../core/runner/catalog-registry.js';
import { expandSweep, parameterRng, sampleRange, sweepRuns } from '../../../core/sweep/expand.js';
import { planSweep } from '../../../core/sweep/plan.js';
import { parseSweepSpec, SweepSpecError, type SweepSpecInput } from '../../../core/sweep/spec.js';

const base: SweepSpecInput = { algo: 'ppo', env: 'CartPole-v1', totalSteps: 512, method: 'grid', parameters: { lr: { values: [1e-3, 3e-4] } }, seeds: [1, 2] };

function specError(input: unknown): SweepSpecError {
  try {
    parseSweepSpec(input);
  } catch (e) {
    expect(e).toBeInstanceOf(SweepSpecError);
    return e as SweepSpecError;
  }
  throw new Error('expected a SweepSpecError');
}

function planError(input: unknown): SweepSpecError {
  try {
    planSweep(input, fromRegistry());
  } catch (e) {
    expect(e).toBeInstanceOf(SweepSpecError);
    return e as SweepSpecError;
  }
  throw new Error('expected a SweepSpecError');
}

describe('grid expansion', () => {
  it('takes every combination, the last parameter varying fastest, each once per seed', () => {
    const spec = parseSweepSpec({ ...base, parameters: { lr: { values: [0.1, 0.2] }, gamma: { values: [0.9, 0.95, 0.99] } } });
    const points = expandSweep(spec);
    expect(points.map((p) => p.params)).toEqual([
      { lr: 0.1, gamma: 0.9 },
      { lr: 0.1, gamma: 0.95 },
      { lr: 0.1, gamma: 0.99 },
      { lr: 0.2, gamma: 0.9 },
      { lr: 0.2, gamma: 0.95 },
      { lr: 0.2, gamma: 0.99 },
    ]);
    expect(points.map((p) => p.index)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(sweepRuns(points.slice(0, 2), [7, 3])).toEqual([
      { point: 0, seed: 7 },
      { point: 0, seed: 3 },
      { point: 1, seed: 7 },
      { point: 1, seed: 3 },
    ]);
  });

  it('keeps non-numeric values (booleans, strings, null) as they are', () => {
    const points = expandSweep(parseSweepSpec({ ...base, parameters: { normAdv: { values: [true, false] }, targetKl: { values: [null, 0.02] } } }));
    expect(points.map((p) => p.params)).toEqual([
      { normAdv: true, targetKl: null },
      { normAdv: true, targetKl: 0.02 },
      { normAdv: false, targetKl: null },
      { normAdv: false, targetKl: 0.02 },
    ]);
  });

  it('refuses a grid of more than 1,000 runs, naming the size', () => {
    const values = Array.from({ length: 40 }, (_, i) => i / 100 + 0.5);
    const spec = parseSweepSpec({ ...base, parameters: { gamma: { values }, gaeLambda: { values } } });
    expect(() => expandSweep(spec)).toThrow(/1600 configurations × 2 seeds = 3200 runs, more than 1000/);
  });
});

describe('seeded random search', () => {
  const random: SweepSpecInput = {
    ...base,
    method: 'random',
    count: 20,
    samplerSeed: 7,
    parameters: { lr: { min: 1e-5, max: 1e-2, log: true }, numSteps: { min: 16, max: 64, int: true }, clipCoef: { min: 0.1, max: 0.3 }, normAdv: { values: [true, false] } },
  };

  it('is repeatable: the same samplerSeed gives the same configurations', () => {
    const a = expandSweep(parseSweepSpec(random));
    const b = expandSweep(parseSweepSpec(structuredClone(random)));
    expect(a).toEqual(b);
    expect(a).toHaveLength(20);
  });

  it('gives different configurations for a different samplerSeed', () => {
    const a = expandSweep(parseSweepSpec(random)).map((p) => p.params.lr);
    const b = expandSweep(parseSweepSpec({ ...random, samplerSeed: 8 })).map((p) => p.params.lr);
    expect(a.filter((v, i) => v === b[i])).toEqual([]);
  });

  it("draws each parameter from its own stream: adding a parameter leaves the others' values as they were", () => {
    const a = expandSweep(parseSweepSpec(random));
    const more = expandSweep(parseSweepSpec({ ...random, parameters: { ...random.parameters, gamma: { min: 0.9, max: 0.999 } } }));
    expect(more.map((p) => p.params.lr)).toEqual(a.map((p) => p.params.lr));
    expect(more.map((p) => p.params.clipCoef)).toEqual(a.map((p) => p.params.clipCoef));
    // Distinct names, distinct streams under one seed.
    expect(parameterRng(7, 'lr').uniform()).not.toBe(parameterRng(7, 'clipCoef').uniform());
  });

  it('keeps ranges: uniform within [min, max], integers for int, log-uniform for log', () => {
    const points = expandSweep(parseSweepSpec({ ...random, count: 400 }));
    const lr = points.map((p) => p.params.lr as number);
    const steps = points.map((p) => p.params.numSteps as number);
    const clip = points.map((p) => p.params.clipCoef as number);
    expect(Math.min(...lr)).toBeGreaterThanOrEqual(1e-5);
    expect(Math.max(...lr)).toBeLessThanOrEqual(1e-2);
    // Log-uniform over 3 decades: about a third of the draws per decade (uniform would put ~90% in the top one).
    const perDecade = [1e-5, 1e-4, 1e-3].map((lo) => lr.filter((v) => v >= lo && v < lo * 10).length / lr.length);
    for (const share of perDecade) expect(share).toBeGreaterThan(0.25);
    for (const share of perDecade) expect(share).toBeLessThan(0.42);
    expect(steps.every((v) => Number.isInteger(v) && v >= 16 && v <= 64)).toBe(true);
    expect(new Set(steps).has(16) && new Set(steps).has(64)).toBe(true);
    expect(clip.every((v) => v >= 0.1 && v <= 0.3)).toBe(true);
    expect(new Set(points.map((p) => p.params.normAdv))).toEqual(new Set([true, false]));
    // A uniform range has its mean near the middle.
    expect(clip.reduce((s, v) => s + v, 0) / clip.length).toBeCloseTo(0.2, 1);
  });

  it('rounds a log-int range to integers that stay inside it', () => {
    const rng = parameterRng(3, 'x');
    const draws = Array.from({ length: 300 }, () => sampleRange({ min: 1.5, max: 9.5, log: true, int: true }, rng));
    expect(draws.every((v) => Number.isInteger(v) && v >= 2 && v <= 9)).toBe(true);
    expect(new Set(draws).size).toBe(8);
  });
});

describe('spec validation errors name the bad key', () => {
  it.each([
    ['an unknown top-level key', { ...base, sede: 3 }, /spec\.sede: unknown key "sede"/],
    ['a missing algo', { ...base, algo: undefined }, /spec\.algo: /],
    ['a bad method', { ...base, method: 'bayes' }, /spec\.method: /],
    ['no seeds', { ...base, seeds: [] }, /spec\.seeds: needs at least one seed/],
    ['a repeated seed', { ...base, seeds: [1, 1] }, /spec\.seeds: must not repeat a seed/],
    ['a range in a grid', { ...base, parameters: { lr: { min: 0.1, max: 0.2 } } }, /spec\.parameters\.lr: grid search needs a values list/],
    ['count in a grid', { ...base, count: 3 }, /spec\.count: count is for random search/],
    ['random without count', { ...base, method: 'random' }, /spec\.count: random search needs count/],
    ['max below min', { ...base, method: 'random', count: 2, parameters: { lr: { min: 0.2, max: 0.1 } } }, /spec\.parameters\.lr\.max: max must be ≥ min/],
    ['a log range from 0', { ...base, method: 'random', count: 2, parameters: { lr: { min: 0, max: 0.1, log: true } } }, /spec\.parameters\.lr\.min: a log range needs min > 0/],
    ['a malformed parameter', { ...base, parameters: { lr: { from: 1 } } }, /spec\.parameters\.lr: must be \{"values": \[\.\.\.\]\} or \{"min"/],
    ['an empty values list', { ...base, parameters: { lr: { values: [] } } }, /spec\.parameters\.lr/],
    ['no parameters', { ...base, parameters: {} }, /spec\.parameters: needs at least one parameter/],
    ['a key both fixed and swept', { ...base, config: { lr: 0.1 } }, /spec\.config\.lr: is also a swept parameter/],
  ])('%s', (_what, input, message) => {
    expect(specError(input).message).toMatch(message);
  });

  it('checks every key against the algorithm config schema before anything launches', () => {
    expect(planError({ ...base, parameters: { learningRate: { values: [0.1] } } }).message).toMatch(
      /^spec\.parameters\.learningRate: "learningRate" is not a config field of ppo; fields: .*\blr\b/,
    );
    expect(planError({ ...base, config: { clipCoeff: 0.1 } }).message).toMatch(/^spec\.config\.clipCoeff: "clipCoeff" is not a config field of ppo/);
    expect(planError({ ...base, algo: 'dqn' }).message).toMatch(/^spec\.algo: unknown algorithm "dqn"; known: reinforce, a2c, ppo/);
    expect(planError({ ...base, env: 'Pong-v5' }).message).toMatch(/^spec\.env: unknown environment "Pong-v5"/);
  });

  it('validates every configuration: a bad value names the parameter and the configuration', () => {
    const e = planError({ ...base, parameters: { clipCoef: { values: [0.2, 1.5] } } });
    expect(e.message).toMatch(/^spec\.parameters\.clipCoef: must be < 1, got 1\.5 \(configuration 1: clipCoef=1\.5\)/);
    expect(planError({ ...base, config: { numEnvs: 0 } }).message).toMatch(/^spec\.config\.numEnvs: must be ≥ 1, got 0/);
  });

  it('plans a valid sweep: full configs, the spec total steps, point-major runs', () => {
    const plan = planSweep({ ...base, config: { numEnvs: 2 } }, fromRegistry());
    expect(plan.name).toBe('grid ppo CartPole-v1');
    expect(plan.totalSteps).toBe(512);
    expect(plan.runs.map((r) => [r.point, r.seed, r.config.lr, r.config.numEnvs])).toEqual([
      [0, 1, 1e-3, 2],
      [0, 2, 1e-3, 2],
      [1, 1, 3e-4, 2],
      [1, 2, 3e-4, 2],
    ]);
    // The rest of the config is the algorithm's defaults (validated, complete).
    expect(plan.runs[0]!.config.clipCoef).toBe(0.2);
  });
});
