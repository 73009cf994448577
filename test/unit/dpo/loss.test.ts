/**
 * The DPO losses against values worked out by hand, their gradients against finite differences (of the loss alone
 * and of the whole DPO objective through the LM engine), and the batch schedule.
 */
import { describe, expect, it } from 'vitest';
import { dpoConfigSchema } from '../../../core/algos/dpo/config.js';
import { DPO_METRIC, dpoLoss, logSigmoid, type DpoLossOptions } from '../../../core/algos/dpo/loss.js';
import { dpoForward, dpoLogitsGrad, packDpoBatch, type EncodedPair } from '../../../core/algos/dpo/pairs.js';
import { batchIndices } from '../../../core/algos/dpo/train.js';
import { parseConfig } from '../../../core/algos/config-common.js';
import { Rng } from '../../../core/common/rng.js';
import type { LmConfig } from '../../../core/lm/config.js';
import { LmEngine } from '../../../core/lm/engine.js';

const sigmoidOpts = (over: Partial<DpoLossOptions> = {}): DpoLossOptions => ({ beta: 0.1, loss: 'sigmoid', labelSmoothing: 0, ...over });

// One pair: log π(y_w) = −10, log π(y_l) = −12, log π_ref(y_w) = log π_ref(y_l) = −11.
// ρ_w = 1, ρ_l = −1, Δ = 2; with β = 0.1, h = 0.2.
const one = [[-10], [-12], [-11], [-11]] as const;

