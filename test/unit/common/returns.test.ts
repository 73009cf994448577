import { describe, expect, it } from 'vitest';
import {
  discountedReturns,
  gae,
  lambdaReturns,
  normalizeInPlace,
  nStepReturns,
  totalReturns,
  type ReturnInputs,
} from '../../../core/common/returns.js';
import { Rng } from '../../../core/common/rng.js';

/** One env, T = 4, γ = 0.9: r = [1, 2, 3, 4], V = [0.5, 1, 1.5, 2], V(s_4) = 10. */
function single(flags: { terminated?: number[]; truncated?: number[]; finalValues?: number[] } = {}): ReturnInputs {
  return {
    rewards: Float32Array.from([1, 2, 3, 4]),
    values: Float32Array.from([0.5, 1, 1.5, 2]),
    terminated: Uint8Array.from(flags.terminated ?? [0, 0, 0, 0]),
    truncated: Uint8Array.from(flags.truncated ?? [0, 0, 0, 0]),
    finalValues: Float32Array.from(flags.finalValues ?? [0, 0, 0, 0]),
    lastValues: Float32Array.from([10]),
    numEnvs: 1,
    gamma: 0.9,
  };
}

function expectClose(actual: ArrayLike<number>, expected: number[], digits = 4): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) expect(actual[i], `index ${i}`).toBeCloseTo(expected[i], digits);
}

describe('discountedReturns (reward-to-go)', () => {
  it('bootstraps the rollout end from lastValues', () => {
    // G3 = 4 + .9·10 = 13; G2 = 3 + .9·13 = 14.7; G1 = 2 + .9·14.7 = 15.23; G0 = 1 + .9·15.23 = 14.707
    expectClose(discountedReturns(single()), [14.707, 15.23, 14.7, 13]);
  });
  it('stops at a terminated step (bootstrap 0)', () => {
    // G1 = 2; G0 = 1 + .9·2 = 2.8; the next episode: G3 = 13, G2 = 14.7
    expectClose(discountedReturns(single({ terminated: [0, 1, 0, 0] })), [2.8, 2, 14.7, 13]);
  });
  it('bootstraps a truncated step from finalValues', () => {
    // G1 = 2 + .9·5 = 6.5; G0 = 1 + .9·6.5 = 6.85
    expectClose(discountedReturns(single({ truncated: [0, 1, 0, 0], finalValues: [0, 5, 0, 0] })), [6.85, 6.5, 14.7, 13]);
  });
  it('termination wins when both flags are set', () => {
    expectClose(discountedReturns(single({ terminated: [0, 1, 0, 0], truncated: [0, 1, 0, 0], finalValues: [0, 5, 0, 0] })), [2.8, 2, 14.7, 13]);
  });
  it('is a pure Monte-Carlo sum without bootstrap values', () => {
    const { values: _v, finalValues: _f, lastValues: _l, ...mc } = single();
    // G3 = 4; G2 = 3 + 3.6 = 6.6; G1 = 2 + 5.94 = 7.94; G0 = 1 + 7.146 = 8.146
    expectClose(discountedReturns(mc), [8.146, 7.94, 6.6, 4]);
  });
});

describe('totalReturns', () => {
  it('gives every step of an episode segment its first step’s return', () => {
    // segments [0, 1] (G0 = 2.8) and [2, 3] (G2 = 14.7, bootstrapped at the rollout end)
    expectClose(totalReturns(single({ terminated: [0, 1, 0, 0] })), [2.8, 2.8, 14.7, 14.7]);
  });
});

describe('nStepReturns', () => {
  it('n = 2 bootstraps V(s_{t+2}) inside the rollout and lastValues at its end', () => {
    // R0 = 1 + .9·2 + .81·1.5 = 4.015; R1 = 2 + .9·3 + .81·2 = 6.32; R2 = 3 + .9·4 + .81·10 = 14.7; R3 = 4 + .9·10 = 13
    expectClose(nStepReturns(single(), 2), [4.015, 6.32, 14.7, 13]);
  });
  it('is cut short by termination and truncation', () => {
    // terminated at 1: R0 = 1 + .9·2 = 2.8, R1 = 2
    expectClose(nStepReturns(single({ terminated: [0, 1, 0, 0] }), 2), [2.8, 2, 14.7, 13]);
    // truncated at 1 with V(final) = 5: R0 = 1 + .9·2 + .81·5 = 6.85, R1 = 2 + .9·5 = 6.5
    expectClose(nStepReturns(single({ truncated: [0, 1, 0, 0], finalValues: [0, 5, 0, 0] }), 2), [6.85, 6.5, 14.7, 13]);
  });
  it('n = 1 is the one-step TD target', () => {
    // r_t + γ V(s_{t+1}): 1 + .9, 2 + 1.35, 3 + 1.8, 4 + 9
    expectClose(nStepReturns(single(), 1), [1.9, 3.35, 4.8, 13]);
  });
  it('rejects a bad n', () => {
    expect(() => nStepReturns(single(), 0)).toThrow(/n must be a positive integer, got 0/);
  });
});

