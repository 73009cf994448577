/**
 * RLHF-PPO's pieces on fixed numbers: the per-token KL penalty and where the score lands, the adaptive-β controller
 * against its formula, GAE over tokens against hand values, the PPO loss's gradient (policy through the engine, value
 * through the head, at a temperature ≠ 1, with clipped tokens) against central finite differences, the config's
 * errors, and that none of it creates a tfjs tensor.
 */
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { TrainRunOptions } from '../../../core/algos/loop.js';
import { rlhfPpoConfigSchema } from '../../../core/algos/rlhf-ppo/config.js';
import { minibatchLoss, type Minibatch, type PpoLossCoefs } from '../../../core/algos/rlhf-ppo/ppo-update.js';
import { KlController, tokenGae, tokenRewards } from '../../../core/algos/rlhf-ppo/rewards.js';
import { scaledForward } from '../../../core/algos/rlhf-ppo/rollout.js';
import { trainRlhfPpo } from '../../../core/algos/rlhf-ppo/train.js';
import { Rng } from '../../../core/common/rng.js';
import type { LmConfig } from '../../../core/lm/config.js';
import { LmEngine } from '../../../core/lm/engine.js';
import { packSequences, ScalarHead } from '../../../core/lm/seq.js';

const FIXTURE = join(process.cwd(), 'test/fixtures/lm/sentiment-sft');
const root = mkdtempSync(join(tmpdir(), 'policylab-rlhf-unit-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let runs = 0;

function opts(config: Record<string, unknown>, totalSteps = 1): TrainRunOptions {
  const runId = `u${++runs}`;
  return {
    runDir: join(root, 'runs', runId),
    runId,
    algo: 'rlhf-ppo' as TrainRunOptions['algo'],
    env: 'text' as TrainRunOptions['env'],
    config,
    seed: 2,
    totalSteps,
    signal: new AbortController().signal,
  };
}

describe('rewards', () => {
  it('penalises each token by −β·(log π_old − log π_SFT) and adds the score at the last token of each response', () => {
    const lpOld = Float32Array.from([-1, -2, -0.5, -3, -1.5]);
    const lpRef = Float32Array.from([-1.5, -1, -0.5, -2, -2.5]);
    const offsets = Int32Array.from([0, 3, 5]);
    const { rewards, kl, nonScore } = tokenRewards(lpOld, lpRef, offsets, [4, -2], 0.1);
    // per-token log-ratios 0.5, −1, 0 | −1, 1
    const expected = [-0.05, 0.1, 0 + 4, 0.1, -0.1 - 2];
    expected.forEach((x, i) => expect(rewards[i]).toBeCloseTo(x, 6));
    expect(Array.from(kl)).toEqual([-0.5, 0]);
    expect(nonScore[0]).toBeCloseTo(0.05, 12);
    expect(nonScore[1]).toBeCloseTo(0, 12);
    // β = 0: the score alone
    expect(Array.from(tokenRewards(lpOld, lpRef, offsets, [4, -2], 0).rewards, (x) => x + 0)).toEqual([0, 0, 4, 0, -2]);
    expect(() => tokenRewards(lpOld, lpRef, Int32Array.from([0, 3, 3, 5]), [1, 2, 3], 0.1)).toThrow(/response 1 is empty/);
    expect(() => tokenRewards(lpOld, lpRef.subarray(0, 4), offsets, [1, 2], 0.1)).toThrow(/5 policy log-probs but 4 reference/);
    expect(() => tokenRewards(lpOld, lpRef, offsets, [1, NaN], 0.1)).toThrow(/score of response 1 is not finite/);
  });

  it('adapts β as e = clip(KL/target − 1, ±0.2), β ← β·(1 + e·n/horizon); a fixed β never moves', () => {
    const c = new KlController(0.2, true, 6, 10_000);
    expect(c.update(9, 32)).toBeCloseTo(0.2 * (1 + (0.2 * 32) / 10_000), 15); // e = 0.5 → clipped to 0.2
    const b1 = c.value;
    expect(c.update(6.6, 100)).toBeCloseTo(b1 * (1 + (0.1 * 100) / 10_000), 15); // e = 0.1
    const b2 = c.value;
    expect(c.update(0, 500)).toBeCloseTo(b2 * (1 - (0.2 * 500) / 10_000), 15); // e = −1 → −0.2
    const b3 = c.value;
    expect(c.update(6, 64)).toBe(b3); // on target
    const fixed = new KlController(0.05, false, 6, 10_000);
    expect(fixed.update(100, 64)).toBe(0.05);
    expect(() => new KlController(-1, false, 6, 1)).toThrow(/klCoef must be finite and ≥ 0/);
    expect(() => c.update(NaN, 1)).toThrow(/KL is not finite/);
  });

  it('GAE over tokens: each response terminates at its last token (hand values, γ = 0.9, λ = 0.5)', () => {
    const rewards = Float32Array.from([1, 0, 2, -1]);
    const values = Float32Array.from([0.5, 1, 0.2, 0.3]);
    const offsets = Int32Array.from([0, 3, 4]);
    const { advantages, returns } = tokenGae(rewards, values, offsets, 0.9, 0.5);
    const d2 = 2 - 0.2; // terminal: nothing after the last token
    const d1 = 0 + 0.9 * 0.2 - 1;
    const d0 = 1 + 0.9 * 1 - 0.5;
    const a2 = d2;
    const a1 = d1 + 0.45 * a2;
    const a0 = d0 + 0.45 * a1;
    const a3 = -1 - 0.3; // the second response, one token, does not see the first's values
    [a0, a1, a2, a3].forEach((a, i) => {
      expect(advantages[i]).toBeCloseTo(a, 6);
      expect(returns[i]).toBeCloseTo(a + values[i], 6);
    });
  });
});

describe('the PPO loss', () => {
  const shape: LmConfig = { nLayer: 2, nEmbd: 8, nHead: 2, ctx: 10, vocabSize: 13, dropout: 0 };
  const prompts = [[1, 4], [2], [3, 5, 7]];
  const responses = [[6, 2, 9], [8, 8, 1, 0], [10, 12]];

  function setup(): { engine: LmEngine; head: ScalarHead; mb: Minibatch; c: PpoLossCoefs } {
    const engine = new LmEngine(shape, 1);
    const rng = new Rng(7);
    for (let i = 0; i < engine.params.length; i++) engine.params[i] += (rng.uniform() - 0.5) * 0.5;
    const head = new ScalarHead(shape.nEmbd, 3, 0.5);
    const packed = packSequences(shape.ctx, prompts, responses, 0);
    const c: PpoLossCoefs = { clipRange: 0.2, clipRangeValue: 0.2, vfCoef: 0.7, temperature: 0.8 };
    const { logProbs, values } = scaledForward(engine, packed, c.temperature, head);
    const n = packed.rows.length;
    // Old log-probs and values away from the current ones by fixed offsets, so some tokens are clipped and some not
    // (and none sits on a clip boundary, where the loss has a kink).
    const shifts = [0, 0.45, -0.4, 0.05, -0.6, 0.3, -0.05, 0.5, 0];
    const vShifts = [0.5, 0, -0.1, -0.7, 0.05, 0.3, 0, -0.4, 0.1];
    const mb: Minibatch = {
      packed,
      lpOld: Float32Array.from({ length: n }, (_, i) => logProbs[i] + shifts[i]),
      advantages: Float32Array.from({ length: n }, (_, i) => (i % 3 === 0 ? -1 : 1) * (0.5 + i / 10)),
      returns: Float32Array.from({ length: n }, (_, i) => values![i] + (i % 2 === 0 ? 1.2 : -0.9)),
      oldValues: Float32Array.from({ length: n }, (_, i) => values![i] + vShifts[i]),
    };
    return { engine, head, mb, c };
  }

  it('its gradient through the engine (policy) and the head (value) agrees with central finite differences', () => {
    const { engine, head, mb, c } = setup();
    expect(mb.packed.rows.length).toBe(9);
    engine.zeroGrad();
    head.zeroGrad();
    const st = minibatchLoss(engine, head, mb, c, true);
    expect(st.clipFrac).toBeGreaterThan(0);
    expect(st.clipFrac).toBeLessThan(1);
    expect(st.vfClipFrac).toBeGreaterThan(0);
    expect(st.loss).toBeCloseTo(st.pgLoss + c.vfCoef * st.vfLoss, 12);
    const lossAt = (): number => minibatchLoss(engine, head, mb, c, false).loss;
    const rng = new Rng(11);
    const check = (params: Float32Array, grads: Float32Array, n: number): number => {
      let worst = 0;
      const eps = 1e-2;
      for (let k = 0; k < n; k++) {
        const i = n >= params.length ? k : rng.integer(params.length);
        const orig = params[i];
        params[i] = orig + eps;
        const up = lossAt();
        params[i] = orig - eps;
        const down = lossAt();
        params[i] = orig;
        const fd = (up - down) / (2 * eps);
        worst = Math.max(worst, Math.abs(fd - grads[i]) / Math.max(1e-2, Math.abs(fd) + Math.abs(grads[i])));
      }
      return worst;
    };
    const trunkGrads = engine.grads.slice();
    expect(trunkGrads.some((g) => g !== 0)).toBe(true);
    expect(check(engine.params, trunkGrads, 150)).toBeLessThan(2e-2);
    expect(check(head.params, head.grads.slice(), head.params.length)).toBeLessThan(2e-2);
  });

  it('at the rollout (ratio 1, values unchanged) nothing is clipped and the value loss is ½·mean (V − R)²', () => {
    const { engine, head, mb, c } = setup();
    const { logProbs, values } = scaledForward(engine, mb.packed, c.temperature, head);
    const at = { ...mb, lpOld: logProbs, oldValues: values! };
    const st = minibatchLoss(engine, head, at, c, false);
    expect(st.ratio).toBeCloseTo(1, 6);
    expect(st.approxKl).toBeCloseTo(0, 10);
    expect(st.clipFrac).toBe(0);
    let mse = 0;
    let pg = 0;
    for (let i = 0; i < values!.length; i++) {
      mse += (values![i] - mb.returns[i]) ** 2;
      pg -= mb.advantages[i];
    }
    expect(st.vfLoss).toBeCloseTo((0.5 * mse) / values!.length, 5);
    expect(st.pgLoss).toBeCloseTo(pg / values!.length, 5);
  });
});

describe('rlhf-ppo config', () => {
  it('documents every field and rejects bad values by name', () => {
    for (const [k, f] of Object.entries(rlhfPpoConfigSchema.shape)) expect((f as { description?: string }).description, k).toBeTruthy();
    expect(rlhfPpoConfigSchema.shape.rewardModel.description).toMatch(/"oracle".*synthetic/);
    const bad = (c: Record<string, unknown>): string => {
      const r = rlhfPpoConfigSchema.safeParse(c);
      expect(r.success).toBe(false);
      return JSON.stringify(r.error!.issues.map((i) => i.path.join('.')));
    };
    expect(bad({ temperature: 0 })).toContain('temperature');
    expect(bad({ task: 'poetry' })).toContain('task');
    expect(bad({ klCoef: -0.1 })).toContain('klCoef');
    expect(bad({ lam: 1.5 })).toContain('lam');
    expect(bad({ initStep: 1.5 })).toContain('initStep');
    expect(bad({ bogus: 1 })).toBe('[""]');
    expect(rlhfPpoConfigSchema.parse({})).toMatchObject({ klCoef: 0.05, gamma: 1, lam: 0.95, clipRange: 0.2, vfCoef: 0.1, initStep: null, rewardModelStep: null });
  });

  it('a run names what is missing or wrong before training', async () => {
    await expect(trainRlhfPpo(opts({ rewardModel: 'oracle' }))).rejects.toThrow(/config\.init: name the SFT policy/);
    await expect(trainRlhfPpo(opts({ init: FIXTURE }))).rejects.toThrow(/config\.rewardModel: name a reward-model run id.*"oracle"/);
    await expect(trainRlhfPpo(opts({ init: FIXTURE, rewardModel: 'oracle', rolloutPrompts: 4, miniBatches: 8 }))).rejects.toThrow(/miniBatches \(8\) must not exceed config\.rolloutPrompts \(4\)/);
    await expect(trainRlhfPpo(opts({ init: 'no-such-run', rewardModel: 'oracle' }))).rejects.toThrow(/config\.init: there is no run "no-such-run"/);
    await expect(trainRlhfPpo(opts({ init: root, rewardModel: 'oracle' }))).rejects.toThrow(/config\.init: .* holds no saved language model/);
    await expect(trainRlhfPpo(opts({ init: FIXTURE, rewardModel: 'no-such-rm' }))).rejects.toThrow(/config\.rewardModel: there is no run "no-such-rm"/);
    await expect(trainRlhfPpo(opts({ init: FIXTURE, rewardModel: 'oracle', temperature: 0 }))).rejects.toThrow(/temperature/);
    await expect(trainRlhfPpo({ ...opts({ init: FIXTURE, rewardModel: 'oracle' }), env: 'CartPole-v1' as TrainRunOptions['env'] })).rejects.toThrow(/trains on text/);
  });

  it('creates no tfjs tensors: a one-iteration run leaves tf.memory().numTensors unchanged', { timeout: 60_000 }, async () => {
    const config = { init: FIXTURE, rewardModel: 'oracle', rolloutPrompts: 4, miniBatches: 2, ppoEpochs: 1, maxNewTokens: 6, evalPrompts: 2, evalInterval: 0 };
    await trainRlhfPpo(opts(config)); // backend initialised
    const before = tf.memory().numTensors;
    const r = await trainRlhfPpo(opts(config, 2));
    expect(r).toMatchObject({ status: 'finished', step: 2 });
    expect(tf.memory().numTensors).toBe(before);
  });
});
