/**
 * Sample generations of a language-model run, stored with the run as `samples.jsonl` (one JSON line per sample:
 * {step, index, prompt, completion}), appended every sampleInterval steps with the same prompts each time so the
 * Samples tab compares checkpoints. A resume cuts the file back to the checkpoint's step (the resumed run samples
 * those steps again). Reading tolerates a torn last line (a crash mid-append) and reports other bad lines.
 */
import { appendFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../../store/fs-utils.js';

export const SAMPLES_FILE = 'samples.jsonl';

export interface LmSample {
  /** Optimizer step the model had taken when it generated this. */
  step: number;
  /** Which prompt of the run's fixed prompt list (0-based). */
  index: number;
  prompt: string;
  completion: string;
}

export function samplesPath(runDir: string): string {
  return join(runDir, SAMPLES_FILE);
}

export async function appendSamples(runDir: string, samples: readonly LmSample[]): Promise<void> {
  if (samples.length === 0) return;
  await appendFile(samplesPath(runDir), samples.map((s) => JSON.stringify(s) + '\n').join(''), 'utf8');
}

function isSample(v: unknown): v is LmSample {
  const o = v as Record<string, unknown> | null;
  return (
    typeof o === 'object' && o !== null && Number.isSafeInteger(o.step) && (o.step as number) >= 0 && Number.isSafeInteger(o.index) && (o.index as number) >= 0 &&
    typeof o.prompt === 'string' && typeof o.completion === 'string'
  );
}

/** Every stored sample, in file order (steps ascending); `problems` names unreadable lines (a torn last line is not one). */
export async function readSamples(runDir: string): Promise<{ samples: LmSample[]; problems: string[] }> {
  let text: string;
  try {
    text = await readFile(samplesPath(runDir), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { samples: [], problems: [] };
    throw e;
  }
  const lines = text.split('\n');
  const torn = !text.endsWith('\n') ? lines.length - 1 : -1;
  const samples: LmSample[] = [];
  const problems: string[] = [];
  lines.forEach((line, i) => {
    if (line === '' || i === torn) return;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch {
      problems.push(`${SAMPLES_FILE}:${i + 1}: not JSON`);
      return;
    }
    if (isSample(v)) samples.push({ step: v.step, index: v.index, prompt: v.prompt, completion: v.completion });
    else problems.push(`${SAMPLES_FILE}:${i + 1}: not a {step, index, prompt, completion} sample`);
  });
  return { samples, problems };
}

/** Keeps the samples at steps ≤ `step` (a resume from the checkpoint at `step`). */
export async function truncateSamples(runDir: string, step: number): Promise<void> {
  const { samples } = await readSamples(runDir);
  const kept = samples.filter((s) => s.step <= step);
  await writeFileAtomic(samplesPath(runDir), kept.map((s) => JSON.stringify(s) + '\n').join(''), { fsync: true });
}
