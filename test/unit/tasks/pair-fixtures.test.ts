/**
 * The stored pair-sampling results (test/fixtures/prefs/, read by test/helpers/fixture-pairs.ts) are what sampling
 * gives today: for every stored job, the first prompts are sampled again and must equal the stored pairs, and the
 * file must sit under the name its job hashes to.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { samplePairs, type PairJob } from '../../../core/tasks/sample-pairs.js';
import { PAIR_FIXTURES_DIR, PairFixtureSchema, pairFixturePath } from '../../helpers/fixture-pairs.js';

const files = readdirSync(PAIR_FIXTURES_DIR).filter((f) => f.endsWith('.json'));

describe('stored pair fixtures', () => {
  it('there are some (the preference tests read them)', () => {
    expect(files.length).toBeGreaterThan(0);
  });

  it.each(files)('%s: its name is its job’s hash, and re-sampling its first 3 prompts gives the stored pairs', async (file) => {
    const { job, pairs } = PairFixtureSchema.parse(JSON.parse(readFileSync(join(PAIR_FIXTURES_DIR, file), 'utf8')));
    const j = job as unknown as PairJob;
    const absolute: PairJob = j.source.kind === 'lm' ? { ...j, source: { ...j.source, dirs: j.source.dirs.map((d) => join(process.cwd(), d)) } } : j;
    expect(pairFixturePath(absolute)).toBe(join(PAIR_FIXTURES_DIR, file));
    expect(pairs.length).toBe(j.prompts.length);
    const again = await samplePairs({ ...absolute, prompts: j.prompts.slice(0, 3) });
    expect(again).toEqual(pairs.slice(0, 3));
  });
});
