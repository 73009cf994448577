/**
 * The reward-model loss (core/algos/reward-model/loss.ts) against hand-computed values, its gradient against finite
 * differences, ties, the centring term, TRL's evaluation numbers and Spearman's ρ; then the whole loss through the
 * head and the transformer trunk (packed chosen/rejected batch → head.backward → engine.backward) against central
 * finite differences of the loss itself.
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '../../../core/common/rng.js';
import { bradleyTerryLoss, pairMetrics, ranks, sigmoid, softplus, spearman } from '../../../core/algos/reward-model/loss.js';
import { RewardModel } from '../../../core/algos/reward-model/model.js';
import { packPairs, PairSchedule, type EncodedPair } from '../../../core/algos/reward-model/train.js';
import type { LmConfig } from '../../../core/lm/config.js';
import { LmEngine } from '../../../core/lm/engine.js';
import { packSequences, ScalarHead } from '../../../core/lm/seq.js';
import { trainChar } from '../../../core/lm/tokenizer.js';

describe('Bradley–Terry loss', () => {
  it('−log σ(r_w − r_l) per strict pair, averaged; dL/dr = ∓σ(−d)/B', () => {
    // Pair 0: d = 2 − 0.5 = 1.5; pair 1: d = −1 − 1 = −2.
    const { loss, btLoss, centerLoss, dRewards } = bradleyTerryLoss([2, -1, 0.5, 1], [false, false]);
    const l0 = Math.log(1 + Math.exp(-1.5));
    const l1 = Math.log(1 + Math.exp(2));
    expect(loss).toBeCloseTo((l0 + l1) / 2, 12);
    expect(btLoss).toBe(loss);
    expect(centerLoss).toBe(0);
    const s0 = 1 / (1 + Math.exp(1.5)); // σ(−1.5)
    const s1 = 1 / (1 + Math.exp(-2)); // σ(2)
    expect(Array.from(dRewards)).toEqual([-s0 / 2, -s1 / 2, s0 / 2, s1 / 2].map((x) => expect.closeTo(x, 12)));
  });

  it('a tie is cross-entropy against ½: −½ log σ(d) − ½ log σ(−d), symmetric, gradient σ(d) − ½', () => {
    const d = 0.8;
    const { loss, dRewards } = bradleyTerryLoss([1.3, 0.5], [true]);
    expect(loss).toBeCloseTo(-0.5 * Math.log(sigmoid(d)) - 0.5 * Math.log(sigmoid(-d)), 12);
    expect(bradleyTerryLoss([0.5, 1.3], [true]).loss).toBeCloseTo(loss, 12);
    expect(dRewards[0]).toBeCloseTo(sigmoid(d) - 0.5, 12);
    expect(dRewards[1]).toBeCloseTo(0.5 - sigmoid(d), 12);
    // Its minimum is at d = 0 (log 2), where a strict pair's loss is also log 2 but still pulls.
    const atZero = bradleyTerryLoss([0.2, 0.2], [true]);
    expect(atZero.loss).toBeCloseTo(Math.LN2, 12);
    expect(atZero.dRewards[0]).toBeCloseTo(0, 12);
    expect(bradleyTerryLoss([0.2, 0.2], [false]).dRewards[0]).toBeCloseTo(-0.5, 12);
  });

  it('centring adds c · mean (r_w + r_l)² and its gradient 2c(r_w + r_l)/B to both rewards', () => {
    const r = [1, 3, -2, 0.5];
    const plain = bradleyTerryLoss(r, [false, false]);
    const c = 0.01;
    const centred = bradleyTerryLoss(r, [false, false], c);
    expect(centred.centerLoss).toBeCloseTo((c * ((1 - 2) ** 2 + (3 + 0.5) ** 2)) / 2, 12);
    expect(centred.loss).toBeCloseTo(plain.loss + centred.centerLoss, 12);
    expect(centred.dRewards[0] - plain.dRewards[0]).toBeCloseTo((2 * c * (1 - 2)) / 2, 12);
    expect(centred.dRewards[3] - plain.dRewards[3]).toBeCloseTo((2 * c * (3 + 0.5)) / 2, 12);
    expect(bradleyTerryLoss(r, [false, false], 0)).toEqual(plain);
    expect(bradleyTerryLoss(r, [false, false], null)).toEqual(plain);
  });

  it('dRewards are the derivatives of the loss (finite differences, ties and centring included)', () => {
    const rng = new Rng(4);
    const B = 5;
    const r = Array.from({ length: 2 * B }, () => rng.normal() * 2);
    const tie = [false, true, false, false, true];
    const { dRewards } = bradleyTerryLoss(r, tie, 0.05);
    const eps = 1e-6;
    for (let i = 0; i < 2 * B; i++) {
      const up = r.slice();
      const down = r.slice();
      up[i] += eps;
      down[i] -= eps;
      const fd = (bradleyTerryLoss(up, tie, 0.05).loss - bradleyTerryLoss(down, tie, 0.05).loss) / (2 * eps);
      expect(dRewards[i]).toBeCloseTo(fd, 7);
    }
  });

  it('stays finite at huge margins and refuses bad input', () => {
    const big = bradleyTerryLoss([1000, -1000, -1000, 1000], [false, false]);
    expect(big.loss).toBeCloseTo(1000, 6); // pair 0 ≈ 0, pair 1 ≈ 2000, mean 1000
    expect(Array.from(big.dRewards).every(Number.isFinite)).toBe(true);
    expect(softplus(800)).toBe(800);
    expect(softplus(-800)).toBe(0);
    expect(() => bradleyTerryLoss([1, 2, 3], [false, false])).toThrow(/needs 2·B = 4 rewards/);
    expect(() => bradleyTerryLoss([], [])).toThrow(/at least one pair/);
    expect(() => bradleyTerryLoss([NaN, 0], [false])).toThrow(/reward of pair 0 is not finite/);
    expect(() => bradleyTerryLoss([0, 0], [false], -1)).toThrow(/centerRewardsCoefficient must be a finite number ≥ 0/);
  });
});

describe('evaluation numbers', () => {
  it('accuracy, margin and reward range as TRL RewardTrainer; ties count only towards the rewards', () => {
    const m = pairMetrics([2, 0, 1, 5], [1, 3, 1, -4], [false, false, false, true]);
    expect(m.accuracy).toBeCloseTo((1 + 0 + 0.5) / 3, 12);
    expect(m.margin).toBeCloseTo((1 - 3 + 0) / 3, 12);
    expect(m.meanReward).toBeCloseTo((2 + 0 + 1 + 5 + 1 + 3 + 1 - 4) / 8, 12);
    expect(m.minReward).toBe(-4);
    expect(m.maxReward).toBe(5);
    expect(Number.isNaN(pairMetrics([1], [2], [true]).accuracy)).toBe(true);
  });

  it('Spearman ρ: average ranks for ties, ±1 for monotone series, NaN when constant', () => {
    expect(Array.from(ranks([10, 30, 20, 20]))).toEqual([1, 4, 2.5, 2.5]);
    expect(spearman([1, 2, 3, 4], [10, 20, 30, 1000])).toBeCloseTo(1, 12);
    expect(spearman([1, 2, 3, 4], [4, 3, 2, 1])).toBeCloseTo(-1, 12);
    // x = [1, 2, 3, 4, 5], y ranks [2, 1, 4, 3, 5]: ρ = 1 − 6Σd²/(n(n²−1)) = 1 − 6·4/120 = 0.8.
    expect(spearman([1, 2, 3, 4, 5], [0.2, 0.1, 0.4, 0.3, 0.5])).toBeCloseTo(0.8, 12);
    expect(Number.isNaN(spearman([1, 1, 1], [1, 2, 3]))).toBe(true);
    expect(() => spearman([1], [1, 2])).toThrow(/equally long/);
  });
});

describe('batches', () => {
  it('each epoch visits every pair once, in a seeded order that depends only on (seed, step)', () => {
    const a = new PairSchedule(10, 7);
    const epoch0 = [...a.batch(0, 4), ...a.batch(1, 4), ...a.batch(2, 4).slice(0, 2)];
    expect([...epoch0].sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // A fresh schedule asked for a late step (a resumed run) gives the same batch.
    const late = a.batch(7, 4);
    expect(new PairSchedule(10, 7).batch(7, 4)).toEqual(late);
    expect(new PairSchedule(10, 8).batch(0, 10)).not.toEqual(new PairSchedule(10, 7).batch(0, 10));
    expect(() => new PairSchedule(0, 1)).toThrow(/at least one pair/);
  });
});

describe('the whole reward-model loss through head and trunk', () => {
  const shape: LmConfig = { nLayer: 2, nEmbd: 8, nHead: 2, ctx: 12, vocabSize: 0, dropout: 0 };

  it.each(['last', 'sum'] as const)('pooling %s: engine.backward(null, backwardPacked(dL/dr)) agrees with central finite differences of the loss', (pooling) => {
    const tok = trainChar('abcdefgh ', 260);
    const engine = new LmEngine({ ...shape, vocabSize: tok.vocabSize }, 1);
    const rng = new Rng(9);
    for (let i = 0; i < engine.params.length; i++) engine.params[i] += (rng.uniform() - 0.5) * 0.4;
    const model = new RewardModel(engine, tok, new ScalarHead(shape.nEmbd, 3, 0.5), pooling);
    const texts: [string, string, string, boolean][] = [
      ['ab', 'cde', 'f', false],
      ['c', 'hh', 'gab', true],
      ['dd', 'a', 'bcd', false],
    ];
    const pairs: EncodedPair[] = texts.map(([p, w, l, tie], i) => {
      const enc = model.encode([p, p], [w, l]);
      return { pair: { id: `p${i}`, prompt: p, chosen: w, rejected: l, tie }, prompt: enc.prompts[0], chosen: enc.responses[0], rejected: enc.responses[1] };
    });
    const packed = packPairs(shape.ctx, pairs, tok.ids.pad);
    const tie = pairs.map((p) => p.pair.tie);
    const lossOf = (): number => bradleyTerryLoss(model.scorePacked(packed), tie, 0.1).loss;
    engine.zeroGrad();
    model.head.zeroGrad();
    const r = model.scorePacked(packed, true);
    const { dRewards } = bradleyTerryLoss(r, tie, 0.1);
    const dhidden = new Float32Array(packed.B * packed.T * shape.nEmbd);
    model.backwardPacked(packed, dRewards, dhidden);
    engine.backward(null, dhidden);
    const check = (params: Float32Array, grads: Float32Array, picks: number[]): number => {
      let worst = 0;
      // 3e-3: small enough that the curvature of the randomised trunk does not show, large enough for float32.
      const eps = 3e-3;
      for (const i of picks) {
        const orig = params[i];
        params[i] = orig + eps;
        const up = lossOf();
        params[i] = orig - eps;
        const down = lossOf();
        params[i] = orig;
        const fd = (up - down) / (2 * eps);
        const rel = Math.abs(fd - grads[i]) / Math.max(1e-2, Math.abs(fd) + Math.abs(grads[i]));
        worst = Math.max(worst, rel);
      }
      return worst;
    };
    // Parameters that matter: the embedding rows of the tokens used, every layer's weights (random picks), the head.
    const used = new Set(Array.from(packed.tokens));
    const C = shape.nEmbd;
    const embRows = [...used].flatMap((t) => [engine.layout.wte + t * C, engine.layout.wte + t * C + 3]);
    const random = Array.from({ length: 120 }, () => rng.integer(engine.params.length));
    expect(check(engine.params, engine.grads, [...embRows, ...random])).toBeLessThan(1.5e-2);
    expect(check(model.head.params, model.head.grads, Array.from({ length: C + 1 }, (_, i) => i))).toBeLessThan(2e-2);
    let nonzero = 0;
    for (const g of engine.grads) if (g !== 0) nonzero++;
    expect(nonzero).toBeGreaterThan(engine.params.length / 3);
  });

  it("pooling sum is w·h_t summed over the response tokens' positions plus b once; last is the head at the last token", () => {
    const tok = trainChar('abcdefgh ', 260);
    const engine = new LmEngine({ ...shape, vocabSize: tok.vocabSize }, 2);
    const head = new ScalarHead(shape.nEmbd, 4, 0.5);
    head.params[shape.nEmbd] = 0.75; // a bias that would show if it were added per token
    const sum = new RewardModel(engine, tok, head, 'sum');
    const last = new RewardModel(engine, tok, head, 'last');
    const enc = sum.encode(['ab', 'c'], ['cdef', 'g']);
    const packed = packSequences(shape.ctx, enc.prompts, enc.responses, tok.ids.pad);
    const rSum = sum.scorePacked(packed);
    const rLast = last.scorePacked(packed);
    const C = shape.nEmbd;
    const wh = (pos: number) => Array.from({ length: C }, (_, k) => head.params[k] * engine.hidden[pos * C + k]).reduce((a, b) => a + b, 0);
    for (let b = 0; b < 2; b++) {
      const start = enc.prompts[b].length; // response token t sits at position promptLen + t of row b
      const n = enc.responses[b].length;
      let want = head.params[C];
      for (let t = 0; t < n; t++) want += wh(b * packed.T + start + t);
      expect(rSum[b]).toBeCloseTo(want, 5);
      expect(rLast[b]).toBeCloseTo(wh(b * packed.T + start + n - 1) + head.params[C], 5);
    }
    expect(() => new RewardModel(engine, tok, head, 'mean' as never)).toThrow(/pooling must be one of last, sum/);
  });
});
