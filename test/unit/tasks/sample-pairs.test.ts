import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LmEngine } from '../../../core/lm/engine.js';
import { saveLm } from '../../../core/lm/files.js';
import { trainBpe } from '../../../core/lm/tokenizer.js';
import { checksummer } from '../../../core/store/checksum.js';
import { readPromptSet } from '../../../core/tasks/resources.js';
import { samplePairs, type PairJob } from '../../../core/tasks/sample-pairs.js';

let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'policylab-pairs-'));
  mkdirSync(join(dir, 'lm'));
  const engine = new LmEngine({ nLayer: 1, nEmbd: 16, nHead: 2, ctx: 32, vocabSize: 270, dropout: 0 }, 2);
  await saveLm(join(dir, 'lm'), engine, trainBpe('The cast was good. The plot was bad.', 270), await checksummer(), false);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const prompts = readPromptSet('sentiment').slice(0, 20);
const job = (over: Partial<PairJob> = {}): PairJob => ({
  source: { kind: 'lm', dirs: [join(dir, 'missing'), join(dir, 'lm')], runId: 'run1', step: 7 },
  task: 'sentiment',
  prompts,
  sampling: { temperature: 1, topK: 0, topP: 0.9, maxNewTokens: 6 },
  seed: 3,
  idPrefix: 'x-',
  ...over,
});

describe('samplePairs', () => {
  it('is seeded; records the run, step, sampling and the randomised A/B order', async () => {
    const a = await samplePairs(job());
    expect(await samplePairs(job())).toEqual(a);
    expect(a.map((p) => p.id)).toEqual(prompts.map((p) => `x-${p.id}`));
    expect(a[0]).toMatchObject({ modelRunId: 'run1', checkpointStep: 7, samplingParams: { temperature: 1, topK: 0, topP: 0.9, maxNewTokens: 6 } });
    const swapped = a.map((p) => p.samplingParams!.swapped);
    expect(swapped.some(Boolean) && !swapped.every(Boolean)).toBe(true);
    const other = await samplePairs(job({ seed: 4 }));
    expect(other.map((p) => p.responseA)).not.toEqual(a.map((p) => p.responseA));
  });

  it('uses the task generator without a model, and says when no LM loads', async () => {
    const g = await samplePairs(job({ source: { kind: 'generator' } }));
    expect(g.every((p) => p.samplingParams === null && p.responseA.startsWith(' '))).toBe(true);
    await expect(samplePairs(job({ source: { kind: 'lm', dirs: [join(dir, 'missing')], runId: null, step: null } }))).rejects.toThrow(/no language model could be loaded/);
  });
});
