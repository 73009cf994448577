/** The runs table's pure logic: column values and order, layout persistence, grouping with aggregates. */
import { describe, expect, it } from 'vitest';
import type { RunInfo, RunTableRow } from '../../../core/api/contract.js';
import { availableColumns, columnLabel, columnValue, compareValues, flattenConfig, parseColumn } from '../../../renderer/src/runs-table/columns.js';
import { groupRuns } from '../../../renderer/src/runs-table/grouping.js';
import { defaultLayout, layoutStorageKey, loadLayout, loadLayoutOf, moveColumn, parseLayout, saveLayout } from '../../../renderer/src/runs-table/layout.js';

function run(id: string, config: Record<string, unknown>, extra: Partial<RunInfo> = {}): RunInfo {
  return {
    id, name: `run ${id}`, algo: 'ppo', env: 'CartPole-v1', seed: 0, status: 'finished', config, backend: null, tags: [], notes: '',
    createdAt: '2026-01-01T00:00:00Z', startedAt: null, endedAt: null, activeSeconds: 10, runningSince: null, step: 100, totalSteps: 100,
    summary: { lastReturn: null, bestReturn: null, sps: null }, error: null, ...extra,
  };
}
function row(id: string, loss: [last: number, min: number, max: number], ret?: number, solved?: number): RunTableRow {
  const [last, min, max] = loss;
  return {
    id,
    metrics: { 'train/policyLoss': { last, min, max, count: 3 }, ...(ret !== undefined ? { 'rollout/episodeReturn': { last: ret, min: 0, max: ret, count: 3 } } : {}) },
    spark: null, auc: ret ?? null, threshold: 475, solved: solved === undefined ? null : { step: solved, seconds: 1 },
  };
}

describe('columns', () => {
  it('parses ids, rejects unknown ones and labels them', () => {
    expect(parseColumn('metric:best:train/policyLoss')).toEqual({ kind: 'metric', stat: 'best', key: 'train/policyLoss' });
    expect(parseColumn('config:net.hidden')).toEqual({ kind: 'config', key: 'net.hidden' });
    expect(parseColumn('metric:median:x')).toBeNull();
    expect(parseColumn('config:')).toBeNull();
    expect(parseColumn('bogus')).toBeNull();
    expect(columnLabel('metric:min:train/policyLoss')).toBe('train/policyLoss (min)');
    expect(columnLabel('metric:best:rollout/episodeReturn')).toBe('Best return');
  });

  it('reads config (flattened), metric summaries (best = min for a loss) and efficiency values', () => {
    expect(flattenConfig({ lr: 1, net: { hidden: [64, 64], act: 'tanh' } })).toEqual({ lr: 1, 'net.hidden': [64, 64], 'net.act': 'tanh' });
    const r = run('a', { lr: 0.1, net: { hidden: [64, 64] } });
    const data = row('a', [0.2, 0.1, 0.9], 300, 5000);
    expect(columnValue(r, data, 'config:lr')).toBe(0.1);
    expect(columnValue(r, data, 'config:net.hidden')).toBe('[64,64]');
    expect(columnValue(r, data, 'config:missing')).toBeNull();
    expect(columnValue(r, data, 'metric:best:train/policyLoss')).toBe(0.1);
    expect(columnValue(r, data, 'metric:best:rollout/episodeReturn')).toBe(300);
    expect(columnValue(r, data, 'metric:max:train/policyLoss')).toBe(0.9);
    expect(columnValue(r, data, 'solvedStep')).toBe(5000);
    expect(columnValue(r, undefined, 'solvedStep')).toBeNull();
    // Before rows arrive the run record's own return summary stands in.
    expect(columnValue(run('b', {}, { summary: { lastReturn: 7, bestReturn: 9, sps: null } }), undefined, 'metric:best:rollout/episodeReturn')).toBe(9);
  });

  it('sorts missing values last in both directions', () => {
    const vals = [3, null, 1, 2];
    expect([...vals].sort((a, b) => compareValues(a, b, 1))).toEqual([1, 2, 3, null]);
    expect([...vals].sort((a, b) => compareValues(a, b, -1))).toEqual([3, 2, 1, null]);
    expect(['b', 'A', 'c'].sort((a, b) => compareValues(a, b, 1))).toEqual(['A', 'b', 'c']);
  });

  it('offers every config key and metric key × stat', () => {
    const a = availableColumns([run('a', { lr: 1 }), run('b', { gamma: 0.9 })], new Map([['a', row('a', [1, 1, 1])]]));
    expect(a.config).toEqual(['config:gamma', 'config:lr']);
    expect(a.metrics).toContain('metric:min:train/policyLoss');
    expect(a.metrics).toContain('metric:best:rollout/episodeReturn');
    expect(a.fixed).toContain('auc');
  });
});

