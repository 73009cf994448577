/**
 * Writes test/fixtures/lm/sentiment-sft/: a small SFT policy for the shipped sentiment task, the starting point of
 * the reward-model, RLHF and DPO tests (they would otherwise each train one first). Deterministic from the seed:
 * a BPE tokenizer learned from sft.jsonl, a 2-layer × 64-wide transformer (context 64), SFT on the task's good and
 * bad completions (so its samples differ in quality, which is what preferences need).
 *
 *   npx tsx scripts/gen-sft-fixture.ts [--steps 600] [--out test/fixtures/lm/sentiment-sft]
 */
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { encodeSft, randomSftBatch, readSft } from '../core/algos/lm/data.js';
import { Rng } from '../core/common/rng.js';
import { validateConfig } from '../core/lm/config.js';
import { LmEngine } from '../core/lm/engine.js';
import { saveLm } from '../core/lm/files.js';
import { AdamW, lrAt } from '../core/lm/optim.js';
import { trainBpe } from '../core/lm/tokenizer.js';
import { checksummer } from '../core/store/checksum.js';

export const SFT_FIXTURE = {
  seed: 21,
  shape: { nLayer: 2, nEmbd: 64, nHead: 4, ctx: 64, vocabSize: 384, dropout: 0 },
  steps: 600,
  batchSize: 16,
  lr: 3e-3,
  warmupSteps: 30,
};

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const flag = (name: string, fallback: string): string => {
    const i = args.indexOf(name);
    return i >= 0 && args[i + 1] ? args[i + 1] : fallback;
  };
  const steps = Number(flag('--steps', String(SFT_FIXTURE.steps)));
  const out = flag('--out', join('test', 'fixtures', 'lm', 'sentiment-sft'));
  if (!Number.isInteger(steps) || steps < 1) throw new Error(`--steps must be a positive integer, got ${steps}`);
  const { examples } = readSft('sentiment');
  const tok = trainBpe(examples.map((e) => e.prompt + e.completion).join('\n'), SFT_FIXTURE.shape.vocabSize);
  const engine = new LmEngine(validateConfig({ ...SFT_FIXTURE.shape }), SFT_FIXTURE.seed);
  const { seqs } = encodeSft(tok, examples, engine.config.ctx);
  const adam = new AdamW(engine, { lr: SFT_FIXTURE.lr, weightDecay: 0.1, gradClip: 1 });
  const rng = new Rng(SFT_FIXTURE.seed);
  const t0 = performance.now();
  for (let step = 0; step < steps; step++) {
    const batch = randomSftBatch(seqs, SFT_FIXTURE.batchSize, tok.ids.pad, rng);
    engine.zeroGrad();
    const loss = engine.forwardBackward(batch, false);
    adam.step(engine, lrAt(step, SFT_FIXTURE.lr, SFT_FIXTURE.warmupSteps, steps, SFT_FIXTURE.lr / 10));
    if (step % 100 === 0 || step === steps - 1) console.log(`step ${step} loss ${loss.toFixed(3)} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  }
  await rm(out, { recursive: true, force: true });
  await mkdir(out, { recursive: true });
  await saveLm(out, engine, tok, await checksummer(), false);
  console.log(`wrote ${out}: ${engine.params.length} parameters, ${tok.vocabSize} tokens`);
}

await main();
