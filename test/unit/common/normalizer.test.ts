import { describe, expect, it } from 'vitest';
import { RewardScaler, RunningMeanStd } from '../../../core/common/normalizer.js';
import { Rng } from '../../../core/common/rng.js';

function directMoments(rows: number[][]): { mean: number[]; var: number[] } {
  const d = rows[0].length;
  const mean = new Array<number>(d).fill(0);
  const v = new Array<number>(d).fill(0);
  for (const r of rows) r.forEach((x, j) => (mean[j] += x / rows.length));
  for (const r of rows) r.forEach((x, j) => (v[j] += (x - mean[j]) ** 2 / rows.length));
  return { mean, var: v };
}

describe('RunningMeanStd', () => {
  it('matches the direct mean and population variance over all batches', () => {
    const rng = new Rng(5);
    const rms = new RunningMeanStd(3, { epsilon: 1e-12 });
    const rows: number[][] = [];
    for (let b = 0; b < 7; b++) {
      const n = 1 + rng.integer(20);
      const batch = new Float32Array(n * 3);
      for (let i = 0; i < n; i++) {
        const row = [rng.normal() * 3 + 1, rng.uniform() * 10, rng.normal() - 5];
        batch.set(row, i * 3);
        rows.push(Array.from(batch.subarray(i * 3, i * 3 + 3)));
      }
      rms.update(batch);
    }
    const direct = directMoments(rows);
    for (let j = 0; j < 3; j++) {
      expect(rms.mean[j]).toBeCloseTo(direct.mean[j], 8);
      expect(rms.var[j]).toBeCloseTo(direct.var[j], 6);
    }
    expect(rms.count).toBeCloseTo(rows.length, 6);
  });

  it('starts from mean 0, var 1, count ε as SB3 (ε = 1e-4) and merges by the parallel formula', () => {
    const rms = new RunningMeanStd(1);
    rms.update(Float32Array.from([2, 4]));
    // batch mean 3, var 1, n 2; delta 3; total 2.0001
    const total = 2.0001;
    expect(rms.mean[0]).toBeCloseTo((3 * 2) / total, 12);
    expect(rms.var[0]).toBeCloseTo((1e-4 * 1 + 2 * 1 + (9 * 1e-4 * 2) / total) / total, 12);
  });

  it('normalises with clipping, in place or into out', () => {
    const rms = new RunningMeanStd(2, { clip: 2 });
    rms.setState({ mean: [1, -1], var: [4, 0.25], count: 10 });
    const x = Float32Array.from([3, -1, 100, -2]);
    const out = new Float32Array(4);
    rms.normalize(x, out);
    expect(out[0]).toBeCloseTo(1, 6);
    expect(out[1]).toBeCloseTo(0, 6);
    expect(out[2]).toBe(2);
    expect(out[3]).toBe(-2);
    expect(x[0]).toBe(3);
    rms.normalize(x);
    expect(x[0]).toBeCloseTo(1, 6);
  });

  it('round-trips its state exactly', () => {
    const a = new RunningMeanStd(2);
    a.update(Float32Array.from([1, 2, 3, 5, -1, 0.5]));
    const b = new RunningMeanStd(2);
    b.setState(JSON.parse(JSON.stringify(a.getState())));
    const batch = Float32Array.from([0.3, 7]);
    a.update(batch);
    b.update(batch);
    expect(b.getState()).toEqual(a.getState());
    expect(() => b.setState({ mean: [0], var: [1], count: 1 })).toThrow(/expected mean and var of length 2/);
    expect(() => b.update(Float32Array.from([1, 2, 3]))).toThrow(/not a multiple of dim 2/);
  });
});

describe('RewardScaler', () => {
  it('divides by the std of the discounted running return, restarting it after done', () => {
    const gamma = 0.9;
    const scaler = new RewardScaler(2, gamma, { clip: Infinity });
    const rng = new Rng(11);
    const returns = [0, 0];
    const seen: number[] = [];
    for (let step = 0; step < 50; step++) {
      const rewards = Float32Array.from([rng.normal() + 1, rng.uniform() * 5]);
      const terminated = Uint8Array.from([rng.uniform() < 0.1 ? 1 : 0, 0]);
      const truncated = Uint8Array.from([0, step % 7 === 6 ? 1 : 0]);
      for (let e = 0; e < 2; e++) {
        returns[e] = returns[e] * gamma + rewards[e];
        seen.push(returns[e]);
      }
      // Direct statistics over every running return so far (plus SB3's ε = 1e-4 prior, negligible here).
      const n = seen.length;
      const mean = seen.reduce((a, b) => a + b, 0) / n;
      const variance = seen.reduce((a, b) => a + (b - mean) ** 2, 0) / n;
      const raw = Float32Array.from(rewards);
      const scaled = scaler.scale(rewards, terminated, truncated, new Float32Array(2));
      for (let e = 0; e < 2; e++) expect(scaled[e]).toBeCloseTo(raw[e] / Math.sqrt(variance + 1e-8), 2);
      for (let e = 0; e < 2; e++) if (terminated[e] || truncated[e]) returns[e] = 0;
    }
  });

  it('clips, scales in place by default, and resumes exactly', () => {
    const a = new RewardScaler(1, 0.99, { clip: 0.5 });
    const r = Float32Array.from([100]);
    a.scale(r, Uint8Array.of(0), Uint8Array.of(0));
    expect(Math.abs(r[0])).toBeLessThanOrEqual(0.5);
    const b = new RewardScaler(1, 0.99, { clip: 0.5 });
    b.setState(JSON.parse(JSON.stringify(a.getState())));
    const x = a.scale(Float32Array.of(0.3), Uint8Array.of(0), Uint8Array.of(0));
    const y = b.scale(Float32Array.of(0.3), Uint8Array.of(0), Uint8Array.of(0));
    expect(y[0]).toBe(x[0]);
    expect(() => a.scale(Float32Array.of(1, 2), Uint8Array.of(0), Uint8Array.of(0))).toThrow(/numEnvs = 1/);
  });
});
