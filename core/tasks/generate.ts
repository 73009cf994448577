/**
 * Generates the shipped task files (resources/tasks/) from one seed. Same seed, same bytes: the unit test
 * regenerates them and compares with the committed files.
 *
 * Per task:
 *   corpus.txt     plain text for pretraining, documents separated by a blank line
 *   sft.jsonl      {prompt, completion} pairs; good and bad completions mixed at SFT_MIX, so an SFT policy's
 *                  samples differ in quality (there is something to prefer)
 *   prompts.jsonl  {id, prompt}: held-out prompts for sampling pairs to label (curation view, RLHF)
 * plus manifest.json: the seed, counts, mixes and each file's size.
 */
import { Rng } from '../common/rng.js';
import { generateAnswer, generateProblem, problemPrompt } from './arithmetic.js';
import { generateReview, type Tone } from './sentiment.js';

export const DEFAULT_TASK_SEED = 12;

export const TASK_FILE_COUNTS = { corpus: 1000, sft: 800, prompts: 200 } as const;

/**
 * The good/bad mix of each task's corpus and SFT data.
 * sentiment: tone of the completion — positive (good) 0.5, negative (bad) 0.3, mixed 0.2.
 * arithmetic: correct result (good) 0.6, wrong by 1–10 (bad) 0.4; politeness and length uniform over the templates.
 */
export const SFT_MIX = {
  sentiment: { positive: 0.5, negative: 0.3, mixed: 0.2 },
  arithmetic: { correct: 0.6, wrong: 0.4 },
} as const;

export interface TaskFile {
  /** Relative to resources/tasks/. */
  path: string;
  text: string;
}

function tone(rng: Rng): Tone {
  const u = rng.uniform();
  const m = SFT_MIX.sentiment;
  return u < m.positive ? 'positive' : u < m.positive + m.negative ? 'negative' : 'mixed';
}

function jsonl(rows: unknown[]): string {
  return rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
}

function sentimentFiles(seed: number): TaskFile[] {
  const corpusRng = new Rng(seed * 16 + 1);
  const sftRng = new Rng(seed * 16 + 2);
  const promptRng = new Rng(seed * 16 + 3);
  const corpus: string[] = [];
  for (let i = 0; i < TASK_FILE_COUNTS.corpus; i++) {
    const r = generateReview(corpusRng, tone(corpusRng));
    corpus.push(r.prompt + r.completion);
  }
  const sft: { prompt: string; completion: string }[] = [];
  for (let i = 0; i < TASK_FILE_COUNTS.sft; i++) {
    const r = generateReview(sftRng, tone(sftRng));
    sft.push({ prompt: r.prompt, completion: r.completion });
  }
  const prompts: { id: string; prompt: string }[] = [];
  for (let i = 0; i < TASK_FILE_COUNTS.prompts; i++) {
    prompts.push({ id: `sentiment-${String(i).padStart(4, '0')}`, prompt: generateReview(promptRng).prompt });
  }
  return [
    { path: 'sentiment/corpus.txt', text: corpus.join('\n\n') + '\n' },
    { path: 'sentiment/sft.jsonl', text: jsonl(sft) },
    { path: 'sentiment/prompts.jsonl', text: jsonl(prompts) },
  ];
}

function arithmeticFiles(seed: number): TaskFile[] {
  const corpusRng = new Rng(seed * 16 + 5);
  const sftRng = new Rng(seed * 16 + 6);
  const promptRng = new Rng(seed * 16 + 7);
  const pair = (rng: Rng): { prompt: string; completion: string } => {
    const p = generateProblem(rng);
    return { prompt: problemPrompt(p), completion: generateAnswer(rng, p, rng.uniform() < SFT_MIX.arithmetic.correct) };
  };
  const corpus: string[] = [];
  for (let i = 0; i < TASK_FILE_COUNTS.corpus; i++) {
    const q = pair(corpusRng);
    corpus.push(q.prompt + q.completion);
  }
  const sft = Array.from({ length: TASK_FILE_COUNTS.sft }, () => pair(sftRng));
  const prompts = Array.from({ length: TASK_FILE_COUNTS.prompts }, (_, i) => ({
    id: `arithmetic-${String(i).padStart(4, '0')}`,
    prompt: problemPrompt(generateProblem(promptRng)),
  }));
  return [
    { path: 'arithmetic/corpus.txt', text: corpus.join('\n\n') + '\n' },
    { path: 'arithmetic/sft.jsonl', text: jsonl(sft) },
    { path: 'arithmetic/prompts.jsonl', text: jsonl(prompts) },
  ];
}

/** Every shipped task file for `seed`, manifest.json last. */
export function generateTaskFiles(seed: number = DEFAULT_TASK_SEED): TaskFile[] {
  if (!Number.isInteger(seed) || seed < 0) throw new Error(`seed must be a non-negative integer, got ${seed}`);
  const files = [...sentimentFiles(seed), ...arithmeticFiles(seed)];
  const manifest = {
    generator: 'scripts/gen-tasks.ts (core/tasks/generate.ts)',
    seed,
    counts: TASK_FILE_COUNTS,
    sftMix: SFT_MIX,
    files: files.map((f) => ({ path: f.path, bytes: Buffer.byteLength(f.text, 'utf8') })),
  };
  files.push({ path: 'manifest.json', text: JSON.stringify(manifest, null, 2) + '\n' });
  return files;
}
