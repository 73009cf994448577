import { describe, expect, it } from 'vitest';
import { Rng } from '../../../core/common/rng.js';
import {
  aggregateSummary,
  bootstrapCI,
  iqm,
  mean,
  median,
  optimalityGap,
  performanceProfile,
  performanceProfileCI,
  probabilityOfImprovement,
  probabilityOfImprovementCI,
  quantile,
} from '../../../core/stats/index.js';

const oneToEight = [[1, 2, 3, 4, 5, 6, 7, 8]];

describe('point estimates against hand-computed values', () => {
  it('IQM of 1..8 is the mean of 3..6 (25% trimmed each side)', () => {
    expect(iqm(oneToEight)).toBe((3 + 4 + 5 + 6) / 4);
    // n = 5: ⌊5/4⌋ = 1 cut each side, so the outlier 100 and the 1 go: mean(2, 3, 4).
    expect(iqm([[4, 100, 2, 1, 3]])).toBe(3);
    // Order of the input does not matter; strata are pooled.
    expect(iqm([[8, 6, 4, 2], [7, 5, 3, 1]])).toBe(4.5);
  });

  it('mean, median (odd and even counts) and optimality gap', () => {
    expect(mean([[1, 2], [3, 6]])).toBe(3);
    expect(median([[1, 3, 2, 10]])).toBe(2.5);
    expect(median([[5, 1, 3]])).toBe(3);
    // γ − x for the runs below γ = 1: 0.5 and 0.8; the 1.5 counts as 0.
    expect(optimalityGap([[0.5, 1.5, 0.2]])).toBeCloseTo(1.3 / 3, 15);
    expect(optimalityGap([[400, 500, 475]], 475)).toBeCloseTo(75 / 3, 12);
  });

  it('quantile interpolates linearly between order statistics (numpy default)', () => {
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantile([1, 2, 3, 4], 0.25)).toBe(1.75);
    expect(quantile([1, 2, 3, 4], 0)).toBe(1);
    expect(quantile([1, 2, 3, 4], 1)).toBe(4);
  });

  it('performance profile: fraction of runs strictly above τ', () => {
    expect(performanceProfile([[1, 2, 3, 4]], [0, 1, 2, 2.5, 4])).toEqual([1, 0.75, 0.5, 0.5, 0]);
    expect(performanceProfile([[1, 2], [3, 4]], [2])).toEqual([0.5]);
  });

  it('probability of improvement by hand, its symmetry and brute force', () => {
    // Pairs (x, y): (1,1)=½, (1,0)=1, (2,1)=1, (2,0)=1 → 3.5 / 4.
    expect(probabilityOfImprovement([[1, 2]], [[1, 0]])).toBe(0.875);
    expect(probabilityOfImprovement([[5, 6]], [[1, 2]])).toBe(1);
    expect(probabilityOfImprovement([[1, 2]], [[5, 6]])).toBe(0);
    const rng = new Rng(3);
    // Rounded so ties occur; the merge must agree with the O(mn) definition.
    const x = Array.from({ length: 23 }, () => Math.round(rng.normal() * 3));
    const y = Array.from({ length: 17 }, () => Math.round(rng.normal() * 3 + 1));
    let brute = 0;
    for (const a of x) for (const b of y) brute += a > b ? 1 : a === b ? 0.5 : 0;
    expect(probabilityOfImprovement([x], [y])).toBeCloseTo(brute / (x.length * y.length), 14);
    expect(probabilityOfImprovement([x], [y]) + probabilityOfImprovement([y], [x])).toBeCloseTo(1, 14);
    // Two tasks: the per-task probabilities are averaged (1 and 0 → ½).
    expect(probabilityOfImprovement([[5], [0]], [[1], [3]])).toBe(0.5);
  });

  it('probability of improvement of identical groups is ½, with a CI around it', () => {
    const g = [[3, 1, 4, 1, 5, 9, 2, 6]];
    expect(probabilityOfImprovement(g, g)).toBe(0.5);
    const ci = probabilityOfImprovementCI(g, g, { resamples: 2000, seed: 1 });
    expect(ci.point).toBe(0.5);
    expect(ci.low).toBeLessThan(0.5);
    expect(ci.high).toBeGreaterThan(0.5);
  });
});