describe('lambdaReturns and gae', () => {
  it('λ = 0.5 by hand', () => {
    // G3 = 13; G2 = 3 + .9·(.5·2 + .5·13) = 9.75; G1 = 2 + .9·(.5·1.5 + .5·9.75) = 7.0625;
    // G0 = 1 + .9·(.5·1 + .5·7.0625) = 4.628125
    expectClose(lambdaReturns(single(), 0.5), [4.628125, 7.0625, 9.75, 13]);
    // δ = [1.4, 2.35, 3.3, 11]; A3 = 11, A2 = 3.3 + .45·11 = 8.25, A1 = 2.35 + .45·8.25 = 6.0625,
    // A0 = 1.4 + .45·6.0625 = 4.128125
    const { advantages, returns } = gae(single(), 0.5);
    expectClose(advantages, [4.128125, 6.0625, 8.25, 11]);
    expectClose(returns, [4.628125, 7.0625, 9.75, 13]);
  });
  it('GAE stops at termination and bootstraps truncation', () => {
    // terminated at 1: δ1 = 2 − 1 = 1, A1 = 1; δ0 = 1 + .9 − .5 = 1.4, A0 = 1.4 + .45·1 = 1.85
    expectClose(gae(single({ terminated: [0, 1, 0, 0] }), 0.5).advantages, [1.85, 1, 8.25, 11]);
    // truncated at 1, V(final) = 5: δ1 = 2 + 4.5 − 1 = 5.5, A1 = 5.5; A0 = 1.4 + .45·5.5 = 3.875
    expectClose(gae(single({ truncated: [0, 1, 0, 0], finalValues: [0, 5, 0, 0] }), 0.5).advantages, [3.875, 5.5, 8.25, 11]);
  });
  it('writes into given output buffers', () => {
    const advantages = new Float32Array(4);
    const returns = new Float32Array(4);
    const result = gae(single(), 0.5, { advantages, returns });
    expect(result.advantages).toBe(advantages);
    expect(result.returns).toBe(returns);
    expect(returns[3]).toBeCloseTo(13, 5);
  });
});

describe('multi-env time-major layout', () => {
  it('computes each env independently at index t·numEnvs + e', () => {
    const a = single({ terminated: [0, 1, 0, 0] });
    const b = single({ truncated: [0, 0, 1, 0], finalValues: [0, 0, 7, 0] });
    b.rewards = Float32Array.from([-1, 0.5, 2, -3]);
    b.lastValues = Float32Array.from([-4]);
    const both: ReturnInputs = {
      rewards: new Float32Array(8),
      values: new Float32Array(8),
      terminated: new Uint8Array(8),
      truncated: new Uint8Array(8),
      finalValues: new Float32Array(8),
      lastValues: Float32Array.from([a.lastValues[0], b.lastValues[0]]),
      numEnvs: 2,
      gamma: 0.9,
    };
    for (let t = 0; t < 4; t++) {
      for (const [e, src] of [[0, a], [1, b]] as const) {
        both.rewards[t * 2 + e] = src.rewards[t];
        both.values[t * 2 + e] = src.values[t];
        both.terminated[t * 2 + e] = src.terminated[t];
        both.truncated[t * 2 + e] = src.truncated[t];
        both.finalValues[t * 2 + e] = src.finalValues[t];
      }
    }
    const estimators: [string, (x: ReturnInputs) => Float32Array][] = [
      ['discounted', (x) => discountedReturns(x)],
      ['total', (x) => totalReturns(x)],
      ['nStep3', (x) => nStepReturns(x, 3)],
      ['lambda', (x) => lambdaReturns(x, 0.7)],
      ['gae', (x) => gae(x, 0.7).advantages],
    ];
    for (const [name, f] of estimators) {
      const joint = f(both);
      const ra = f(a);
      const rb = f(b);
      for (let t = 0; t < 4; t++) {
        expect(joint[t * 2], `${name} env 0 t ${t}`).toBeCloseTo(ra[t], 5);
        expect(joint[t * 2 + 1], `${name} env 1 t ${t}`).toBeCloseTo(rb[t], 5);
      }
    }
    // env 1 by hand: truncated at 2 with V(final) = 7: G2 = 2 + 6.3 = 8.3; G1 = .5 + 7.47 = 7.97; G0 = −1 + 7.173 = 6.173;
    // G3 = −3 + .9·(−4) = −6.6
    expectClose([1, 3, 5, 7].map((i) => discountedReturns(both)[i]), [6.173, 7.97, 8.3, -6.6]);
  });
});

