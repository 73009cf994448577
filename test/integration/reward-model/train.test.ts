/**
 * The reward-model run end to end on small data (oracle-labelled pairs sampled from the sentiment SFT fixture):
 * configuration errors that name what is wrong, metrics at step 0 and every evalInterval steps with TRL's names,
 * ties and skips, the run recorded on its dataset, the checkpoint read back by loadRewardModel (what RLHF uses),
 * exact resume, and no tfjs tensors created.
 */
import * as tf from '@tensorflow/tfjs';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TrainRunOptions } from '../../../core/algos/loop.js';
import { pairMetrics } from '../../../core/algos/reward-model/loss.js';
import { loadRewardModel, poolingFromArray, REWARD_HEAD_ARRAY, REWARD_POOLING_ARRAY, RewardModel } from '../../../core/algos/reward-model/model.js';
import { encodePairs, scorePairs, trainRewardModel } from '../../../core/algos/reward-model/train.js';
import { readPreferences, splitPairs } from '../../../core/algos/prefs/common.js';
import { resolveConfig } from '../../../core/algos/registry.js';
import type { PreferenceRow } from '../../../core/store/datasets-schema.js';
import { loadCheckpoint } from '../../../core/store/index.js';
import { initBackend } from '../../../core/tensor/backend.js';
import { oracleDataset, SFT_FIXTURE, storeDataset, trainedRunIds } from './fixtures.js';