describe('stratified bootstrap over runs', () => {
  it('the CI of a constant has zero width', () => {
    const c = [[7, 7, 7, 7, 7]];
    for (const f of [mean, iqm, median]) expect(bootstrapCI(c, f, { resamples: 500 })).toEqual({ point: 7, low: 7, high: 7 });
    const s = aggregateSummary(c, { gamma: 10, resamples: 500 });
    expect(s.optimalityGap).toEqual({ point: 3, low: 3, high: 3 });
    expect(s.iqm).toEqual({ point: 7, low: 7, high: 7 });
  });

  it('resamples within each stratum: one constant task at 0 and one at 1 always average ½', () => {
    const ci = bootstrapCI([[0, 0, 0], [1, 1, 1]], mean, { resamples: 1000, seed: 5 });
    expect(ci).toEqual({ point: 0.5, low: 0.5, high: 0.5 });
    // Pooled into one stratum the same runs do vary.
    const pooled = bootstrapCI([[0, 0, 0, 1, 1, 1]], mean, { resamples: 1000, seed: 5 });
    expect(pooled.high - pooled.low).toBeGreaterThan(0.3);
  });

  it('two runs {0, 1}: the resampled mean is 0, ½, 1 with probabilities ¼, ½, ¼', () => {
    // 95%: the 2.5% and 97.5% quantiles fall in the masses at 0 and 1; 40%: both in the mass at ½.
    expect(bootstrapCI([[0, 1]], mean, { resamples: 10_000, seed: 2 })).toEqual({ point: 0.5, low: 0, high: 1 });
    expect(bootstrapCI([[0, 1]], mean, { resamples: 10_000, seed: 2, confidence: 0.4 })).toEqual({ point: 0.5, low: 0.5, high: 0.5 });
  });

  it('is reproducible from its seed, and the summary uses the same resamples as bootstrapCI', () => {
    const rng = new Rng(11);
    const runs = [Array.from({ length: 12 }, () => rng.normal())];
    const a = aggregateSummary(runs, { resamples: 800, seed: 4 });
    const b = aggregateSummary(runs, { resamples: 800, seed: 4 });
    expect(a).toEqual(b);
    expect(aggregateSummary(runs, { resamples: 800, seed: 5 }).mean).not.toEqual(a.mean);
    for (const [name, f] of [['mean', mean], ['median', median], ['iqm', iqm]] as const) {
      const one = bootstrapCI(runs, f, { resamples: 800, seed: 4 });
      expect(one.point).toBeCloseTo(a[name].point, 14);
      expect(one.low).toBeCloseTo(a[name].low, 14);
      expect(one.high).toBeCloseTo(a[name].high, 14);
    }
    const gap = bootstrapCI(runs, (s) => optimalityGap(s, 0.5), { resamples: 800, seed: 4 });
    const withGamma = aggregateSummary(runs, { resamples: 800, seed: 4, gamma: 0.5 }).optimalityGap;
    expect(gap.low).toBeCloseTo(withGamma.low, 14);
    expect(gap.high).toBeCloseTo(withGamma.high, 14);
    expect(a.mean.low).toBeLessThan(a.mean.point);
    expect(a.mean.high).toBeGreaterThan(a.mean.point);
  });

  it('percentile CI of the mean covers the true mean ≈ 95% of the time on normal data (seeded)', () => {
    const rng = new Rng(2021);
    const trials = 400;
    const trueMean = 3;
    let covered = 0;
    for (let t = 0; t < trials; t++) {
      const runs = Array.from({ length: 50 }, () => trueMean + 2 * rng.normal());
      const ci = aggregateSummary([runs], { resamples: 1000, seed: t }).mean;
      if (ci.low <= trueMean && trueMean <= ci.high) covered++;
    }
    const coverage = covered / trials;
    expect(coverage).toBeGreaterThan(0.92);
    expect(coverage).toBeLessThan(0.98);
  });

  it('performance profile bands contain the point and are zero-width where no run is near τ', () => {
    const runs = [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]];
    const prof = performanceProfileCI(runs, [0, 5, 11], { resamples: 2000, seed: 3 });
    expect(prof.map((p) => p.tau)).toEqual([0, 5, 11]);
    expect(prof[0]).toEqual({ tau: 0, point: 1, low: 1, high: 1 });
    expect(prof[2]).toEqual({ tau: 11, point: 0, low: 0, high: 0 });
    expect(prof[1]!.point).toBe(0.5);
    expect(prof[1]!.low).toBeLessThan(0.5);
    expect(prof[1]!.high).toBeGreaterThan(0.5);
    expect(prof[1]!.low).toBeGreaterThanOrEqual(0);
  });

  it('a better group has P(improvement) CI above ½', () => {
    const rng = new Rng(8);
    const better = [Array.from({ length: 10 }, () => 2 + rng.normal())];
    const worse = [Array.from({ length: 10 }, () => rng.normal())];
    const ci = probabilityOfImprovementCI(better, worse, { resamples: 2000, seed: 0 });
    expect(ci.low).toBeGreaterThan(0.5);
    expect(ci.point).toBeGreaterThanOrEqual(ci.low);
    expect(ci.high).toBeLessThanOrEqual(1);
  });
});

describe('validation names what was wrong', () => {
  it('rejects empty, non-finite, mismatched strata and bad options', () => {
    expect(() => mean([])).toThrow(/at least one stratum/);
    expect(() => iqm([[1], []])).toThrow(/stratum 1 has no runs/);
    expect(() => median([[1, Number.NaN]])).toThrow(/stratum 0, run 1 is not a finite number \(NaN\)/);
    expect(() => probabilityOfImprovement([[1], [2]], [[1]])).toThrow(/x has 2 strata and y 1/);
    expect(() => bootstrapCI([[1]], mean, { resamples: 0 })).toThrow(/resamples must be a whole number/);
    expect(() => bootstrapCI([[1]], mean, { confidence: 1 })).toThrow(/confidence must be in \(0, 1\)/);
    expect(() => bootstrapCI([[1]], mean, { seed: 0.5 })).toThrow(/seed must be a whole number/);
    expect(() => optimalityGap([[1]], Number.POSITIVE_INFINITY)).toThrow(/gamma must be a finite number/);
    expect(() => performanceProfile([[1]], [])).toThrow(/at least one threshold/);
    expect(() => quantile([1], 2)).toThrow(/q must be in \[0, 1\]/);
  });
});
