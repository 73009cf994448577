/**
 * Two responses per prompt for the curation view, from a language model saved with core/lm's saveLm (a run's
 * checkpoint or any LM folder) or from the task's own generator. The A/B order of each pair is randomised (seeded)
 * and recorded in samplingParams.swapped. Runs in a worker process (pair-worker.ts), never the UI's.
 *
 * Prompt layout for the LM: [BOS] prompt tokens [SEP]; the response is what follows, up to EOS (dropped) or
 * maxNewTokens.
 */
import { Rng } from '../common/rng.js';
import { loadLm } from '../lm/files.js';
import { sample } from '../lm/generate.js';
import { checksummer } from '../store/checksum.js';
import type { PendingPair, SamplingParams } from '../store/datasets-schema.js';
import { getTask, type TaskId } from './index.js';
import { generatorResponse } from './pairs.js';
import type { TaskPrompt } from './resources.js';

/** `dirs`: candidate model folders (a checkpoint's models); the first that is a PolicyLab LM is used. */
export type PairSource = { kind: 'lm'; dirs: string[]; runId: string | null; step: number | null } | { kind: 'generator' };

async function loadFirstLm(dirs: readonly string[]): Promise<Awaited<ReturnType<typeof loadLm>>> {
  const sum = await checksummer();
  const problems: string[] = [];
  for (const dir of dirs) {
    try {
      return await loadLm(dir, sum);
    } catch (e) {
      problems.push(e instanceof Error ? e.message : String(e));
    }
  }
  throw new Error(`no language model could be loaded: ${problems.join('; ') || 'no model folders'}`);
}

export interface PairJob {
  source: PairSource;
  task: TaskId;
  prompts: TaskPrompt[];
  sampling: Omit<SamplingParams, 'swapped'>;
  seed: number;
  /** Pair ids are `<idPrefix><prompt id>`. */
  idPrefix: string;
}

/** Prompts per sampling batch (progress is reported per batch). */
const BATCH = 16;

export async function samplePairs(job: PairJob, onProgress: (done: number, total: number) => void = () => {}): Promise<PendingPair[]> {
  getTask(job.task);
  const order = new Rng(job.seed ^ 0x5bd1e995);
  const out: PendingPair[] = [];
  const push = (p: TaskPrompt, r1: string, r2: string, step: number | null, runId: string | null, seed: number): void => {
    const swapped = order.uniform() < 0.5;
    out.push({
      id: `${job.idPrefix}${p.id}`,
      prompt: p.prompt,
      responseA: swapped ? r2 : r1,
      responseB: swapped ? r1 : r2,
      modelRunId: runId,
      checkpointStep: step,
      samplingParams: job.source.kind === 'lm' ? { ...job.sampling, swapped } : null,
      seed,
    });
  };
  if (job.source.kind === 'generator') {
    const rng = new Rng(job.seed);
    job.prompts.forEach((p, i) => {
      push(p, generatorResponse(job.task, p.prompt, rng), generatorResponse(job.task, p.prompt, rng), null, null, job.seed);
      if (i % BATCH === 0) onProgress(i, job.prompts.length);
    });
    onProgress(job.prompts.length, job.prompts.length);
    return out;
  }
  const { engine, tokenizer } = await loadFirstLm(job.source.dirs);
  const { bos, sep, eos } = tokenizer.ids;
  const maxPrompt = Math.max(1, engine.config.ctx - 1);
  const decode = (ids: number[]): string => tokenizer.decodeLossy(ids[ids.length - 1] === eos ? ids.slice(0, -1) : ids);
  for (let start = 0; start < job.prompts.length; start += BATCH) {
    const batch = job.prompts.slice(start, start + BATCH);
    const encoded = batch.map((p) => [bos, ...tokenizer.encode(p.prompt), sep].slice(-maxPrompt));
    const options = { ...job.sampling, eosId: eos };
    // Two samples per prompt: the second batch uses another seed (row i draws from Rng(seed + 7919·i)).
    const seedA = job.seed + start * 2;
    const first = sample(engine, encoded, { ...options, seed: seedA });
    const second = sample(engine, encoded, { ...options, seed: seedA + 1 });
    batch.forEach((p, i) => push(p, decode(first[i]!), decode(second[i]!), job.source.kind === 'lm' ? job.source.step : null, job.source.kind === 'lm' ? job.source.runId : null, seedA));
    onProgress(Math.min(start + BATCH, job.prompts.length), job.prompts.length);
  }
  return out;
}
