/**
 * Small rules of the command line, on their own: integer flags (decimal digits, bounds named), the start-up clock
 * ("s after the command started" counts from the launcher's — or npm's — start), and PPO's schema rule that a
 * minibatch has at least one sample.
 */
import { describe, expect, it } from 'vitest';
import { ppoConfigSchema } from '../../../core/algos/ppo/config.js';
import { configLabel, parseConfig } from '../../../core/algos/config-common.js';
import { parseInteger, secondsSinceCommandStart, UsageError } from '../../../core/cli/train.js';

describe('parseInteger', () => {
  it('takes decimal digits in range, as typed', () => {
    expect(parseInteger('--seed', '0', 0)).toBe(0);
    expect(parseInteger('--total-steps', '9007199254740991', 1)).toBe(Number.MAX_SAFE_INTEGER);
    expect(parseInteger('--port', '65535', 0, 65535)).toBe(65535);
  });

  it('refuses other spellings and out-of-range values, naming the flag', () => {
    for (const text of ['0x10', '1e3', ' 16', '16 ', '+5', '1.0', '', '１６']) {
      expect(() => parseInteger('--seed', text, 0)).toThrow(new UsageError(`--seed must be a decimal integer in [0, 9007199254740991] (digits only), got ${JSON.stringify(text)}`));
    }
    expect(() => parseInteger('--total-steps', '9007199254740992', 1)).toThrow('--total-steps must be ≤ 9007199254740991, got 9007199254740992');
    expect(() => parseInteger('--total-steps', '0', 1)).toThrow('--total-steps must be ≥ 1, got 0');
    expect(() => parseInteger('--port', '65536', 0, 65535)).toThrow('--port must be ≤ 65535, got 65536');
  });
});

describe('secondsSinceCommandStart', () => {
  it("counts from the launcher's POLICYLAB_COMMAND_STARTED_AT (npm's start under an npm script)", () => {
    const env = { POLICYLAB_COMMAND_STARTED_AT: String(performance.timeOrigin - 250) };
    expect(secondsSinceCommandStart(100, env)).toBeCloseTo(0.35, 6);
  });

  it("falls back to this process's start when the variable is missing, garbled or in the future", () => {
    for (const value of [undefined, 'soon', '-1', String(performance.timeOrigin + 10_000)]) {
      expect(secondsSinceCommandStart(100, value === undefined ? {} : { POLICYLAB_COMMAND_STARTED_AT: value })).toBeCloseTo(0.1, 6);
    }
  });
});

describe('PPO: numMinibatches ≤ numEnvs · numSteps', () => {
  it('accepts one sample per minibatch and refuses fewer, naming the three fields', () => {
    expect(parseConfig(ppoConfigSchema, { numEnvs: 2, numSteps: 3, numMinibatches: 6 }).numMinibatches).toBe(6);
    expect(() => parseConfig(ppoConfigSchema, { numEnvs: 2, numSteps: 3, numMinibatches: 7 }, configLabel())).toThrow(
      'config.numMinibatches: must be ≤ numEnvs · numSteps = 2 · 3 = 6 (samples per rollout), got 7',
    );
  });
});
