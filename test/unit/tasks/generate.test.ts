import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_TASK_SEED, generateTaskFiles, SFT_MIX, TASK_FILE_COUNTS } from '../../../core/tasks/generate.js';
import { firstInteger, parseProblem, solve } from '../../../core/tasks/arithmetic.js';

const RESOURCES = join(import.meta.dirname, '..', '..', '..', 'resources', 'tasks');

describe('shipped task files', () => {
  const files = generateTaskFiles(DEFAULT_TASK_SEED);

  it('regenerating from the seed gives the committed bytes', async () => {
    expect(files.map((f) => f.path)).toEqual([
      'sentiment/corpus.txt', 'sentiment/sft.jsonl', 'sentiment/prompts.jsonl',
      'arithmetic/corpus.txt', 'arithmetic/sft.jsonl', 'arithmetic/prompts.jsonl', 'manifest.json',
    ]);
    for (const f of files) expect(await readFile(join(RESOURCES, f.path), 'utf8'), f.path).toBe(f.text);
  });

  it('another seed gives other files; the total stays small', () => {
    const other = generateTaskFiles(DEFAULT_TASK_SEED + 1);
    expect(other[1]!.text).not.toBe(files[1]!.text);
    const bytes = files.reduce((s, f) => s + Buffer.byteLength(f.text), 0);
    expect(bytes).toBeLessThan(500_000);
    expect(() => generateTaskFiles(-1)).toThrow(/non-negative integer/);
  });

  it('has the documented counts and SFT mix', () => {
    const byPath = new Map(files.map((f) => [f.path, f.text]));
    const lines = (p: string): string[] => byPath.get(p)!.trimEnd().split('\n');
    expect(lines('sentiment/sft.jsonl')).toHaveLength(TASK_FILE_COUNTS.sft);
    expect(lines('arithmetic/prompts.jsonl')).toHaveLength(TASK_FILE_COUNTS.prompts);
    expect(byPath.get('sentiment/corpus.txt')!.trimEnd().split('\n\n')).toHaveLength(TASK_FILE_COUNTS.corpus);
    const sft = lines('arithmetic/sft.jsonl').map((l) => JSON.parse(l) as { prompt: string; completion: string });
    const correct = sft.filter((r) => firstInteger(r.completion) === solve(parseProblem(r.prompt))).length / sft.length;
    // 800 draws at p = 0.6: standard error 0.017.
    expect(Math.abs(correct - SFT_MIX.arithmetic.correct)).toBeLessThan(0.06);
    const ids = lines('sentiment/prompts.jsonl').map((l) => (JSON.parse(l) as { id: string }).id);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
