/**
 * Loss values checked by hand on tiny fixed batches, and the hand-written gradients (engine "js") checked against
 * tfjs autodiff (engine "tfjs") on random networks, for discrete and continuous actions.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { a2cLossJs, a2cLossTf } from '../../../core/algos/a2c/a2c.js';
import {
  clippedSurrogate,
  clippedValueLoss,
  plainSurrogate,
  ppoLossJs,
  type PpoLossCoefs,
} from '../../../core/algos/ppo/ppo.js';
import { ppoLossTf } from '../../../core/algos/ppo/ppo-tf.js';
import { reinforceLossJs, reinforceLossTf, valueMseJs, valueMseTf } from '../../../core/algos/reinforce/reinforce.js';
import type { ActorCritic } from '../../../core/algos/model.js';
import type { Samples } from '../../../core/algos/types.js';
import { initBackend } from '../../../core/tensor/backend.js';
import { constantDiscreteModel, expectAllClose, randomBatch, randomModel } from './fixtures.js';

beforeAll(async () => {
  await initBackend();
});

const LOG_P0 = Math.log(0.25);
const LOG_P1 = Math.log(0.75);
const ENTROPY = -(0.25 * LOG_P0 + 0.75 * LOG_P1); // 0.5623…

/** Actions [0, 1, 1, 0] with ratios r = [1.5, 0.5, 1.1, 0.7] and advantages [1, 1, −1, −2]. */
function handBatch(): Samples {
  const ratios = [1.5, 0.5, 1.1, 0.7];
  const actions = [0, 1, 1, 0];
  const logp = actions.map((a) => (a === 0 ? LOG_P0 : LOG_P1));
  return {
    size: 4,
    obs: Float32Array.from({ length: 16 }, (_, i) => (i % 5) * 0.1 - 0.2),
    actions: Float32Array.from(actions),
    logProbs: Float32Array.from(logp.map((lp, i) => lp - Math.log(ratios[i]))),
    values: Float32Array.from([0.2, 0.6, 0.5, 0.9]),
    advantages: Float32Array.from([1, 1, -1, -2]),
    returns: Float32Array.from([1.0, 0.0, 0.8, 0.5]),
  };
}

describe('PPO terms by hand', () => {
  it('clipped surrogate: unclipped, clipped above and clipped below', () => {
    // r = 1.5, A = 1: max(−1.5, −1.2) = −1.2, the clipped branch: no gradient.
    expect(clippedSurrogate(1.5, 1, 0.2)).toEqual({ loss: -1.2, dLogProb: 0 });
    // r = 0.5, A = 1: max(−0.5, −0.8) = −0.5, unclipped: ∂/∂log π = −A·r = −0.5.
    expect(clippedSurrogate(0.5, 1, 0.2)).toEqual({ loss: -0.5, dLogProb: -0.5 });
    // r = 0.7, A = −2: max(1.4, 1.6) = 1.6, clipped at 1 − ε: no gradient.
    const c = clippedSurrogate(0.7, -2, 0.2);
    expect(c.loss).toBeCloseTo(1.6, 12);
    expect(c.dLogProb).toBe(0);
    // Inside the range both branches agree and the gradient flows.
    const inside = clippedSurrogate(1.1, -1, 0.2);
    expect(inside.loss).toBeCloseTo(1.1, 12);
    expect(inside.dLogProb).toBeCloseTo(1.1, 12);
    // clip: false is the plain importance-sampled surrogate −A·r, gradient everywhere.
    expect(plainSurrogate(1.5, 1)).toEqual({ loss: -1.5, dLogProb: -1.5 });
  });

  it('value clipping keeps the larger of the clipped and unclipped errors', () => {
    // V = 0.5, V_old = 0.2, R = 1: unclipped 0.25; clipped V_old + 0.2 = 0.4 → 0.36 (flat: |V − V_old| > ε).
    const a = clippedValueLoss(0.5, 0.2, 1, 0.2);
    expect(a.loss).toBeCloseTo(0.36, 12);
    expect(a.dValue).toBe(0);
    // V = 0.5, V_old = 0.9, R = 0.5: unclipped 0; clipped 0.7 → 0.04.
    expect(clippedValueLoss(0.5, 0.9, 0.5, 0.2).loss).toBeCloseTo(0.04, 12);
    // Within ε of V_old both are the same squared error, gradient 2(V − R).
    const b = clippedValueLoss(0.5, 0.6, 0, 0.2);
    expect(b.loss).toBeCloseTo(0.25, 12);
    expect(b.dValue).toBeCloseTo(1, 12);
  });

  it('the whole minibatch loss matches the hand computation (clip, value clip, entropy bonus)', () => {
    const model = constantDiscreteModel();
    const coefs: PpoLossCoefs = { clip: true, clipCoef: 0.2, clipVloss: true, entCoef: 0.01, vfCoef: 0.5 };
    model.grads.fill(0);
    const s = ppoLossJs(model, handBatch(), coefs);
    const pgLoss = (-1.2 - 0.5 + 1.1 + 1.6) / 4;
    const valueLoss = (0.5 * (0.36 + 0.25 + 0.09 + 0.04)) / 4;
    expect(s.pgLoss).toBeCloseTo(pgLoss, 6);
    expect(s.valueLoss).toBeCloseTo(valueLoss, 6);
    expect(s.entropy).toBeCloseTo(ENTROPY, 6);
    expect(s.loss).toBeCloseTo(pgLoss - 0.01 * ENTROPY + 0.5 * valueLoss, 6);
    expect(s.clipFraction).toBeCloseTo(0.75, 12);
    const approxKl = [1.5, 0.5, 1.1, 0.7].reduce((acc, r) => acc + (r - 1 - Math.log(r)), 0) / 4;
    expect(s.approxKl).toBeCloseTo(approxKl, 6);
    // The same numbers through tfjs.
    const t = ppoLossTf(model, handBatch(), coefs);
    expect(t.loss).toBeCloseTo(s.loss, 5);
    expect(t.clipFraction).toBeCloseTo(0.75, 6);
  });

  it('the entropy bonus lowers the loss by entCoef · H and pushes the policy towards uniform', () => {
    const model = constantDiscreteModel();
    const batch = handBatch();
    batch.advantages.fill(0);
    const base = { clip: true, clipCoef: 0.2, clipVloss: false, vfCoef: 0 };
    model.grads.fill(0);
    const withBonus = ppoLossJs(model, batch, { ...base, entCoef: 0.1 });
    // Only the entropy term is left: loss = −0.1·H, and descending it raises the smaller logit's share.
    expect(withBonus.loss).toBeCloseTo(-0.1 * ENTROPY, 6);
    const outBias = model.actor.numParams - 2;
    expect(model.grads[outBias]).toBeLessThan(0); // d loss / d logit_0 < 0: increase p(0) = 0.25 towards 0.5
    expect(model.grads[outBias + 1]).toBeGreaterThan(0);
  });
});

