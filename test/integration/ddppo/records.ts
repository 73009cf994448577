/** Reading a DD-PPO run's metrics.jsonl for the resume tests: what must repeat exactly between two runs. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { loadCheckpoint } from '../../../core/store/index.js';

export type Rec = Record<string, number>;

export const records = (runDir: string): Rec[] =>
  readFileSync(join(runDir, 'metrics.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Rec);

/** What must repeat exactly (timings and wall clock excluded). */
export const learned = (r: Rec): Rec => Object.fromEntries(Object.entries(r).filter(([k]) => /^(step|train\/|rollout\/|charts\/|eval\/|ddppo\/preemptedFraction)/.test(k)));

/**
 * The resumed run `split` repeated the uninterrupted run `whole`: every learned number, and at the last checkpoint
 * (step `lastStep`) the weights and Adam's first moments.
 */
export async function expectSameRun(split: string, whole: string, lastStep: number): Promise<void> {
  expect(records(split).map(learned)).toEqual(records(whole).map(learned));
  const a = await loadCheckpoint(whole, 'latest');
  const b = await loadCheckpoint(split, 'latest');
  expect(b.step).toBe(lastStep);
  expect(b.arrays.params).toEqual(a.arrays.params);
  expect(b.arrays['optim.adam.m']).toEqual(a.arrays['optim.adam.m']);
}
