/**
 * A short seeded learning test on LunarLander-v2 (Box2D on planck.js): PPO with its RL-Zoo preset must lift the mean
 * return of the last 20 training episodes from a random policy's (about −170) to above −75 within 150k steps (seed 7
 * measured −21 at 150k; a full solve, ≥ 200 at 1M steps, is the bench's: `npm run bench -- lunar`).
 */
import { afterAll, expect, it } from 'vitest';
import { trainRun } from '../../../core/algos/loop.js';
import { resolveConfig } from '../../../core/algos/registry.js';
import { METRIC } from '../../../core/common/metrics.js';
import { tempRunDir } from './helpers.js';

const cleanups: (() => void)[] = [];
afterAll(() => cleanups.forEach((c) => c()));

it('PPO preset on LunarLander-v2: the 20-episode mean rises from about −170 to above −75 within 150k steps (seed 7)', async () => {
  const t = tempRunDir();
  cleanups.push(t.cleanup);
  const { config } = resolveConfig('ppo', 'LunarLander-v2', { overrides: { evalInterval: 0, checkpointInterval: 0 } });
  const returns: number[] = [];
  await trainRun({
    runDir: t.dir,
    runId: 'lunar',
    algo: 'ppo',
    env: 'LunarLander-v2',
    config,
    seed: 7,
    totalSteps: 150_000,
    signal: new AbortController().signal,
    events: {
      metrics: (_step, values) => {
        const r = values[METRIC.episodicReturn];
        if (r !== undefined) returns.push(r);
      },
    },
  });
  const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
  const first = mean(returns.slice(0, 20));
  const last = mean(returns.slice(-20));
  expect(first).toBeLessThan(-120);
  expect(last, `first 20 ${first.toFixed(1)}, last 20 ${last.toFixed(1)}`).toBeGreaterThan(-75);
}, 180_000);