describe('layout', () => {
  it('keeps what is valid in a stored layout and defaults the rest', () => {
    const l = parseLayout({ columns: ['name', 'bogus', 'config:lr', 'name', 3], sort: { column: 'config:lr', dir: 'asc' }, groupBy: 'config:seedless', collapsed: ['x', 1] });
    expect(l).toEqual({ columns: ['name', 'config:lr'], sort: { column: 'config:lr', dir: 'asc' }, groupBy: 'config:seedless', collapsed: ['x'] });
    expect(parseLayout({ columns: [], sort: { column: 'name', dir: 'up' }, groupBy: 'nope' })).toEqual(defaultLayout());
    expect(parseLayout('garbage')).toEqual(defaultLayout());
  });

  it('saves and loads per data folder, surviving unreadable storage', () => {
    const store = new Map<string, string>();
    const storage = { getItem: (k: string) => store.get(k) ?? null, setItem: (k: string, v: string) => void store.set(k, v) };
    const l = { ...defaultLayout(), columns: ['name', 'auc'], groupBy: 'algo' };
    saveLayout('/data/a', l, storage);
    expect(loadLayout('/data/a', storage)).toEqual(l);
    expect(loadLayout('/data/b', storage)).toEqual(defaultLayout());
    store.set(layoutStorageKey('/data/c'), '{not json');
    expect(loadLayout('/data/c', storage)).toEqual(defaultLayout());
    const throwing = { getItem: () => { throw new Error('disabled'); }, setItem: () => { throw new Error('full'); } };
    expect(loadLayout('/x', throwing)).toEqual(defaultLayout());
    expect(() => saveLayout('/x', l, throwing)).not.toThrow();
  });

  it('a layout saved before the data folder was known is taken by the folder without one, once', () => {
    const store = new Map<string, string>();
    const storage = { getItem: (k: string) => store.get(k) ?? null, setItem: (k: string, v: string) => void store.set(k, v) };
    const early = { ...defaultLayout(), groupBy: 'config:lr', collapsed: ['0.0001'] };
    saveLayout(null, early, storage); // changed, then reloaded before system:info answered
    const own = { ...defaultLayout(), groupBy: 'algo' };
    saveLayout('/data/has-own', own, storage);
    expect(loadLayoutOf('/data/has-own', storage)).toEqual(own); // a folder's own layout wins
    expect(loadLayoutOf('/data/a', storage)).toEqual(early);
    expect(loadLayout('/data/a', storage)).toEqual(early); // now saved under the folder
    expect(loadLayoutOf('/data/b', storage)).toEqual(defaultLayout()); // and not handed on
  });

  it('moves columns within bounds', () => {
    expect(moveColumn(['a', 'b', 'c'], 'b', -1)).toEqual(['b', 'a', 'c']);
    expect(moveColumn(['a', 'b', 'c'], 'c', 1)).toEqual(['a', 'b', 'c']);
    expect(moveColumn(['a', 'b'], 'z', 1)).toEqual(['a', 'b']);
  });
});

describe('grouping', () => {
  it('groups by a config key in value order (missing last) with count and means of numeric columns', () => {
    const runs = [run('a', { lr: 0.1 }), run('b', { lr: 0.01 }), run('c', { lr: 0.1 }), run('d', {})];
    const rows = new Map([
      ['a', row('a', [1, 1, 1], 100, 1000)],
      ['b', row('b', [2, 2, 2], 200)],
      ['c', row('c', [3, 3, 3], 400, 3000)],
    ]);
    const groups = groupRuns(runs, rows, 'config:lr', ['name', 'metric:last:train/policyLoss', 'solvedStep', 'auc']);
    expect(groups.map((g) => g.label)).toEqual(['0.01', '0.1', '—']);
    expect(groups.map((g) => g.runs.map((r) => r.id))).toEqual([['b'], ['a', 'c'], ['d']]);
    expect(groups[1]!.means['metric:last:train/policyLoss']).toEqual({ mean: 2, n: 2 });
    expect(groups[1]!.means['solvedStep']).toEqual({ mean: 2000, n: 2 });
    expect(groups[0]!.means['solvedStep']).toBeNull();
    expect(groups[2]!.means['auc']).toBeNull();
    expect('name' in groups[0]!.means).toBe(false);
  });
});