describe('DPO losses against hand-computed values', () => {
  it('sigmoid: −log σ(0.2) = log(1 + e^−0.2) = 0.598138869; dL/dh = σ(0.2) − 1 = −0.450166003', () => {
    const r = dpoLoss(...one, sigmoidOpts());
    expect(r.loss).toBeCloseTo(0.598138869, 8);
    expect(r.dChosen[0]).toBeCloseTo(0.1 * -0.450166003, 8);
    expect(r.dRejected[0]).toBeCloseTo(-0.1 * -0.450166003, 8);
  });

  it('implicit rewards are β·log-ratio, and TRL\'s rewards/* and logps/* metrics follow from them', () => {
    const r = dpoLoss(...one, sigmoidOpts());
    expect(r.chosenRewards[0]).toBeCloseTo(0.1 * (-10 - -11), 12);
    expect(r.rejectedRewards[0]).toBeCloseTo(0.1 * (-12 - -11), 12);
    expect(r.metrics).toEqual({
      [DPO_METRIC.rewardsChosen]: r.chosenRewards[0],
      [DPO_METRIC.rewardsRejected]: r.rejectedRewards[0],
      [DPO_METRIC.rewardsAccuracies]: 1,
      [DPO_METRIC.rewardsMargins]: r.chosenRewards[0] - r.rejectedRewards[0],
      [DPO_METRIC.logpsChosen]: -10,
      [DPO_METRIC.logpsRejected]: -12,
    });
    // Two pairs, the second ranked the wrong way round: means over pairs, accuracy 1/2.
    const two = dpoLoss([-10, -5], [-12, -4], [-11, -5], [-11, -5], sigmoidOpts({ beta: 0.5 }));
    expect(two.metrics[DPO_METRIC.rewardsAccuracies]).toBe(0.5);
    expect(two.metrics[DPO_METRIC.rewardsChosen]).toBeCloseTo((0.5 * 1 + 0.5 * 0) / 2, 12);
    expect(two.metrics[DPO_METRIC.rewardsRejected]).toBeCloseTo((0.5 * -1 + 0.5 * 1) / 2, 12);
    expect(two.metrics[DPO_METRIC.rewardsMargins]).toBeCloseTo((1 + -0.5) / 2, 12);
    // Pair 2: Δ = 0 − 1 = −1, h = −0.5: loss log(1 + e^0.5) = 0.974076984; pair 1: h = 1: log(1 + e^−1) = 0.313261687.
    expect(two.losses[1]).toBeCloseTo(0.974076984, 8);
    expect(two.losses[0]).toBeCloseTo(0.313261687, 8);
    expect(two.loss).toBeCloseTo((0.313261687 + 0.974076984) / 2, 8);
  });

  it('label smoothing ε = 0.1: 0.9·0.598138869 + 0.1·log(1 + e^0.2) = 0.618138869; dL/dh = σ(0.2) − 0.9', () => {
    const r = dpoLoss(...one, sigmoidOpts({ labelSmoothing: 0.1 }));
    expect(r.loss).toBeCloseTo(0.9 * 0.598138869 + 0.1 * 0.798138869, 8);
    expect(r.loss).toBeCloseTo(0.618138869, 8);
    expect(r.dChosen[0]).toBeCloseTo(0.1 * (0.549833997 - 0.9), 8);
  });

  it('IPO: (Δ − 1/(2β))² = (2 − 5)² = 9 at β = 0.1, dL/dΔ = −6; its minimum sits at Δ = 1/(2β)', () => {
    const r = dpoLoss(...one, { beta: 0.1, loss: 'ipo', labelSmoothing: 0 });
    expect(r.loss).toBeCloseTo(9, 10);
    expect(r.dChosen[0]).toBeCloseTo(-6, 10);
    expect(r.dRejected[0]).toBeCloseTo(6, 10);
    const atMin = dpoLoss([-6], [-12], [-11], [-12], { beta: 0.1, loss: 'ipo', labelSmoothing: 0 }); // Δ = 5
    expect(atMin.loss).toBeCloseTo(0, 12);
    expect(atMin.dChosen[0]).toBeCloseTo(0, 12);
  });

  it('gradients of every variant agree with central differences of the loss', () => {
    const rng = new Rng(4);
    const n = 5;
    const vals = () => Array.from({ length: n }, () => -5 - 10 * rng.uniform());
    const pc = vals();
    const pr = vals();
    const rc = vals();
    const rr = vals();
    for (const o of [sigmoidOpts(), sigmoidOpts({ labelSmoothing: 0.2, beta: 0.7 }), { beta: 0.3, loss: 'ipo', labelSmoothing: 0 } as DpoLossOptions]) {
      const r = dpoLoss(pc, pr, rc, rr, o);
      const eps = 1e-5;
      for (let i = 0; i < n; i++) {
        const bump = (xs: number[], d: number): number[] => xs.map((x, j) => (j === i ? x + d : x));
        const fdC = (dpoLoss(bump(pc, eps), pr, rc, rr, o).loss - dpoLoss(bump(pc, -eps), pr, rc, rr, o).loss) / (2 * eps);
        const fdR = (dpoLoss(pc, bump(pr, eps), rc, rr, o).loss - dpoLoss(pc, bump(pr, -eps), rc, rr, o).loss) / (2 * eps);
        expect(r.dChosen[i]).toBeCloseTo(fdC, 7);
        expect(r.dRejected[i]).toBeCloseTo(fdR, 7);
      }
    }
  });

  it('log σ is stable far from 0, and bad inputs are errors naming what was wrong', () => {
    expect(logSigmoid(-800)).toBeCloseTo(-800, 8);
    expect(logSigmoid(800)).toBe(-0);
    expect(dpoLoss([-2000], [0], [0], [0], sigmoidOpts({ beta: 1 })).loss).toBeCloseTo(2000, 6);
    expect(() => dpoLoss([], [], [], [], sigmoidOpts())).toThrow(/at least one pair/);
    expect(() => dpoLoss([1, 2], [1], [1], [1], sigmoidOpts())).toThrow(/as many log-probs of each kind, got 2 \(policy chosen\), 1/);
    expect(() => dpoLoss([NaN], [1], [1], [1], sigmoidOpts())).toThrow(/pair 0 has a non-finite log-prob/);
    expect(() => dpoLoss(...one, sigmoidOpts({ beta: 0 }))).toThrow(/beta must be a finite number > 0, got 0/);
    expect(() => dpoLoss(...one, { beta: 0.1, loss: 'ipo', labelSmoothing: 0.1 })).toThrow(/labelSmoothing applies to the sigmoid loss only/);
  });
});

