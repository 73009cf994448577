/**
 * Pairs sampled from the sentiment SFT fixture, as the preference tests need them, without paying for the sampling
 * on every run: samplePairs is deterministic for a job (its seeds are per prompt), so a job's output is kept in
 * test/fixtures/prefs/<hash of the job>.json and read back when the job is asked for again. A missing file means
 * the job is sampled for real (and written when POLICYLAB_WRITE_PAIR_FIXTURES=1: `npm run fixtures:pairs` does that
 * by running the tests that use them). test/unit/tasks/pair-fixtures.test.ts re-samples a slice of every stored
 * job and checks it equals the file, so a change to the model, the sampler or the tokenizer cannot go unnoticed.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { z } from 'zod';
import { PendingPairSchema, type PendingPair } from '../../core/store/datasets-schema.js';
import { samplePairs, type PairJob } from '../../core/tasks/sample-pairs.js';

export const PAIR_FIXTURES_DIR = join(process.cwd(), 'test', 'fixtures', 'prefs');

/** A stored job: the job as asked (model folders relative to the repo, so the file is the same on every machine). */
export const PairFixtureSchema = z.strictObject({ job: z.record(z.string(), z.unknown()), pairs: z.array(PendingPairSchema) });

function portable(job: PairJob): Record<string, unknown> {
  const source = job.source.kind === 'lm' ? { ...job.source, dirs: job.source.dirs.map((d) => relative(process.cwd(), d)) } : job.source;
  return { ...job, source } as Record<string, unknown>;
}

export function pairFixturePath(job: PairJob): string {
  const key = createHash('sha256').update(JSON.stringify(portable(job))).digest('hex').slice(0, 16);
  return join(PAIR_FIXTURES_DIR, `${key}.json`);
}

/** samplePairs(job), from its stored result when there is one. */
export async function samplePairsCached(job: PairJob): Promise<PendingPair[]> {
  const path = pairFixturePath(job);
  if (existsSync(path)) return PairFixtureSchema.parse(JSON.parse(readFileSync(path, 'utf8'))).pairs;
  const pairs = await samplePairs(job);
  if (process.env.POLICYLAB_WRITE_PAIR_FIXTURES === '1') {
    mkdirSync(PAIR_FIXTURES_DIR, { recursive: true });
    writeFileSync(path, JSON.stringify({ job: portable(job), pairs }) + '\n');
  }
  return pairs;
}