/** Random rollout with terminations, truncations and random values. */
function randomRollout(rng: Rng, T: number, numEnvs: number, gamma: number): ReturnInputs {
  const n = T * numEnvs;
  const inputs: ReturnInputs = {
    rewards: new Float32Array(n),
    values: new Float32Array(n),
    terminated: new Uint8Array(n),
    truncated: new Uint8Array(n),
    finalValues: new Float32Array(n),
    lastValues: new Float32Array(numEnvs),
    numEnvs,
    gamma,
  };
  for (let i = 0; i < n; i++) {
    inputs.rewards[i] = rng.normal();
    inputs.values[i] = rng.normal() * 2;
    const u = rng.uniform();
    if (u < 0.1) inputs.terminated[i] = 1;
    else if (u < 0.15) {
      inputs.truncated[i] = 1;
      inputs.finalValues[i] = rng.normal() * 2;
    }
  }
  for (let e = 0; e < numEnvs; e++) inputs.lastValues[e] = rng.normal() * 2;
  return inputs;
}

describe('λ-return equals its forward-view definition on random episodes', () => {
  // R_t(λ) = (1 − λ) Σ_{n=1}^{H−1} λ^{n−1} R_t^(n) + λ^{H−1} R_t^(H), where H is the number of steps left in the
  // episode (or rollout) from t: every n ≥ H gives the full (bootstrapped) return R_t^(H), so the tail weight
  // (1 − λ) Σ_{n≥H} λ^{n−1} = λ^{H−1} lands on it.
  const rng = new Rng(1234);
  for (let trial = 0; trial < 6; trial++) {
    const T = 5 + rng.integer(20);
    const numEnvs = 1 + rng.integer(3);
    const gamma = [0.9, 0.99, 1][trial % 3];
    const lambda = [0.3, 0.95, 0.5][trial % 3];
    it(`trial ${trial}: T=${T}, envs=${numEnvs}, γ=${gamma}, λ=${lambda}`, () => {
      const inputs = randomRollout(rng, T, numEnvs, gamma);
      const nStep: Float32Array[] = [];
      for (let n = 1; n <= T; n++) nStep.push(nStepReturns(inputs, n));
      const recursive = lambdaReturns(inputs, lambda);
      for (let e = 0; e < numEnvs; e++) {
        for (let t = 0; t < T; t++) {
          const i = t * numEnvs + e;
          let H = 1;
          while (t + H - 1 < T - 1 && !inputs.terminated[i + (H - 1) * numEnvs] && !inputs.truncated[i + (H - 1) * numEnvs]) H++;
          let forward = 0;
          for (let n = 1; n < H; n++) forward += (1 - lambda) * lambda ** (n - 1) * nStep[n - 1][i];
          forward += lambda ** (H - 1) * nStep[H - 1][i];
          expect(recursive[i]).toBeCloseTo(forward, 3);
        }
      }
      // λ = 0: one-step TD targets; λ = 1: Monte-Carlo reward-to-go (bootstrapped where the data stops).
      const td = lambdaReturns(inputs, 0);
      const mc = lambdaReturns(inputs, 1);
      const g = discountedReturns(inputs);
      for (let i = 0; i < td.length; i++) {
        expect(td[i]).toBeCloseTo(nStep[0][i], 4);
        expect(mc[i]).toBeCloseTo(g[i], 3);
      }
      // GAE: returns = advantages + values = λ-returns.
      const { advantages, returns } = gae(inputs, lambda);
      for (let i = 0; i < returns.length; i++) {
        expect(returns[i]).toBeCloseTo(recursive[i], 3);
        expect(advantages[i] + inputs.values[i]).toBeCloseTo(returns[i], 4);
      }
    });
  }
});

describe('validation and helpers', () => {
  it('names what is wrong', () => {
    expect(() => gae({ ...single(), gamma: 1.5 }, 0.9)).toThrow(/gamma must be in \[0, 1\], got 1.5/);
    expect(() => gae(single(), -0.1)).toThrow(/lambda must be in \[0, 1\], got -0.1/);
    expect(() => gae({ ...single(), values: new Float32Array(3) }, 0.9)).toThrow(/values has length 3, expected 4/);
    expect(() => gae({ ...single(), lastValues: new Float32Array(2) }, 0.9)).toThrow(/lastValues has length 2, expected 1/);
    expect(() => discountedReturns({ ...single(), numEnvs: 3 })).toThrow(/not a multiple of numEnvs 3/);
  });
  it('normalizeInPlace uses the sample std', () => {
    const x = Float32Array.from([1, 2, 3, 4]);
    normalizeInPlace(x);
    // mean 2.5, sample std sqrt(5/3) = 1.290994
    expectClose(x, [-1.161895, -0.387298, 0.387298, 1.161895], 5);
  });
});
