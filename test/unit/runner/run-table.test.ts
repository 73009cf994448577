/**
 * runs:table rows: metric summaries, the return sparkline, area under the return curve and steps/seconds to the
 * env's reward threshold, from runs written through core/store with values whose answers are known by hand.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunTableRow } from '../../../core/api/contract.js';
import { stepsToThreshold } from '../../../core/algos/threshold.js';
import { Rng } from '../../../core/common/rng.js';
import { chunkAuc, chunkSparkline, chunkThreshold, compactSpark, isRunTableRow, normalisedAuc, RUN_TABLE_CACHE_FILE, RunTableCache, sparkline } from '../../../core/runner/run-table.js';
import { MetricWriter, RunStore } from '../../../core/store/index.js';
import { call, openFake, tempHome } from './helpers.js';

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((c) => c()));

describe('sparkline', () => {
  it('keeps short series and bucket-averages long ones, skipping non-finite values', () => {
    expect(sparkline([1, 2, 3], [5, NaN, 7], 4)).toEqual({ steps: [1, 3], values: [5, 7] });
    const steps = Array.from({ length: 96 }, (_, i) => i);
    const s = sparkline(steps, steps, 48);
    expect(s.values).toHaveLength(48);
    expect(s.values.slice(0, 3)).toEqual([0.5, 2.5, 4.5]);
    expect(s.steps[47]).toBe(94.5);
    expect(() => sparkline([1], [1], 1)).toThrow(/maxPoints/);
    expect(() => sparkline([1, 2], [1], 8)).toThrow(/as many steps/);
  });
});

describe('compactSpark', () => {
  it('keeps 5 significant figures of steps and values, and the point count', () => {
    expect(compactSpark({ steps: [94.5, 1234567.891], values: [487.123456789, -0.000123456789] })).toEqual({
      steps: [94.5, 1234600],
      values: [487.12, -0.00012346],
    });
    expect(compactSpark({ steps: [], values: [] })).toEqual({ steps: [], values: [] });
  });
});

/** One chunk of float64 triples (step, wallTime = step / 10, value). */
const pointsOf = (steps: readonly number[], values: readonly number[]): Float64Array[] => [Float64Array.from(steps.flatMap((s, i) => [s, s / 10, values[i]!]))];

describe('chunkThreshold', () => {
  it('finds the point stepsToThreshold names (the 20-point moving mean ≥ threshold), on seeded noisy curves', () => {
    const rng = new Rng(7);
    let found = 0;
    for (let trial = 0; trial < 50; trial++) {
      const n = 10 + Math.floor(rng.uniform() * 300);
      const values = Array.from({ length: n }, (_, i) => (i / n) * 500 + 60 * rng.normal());
      const steps = values.map((_, i) => (i + 1) * 100);
      const expected = stepsToThreshold(values.map((ret, i) => ({ step: steps[i]!, ret })), 400);
      expect(chunkThreshold(pointsOf(steps, values), 400)?.step ?? null).toBe(expected);
      if (expected !== null) found++;
    }
    expect(found).toBeGreaterThan(5); // both outcomes occur
    expect(found).toBeLessThan(50);
    expect(chunkThreshold(pointsOf([1, 2, 3], [1, 2, 3]), 2, 2)).toEqual({ step: 3, wallTime: 0.3 });
    expect(() => chunkThreshold(pointsOf([1], [1]), 0, 0)).toThrow(/window/);
  });
});

describe('normalisedAuc', () => {
  it('is the trapezoidal area over the step span', () => {
    expect(normalisedAuc([0, 1, 3], [0, 2, 2])).toBeCloseTo(5 / 3, 12);
    expect(normalisedAuc([10, 20], [1, 3])).toBe(2);
    expect(normalisedAuc([4], [7])).toBe(7);
    expect(normalisedAuc([], [])).toBeNull();
    expect(normalisedAuc([0, 1, 2], [NaN, 4, 4])).toBe(4);
    expect(() => normalisedAuc([2, 1], [0, 0])).toThrow(/non-decreasing/);
  });
});

describe('chunk readers (the points as float64 triples step, wallTime, value, split into chunks)', () => {
  it('give what sparkline, normalisedAuc and stepsToThreshold give on the flattened points, for any chunking', () => {
    const rng = new Rng(11);
    for (let trial = 0; trial < 40; trial++) {
      const n = 1 + Math.floor(rng.uniform() * 400);
      const steps = Array.from({ length: n }, (_, i) => (i + 1) * 10 + (trial % 3 === 0 ? 0 : Math.floor(i / 7)));
      const walls = steps.map((s) => 1_000 + s / 10);
      const values = steps.map((_, i) => (i / n) * 500 + 60 * rng.normal());
      const triples = new Float64Array(3 * n);
      for (let i = 0; i < n; i++) triples.set([steps[i]!, walls[i]!, values[i]!], 3 * i);
      const chunks: Float64Array[] = [];
      for (let at = 0; at < n; ) {
        const len = Math.min(n - at, 1 + Math.floor(rng.uniform() * 90));
        chunks.push(triples.subarray(3 * at, 3 * (at + len)));
        at += len;
      }
      expect(chunkSparkline(chunks)).toEqual(sparkline(steps, values));
      expect(chunkAuc(chunks)).toBe(normalisedAuc(steps, values));
      const step = stepsToThreshold(values.map((ret, i) => ({ step: steps[i]!, ret })), 400);
      expect(chunkThreshold(chunks, 400)).toEqual(step === null ? null : { step, wallTime: walls[steps.indexOf(step)] });
    }
    // A non-finite value goes through sparkline() itself (skipped there), and is skipped by the AUC.
    const odd = [Float64Array.from([1, 0, 5, 2, 0, NaN, 3, 0, 7])];
    expect(chunkSparkline(odd, 4)).toEqual({ steps: [1, 3], values: [5, 7] });
    expect(chunkAuc(odd)).toBe(normalisedAuc([1, 2, 3], [5, NaN, 7]));
    expect(chunkAuc([])).toBeNull();
    expect(() => chunkAuc([Float64Array.from([2, 0, 1, 1, 0, 1])])).toThrow(/non-decreasing/);
  });
});

