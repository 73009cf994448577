/** The Preferences views' pure parts: the reward–KL frontier, the sample viewer's tables, LM run facts, routes. */
import { describe, expect, it } from 'vitest';
import type { MetricSeries, PrefsCompareResult, PrefsPolicyResult } from '../../../core/api/contract.js';
import { PREFS_CI_METHOD, winRateTable } from '../../../core/api/prefs.js';
import { parseRoute, routeHref } from '../../../renderer/src/lib/routes.js';
import { bestPoint, frontierLine, frontierOrigins, initKey } from '../../../renderer/src/prefs/frontier.js';
import { lastEvalValues, lmFacts } from '../../../renderer/src/prefs/lm-facts.js';
import { contenders, promptRows, winRateRows } from '../../../renderer/src/prefs/samples.js';

function series(key: string, steps: number[], values: number[]): MetricSeries {
  return { key, steps, values, mins: values, maxs: values, wallTimes: steps.map(() => 0), totalPoints: steps.length };
}

describe('reward–KL frontier', () => {
  it('joins eval/oracleScore and eval/kl on step, in step order, dropping unmatched and non-finite points', () => {
    const line = frontierLine({ id: 'r1', name: 'dpo a', algo: 'dpo' }, [
      series('eval/oracleScore', [20, 0, 10, 30], [5, 3, 4, NaN]),
      series('eval/kl', [0, 10, 20, 30, 40], [0, 0.5, 1.25, 2, 3]),
    ]);
    expect(line.label).toBe('dpo a (dpo)');
    expect(line.points).toEqual([{ x: 0, y: 3, step: 0 }, { x: 0.5, y: 4, step: 10 }, { x: 1.25, y: 5, step: 20 }]);
    expect(bestPoint(line)).toEqual({ x: 1.25, y: 5, step: 20 });
    expect(frontierLine({ id: 'r2', name: 'x', algo: 'dpo' }, [series('eval/kl', [0], [0])]).points).toEqual([]);
  });

  it('one SFT origin per distinct init, from the runs\' step-0 evaluations', () => {
    const a = frontierLine({ id: 'a', name: 'a', algo: 'dpo' }, [series('eval/oracleScore', [0, 5], [3, 6]), series('eval/kl', [0, 5], [0.02, 1])]);
    const b = frontierLine({ id: 'b', name: 'b', algo: 'rlhf-ppo' }, [series('eval/oracleScore', [0, 5], [2, 7]), series('eval/kl', [0, 5], [0, 2])]);
    const c = frontierLine({ id: 'c', name: 'c', algo: 'dpo' }, [series('eval/oracleScore', [0], [10]), series('eval/kl', [0], [0])]);
    const noStep0 = frontierLine({ id: 'd', name: 'd', algo: 'dpo' }, [series('eval/oracleScore', [5], [1]), series('eval/kl', [5], [1])]);
    const configs = new Map<string, Record<string, unknown>>([
      ['a', { init: 'sft1', initStep: null }], ['b', { init: 'sft1' }], ['c', { init: 'sft2', initStep: 40 }], ['d', { init: 'sft3' }],
    ]);
    expect(initKey({ init: 'sft2', initStep: 40 })).toBe('sft2 step 40');
    const origins = frontierOrigins([a, b, c, noStep0], configs, (init) => `<${init}>`);
    expect(origins).toEqual([
      { init: 'sft1 latest', label: 'SFT: <sft1 latest> (step-0 evaluation)', x: 0.01, y: 2.5, runs: 2 },
      { init: 'sft2 step 40', label: 'SFT: <sft2 step 40> (step-0 evaluation)', x: 0, y: 10, runs: 1 },
    ]);
  });
});

function policy(runId: string, algo: string, oracle: number[], reward: number[] | null = null): PrefsPolicyResult {
  const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
  return { runId, step: 7, algo, name: runId, completions: oracle.map((o) => `answer ${o}`), oracle, reward, meanOracle: mean(oracle), meanReward: reward ? mean(reward) : null, kl: 0.4 };
}

