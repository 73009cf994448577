import { beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { loadSvelteModule } from '../replay/helpers/svelte-module.js';
import { groupingConfig, groupsFor } from '../../../renderer/src/compare/grouping-choice.js';

type SettingsModule = typeof import('../../../renderer/src/compare/compare-settings.svelte.js');
let mod: SettingsModule;

beforeAll(async () => {
  mod = await loadSvelteModule<SettingsModule>(fileURLToPath(new URL('../../../renderer/src/compare/compare-settings.svelte.ts', import.meta.url)));
});

describe('CompareSettings', () => {
  it('round-trips through JSON', () => {
    const s = new mod.CompareSettings();
    s.smoothing = { kind: 'running', window: 9 };
    s.xAxis = 'relative';
    s.grouping = { mode: 'allExcept', keys: ['seed'] };
    s.band = 'ci95';
    s.columns = [...s.columns, { key: 'train/approxKl', stat: 'max' }];
    const copy = new mod.CompareSettings(JSON.parse(JSON.stringify(s.toJSON())));
    expect(copy.toJSON()).toEqual(s.toJSON());
    expect(copy.columns).toHaveLength(3);
  });

  it('keeps defaults for invalid stored fields', () => {
    const s = new mod.CompareSettings({
      smoothing: { kind: 'ema', weight: 5 },
      xAxis: 'sideways',
      logY: 'yes',
      grouping: { mode: 'key', key: '' },
      band: 'ci99',
      columns: [{ key: 'a', stat: 'median' }],
      showMembers: true,
    });
    expect(s.toJSON()).toEqual({ ...mod.DEFAULT_COMPARE_SETTINGS, showMembers: true });
    new mod.CompareSettings('garbage'); // ignored, no throw
  });
});

describe('grouping choice', () => {
  const runs = [
    { id: 'a', config: groupingConfig({ algo: 'ppo', env: 'CartPole-v1', seed: 1, config: { lr: 1 } }) },
    { id: 'b', config: groupingConfig({ algo: 'ppo', env: 'CartPole-v1', seed: 2, config: { lr: 1 } }) },
    { id: 'c', config: groupingConfig({ algo: 'a2c', env: 'CartPole-v1', seed: 1, config: { lr: 1 } }) },
  ];
  it('maps the UI choice onto groups (run fields included)', () => {
    expect(groupsFor(runs, { mode: 'none' })).toBeNull();
    expect(groupsFor(runs, { mode: 'key', key: 'algo' })!.map((g) => g.runIds)).toEqual([['a', 'b'], ['c']]);
    expect(groupsFor(runs, { mode: 'allExcept', keys: ['seed'] })!.map((g) => g.label)).toEqual(['algo=ppo', 'algo=a2c']);
  });
});
