import { describe, expect, it } from 'vitest';
import {
  explainedVariance,
  groupMetricKeys,
  isMetricKey,
  METRIC,
  METRIC_KEYS,
  metricNamespace,
  metricNamespaces,
} from '../../../core/common/metrics.js';

describe('metric keys', () => {
  it('declares every key the design and issue name', () => {
    expect(new Set(METRIC_KEYS)).toEqual(
      new Set([
        'rollout/episodeReturn',
        'rollout/episodeLength',
        'charts/episodicReturn',
        'charts/episodicLength',
        'train/policyLoss',
        'train/valueLoss',
        'train/entropy',
        'train/approxKl',
        'train/clipFraction',
        'train/explainedVariance',
        'train/learningRate',
        'train/gradNorm',
        'time/sps',
        'eval/return',
        'eval/length',
      ]),
    );
    expect(METRIC.approxKl).toBe('train/approxKl');
    expect(METRIC_KEYS.every(isMetricKey)).toBe(true);
    expect(new Set(METRIC_KEYS).size).toBe(METRIC_KEYS.length);
  });

  it('lists and groups namespaces', () => {
    expect(metricNamespaces()).toEqual(['rollout', 'charts', 'train', 'time', 'eval']);
    expect(metricNamespace('rewards/chosen')).toBe('rewards');
    expect(metricNamespace('plain')).toBe('');
    const groups = groupMetricKeys(['train/a', 'eval/b', 'train/c']);
    expect(groups).toEqual({ train: ['train/a', 'train/c'], eval: ['eval/b'] });
    expect(groupMetricKeys().rollout).toEqual(['rollout/episodeReturn', 'rollout/episodeLength']);
    expect(isMetricKey('train/')).toBe(false);
    expect(isMetricKey('no namespace')).toBe(false);
  });
});

describe('explainedVariance', () => {
  it('is 1 for a perfect critic, 0 for a constant one and NaN for constant returns', () => {
    const y = [1, 2, 3, 4];
    expect(explainedVariance(y, y)).toBeCloseTo(1, 10);
    expect(explainedVariance([2.5, 2.5, 2.5, 2.5], y)).toBeCloseTo(0, 10);
    // residuals y − ŷ = [1, 0, 0, -1]: var 0.5; var y = 1.25 → 1 − 0.4 = 0.6
    expect(explainedVariance([0, 2, 3, 5], y)).toBeCloseTo(0.6, 10);
    expect(explainedVariance([1, 2], [3, 3])).toBeNaN();
    expect(() => explainedVariance([1], [1, 2])).toThrow(/values has 1 entries, returns has 2/);
  });
});
