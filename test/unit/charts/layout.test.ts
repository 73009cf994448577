import { describe, expect, it } from 'vitest';
import {
  arrangeCharts,
  chartLayoutKey,
  defaultChartLayout,
  hideChart,
  keyMatcher,
  loadChartLayout,
  parseChartLayout,
  restoreAll,
  restoreChart,
  saveChartLayout,
  togglePin,
  type ChartLayout,
  type KeyValueStorage,
} from '../../../renderer/src/charts/layout.js';

const KEYS = ['rollout/episodeReturn', 'rollout/episodeLength', 'train/policyLoss', 'train/valueLoss', 'train/entropy', 'eval/return'];

function memoryStorage(): KeyValueStorage & { map: Map<string, string> } {
  const map = new Map<string, string>();
  return { map, getItem: (k) => map.get(k) ?? null, setItem: (k, v) => void map.set(k, v) };
}

const layout = (patch: Partial<ChartLayout> = {}): ChartLayout => ({ ...defaultChartLayout(), ...patch });

describe('chart key search', () => {
  it('matches substrings case-insensitively', () => {
    const m = keyMatcher('LOSS');
    expect(KEYS.filter(m)).toEqual(['train/policyLoss', 'train/valueLoss']);
  });

  it('matches globs against the whole key', () => {
    expect(KEYS.filter(keyMatcher('train/*'))).toEqual(['train/policyLoss', 'train/valueLoss', 'train/entropy']);
    expect(KEYS.filter(keyMatcher('*return'))).toEqual(['rollout/episodeReturn', 'eval/return']);
    // Anchored: `train` alone as a glob-free term is a substring, `train?` needs exactly one more character.
    expect(KEYS.filter(keyMatcher('rollout/episode?eturn'))).toEqual(['rollout/episodeReturn']);
    expect(KEYS.filter(keyMatcher('train/*loss'))).toEqual(['train/policyLoss', 'train/valueLoss']);
  });

  it('treats regexp characters in a glob literally', () => {
    expect(keyMatcher('a.b*')('a.bc')).toBe(true);
    expect(keyMatcher('a.b*')('axbc')).toBe(false);
    expect(keyMatcher('(x)*')('(x)/y')).toBe(true);
  });

  it('matches any of comma-separated terms; an empty search matches all', () => {
    expect(KEYS.filter(keyMatcher('entropy, eval/*'))).toEqual(['train/entropy', 'eval/return']);
    expect(KEYS.filter(keyMatcher('  , '))).toEqual(KEYS);
    expect(KEYS.filter(keyMatcher(''))).toEqual(KEYS);
  });
});

describe('arrangeCharts', () => {
  it('puts pinned keys first in pin order, then the rest in their order, and counts N of M', () => {
    const a = arrangeCharts(KEYS, layout({ pinned: ['train/entropy', 'rollout/episodeLength'] }));
    expect(a.pinned).toEqual(['train/entropy', 'rollout/episodeLength']);
    expect(a.rest).toEqual(['rollout/episodeReturn', 'train/policyLoss', 'train/valueLoss', 'eval/return']);
    expect([a.shown, a.total]).toEqual([6, 6]);
  });

  it('filters pinned and unpinned charts by the search; hidden ones stay aside', () => {
    const a = arrangeCharts(KEYS, layout({ search: 'train/*', pinned: ['train/entropy', 'eval/return'], hidden: ['train/valueLoss'] }));
    expect(a.pinned).toEqual(['train/entropy']);
    expect(a.rest).toEqual(['train/policyLoss']);
    expect(a.hidden).toEqual(['train/valueLoss']);
    expect([a.shown, a.total]).toEqual([2, 6]);
  });

  it('ignores pinned or hidden keys the view does not have', () => {
    const a = arrangeCharts(KEYS, layout({ pinned: ['gone/a', 'train/entropy'], hidden: ['gone/b'] }));
    expect(a.pinned).toEqual(['train/entropy']);
    expect(a.hidden).toEqual([]);
    expect(a.shown).toBe(6);
  });
});

