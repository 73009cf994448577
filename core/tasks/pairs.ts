/**
 * Pairs to label without a model: two responses per prompt drawn from a task's own generator (the SFT mix of
 * generate.ts), for oracle datasets, tests and trying the curation view before any LM is trained.
 */
import { Rng } from '../common/rng.js';
import type { PendingPair } from '../store/datasets-schema.js';
import { generateAnswer, parseProblem } from './arithmetic.js';
import { SFT_MIX } from './generate.js';
import { generateReview, type Tone } from './sentiment.js';
import type { TaskId } from './index.js';

function tone(rng: Rng): Tone {
  const u = rng.uniform();
  const m = SFT_MIX.sentiment;
  return u < m.positive ? 'positive' : u < m.positive + m.negative ? 'negative' : 'mixed';
}

/** One generator response to `prompt`. */
export function generatorResponse(task: TaskId, prompt: string, rng: Rng): string {
  if (task === 'arithmetic') return generateAnswer(rng, parseProblem(prompt), rng.uniform() < SFT_MIX.arithmetic.correct);
  return generateReview(rng, tone(rng)).completion;
}

/** Two generator responses per prompt, ids `<idPrefix><i>`; seeded. */
export function generatorPairs(task: TaskId, prompts: readonly string[], seed: number, idPrefix = 'g'): PendingPair[] {
  const rng = new Rng(seed);
  return prompts.map((prompt, i) => ({
    id: `${idPrefix}${i}`,
    prompt,
    responseA: generatorResponse(task, prompt, rng),
    responseB: generatorResponse(task, prompt, rng),
    modelRunId: null,
    checkpointStep: null,
    samplingParams: null,
    seed,
  }));
}
