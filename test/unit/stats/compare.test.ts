import { describe, expect, it } from 'vitest';
import { finalScore, groupStatistics, tauGrid } from '../../../core/stats/compare.js';
import { aggregateSummary, probabilityOfImprovementCI } from '../../../core/stats/index.js';

const run = (runId: string, stratum: string, score: number) => ({ runId, stratum, score });

describe('finalScore', () => {
  it('averages the last fraction of the step range; one point is its own score', () => {
    expect(finalScore([0, 10, 20, 90, 100], [1, 2, 3, 4, 6], 0.1)).toBe(5); // steps ≥ 90
    expect(finalScore([0, 50, 100], [0, 2, 4], 0.5)).toBe(3); // steps ≥ 50
    expect(finalScore([7], [42])).toBe(42);
    expect(finalScore([0, 10, 20], [1, 2, Number.NaN], 0)).toBe(2); // a non-finite last value is skipped
    expect(Number.isNaN(finalScore([], []))).toBe(true);
    expect(() => finalScore([1, 2], [1])).toThrow(/2 steps but 1 values/);
  });
});

describe('groupStatistics', () => {
  const a = { label: 'ppo', runs: [run('a1', 'CartPole-v1', 500), run('a2', 'CartPole-v1', 480), run('a3', 'CartPole-v1', 300), run('a4', 'Acrobot-v1', -90)] };
  const b = { label: 'a2c', runs: [run('b1', 'CartPole-v1', 200), run('b2', 'CartPole-v1', 250), run('b3', 'Pendulum-v1', -300)] };

  it('stratifies each group by task and compares groups on the tasks they share', () => {
    const res = groupStatistics([a, b], { gamma: 475, resamples: 500, seed: 1, profilePoints: 5 });
    expect(res.taus).toEqual([-300, -100, 100, 300, 500]);
    expect(res.groups[0]!.strata).toEqual(['Acrobot-v1', 'CartPole-v1']);
    expect(res.groups[0]!.summary).toEqual(aggregateSummary([[-90], [500, 480, 300]], { gamma: 475, resamples: 500, seed: 1 }));
    expect(res.groups[1]!.profile.map((p) => p.point)).toEqual([2 / 3, 2 / 3, 2 / 3, 0, 0]);
    const ab = res.improvements.find((i) => i.x === 'ppo' && i.y === 'a2c')!;
    expect(ab.strata).toEqual(['CartPole-v1']);
    expect(ab.ci).toEqual(probabilityOfImprovementCI([[500, 480, 300]], [[200, 250]], { resamples: 500, seed: 1 }));
    expect(ab.ci!.point).toBe(1);
    expect(res.improvements.find((i) => i.x === 'a2c' && i.y === 'ppo')!.ci!.point).toBe(0);
    expect(res.improvements).toHaveLength(2);
  });

  it('no shared task gives no probability of improvement rather than a wrong one', () => {
    const res = groupStatistics([{ label: 'x', runs: [run('x', 'A', 1)] }, { label: 'y', runs: [run('y', 'B', 2)] }], { gamma: 1, resamples: 10 });
    expect(res.improvements.every((i) => i.ci === null && i.strata.length === 0)).toBe(true);
  });

  it('rejects groups without runs and runs without a finite score, by name', () => {
    expect(() => groupStatistics([{ label: 'empty', runs: [] }], { gamma: 1 })).toThrow(/group "empty" has no runs/);
    expect(() => groupStatistics([{ label: 'g', runs: [run('r9', 'A', Number.NaN)] }], { gamma: 1 })).toThrow(/group "g": run r9 has no finite score \(NaN\)/);
    expect(() => tauGrid([a], 1)).toThrow(/count must be/);
    expect(tauGrid([{ label: 'c', runs: [run('c', 'A', 5)] }], 3)).toEqual([4, 5, 6]);
  });
});