const home = mkdtempSync(join(tmpdir(), 'policylab-rm-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));
let n = 0;
let small: Awaited<ReturnType<typeof oracleDataset>>;

beforeAll(async () => {
  await initBackend();
  // 24 prompts × 1 pass: 24 pairs, short responses (fast to train on).
  small = await oracleDataset(home, { passes: 1, prompts: 24, maxNewTokens: 12, beta: 2, seed: 11 });
}, 120_000);

type Opts = TrainRunOptions & { metrics: [number, Record<string, number>][]; logs: string[] };

function opts(config: Record<string, unknown>, totalSteps: number, extra: Partial<TrainRunOptions> = {}): Opts {
  const metrics: [number, Record<string, number>][] = [];
  const logs: string[] = [];
  const runId = `rm-${++n}`;
  return {
    runDir: join(home, 'runs', runId),
    runId,
    algo: 'reward-model',
    env: 'text' as TrainRunOptions['env'],
    config: { init: SFT_FIXTURE, batchSize: 4, evalInterval: 2, checkpointInterval: 0, ...config },
    seed: 5,
    totalSteps,
    signal: new AbortController().signal,
    events: { metrics: (s, v) => metrics.push([s, v]), log: (l) => logs.push(l) },
    metrics,
    logs,
    ...extra,
  };
}

function row(base: PreferenceRow, id: string, label: PreferenceRow['label']): PreferenceRow {
  const paired = label === 'a' || label === 'b';
  return {
    ...base,
    id,
    label,
    chosen: paired ? (label === 'a' ? base.responseA : base.responseB) : null,
    rejected: paired ? (label === 'a' ? base.responseB : base.responseA) : null,
    source: 'human',
    labeller: 'test',
  };
}

describe('reward-model configuration', () => {
  it('is registered on env text with a default for every field; unknown fields and RL envs are refused', () => {
    const r = resolveConfig('reward-model', 'text', { overrides: { dataset: 'abc', init: 'run1' } });
    expect(r.config).toMatchObject({ dataset: 'abc', init: 'run1', initStep: null, task: null, holdout: 0.1, centerRewardsCoefficient: null });
    expect(r.totalSteps).toBeGreaterThan(0);
    expect(() => resolveConfig('reward-model', 'text', { overrides: { bogus: 1 } })).toThrow(/bogus/);
    expect(() => resolveConfig('reward-model', 'text', { overrides: { task: 'chess' } })).toThrow(/config\.task/);
    expect(() => resolveConfig('reward-model', 'CartPole-v1')).toThrow(/Reward model cannot train on "CartPole-v1"; it trains on text/);
  });

  it('names a missing dataset, a dataset with fewer than 2 labelled pairs, and an init that is not a language model', async () => {
    await expect(trainRewardModel(opts({ init: SFT_FIXTURE }, 1))).rejects.toThrow(/config\.dataset is required/);
    await expect(trainRewardModel(opts({ dataset: 'nope' }, 1))).rejects.toThrow(/config\.dataset: there is no dataset "nope" in .*datasets/);
    await expect(trainRewardModel(opts({ dataset: join(home, 'missing.jsonl') }, 1))).rejects.toThrow(/config\.dataset: no file .*missing\.jsonl/);
    await expect(trainRewardModel(opts({ dataset: 'Bad/Id' }, 1))).rejects.toThrow(/config\.dataset must be a dataset id or an absolute path/);
    const base = small.rows[0]!;
    const oneLabel = await storeDataset(home, 'one labelled', [row(base, 'x1', 'a'), row(base, 'x2', 'skip'), row(base, 'x3', 'skip')]);
    await expect(trainRewardModel(opts({ dataset: oneLabel }, 1))).rejects.toThrow(/has 1 labelled pair\(s\) \(skips left out\); at least 2 are needed/);
    await expect(trainRewardModel(opts({ dataset: small.id, init: '' }, 1))).rejects.toThrow(/config\.init is required/);
    const notLm = join(home, 'not-an-lm');
    mkdirSync(notLm, { recursive: true });
    await expect(trainRewardModel(opts({ dataset: small.id, init: notLm }, 1))).rejects.toThrow(/config\.init: .*not-an-lm holds no saved language model/);
    await expect(trainRewardModel(opts({ dataset: small.id, init: 'no-such-run' }, 1))).rejects.toThrow(/config\.init: there is no run "no-such-run"/);
    await expect(trainRewardModel({ ...opts({ dataset: small.id }, 1), env: 'CartPole-v1' })).rejects.toThrow(/reward-model trains on text/);
  });
});

describe('reward-model run', () => {
  it('evaluates at step 0 and every evalInterval steps with TRL names, records itself on the dataset, and its checkpoint loads as a reward model', { timeout: 120_000 }, async () => {
    const o = opts({ dataset: small.id, holdout: 0.25 }, 4);
    const r = await trainRewardModel(o);
    expect(r).toMatchObject({ status: 'finished', step: 4 });
    const evalKeys = ['eval/loss', 'eval/accuracy', 'eval/margin', 'eval/mean_reward', 'eval/min_reward', 'eval/max_reward', 'eval/oracleCorrelation', 'eval/bayesAccuracy'];
    expect(o.metrics.filter(([, v]) => v['eval/accuracy'] !== undefined).map(([s]) => s)).toEqual([0, 2, 4]);
    for (const k of evalKeys) expect(o.metrics[0]![1][k], k).toBeTypeOf('number');
    expect(o.metrics[0]![1]['train/loss']).toBeUndefined(); // step 0: before any update
    expect(o.metrics[0]![1]['eval/bayesAccuracy']).toBeCloseTo(small.info.bayesAccuracy, 12);
    const steps = o.metrics.slice(1);
    expect(steps.map(([s]) => s)).toEqual([1, 2, 3, 4]);
    for (const [, v] of steps) {
      for (const k of ['train/loss', 'train/learningRate', 'train/gradNorm', 'time/tokensPerSecond']) expect(v[k], k).toBeGreaterThan(0);
    }
    expect(o.logs.join('\n')).toMatch(/data: dataset \S+: 18 pairs to train on, 6 held out \(0 tie\(s\) train towards ½, 0 skip\(s\) left out\); oracle-labelled/);
    expect(await trainedRunIds(home, small.id)).toContain(o.runId);

    // RLHF's view of it: loadRewardModel from a sibling run folder, scoring the held-out pairs as the last evaluation did.
    const rm = await loadRewardModel(o.runId, join(home, 'runs', 'some-rlhf-run'), null, 'config.rewardModel');
    expect(rm.step).toBe(4);
    const prefs = await readPreferences(small.id, home);
    const held = encodePairs(rm, splitPairs(prefs.pairs, 0.25, 5).eval);
    const s = scorePairs(rm, held);
    const m = pairMetrics(s.chosen, s.rejected, held.map((p) => p.pair.tie));
    const last = o.metrics[o.metrics.length - 1]![1];
    expect(m.meanReward).toBeCloseTo(last['eval/mean_reward']!, 5);
    expect(m.accuracy).toBeCloseTo(last['eval/accuracy']!, 12);
    const ckpt = await loadCheckpoint(o.runDir, 'latest');
    expect(Object.keys(ckpt.models)).toEqual(['lm']);
    expect(Object.keys(ckpt.arrays).sort()).toEqual(['adam.m', 'adam.v', 'headAdam.m', 'headAdam.v', REWARD_HEAD_ARRAY, REWARD_POOLING_ARRAY].sort());
    expect(rm.pooling).toBe('last');
  });

  it("pooling 'sum' is saved with the model: loadRewardModel scores as the run did; a damaged pooling array is refused by name", { timeout: 120_000 }, async () => {
    const o = opts({ dataset: small.id, holdout: 0.25, pooling: 'sum' }, 2);
    await trainRewardModel(o);
    const rm = await loadRewardModel(o.runId, join(home, 'runs', 'some-rlhf-run'), null, 'config.rewardModel');
    expect(rm.pooling).toBe('sum');
    const prefs = await readPreferences(small.id, home);
    const held = encodePairs(rm, splitPairs(prefs.pairs, 0.25, 5).eval);
    const s = scorePairs(rm, held);
    const last = o.metrics[o.metrics.length - 1]![1];
    expect(pairMetrics(s.chosen, s.rejected, held.map((p) => p.pair.tie)).meanReward).toBeCloseTo(last['eval/mean_reward']!, 5);
    // The same weights read with the last-token head score differently: the pooling is what was saved, not a default.
    const asLast = new RewardModel(rm.engine, rm.tokenizer, rm.head, 'last');
    expect(Array.from(scorePairs(asLast, held).chosen)).not.toEqual(Array.from(s.chosen));
    const ckpt = await loadCheckpoint(o.runDir, 'latest');
    expect(ckpt.arrays[REWARD_POOLING_ARRAY]).toEqual(Float32Array.of(1));
    expect(poolingFromArray(undefined, 'old checkpoint')).toBe('last'); // written before pooling existed
    expect(() => poolingFromArray(Float32Array.of(7), 'run x step 2')).toThrow(/run x step 2 has a damaged 'rewardPooling' array/);
    expect(() => poolingFromArray(Float32Array.of(0.5), 'run x step 2')).toThrow(/damaged/);
  });

  it('ties train towards ½ and skips are left out; a TRL JSONL file works too (no task: no oracle correlation unless config.task)', { timeout: 120_000 }, async () => {
    const rows = small.rows.slice(0, 12).map((r, i) => row(r, `t${i}`, i < 3 ? 'tie' : i < 5 ? 'skip' : r.label));
    const mixed = await storeDataset(home, 'ties and skips', rows);
    const o = opts({ dataset: mixed, holdout: 0.3 }, 2);
    await trainRewardModel(o);
    expect(o.logs.join('\n')).toMatch(/: 7 pairs to train on, 3 held out \(3 tie\(s\) train towards ½, 2 skip\(s\) left out\)/);
    expect(o.metrics.every(([, v]) => Object.values(v).every(Number.isFinite))).toBe(true);
    expect(o.metrics[0]![1]['eval/bayesAccuracy']).toBeUndefined(); // not an oracle dataset

    const file = join(home, 'prefs.jsonl');
    writeFileSync(file, small.rows.slice(0, 10).map((r) => JSON.stringify({ prompt: r.prompt, chosen: r.chosen, rejected: r.rejected })).join('\n') + '\n');
    const f = opts({ dataset: file }, 1);
    await trainRewardModel(f);
    expect(f.metrics[0]![1]['eval/oracleCorrelation']).toBeUndefined();
    expect(f.logs.join('\n')).toMatch(/no task for the oracle/);
    const g = opts({ dataset: file, task: 'sentiment' }, 1);
    await trainRewardModel(g);
    expect(g.metrics[0]![1]['eval/oracleCorrelation']).toBeTypeOf('number');
  });

  it('resume: stopping at step 3 and resuming gives the numbers and weights of an uninterrupted 6-step run', { timeout: 180_000 }, async () => {
    const config = { dataset: small.id, centerRewardsCoefficient: 0.01, warmupSteps: 2 };
    const a = opts(config, 6);
    await trainRewardModel(a);
    const controller = new AbortController();
    const b = opts(config, 6, { signal: controller.signal });
    b.events = { metrics: (s, v) => (b.metrics.push([s, v]), s === 3 && controller.abort()) };
    expect(await trainRewardModel(b)).toMatchObject({ status: 'stopped', step: 3 });
    expect(await trainRewardModel({ ...b, resume: true, signal: new AbortController().signal })).toMatchObject({ status: 'finished', step: 6 });
    const strip = (m: Record<string, number>): Record<string, number> => Object.fromEntries(Object.entries(m).filter(([k]) => !k.startsWith('time/')));
    expect(b.metrics.map(([s, v]) => [s, strip(v)])).toEqual(a.metrics.map(([s, v]) => [s, strip(v)]));
    const ca = await loadCheckpoint(a.runDir, 'latest');
    const cb = await loadCheckpoint(b.runDir, 'latest');
    expect(Buffer.from(cb.models.lm!.weightData as ArrayBuffer).equals(Buffer.from(ca.models.lm!.weightData as ArrayBuffer))).toBe(true);
    expect(Array.from(cb.arrays[REWARD_HEAD_ARRAY] as Float32Array)).toEqual(Array.from(ca.arrays[REWARD_HEAD_ARRAY] as Float32Array));
  });

  it('creates no tfjs tensors (the engine is plain typed arrays)', { timeout: 120_000 }, async () => {
    const before = tf.memory().numTensors;
    await trainRewardModel(opts({ dataset: small.id }, 2));
    expect(tf.memory().numTensors).toBe(before);
  });
});
