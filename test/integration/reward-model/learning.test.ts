/**
 * The reward model learns (issue 13's learning test): on oracle-labelled pairs sampled from the sentiment SFT
 * fixture — 6 passes over the 200 shipped prompts (1,200 pairs, responses of ≤ 16 tokens), labels from the
 * Bradley–Terry oracle labeller at β = 2, whose Bayes-optimal accuracy on these pairs is ≈ 0.93 (asserted ≥ 0.9) —
 * 100 steps of 16 pairs reach a held-out accuracy above 0.80 (240 held-out pairs) from a chance start, and its
 * rewards rank the held-out responses like the oracle does. Seeded; about 30 s on an idle 2-core machine.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import type { TrainRunOptions } from '../../../core/algos/loop.js';
import { trainRewardModel } from '../../../core/algos/reward-model/train.js';
import { oracleDataset, SFT_FIXTURE } from './fixtures.js';

const home = mkdtempSync(join(tmpdir(), 'policylab-rmlearn-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));

it('reaches > 0.80 held-out accuracy on oracle-labelled sentiment pairs (β = 2, Bayes accuracy ≥ 0.9)', { timeout: 400_000 }, async () => {
  const data = await oracleDataset(home, { passes: 6, maxNewTokens: 16, beta: 2, seed: 100 });
  expect(data.rows).toHaveLength(1200);
  expect(data.info.bayesAccuracy).toBeGreaterThanOrEqual(0.9);
  const metrics: [number, Record<string, number>][] = [];
  const opts: TrainRunOptions = {
    runDir: join(home, 'runs', 'rm-learn'),
    runId: 'rm-learn',
    algo: 'reward-model',
    env: 'text' as TrainRunOptions['env'],
    config: { dataset: data.id, init: SFT_FIXTURE, holdout: 0.2, batchSize: 16, lr: 2e-3, warmupSteps: 10, evalInterval: 50, checkpointInterval: 0 },
    seed: 1,
    totalSteps: 100,
    signal: new AbortController().signal,
    events: { metrics: (s, v) => metrics.push([s, v]) },
  };
  expect(await trainRewardModel(opts)).toMatchObject({ status: 'finished', step: 100 });
  const evals = metrics.filter(([, v]) => v['eval/accuracy'] !== undefined);
  expect(evals.map(([s]) => s)).toEqual([0, 50, 100]);
  const [first, , last] = evals.map(([, v]) => v);
  expect(first!['eval/accuracy']).toBeLessThan(0.65); // a random head on the SFT trunk
  expect(last!['eval/accuracy']).toBeGreaterThan(0.8);
  expect(last!['eval/accuracy']).toBeLessThanOrEqual(1);
  expect(last!['eval/margin']).toBeGreaterThan(0.5);
  expect(last!['eval/oracleCorrelation']).toBeGreaterThan(0.6);
  expect(last!['eval/loss']).toBeLessThan(first!['eval/loss']! - 0.15);
});
