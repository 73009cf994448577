/**
 * Configs: every field has a default and a description, presets validate, derived values are pure functions of the
 * config, JSON Schema export works, and bad values give errors that name the field and the value.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ALGO_IDS, ALGOS, describeAlgos, resolveConfig } from '../../../core/algos/registry.js';
import { ENV_IDS } from '../../../core/envs/index.js';

describe('config schemas', () => {
  for (const id of ALGO_IDS) {
    it(`${id}: every field has a default and a description; defaults parse`, () => {
      const json = z.toJSONSchema(ALGOS[id].configSchema, { io: 'input' }) as { properties: Record<string, { default?: unknown; description?: string }> };
      const fields = Object.entries(json.properties);
      expect(fields.length).toBeGreaterThan(10);
      for (const [name, f] of fields) {
        expect(f.default, `${id}.${name} default`).not.toBeUndefined();
        expect(f.description?.length ?? 0, `${id}.${name} description`).toBeGreaterThan(10);
      }
      expect(() => ALGOS[id].configSchema.parse({})).not.toThrow();
    });

    it(`${id}: presets are valid configs for registered envs`, () => {
      for (const [env, preset] of Object.entries(ALGOS[id].presets)) {
        expect(ENV_IDS).toContain(env);
        expect(() => ALGOS[id].configSchema.parse(preset)).not.toThrow();
        expect(ALGOS[id].presetTotalSteps[env]).toBeGreaterThan(0);
      }
    });
  }

  it('describe() serialises schema and presets (what the app sends to the launch form)', () => {
    const all = describeAlgos();
    expect(all.map((a) => a.id)).toEqual([...ALGO_IDS]);
    const ppo = all.find((a) => a.id === 'ppo')!;
    expect((ppo.configSchema as { properties: Record<string, unknown> }).properties.clipCoef).toMatchObject({ default: 0.2 });
    expect(ppo.presets['CartPole-v1']).toBeTruthy();
    expect(JSON.parse(JSON.stringify(all))).toEqual(all);
  });

  it('unknown fields and out-of-range values are errors naming the field and the value', () => {
    expect(() => resolveConfig('ppo', 'CartPole-v1', { overrides: { clipCoef: 1.5 } })).toThrow('config.clipCoef must be < 1, got 1.5');
    expect(() => resolveConfig('ppo', 'CartPole-v1', { overrides: { numEnvs: 0 } })).toThrow('config.numEnvs must be ≥ 1, got 0');
    expect(() => resolveConfig('ppo', 'CartPole-v1', { overrides: { activation: 'gelu' } })).toThrow(/config.activation must be one of "tanh", "relu", got "gelu"/);
    expect(() => resolveConfig('ppo', 'CartPole-v1', { overrides: { learningRate: 1 } })).toThrow(/unknown field\(s\) learningRate/);
    expect(() => resolveConfig('ppo', 'CartPole-v1', { preset: 'Nope-v0' })).toThrow(/no preset "Nope-v0"/);
    expect(() => resolveConfig('dqn', 'CartPole-v1')).toThrow(/unknown algorithm "dqn"/);
  });

  it('resolves defaults ← env preset ← overrides, and the run length', () => {
    const r = resolveConfig('ppo', 'CartPole-v1', { overrides: { lr: 1e-4 } });
    expect(r.preset).toBe('CartPole-v1');
    expect(r.config).toMatchObject({ lr: 1e-4, numEnvs: ALGOS.ppo.presets['CartPole-v1'].numEnvs });
    expect(r.totalSteps).toBe(ALGOS.ppo.presetTotalSteps['CartPole-v1']);
    const plain = resolveConfig('ppo', 'CartPole-v1', { preset: 'none', totalSteps: 1000 });
    expect(plain.config).toEqual(ALGOS.ppo.configSchema.parse({}));
    expect(plain.totalSteps).toBe(1000);
    expect(resolveConfig('reinforce', 'MountainCar-v0').preset).toBeNull();
  });

  it('PPO, A2C and TRPO have a preset and a run length for every env we ship', () => {
    for (const id of ['ppo', 'a2c', 'trpo'] as const) {
      const missing = ENV_IDS.filter((env) => !(env in ALGOS[id].presets) || !(ALGOS[id].presetTotalSteps[env] > 0));
      expect(missing, `${id} presets`).toEqual([]);
    }
  });
});
