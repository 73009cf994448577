/** Reading a DD-PPO run's metrics.jsonl for the resume tests: what must repeat exactly between two runs. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export type Rec = Record<string, number>;

export const records = (runDir: string): Rec[] =>
  readFileSync(join(runDir, 'metrics.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Rec);

/** What must repeat exactly (timings and wall clock excluded). */
export const learned = (r: Rec): Rec => Object.fromEntries(Object.entries(r).filter(([k]) => /^(step|train\/|rollout\/|charts\/|eval\/|ddppo\/preemptedFraction)/.test(k)));