describe('REINFORCE and A2C by hand', () => {
  it('REINFORCE: −mean(w · log π(a|s))', () => {
    const model = constantDiscreteModel();
    const batch = handBatch();
    batch.advantages.set([2, -1, 0.5, 1]);
    model.grads.fill(0);
    const s = reinforceLossJs(model, batch, 0);
    expect(s.pgLoss).toBeCloseTo(-(2 * LOG_P0 - 1 * LOG_P1 + 0.5 * LOG_P1 + 1 * LOG_P0) / 4, 6);
    expect(s.entropy).toBeCloseTo(ENTROPY, 6);
  });

  it('A2C: −mean(A · log π) + vfCoef · mean((R − V)²) − entCoef · H', () => {
    const model = constantDiscreteModel();
    const batch = handBatch();
    model.grads.fill(0);
    const s = a2cLossJs(model, batch, { entCoef: 0.01, vfCoef: 0.5 });
    const pg = -(1 * LOG_P0 + 1 * LOG_P1 - 1 * LOG_P1 - 2 * LOG_P0) / 4;
    const vl = (0.25 + 0.25 + 0.09 + 0) / 4;
    expect(s.pgLoss).toBeCloseTo(pg, 6);
    expect(s.valueLoss).toBeCloseTo(vl, 6);
    expect(s.loss).toBeCloseTo(pg + 0.5 * vl - 0.01 * ENTROPY, 6);
  });
});

describe('hand-written gradients equal tfjs autodiff', () => {
  const coefs: PpoLossCoefs = { clip: true, clipCoef: 0.2, clipVloss: true, entCoef: 0.01, vfCoef: 0.5 };
  const cases: { name: string; js: (m: ActorCritic, b: Samples) => number; tf: (m: ActorCritic, b: Samples) => number }[] = [
    { name: 'PPO clipped', js: (m, b) => ppoLossJs(m, b, coefs).loss, tf: (m, b) => ppoLossTf(m, b, coefs).loss },
    {
      name: 'PPO unclipped (clip: false)',
      js: (m, b) => ppoLossJs(m, b, { ...coefs, clip: false, clipVloss: false }).loss,
      tf: (m, b) => ppoLossTf(m, b, { ...coefs, clip: false, clipVloss: false }).loss,
    },
    { name: 'A2C', js: (m, b) => a2cLossJs(m, b, { entCoef: 0.01, vfCoef: 0.5 }).loss, tf: (m, b) => a2cLossTf(m, b, { entCoef: 0.01, vfCoef: 0.5 }).loss },
    { name: 'REINFORCE policy', js: (m, b) => reinforceLossJs(m, b, 0.01).pgLoss, tf: (m, b) => reinforceLossTf(m, b, 0.01).pgLoss },
    { name: 'REINFORCE baseline', js: (m, b) => valueMseJs(m, b), tf: (m, b) => valueMseTf(m, b) },
  ];
  for (const discrete of [true, false]) {
    for (const c of cases) {
      it(`${c.name}, ${discrete ? 'categorical' : 'Gaussian'}`, () => {
        const model = randomModel(discrete);
        const batch = randomBatch(model, 37);
        model.grads.fill(0);
        const lossJs = c.js(model, batch);
        const gradJs = model.grads.slice();
        const lossTf = c.tf(model, batch);
        const gradTf = model.grads.slice();
        expect(lossJs).toBeCloseTo(lossTf, 4);
        expect(gradJs.some((g) => g !== 0)).toBe(true);
        expectAllClose(gradJs, gradTf, 2e-3);
      });
    }
  }
});
