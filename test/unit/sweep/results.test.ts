import { describe, expect, it } from 'vitest';
import type { RunRecord, SweepRecord } from '../../../core/store/index.js';
import { formatResults } from '../../../core/cli/sweep.js';
import { sweepResults } from '../../../core/sweep/results.js';

const t = '2026-01-02T03:04:05.000Z';
const sweep: SweepRecord = {
  id: 'sw1',
  name: 'grid',
  spec: { algo: 'ppo', env: 'CartPole-v1', method: 'grid', parameters: { lr: { values: [0.1, 0.2] } }, seeds: [1, 2, 3, 4], metric: 'eval/return' },
  status: 'running',
  points: [
    { index: 0, params: { lr: 0.1 } },
    { index: 1, params: { lr: 0.2 } },
  ],
  runs: [1, 2, 3, 4].map((seed) => ({ runId: `a${seed}`, point: 0, seed })).concat([1, 2].map((seed) => ({ runId: `b${seed}`, point: 1, seed }))),
  plannedRuns: 8,
  createdAt: t,
  updatedAt: t,
  endedAt: null,
  owner: null,
  error: null,
};
const summary = (last: number) => ({ 'eval/return': { last, lastStep: 100, min: 0, max: last, count: 3 }, 'train/policyLoss': { last: 0.1, lastStep: 100, min: 0, max: 1, count: 3 } });
const runs: Record<string, Pick<RunRecord, 'status' | 'summary'>> = {
  a1: { status: 'finished', summary: summary(10) },
  a2: { status: 'finished', summary: summary(40) },
  a3: { status: 'finished', summary: summary(20) },
  a4: { status: 'finished', summary: summary(1000) },
  b1: { status: 'running', summary: summary(7) },
  b2: { status: 'queued', summary: {} },
};

describe('sweep results', () => {
  const d = sweepResults(sweep, (id) => runs[id]);

  it('aggregates each configuration over the seeds that have the metric: mean, median, IQM, min, max', () => {
    expect(d.resultMetric).toBe('eval/return');
    const [a, b] = d.results;
    expect(a).toMatchObject({ index: 0, params: { lr: 0.1 }, n: 4, mean: (10 + 40 + 20 + 1000) / 4, median: 30, min: 10, max: 1000 });
    // IQM of 4 scores cuts ⌊4/4⌋ = 1 from each end: mean(20, 40).
    expect(a!.iqm).toBe(30);
    expect(b).toMatchObject({ n: 1, mean: 7, iqm: 7, min: 7, max: 7 });
    expect(b!.runs).toEqual([
      { runId: 'b1', seed: 1, status: 'running', value: 7 },
      { runId: 'b2', seed: 2, status: 'queued', value: null },
    ]);
  });

  it('counts runs by status, lists the metric keys, and reads another metric on request', () => {
    expect(d.runCounts).toEqual({ finished: 4, running: 1, queued: 1 });
    expect(d.metrics).toEqual(['eval/return', 'train/policyLoss']);
    const loss = sweepResults(sweep, (id) => runs[id], 'train/policyLoss');
    expect(loss.results[0]!.mean).toBe(0.1);
    const missing = sweepResults(sweep, (id) => runs[id], 'nope');
    expect(missing.results.every((p) => p.n === 0 && p.mean === null && p.iqm === null)).toBe(true);
  });

  it('prints a table a person can read', () => {
    const text = formatResults(d);
    expect(text.split('\n')[1]).toMatch(/#\s+lr\s+seeds\s+mean\s+IQM\s+min\s+max/);
    expect(text).toMatch(/0\s+0\.1\s+4\/4\s+267\.5\s+30\s+10\s+1000/);
    expect(text).toMatch(/1\s+0\.2\s+1\/2\s+7\s+7\s+7\s+7/);
  });
});
