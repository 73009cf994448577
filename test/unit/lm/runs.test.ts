/**
 * The language-model runs (core/algos/lm): data preparation (documents, holdout, SFT masks, TRL messages), pretrain
 * learning on the shipped sentiment corpus, SFT from a pretrain run beating it on the arithmetic oracle, exact
 * resume, and samples stored with the run. Seeded; small batches so each learning test stays well under a minute.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { pretrainConfigSchema, sftConfigSchema } from '../../../core/algos/lm/config.js';
import { encodeSft, parseSftJsonl, sftBatch, splitDocuments, splitHoldout } from '../../../core/algos/lm/data.js';
import { readSamples } from '../../../core/algos/lm/samples.js';
import { LM_MODEL_NAME, trainLm } from '../../../core/algos/lm/train.js';
import type { TrainRunOptions } from '../../../core/algos/loop.js';
import { resolveConfig } from '../../../core/algos/registry.js';
import { fromRegistry } from '../../../core/runner/catalog-registry.js';
import { loadCheckpoint } from '../../../core/store/index.js';
import { lmFromArtifacts, sample, trainChar } from '../../../core/lm/index.js';
import { arithmeticScore } from '../../../core/tasks/index.js';
import { readPromptSet } from '../../../core/tasks/resources.js';

const root = mkdtempSync(join(tmpdir(), 'policylab-lmruns-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const runsDir = join(root, 'runs');

function opts(algo: 'pretrain' | 'sft', config: Record<string, unknown>, totalSteps: number, extra: Partial<TrainRunOptions> = {}): TrainRunOptions & { metrics: [number, Record<string, number>][] } {
  const metrics: [number, Record<string, number>][] = [];
  const runId = `r${++n}`;
  return {
    runDir: join(runsDir, runId),
    runId,
    algo: algo as TrainRunOptions['algo'],
    env: 'text' as TrainRunOptions['env'],
    config,
    seed: 3,
    totalSteps,
    signal: new AbortController().signal,
    events: { metrics: (s, v) => metrics.push([s, v]) },
    metrics,
    ...extra,
  };
}

describe('LM run data', () => {
  it('splits documents on blank lines (else lines) and holds out the last fraction', () => {
    expect(splitDocuments('a b\n\nc\n  \nd e\n')).toEqual(['a b', 'c', 'd e']);
    expect(splitDocuments('x\ny\r\nz')).toEqual(['x', 'y', 'z']);
    expect(splitHoldout([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.25, 't')).toEqual({ train: [1, 2, 3, 4, 5, 6, 7], eval: [8, 9, 10] });
    expect(splitHoldout([1, 2], 0.9, 't')).toEqual({ train: [1], eval: [2] });
    expect(() => splitHoldout([1], 0.1, 'the corpus')).toThrow(/the corpus: needs at least 2/);
  });

  it('reads {prompt, completion} and TRL conversational lines, naming the bad line', () => {
    const text = [
      JSON.stringify({ prompt: 'Q: 1 + 1 = ?\nA:', completion: ' 2' }),
      '',
      JSON.stringify({ messages: [{ role: 'user', content: 'hi' }, { role: 'assistant', content: 'hello' }] }),
    ].join('\n');
    expect(parseSftJsonl(text, 'f.jsonl')).toEqual([
      { prompt: 'Q: 1 + 1 = ?\nA:', completion: ' 2' },
      { prompt: 'user: hi\nassistant:', completion: ' hello' },
    ]);
    expect(() => parseSftJsonl('{"prompt":"a","completion":"b"}\n{bad', 'f.jsonl')).toThrow(/f\.jsonl:2: not JSON/);
    expect(() => parseSftJsonl('{"prompt":"a"}', 'f.jsonl')).toThrow(/f\.jsonl:1: prompt and completion must both be strings/);
    expect(() => parseSftJsonl('{"messages":[{"role":"assistant","content":"a"},{"role":"user","content":"b"}]}', 'f.jsonl')).toThrow(/last message must be the assistant's/);
    expect(() => parseSftJsonl('{"prompt":"a","completion":""}', 'f.jsonl')).toThrow(/completion is empty/);
  });

  it('masks the loss to the response tokens and EOS only, padding with PAD', () => {
    const tok = trainChar('abc', 260);
    const { seqs } = encodeSft(tok, [{ prompt: 'ab', completion: 'c' }, { prompt: 'a', completion: 'bcc' }], 64);
    const b = sftBatch(seqs, tok.ids.pad);
    // [BOS a b SEP c EOS] → inputs BOS a b SEP c, targets a b SEP c EOS: the response targets are c, EOS.
    expect(b.T).toBe(6);
    expect(Array.from(b.mask!.subarray(0, 6))).toEqual([0, 0, 0, 1, 1, 0]);
    expect(Array.from(b.targets.subarray(3, 5))).toEqual([99, tok.ids.eos]);
    expect(b.tokens[5]).toBe(tok.ids.pad);
    // [BOS a SEP b c c EOS]: response targets from position 2.
    expect(Array.from(b.mask!.subarray(6, 12))).toEqual([0, 0, 1, 1, 1, 1]);
  });

  it('is launched on env "text" only; RL algorithms refuse it', () => {
    const cat = fromRegistry();
    expect(cat.describe().envs.map((e) => e.id)).toContain('text');
    expect(cat.resolve({ algo: 'pretrain', env: 'text', config: {} }).config).toMatchObject({ corpus: 'sentiment', size: 'tiny' });
    expect(() => cat.resolve({ algo: 'pretrain', env: 'CartPole-v1', config: {} })).toThrow(/LM pretrain cannot train on "CartPole-v1"/);
    expect(() => cat.resolve({ algo: 'ppo', env: 'text', config: {} })).toThrow(/PPO cannot train on "text"/);
    expect(() => resolveConfig('sft', 'text', { overrides: { data: 'relative/path.jsonl', bogus: 1 } })).toThrow(/bogus/);
    expect(pretrainConfigSchema.shape.size.description).toMatch(/tiny: 4 layers × 128 wide, 4 heads, context 64 — 0\.\d\dM parameters/);
  });

  it('names a missing or relative text source', async () => {
    await expect(trainLm('pretrain', opts('pretrain', { corpus: 'novel.txt' }, 1))).rejects.toThrow(/config\.corpus must be a shipped task \(sentiment, arithmetic\) or an absolute file path/);
    await expect(trainLm('sft', opts('sft', { data: join(root, 'missing.jsonl') }, 1))).rejects.toThrow(/config\.data: no file at/);
    expect(sftConfigSchema.safeParse({ data: '' }).success).toBe(false);
  });
});

describe('LM runs', () => {
  it('pretrain: held-out loss falls below 2.0 nats on the shipped sentiment corpus in 80 steps, samples stored', { timeout: 180_000 }, async () => {
    const o = opts('pretrain', { corpus: 'sentiment', batchSize: 8, vocabSize: 384, lr: 3e-3, evalInterval: 40, sampleInterval: 80, numSamples: 2, checkpointInterval: 0 }, 80);
    const r = await trainLm('pretrain', o);
    expect(r.status).toBe('finished');
    expect(r.step).toBe(80);
    const evals = o.metrics.filter(([, v]) => v['eval/loss'] !== undefined).map(([s, v]) => [s, v['eval/loss']!]);
    expect(evals.map(([s]) => s)).toEqual([40, 80]);
    const first = o.metrics[0]![1]['train/loss']!;
    expect(first).toBeGreaterThan(5); // ≈ ln 384 = 5.95 at initialisation
    expect(evals[1]![1]).toBeLessThan(2.0);
    const lrs = o.metrics.map(([, v]) => v['train/learningRate']!);
    expect(lrs[0]).toBeCloseTo(3e-3 / 20, 8); // warm-up
    expect(Math.max(...lrs)).toBeCloseTo(3e-3, 6);
    expect(lrs[79]).toBeLessThan(lrs[40]!); // cosine decay
    expect(o.metrics.every(([, v]) => v['time/tokensPerSecond']! > 0 && Math.abs(v['train/perplexity']! - Math.exp(v['train/loss']!)) < 1e-6 * v['train/perplexity']!)).toBe(true);
    const { samples, problems } = await readSamples(o.runDir);
    expect(problems).toEqual([]);
    expect(samples.map((s) => [s.step, s.index])).toEqual([[0, 0], [0, 1], [80, 0], [80, 1]]);
    expect(samples[2]!.prompt).toBe(readPromptSet('sentiment')[0]!.prompt);
    // The saved model is a loadable LM with its tokenizer and config.
    const ckpt = await loadCheckpoint(o.runDir, 'latest');
    expect(ckpt.step).toBe(80);
    const { engine, tokenizer } = lmFromArtifacts(ckpt.models[LM_MODEL_NAME]!, 'ckpt');
    expect(tokenizer.vocabSize).toBe(384);
    expect(engine.config).toMatchObject({ nLayer: 4, nEmbd: 128, ctx: 64, vocabSize: 384 });
  });

  it('resume: stopping at step 6 and resuming gives the numbers of an uninterrupted 12-step run (dropout on)', { timeout: 120_000 }, async () => {
    const config = { corpus: 'arithmetic', batchSize: 2, tokenizer: 'char', vocabSize: 260, dropout: 0.1, evalInterval: 4, sampleInterval: 5, numSamples: 1, sampleMaxTokens: 8, checkpointInterval: 0 };
    const a = opts('pretrain', config, 12);
    await trainLm('pretrain', a);
    const controller = new AbortController();
    const b = opts('pretrain', config, 12, { signal: controller.signal });
    b.events = { metrics: (s, v) => (b.metrics.push([s, v]), s === 6 && controller.abort()) };
    const stopped = await trainLm('pretrain', b);
    expect(stopped).toMatchObject({ status: 'stopped', step: 6 });
    const resumed = await trainLm('pretrain', { ...b, resume: true, signal: new AbortController().signal });
    expect(resumed).toMatchObject({ status: 'finished', step: 12 });
    const strip = (m: Record<string, number>): Record<string, number> =>
      Object.fromEntries(Object.entries(m).filter(([k]) => !k.startsWith('time/')));
    expect(b.metrics.map(([s, v]) => [s, strip(v)])).toEqual(a.metrics.map(([s, v]) => [s, strip(v)]));
    const wa = (await loadCheckpoint(a.runDir, 'latest')).models[LM_MODEL_NAME]!.weightData as ArrayBuffer;
    const wb = (await loadCheckpoint(b.runDir, 'latest')).models[LM_MODEL_NAME]!.weightData as ArrayBuffer;
    expect(Buffer.from(wb).equals(Buffer.from(wa))).toBe(true);
    const sa = (await readSamples(a.runDir)).samples;
    expect(sa.map((s) => s.step)).toEqual([0, 5, 10, 12]);
    expect((await readSamples(b.runDir)).samples).toEqual(sa);
    const metricLines = (dir: string): number[] => readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { step: number }).step);
    expect(metricLines(b.runDir)).toEqual(metricLines(a.runDir));
  });

  it('SFT from a pretrain run: response loss falls and the arithmetic oracle scores it above the pretrained model', { timeout: 240_000 }, async () => {
    const common = { batchSize: 8, tokenizer: 'char', vocabSize: 260, evalInterval: 50, sampleInterval: 0, checkpointInterval: 0 };
    const pre = opts('pretrain', { ...common, corpus: 'arithmetic', lr: 3e-3 }, 50);
    await trainLm('pretrain', pre);
    const sft = opts('sft', { ...common, data: 'arithmetic', init: pre.runId, evalInterval: 10 }, 50);
    await trainLm('sft', sft);
    const evals = sft.metrics.filter(([, v]) => v['eval/loss'] !== undefined).map(([, v]) => v['eval/loss']!);
    expect(evals.length).toBe(5);
    expect(evals[4]!).toBeLessThan(evals[0]! * 0.8);
    const prompts = readPromptSet('arithmetic').slice(0, 16).map((p) => p.prompt);
    const score = async (runDir: string): Promise<number> => {
      const { engine, tokenizer } = lmFromArtifacts((await loadCheckpoint(runDir, 'latest')).models[LM_MODEL_NAME]!, runDir);
      const ids = prompts.map((p) => [tokenizer.ids.bos, ...tokenizer.encode(p), tokenizer.ids.sep]);
      const out = sample(engine, ids, { maxNewTokens: 24, temperature: 0.7, seed: 5, eosId: tokenizer.ids.eos });
      const texts = out.map((o) => tokenizer.decodeLossy(o.filter((t) => t !== tokenizer.ids.eos)));
      return texts.reduce((s, t, i) => s + arithmeticScore(prompts[i]!, t), 0) / texts.length;
    };
    const [preScore, sftScore] = [await score(pre.runDir), await score(sft.runDir)];
    expect(sftScore).toBeGreaterThan(preScore);
  });

  it('SFT refuses an init run that is not there, naming it', async () => {
    await expect(trainLm('sft', opts('sft', { data: 'arithmetic', init: 'nosuchrun' }, 1))).rejects.toThrow(/config\.init: there is no run "nosuchrun"/);
    const f = join(root, 'plain.jsonl');
    writeFileSync(f, '{"prompt":"p","completion":"c"}\n');
    await expect(trainLm('sft', opts('sft', { data: f }, 1))).rejects.toThrow(/needs at least 2 items/);
  });
});