describe('DPO config', () => {
  it('defaults, and errors that name the field and the value', () => {
    const c = parseConfig(dpoConfigSchema, { dataset: 'd1', init: 'sft1' });
    expect(c).toMatchObject({ beta: 0.1, loss: 'sigmoid', labelSmoothing: 0, initStep: null, task: null });
    expect(() => parseConfig(dpoConfigSchema, { beta: 0 })).toThrow('config.beta must be > 0, got 0');
    expect(() => parseConfig(dpoConfigSchema, { loss: 'hinge' })).toThrow(/config.loss must be one of "sigmoid", "ipo", got "hinge"/);
    expect(() => parseConfig(dpoConfigSchema, { labelSmoothing: 0.5 })).toThrow(/config.labelSmoothing must be < 0.5, got 0.5/);
    expect(() => parseConfig(dpoConfigSchema, { loss: 'ipo', labelSmoothing: 0.1 })).toThrow(/label smoothing applies to the sigmoid loss only/);
    expect(() => parseConfig(dpoConfigSchema, { lr: 1e-4, minLr: 1e-3 })).toThrow(/config.minLr.*must be ≤ lr/);
    expect(() => parseConfig(dpoConfigSchema, { task: 'poetry' })).toThrow(/config.task must be one of/);
    expect(() => parseConfig(dpoConfigSchema, { betta: 1 })).toThrow(/unknown field\(s\) betta/);
  });
});

describe('the whole DPO objective through the engine', () => {
  const shape: LmConfig = { nLayer: 2, nEmbd: 8, nHead: 2, ctx: 10, vocabSize: 13, dropout: 0 };
  const pairs: EncodedPair[] = [
    { id: 'a', prompt: [1, 4], chosen: [6, 2, 9, 12], rejected: [7, 12] },
    { id: 'b', prompt: [1, 5, 3], chosen: [8, 12], rejected: [8, 8, 1, 12] },
    { id: 'c', prompt: [1], chosen: [10, 11, 12], rejected: [3, 12] },
  ];
  const refC = [-9.5, -7.1, -8.2];
  const refR = [-6.4, -11.3, -5.9];

  for (const o of [sigmoidOpts({ beta: 0.5 }), sigmoidOpts({ beta: 0.5, labelSmoothing: 0.15 }), { beta: 0.5, loss: 'ipo', labelSmoothing: 0 } as DpoLossOptions]) {
    it(`${o.loss}${o.labelSmoothing ? ' (smoothed)' : ''}: dL/dθ by logProbBackward + engine.backward matches central differences`, () => {
      const engine = new LmEngine(shape, 2);
      const rng = new Rng(9);
      for (let i = 0; i < engine.params.length; i++) engine.params[i] += (rng.uniform() - 0.5) * 0.5;
      const batch = packDpoBatch(shape.ctx, pairs, 0);
      const lossAt = (): number => {
        const fw = dpoForward(engine, batch, false);
        return dpoLoss(fw.chosen, fw.rejected, refC, refR, o).loss;
      };
      const fw = dpoForward(engine, batch, false);
      const out = dpoLoss(fw.chosen, fw.rejected, refC, refR, o);
      engine.zeroGrad();
      engine.backward(dpoLogitsGrad(fw.logits, shape.vocabSize, batch, out.dChosen, out.dRejected), null);
      const grads = engine.grads.slice();
      let worst = 0;
      let checked = 0;
      const eps = 1e-2;
      for (let k = 0; k < 120; k++) {
        const i = rng.integer(engine.params.length);
        const orig = engine.params[i];
        engine.params[i] = orig + eps;
        const up = lossAt();
        engine.params[i] = orig - eps;
        const down = lossAt();
        engine.params[i] = orig;
        const fd = (up - down) / (2 * eps);
        if (Math.abs(fd) > 1e-4) checked++;
        worst = Math.max(worst, Math.abs(fd - grads[i]) / Math.max(1e-2, Math.abs(fd) + Math.abs(grads[i])));
      }
      expect(checked).toBeGreaterThan(40);
      expect(worst).toBeLessThan(2e-2);
    });
  }
});

describe('batch schedule', () => {
  it('every pair once per epoch, a different order each epoch, a pure function of the step', () => {
    const n = 10;
    const B = 4;
    const seen = Array.from({ length: 5 }, (_, s) => batchIndices(s, B, n, 3)).flat(); // 20 draws = 2 epochs
    expect([...seen.slice(0, 10)].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect([...seen.slice(10, 20)].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(seen.slice(0, 10)).not.toEqual(seen.slice(10, 20));
    expect(batchIndices(3, B, n, 3)).toEqual(seen.slice(12, 16));
    expect(batchIndices(0, B, n, 4)).not.toEqual(seen.slice(0, 4));
  });
});