describe('runs:table', () => {
  it('answers summaries, sparkline, AUC and the first step/second at the threshold, and validates ids', async () => {
    const { home, cleanup } = tempHome();
    cleanups.push(cleanup);
    const store = await RunStore.open(home);
    const ids: string[] = [];
    // Episode i (0..69) ends at step 10(i+1), returns 10i, 1 s apart: the 20-episode mean first reaches CartPole-v1's
    // 475 at i = 57 (mean of 380..570 = 475), step 580, 57 s after the first record.
    for (const episodes of [70, 40]) {
      const r = await store.createRun({ algo: 'ppo', env: 'CartPole-v1', config: { lr: 0.001 }, seed: 0, name: `t${episodes}`, totalSteps: 1000 });
      const w = new MetricWriter(store.runDir(r.id), { flushIntervalMs: 60_000 });
      for (let i = 0; i < episodes; i++) {
        w.append(10 * (i + 1), { 'rollout/episodeReturn': 10 * i, 'charts/episodicReturn': 10 * i, 'train/loss': 100 - i }, 1_000 + i);
      }
      await w.close();
      await store.updateRun(r.id, { status: 'finished', step: 10 * episodes });
      ids.push(r.id);
    }
    await store.close();
    const backend = await openFake(home);
    try {
      const [solved, unsolved] = await call<RunTableRow[]>(backend, 'runs:table', { ids });
      expect(solved!.id).toBe(ids[0]);
      expect(solved!.metrics['train/loss']).toEqual({ last: 31, min: 31, max: 100, count: 70 });
      expect(solved!.metrics['rollout/episodeReturn']).toEqual({ last: 690, min: 0, max: 690, count: 70 });
      expect(solved!.threshold).toBe(475);
      expect(solved!.solved).toEqual({ step: 580, seconds: 57 });
      expect(solved!.auc).toBeCloseTo(345, 9); // linear 0..690: the mean
      expect(solved!.spark!.values).toHaveLength(48);
      expect(unsolved!.solved).toBeNull();
      expect(unsolved!.spark!.values).toHaveLength(40);
      const again = await call<RunTableRow[]>(backend, 'runs:table', { ids: [ids[1]] });
      expect(again).toEqual([unsolved]);
      const bad = await backend.invoke('runs:table', { ids: [] });
      expect(bad.ok).toBe(false);
      const unknown = await backend.invoke('runs:table', { ids: ['no-such-run'] });
      expect(unknown.ok).toBe(false);
    } finally {
      await backend.close();
    }
  });
});

describe('RunTableCache in the data folder', () => {
  const write = async (dir: string, from: number, n: number) => {
    const w = new MetricWriter(dir);
    for (let i = from; i < from + n; i++) w.append((i + 1) * 10, { 'rollout/episodeReturn': i }, 1_700_000_000 + i);
    await w.close();
  };

  it('a reopened cache serves the stored row until the run logs more, and a damaged file is ignored and rebuilt', async () => {
    const home = mkdtempSync(join(tmpdir(), 'policylab-run-table-'));
    cleanups.push(() => rmSync(home, { recursive: true, force: true }));
    const dir = join(home, 'runs', 'r1');
    await write(dir, 0, 100);
    const first = await RunTableCache.open(home);
    const row = await first.row('r1', dir, 'CartPole-v1');
    expect(row.metrics['rollout/episodeReturn']).toMatchObject({ last: 99, count: 100 });
    await first.flush();

    const path = join(dir, 'metrics.jsonl');
    const reopened = await RunTableCache.open(home);
    expect(await reopened.row('r1', dir, 'CartPole-v1')).toEqual(row);
    expect(await reopened.row('r1', dir, 'Acrobot-v1')).not.toEqual(row); // another env: another threshold, recomputed

    await write(dir, 100, 10);
    const grown = await (await RunTableCache.open(home)).row('r1', dir, 'CartPole-v1');
    expect(grown.metrics['rollout/episodeReturn']).toMatchObject({ last: 109, count: 110 });

    const file = join(home, RUN_TABLE_CACHE_FILE);
    await reopened.flush();
    writeFileSync(file, readFileSync(file, 'utf8').replace('"count":100', '"count":7'));
    const damaged = await RunTableCache.open(home);
    expect((await damaged.row('r1', dir, 'CartPole-v1')).metrics['rollout/episodeReturn']!.count).toBe(110);
    await damaged.flush();
    expect(readFileSync(path, 'utf8').split('\n')).toHaveLength(111); // the run's own data untouched
    expect(isRunTableRow(JSON.parse(JSON.stringify(grown)))).toBe(true);
    expect(isRunTableRow({ ...grown, spark: { steps: ['x'], values: [] } })).toBe(false);
  });
});