describe('sample viewer tables', () => {
  const reference = policy('sft', 'sft', [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
  const rlhf = policy('rlhf', 'rlhf-ppo', [2, 2, 2, 2, 2, 2, 2, 2, 2, 2], [0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]);
  const dpo = policy('dpo', 'dpo', [2, 0, 1, 2, 0, 1, 2, 0, 1, 3]);
  const result: PrefsCompareResult = {
    task: 'sentiment', prompts: Array.from({ length: 10 }, (_, i) => `prompt ${i}`), seed: 3, sampling: { temperature: 1, topK: 0, topP: 1, maxNewTokens: 48 },
    policies: [rlhf, dpo], reference, rewardModel: { runId: 'rm', step: 5, name: 'rm' },
    winRates: winRateTable([rlhf.oracle, dpo.oracle], reference.oracle), ciMethod: PREFS_CI_METHOD, seconds: 1,
  };

  it('contenders: the SFT reference first, then the policies', () => {
    expect(contenders(result).map((c) => [c.index, c.label])).toEqual([[-1, 'SFT · sft (sft, step 7)'], [0, 'rlhf (rlhf-ppo, step 7)'], [1, 'dpo (dpo, step 7)']]);
  });

  it('win-rate rows: each policy vs SFT, then the pair; verdict from the 95% interval against 50%', () => {
    const rows = winRateRows(result);
    expect(rows.map((r) => [r.a, r.b, r.vsReference, r.wins, r.losses, r.ties, r.verdict])).toEqual([
      ['rlhf (rlhf-ppo, step 7)', 'SFT · sft (sft, step 7)', true, 10, 0, 0, 'better'],
      ['dpo (dpo, step 7)', 'SFT · sft (sft, step 7)', true, 4, 3, 3, 'unclear'],
      ['rlhf (rlhf-ppo, step 7)', 'dpo (dpo, step 7)', false, 6, 1, 3, 'unclear'],
    ]);
    expect(rows[1]!.rate).toBeCloseTo(0.55, 12);
    expect(rows[0]!.ci95[0]).toBeGreaterThan(0.5);
  });

  it('prompt rows: every answer with its oracle and reward-model score, the best marked', () => {
    const rows = promptRows(result, 8, 5);
    expect(rows.map((r) => r.index)).toEqual([8, 9]);
    expect(rows[1]!.answers).toEqual([
      { text: 'answer 1', oracle: 1, reward: null, best: false },
      { text: 'answer 2', oracle: 2, reward: 0.5, best: false },
      { text: 'answer 3', oracle: 3, reward: null, best: true },
    ]);
    expect(promptRows(result, 0, 1)[0]!.answers.filter((a) => a.best).length).toBe(2); // 2 = 2 > 1: rlhf and dpo tie at the top
  });
});

describe('LM run facts', () => {
  it('links a dataset and runs of this folder; paths and the oracle stay text', () => {
    const facts = lmFacts({ config: { dataset: 'sent-pairs', init: 'sft1', initStep: 40, rewardModel: 'oracle', task: 'sentiment' } }, new Set(['sft1']), new Set(['sent-pairs']));
    expect(facts).toEqual({
      data: { label: 'Dataset', text: 'sent-pairs', datasetId: 'sent-pairs' },
      init: { runId: 'sft1', text: 'sft1', step: 'step 40' },
      rewardModel: { runId: null, text: 'oracle', step: 'latest' },
      task: 'sentiment',
    });
    const path = lmFacts({ config: { dataset: '/data/pairs.jsonl', init: '/models/sft', rewardModel: 'gone' } }, new Set(), new Set());
    expect(path.data).toEqual({ label: 'Dataset', text: '/data/pairs.jsonl', datasetId: null });
    expect(path.init).toEqual({ runId: null, text: '/models/sft', step: 'latest' });
    expect(path.rewardModel?.runId).toBeNull();
    expect(lmFacts({ config: { data: 'sentiment', init: '' } }, new Set(), new Set())).toEqual({ data: { label: 'SFT data', text: 'sentiment', datasetId: null }, init: null, rewardModel: null, task: null });
    expect(lmFacts({ config: { corpus: 'arithmetic' } }, new Set(), new Set()).data?.label).toBe('Corpus');
  });

  it('last evaluation: every eval/* key with a finite latest value, by key', () => {
    const last: Record<string, number | null> = { 'eval/kl': 0.3, 'eval/oracleScore': 4, 'train/loss': 1, 'eval/loss': null, 'eval/accuracy': NaN };
    expect(lastEvalValues(Object.keys(last), (k) => last[k] ?? null)).toEqual([{ key: 'eval/kl', value: 0.3 }, { key: 'eval/oracleScore', value: 4 }]);
  });
});

describe('prefs routes', () => {
  it('parse and print #/prefs/<tab>[/<ids>]', () => {
    expect(parseRoute('#/prefs')).toEqual({ name: 'prefs', tab: 'frontier', ids: [] });
    expect(parseRoute('#/prefs/samples')).toEqual({ name: 'prefs', tab: 'samples', ids: [] });
    expect(parseRoute('#/prefs/frontier/a,b,a')).toEqual({ name: 'prefs', tab: 'frontier', ids: ['a', 'b'] });
    expect(routeHref({ name: 'prefs', tab: 'frontier', ids: ['a', 'b c'] })).toBe('#/prefs/frontier/a,b%20c');
    expect(routeHref({ name: 'prefs', tab: 'samples', ids: [] })).toBe('#/prefs/samples');
    expect(parseRoute(routeHref({ name: 'prefs', tab: 'frontier', ids: ['x_1', 'y-2'] }))).toEqual({ name: 'prefs', tab: 'frontier', ids: ['x_1', 'y-2'] });
  });
});
