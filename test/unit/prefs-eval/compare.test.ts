/**
 * comparePolicies in-process on the sentiment SFT fixture (LM folders as refs): progress runs from 0 to the total
 * without going back, the answers are seeded, and a policy that does not fit the reference (another tokenizer or
 * context) is refused naming its field.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { taskPromptSplit } from '../../../core/algos/prefs/common.js';
import { loadRewardModel } from '../../../core/algos/reward-model/model.js';
import { LmEngine } from '../../../core/lm/engine.js';
import { lmArtifacts, loadLm, saveLm } from '../../../core/lm/files.js';
import { trainBpe } from '../../../core/lm/tokenizer.js';
import { comparePolicies, type CompareJob, type CompareModelSpec } from '../../../core/prefs-eval/compare.js';
import { checksummer } from '../../../core/store/checksum.js';
import { saveCheckpoint } from '../../../core/store/checkpoints.js';
import { Rng } from '../../../core/common/rng.js';

const FIXTURE = join(import.meta.dirname, '..', '..', 'fixtures', 'lm', 'sentiment-sft');
let dir: string;

const spec = (ref: string, field: string): CompareModelSpec => ({ ref, step: null, field, algo: 'sft', name: field });
const job = (policies: CompareModelSpec[]): CompareJob => ({
  runsDir: dir,
  task: 'sentiment',
  prompts: taskPromptSplit('sentiment').eval.slice(0, 5),
  policies,
  reference: spec(FIXTURE, 'reference'),
  rewardModel: null,
  seed: 11,
  sampling: { temperature: 1, topK: 0, topP: 1, maxNewTokens: 8 },
});

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'policylab-compare-'));
  const sum = await checksummer();
  const fx = await loadLm(FIXTURE, sum);
  mkdirSync(join(dir, 'other-tokenizer'));
  mkdirSync(join(dir, 'short-context'));
  const otherTok = trainBpe('a film that was good and a film that was bad', 280);
  await saveLm(join(dir, 'other-tokenizer'), new LmEngine({ ...fx.engine.config, vocabSize: 280 }, 1), otherTok, sum, false);
  await saveLm(join(dir, 'short-context'), new LmEngine({ ...fx.engine.config, ctx: 32 }, 1), fx.tokenizer, sum, false);
  const head = new Float32Array(fx.engine.config.nEmbd + 1);
  const rng = new Rng(2);
  for (let i = 0; i < head.length; i++) head[i] = 0.2 * rng.normal();
  await saveCheckpoint(join(dir, 'rm'), { step: 9, models: { lm: lmArtifacts(fx.engine, fx.tokenizer) }, arrays: { rewardHead: head }, state: {} }, undefined, { fsync: false });
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('comparePolicies', () => {
  it('reports progress up to the total and answers the same way twice', async () => {
    const seen: number[] = [];
    const a = await comparePolicies(job([spec(FIXTURE, 'policies[0]')]), (_stage, done, total) => {
      expect(total).toBe(10);
      seen.push(done);
    });
    expect(seen[0]).toBe(0);
    expect(seen[seen.length - 1]).toBe(10);
    expect(seen.every((d, i) => i === 0 || d >= seen[i - 1]!)).toBe(true);
    const b = await comparePolicies(job([spec(FIXTURE, 'policies[0]')]));
    expect(b.policies[0]!.completions).toEqual(a.policies[0]!.completions);
    expect(a.policies[0]!.completions).toEqual(a.reference.completions);
    expect(a.winRates[0]).toMatchObject({ ties: 5, rate: 0.5 });
  });

  it('scores every answer with the reward model run (its r_φ, the same as scoring directly); no tfjs tensors left', async () => {
    const before = tf.memory().numTensors;
    const r = await comparePolicies({ ...job([spec(FIXTURE, 'policies[0]')]), rewardModel: { ...spec('rm', 'rewardModel'), algo: 'reward-model' } });
    expect(tf.memory().numTensors).toBe(before);
    expect(r.rewardModel).toMatchObject({ runId: 'rm', step: 9 });
    const rm = await loadRewardModel('rm', join(dir, 'x'), null, 'rm');
    const direct = Array.from(rm.score(r.prompts, r.policies[0]!.completions));
    expect(r.policies[0]!.reward).toEqual(direct);
    expect(new Set(direct).size).toBeGreaterThan(1);
    expect(r.policies[0]!.meanReward).toBeCloseTo(direct.reduce((x, y) => x + y, 0) / direct.length, 6);
  });

  it('refuses a policy with another tokenizer or context, naming the field', async () => {
    await expect(comparePolicies(job([spec(FIXTURE, 'policies[0]'), spec(join(dir, 'other-tokenizer'), 'policies[1]')]))).rejects.toThrow(/^policies\[1\]: .*other-tokenizer.* uses another tokenizer than the reference/);
    await expect(comparePolicies(job([spec(join(dir, 'short-context'), 'policies[0]')]))).rejects.toThrow(/^policies\[0\]: .* has context 32, the reference .* 64/);
    await expect(comparePolicies(job([spec(join(dir, 'nothing-here'), 'policies[0]')]))).rejects.toThrow(/^policies\[0\]: .* holds no saved language model/);
  });
});
