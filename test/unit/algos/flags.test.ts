/** CLI config flags: conversion by field type, and clear errors for unknown flags and bad values. */
import { describe, expect, it } from 'vitest';
import { ALGOS } from '../../../core/algos/registry.js';
import { camel, flagLabel, kebab, parseConfigFlags, splitFlags } from '../../../core/cli/config-flags.js';
import { TRAIN_FLAGS } from '../../../core/cli/train.js';

const ppo = ALGOS.ppo.configSchema;
const parse = (tokens: string[]) => parseConfigFlags(tokens, ppo, 'PPO', TRAIN_FLAGS);

describe('config flags', () => {
  it('maps kebab-case flags to camelCase fields', () => {
    expect(kebab('clipCoef')).toBe('--clip-coef'.slice(2));
    expect(camel('clip-coef')).toBe('clipCoef');
    expect(flagLabel(['gaeLambda'])).toBe('--gae-lambda');
  });

  it('converts numbers, booleans, enums, lists and null', () => {
    expect(parse(['--lr', '3e-4', '--clip-coef=0.1', '--no-norm-adv', '--anneal-lr', '--activation', 'relu', '--hidden-sizes', '32,32', '--target-kl', 'none'])).toEqual({
      lr: 3e-4,
      clipCoef: 0.1,
      normAdv: false,
      annealLr: true,
      activation: 'relu',
      hiddenSizes: [32, 32],
      targetKl: null,
    });
    expect(parse(['--clip', 'false', '--target-kl', '0.02', '--log-std-init', '-0.5'])).toEqual({ clip: false, targetKl: 0.02, logStdInit: -0.5 });
  });

  it('splits --flag value, --flag=value and bare boolean flags', () => {
    expect(splitFlags(['--a', '1', '--b=2', '--c', '--no-d'])).toEqual([
      { flag: '--a', name: 'a', value: '1', negated: false },
      { flag: '--b', name: 'b', value: '2', negated: false },
      { flag: '--c', name: 'c', value: true, negated: false },
      { flag: '--d', name: 'd', value: true, negated: true },
    ]);
    expect(() => splitFlags(['stray'])).toThrow(/unexpected argument "stray"/);
  });

  it('rejects unknown flags, listing the valid ones and the closest match', () => {
    expect(() => parse(['--clip-cof', '0.1'])).toThrow(/unknown option --clip-cof for PPO \(did you mean --clip-coef\?\)/);
    expect(() => parse(['--bogus', '1'])).toThrow(/valid options: --algo --env --seed[\s\S]*PPO config: --num-envs --num-steps/);
  });

  it('rejects values of the wrong type, naming the flag', () => {
    expect(() => parse(['--lr', 'fast'])).toThrow('--lr expects a decimal number, got "fast"');
    expect(() => parse(['--norm-adv', 'maybe'])).toThrow('--norm-adv expects true or false, got "maybe"');
    expect(() => parse(['--hidden-sizes', 'a,b'])).toThrow(/--hidden-sizes expects comma-separated numbers/);
    expect(() => parse(['--lr'])).toThrow('--lr needs a value');
    expect(() => parse(['--no-lr'])).toThrow(/--lr is not a true\/false option/);
  });
});