describe('pin, hide, restore', () => {
  it('pins in order and unpins', () => {
    let l = togglePin(layout(), 'train/valueLoss');
    l = togglePin(l, 'rollout/episodeReturn');
    expect(l.pinned).toEqual(['train/valueLoss', 'rollout/episodeReturn']);
    l = togglePin(l, 'train/valueLoss');
    expect(l.pinned).toEqual(['rollout/episodeReturn']);
  });

  it('hides (unpinning) and restores to the usual place', () => {
    let l = togglePin(layout(), 'train/entropy');
    l = hideChart(l, 'train/entropy');
    l = hideChart(l, 'eval/return');
    l = hideChart(l, 'eval/return');
    expect(l.pinned).toEqual([]);
    expect(l.hidden).toEqual(['train/entropy', 'eval/return']);
    expect(arrangeCharts(KEYS, l).rest).toEqual(['rollout/episodeReturn', 'rollout/episodeLength', 'train/policyLoss', 'train/valueLoss']);
    l = restoreChart(l, 'train/entropy');
    expect(l.hidden).toEqual(['eval/return']);
    expect(arrangeCharts(KEYS, l).rest).toEqual(['rollout/episodeReturn', 'rollout/episodeLength', 'train/policyLoss', 'train/valueLoss', 'train/entropy']);
    expect(restoreAll(l).hidden).toEqual([]);
  });

  it('pinning a hidden key shows it', () => {
    const l = togglePin(hideChart(layout(), 'eval/return'), 'eval/return');
    expect(l.hidden).toEqual([]);
    expect(arrangeCharts(KEYS, l).pinned).toEqual(['eval/return']);
  });

  it('does not mutate the layout it is given', () => {
    const l = layout({ pinned: ['a'], hidden: ['b'] });
    togglePin(l, 'c');
    hideChart(l, 'a');
    restoreChart(l, 'b');
    expect(l).toEqual(layout({ pinned: ['a'], hidden: ['b'] }));
  });
});

describe('stored layouts', () => {
  it('round-trips through storage, per data folder and view', () => {
    const s = memoryStorage();
    const l = layout({ search: 'train/*', pinned: ['train/entropy'], hidden: ['eval/return'], syncX: false });
    saveChartLayout('/data/a', 'run:ppo', l, s);
    expect(loadChartLayout('/data/a', 'run:ppo', s)).toEqual(l);
    expect(loadChartLayout('/data/a', 'run:dqn', s)).toEqual(defaultChartLayout());
    expect(loadChartLayout('/data/b', 'run:ppo', s)).toEqual(defaultChartLayout());
    expect([...s.map.keys()]).toEqual([chartLayoutKey('/data/a', 'run:ppo')]);
  });

  it('a data folder without a layout takes the one saved before the folder was known', () => {
    const s = memoryStorage();
    const early = layout({ pinned: ['train/entropy'] });
    saveChartLayout(null, 'run:ppo', early, s);
    expect(loadChartLayout('/data/a', 'run:ppo', s)).toEqual(early);
    const own = layout({ hidden: ['eval/return'] });
    saveChartLayout('/data/a', 'run:ppo', own, s);
    expect(loadChartLayout('/data/a', 'run:ppo', s)).toEqual(own);
    expect(loadChartLayout('/data/a', 'compare', s)).toEqual(defaultChartLayout());
  });

  it('falls back to the default for a damaged entry, without throwing', () => {
    const s = memoryStorage();
    for (const text of ['{not json', 'null', '42', '"x"', '[1,2]', '{"pinned":"x","hidden":{},"syncX":"yes","search":7}']) {
      s.setItem(chartLayoutKey('h', 'compare'), text);
      expect(loadChartLayout('h', 'compare', s)).toEqual(defaultChartLayout());
    }
    const throwing: KeyValueStorage = {
      getItem: () => {
        throw new Error('SecurityError');
      },
      setItem: () => {
        throw new Error('QuotaExceededError');
      },
    };
    expect(loadChartLayout('h', 'compare', throwing)).toEqual(defaultChartLayout());
    expect(() => saveChartLayout('h', 'compare', layout(), throwing)).not.toThrow();
  });

  it('keeps the valid fields of a partly damaged entry', () => {
    const parsed = parseChartLayout({ search: 'loss', pinned: ['a', 3, '', 'a', 'b'], hidden: ['b', 'c', null], syncX: 'no' });
    // Strings only, deduplicated; a key both pinned and hidden stays pinned.
    expect(parsed).toEqual({ search: 'loss', pinned: ['a', 'b'], hidden: ['c'], syncX: true });
  });

  it('bounds what it keeps from an oversized entry', () => {
    const parsed = parseChartLayout({ search: 'x'.repeat(10_000), pinned: Array.from({ length: 5000 }, (_, i) => `k${i}`), hidden: ['y'.repeat(1000)] });
    expect(parsed.search.length).toBe(500);
    expect(parsed.pinned.length).toBe(2000);
    expect(parsed.hidden).toEqual([]);
  });
});
