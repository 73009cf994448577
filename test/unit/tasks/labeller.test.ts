import { describe, expect, it } from 'vitest';
import { RunStore } from '../../../core/store/db.js';
import { DatasetStore, rebuildDatasetIndex } from '../../../core/store/datasets.js';
import { problemPrompt } from '../../../core/tasks/arithmetic.js';
import { bayesAccuracy, labelPendingWithOracle, oracleLabel, sigmoid } from '../../../core/tasks/labeller.js';
import { generatorPairs } from '../../../core/tasks/pairs.js';
import { pendingPair, tempHome } from '../datasets/fixtures.js';

const prompt = problemPrompt({ a: 17, b: 25, op: '+' });
const pair = (i: number, a: string, b: string) => pendingPair(i, { prompt, responseA: a, responseB: b });

describe('oracle labeller', () => {
  it('P(A≻B) = σ(β(r*(A) − r*(B))), rows marked oracle and synthetic', () => {
    const out = oracleLabel([pair(0, ' 42', ' 43')], { task: 'arithmetic', beta: 2, seed: 1 });
    const rA = 1 + 1 / (1 + 2 / 40);
    const rB = 1 / (1 + 2 / 40);
    expect(out.pA[0]).toBeCloseTo(sigmoid(2 * (rA - rB)), 12);
    expect(out.rows[0]).toMatchObject({ source: 'oracle', labeller: 'oracle:arithmetic:beta=2' });
    expect(out.rows[0]!.note).toMatch(/^synthetic \(Bradley–Terry over the arithmetic oracle\)/);
    expect(out.info.bayesAccuracy).toBeCloseTo(Math.max(out.pA[0]!, 1 - out.pA[0]!), 12);
  });

  it('label frequencies match P over many draws; Bayes accuracy is mean max(P, 1 − P)', () => {
    const pairs = Array.from({ length: 4000 }, (_, i) => pair(i, ' 42', ' 41'));
    const out = oracleLabel(pairs, { task: 'arithmetic', beta: 1, seed: 7 });
    const p = out.pA[0]!;
    const freqA = out.rows.filter((r) => r.label === 'a').length / pairs.length;
    // 4000 draws: standard error √(p(1−p)/4000) ≈ 0.006.
    expect(Math.abs(freqA - p)).toBeLessThan(0.03);
    expect(out.info.bayesAccuracy).toBeCloseTo(p, 12);
    expect(bayesAccuracy([0.9, 0.2, 0.5])).toBeCloseTo((0.9 + 0.8 + 0.5) / 3, 12);
  });

  it('is seeded, and large β makes labels follow the oracle', () => {
    const pairs = generatorPairs('arithmetic', Array.from({ length: 200 }, (_, i) => problemPrompt({ a: i % 50, b: 7, op: '+' })), 3);
    const a = oracleLabel(pairs, { task: 'arithmetic', beta: 50, seed: 5 }, '2026-01-01T00:00:00.000Z');
    expect(oracleLabel(pairs, { task: 'arithmetic', beta: 50, seed: 5 }, '2026-01-01T00:00:00.000Z')).toEqual(a);
    const distinct = a.rows.filter((r, i) => Math.abs(a.pA[i]! - 0.5) > 0.49);
    expect(distinct.length).toBeGreaterThan(50);
    expect(a.info.bayesAccuracy).toBeGreaterThan(0.9);
    expect(() => oracleLabel(pairs, { task: 'arithmetic', beta: 0, seed: 1 })).toThrow(/beta must be a finite number > 0/);
  });

  it('labels a dataset\'s pending pairs in one write and records β and the Bayes accuracy', async () => {
    const home = tempHome();
    const runs = await RunStore.open(home, { rebuildDatasets: rebuildDatasetIndex });
    const ds = new DatasetStore(runs);
    const { id } = await ds.create({ name: 'oracle', task: 'sentiment' });
    const prompts = ['This movie was', 'The cast was', 'The script was'];
    await ds.addPending(id, generatorPairs('sentiment', prompts, 1));
    const info = await labelPendingWithOracle(ds, id, { task: 'sentiment', beta: 0.5, seed: 2 });
    const d = await ds.read(id);
    expect(d.pending).toEqual([]);
    expect(d.rows.every((r) => r.source === 'oracle')).toBe(true);
    expect(d.oracle).toEqual(info);
    expect(ds.list()[0]!.oracle?.bayesAccuracy).toBe(info.bayesAccuracy);
    await expect(labelPendingWithOracle(ds, id, { task: 'sentiment', beta: 1, seed: 2 })).rejects.toThrow(/already has oracle labels/);
    await runs.close();
  });
});
