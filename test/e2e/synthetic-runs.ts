/**
 * Synthetic runs for compare tests and benchmarks: run records and metric streams written straight into a data
 * folder through core/store (RunStore + MetricWriter), before a server opens it. Values are a noisy learning curve
 * per run, so charts, smoothing and grouping have something real-looking to draw.
 */
import { MetricWriter, RunStore } from '../../core/store/index.js';
import { Rng } from '../../core/common/rng.js';

export interface SyntheticOptions {
  runs: number;
  points: number;
  keys?: readonly string[];
  /** Env steps between points. */
  stride?: number;
  name?: string;
  /** Config values that differ per run index (for grouping). */
  config?: (i: number) => Record<string, unknown>;
  status?: 'finished' | 'stopped';
}

export const SYNTHETIC_KEYS = ['rollout/episodeReturn', 'train/policyLoss'] as const;

/** The value of `key` for run `i` at point `p` of `n`. */
export function syntheticValue(key: string, i: number, p: number, n: number, rng: Rng): number {
  const progress = p / Math.max(1, n - 1);
  if (key.startsWith('train/')) return 0.5 * Math.exp(-3 * progress) + 0.05 * rng.normal();
  return 500 * (1 - Math.exp(-(3 + (i % 5) * 0.3) * progress)) + 25 * rng.normal();
}

/** Writes `runs` finished runs with `points` records each; returns their ids (oldest first). */
export async function seedSyntheticRuns(home: string, options: SyntheticOptions): Promise<string[]> {
  const keys = options.keys ?? SYNTHETIC_KEYS;
  const stride = options.stride ?? 100;
  const store = await RunStore.open(home);
  const ids: string[] = [];
  try {
    for (let i = 0; i < options.runs; i++) {
      const record = await store.createRun({
        algo: 'ppo',
        env: 'CartPole-v1',
        config: { lr: 0.0003, ...options.config?.(i) },
        seed: i,
        name: `${options.name ?? 'synthetic'} ${i}`,
        totalSteps: options.points * stride,
      });
      const writer = new MetricWriter(store.runDir(record.id), { flushIntervalMs: 60_000 });
      const rng = new Rng(i + 1);
      const t0 = Date.now() / 1000 - options.points * 0.01;
      for (let p = 0; p < options.points; p++) {
        const values: Record<string, number> = {};
        for (const key of keys) values[key] = syntheticValue(key, i, p, options.points, rng);
        writer.append((p + 1) * stride, values, t0 + p * 0.01);
      }
      await writer.close();
      await store.updateRun(record.id, { status: options.status ?? 'finished', step: options.points * stride });
      ids.push(record.id);
    }
  } finally {
    await store.close();
  }
  return ids;
}
