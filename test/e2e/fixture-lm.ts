/**
 * A small LM trained for a few seconds on the shipped arithmetic SFT pairs, saved with saveLm: the "model" of the
 * curation e2e test (its samples look like answers, not noise). Layout as the pair sampler expects:
 * [BOS] prompt [SEP] completion [EOS].
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Rng } from '../../core/common/rng.js';
import { LmEngine } from '../../core/lm/engine.js';
import { saveLm } from '../../core/lm/files.js';
import { AdamW } from '../../core/lm/optim.js';
import { trainBpe } from '../../core/lm/tokenizer.js';
import { checksummer } from '../../core/store/checksum.js';

export async function trainFixtureLm(dir: string, steps = 150): Promise<void> {
  const root = join(import.meta.dirname, '..', '..', 'resources', 'tasks', 'arithmetic');
  const pairs = readFileSync(join(root, 'sft.jsonl'), 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as { prompt: string; completion: string });
  const tokenizer = trainBpe(readFileSync(join(root, 'corpus.txt'), 'utf8').slice(0, 20_000), 320);
  const T = 40;
  const engine = new LmEngine({ nLayer: 1, nEmbd: 32, nHead: 2, ctx: T, vocabSize: 320, dropout: 0 }, 1);
  const opt = new AdamW(engine, { lr: 3e-3 });
  const { bos, sep, eos, pad } = tokenizer.ids;
  const seqs = pairs.map((p) => [bos, ...tokenizer.encode(p.prompt), sep, ...tokenizer.encode(p.completion), eos].slice(0, T + 1));
  const rng = new Rng(5);
  const B = 16;
  for (let s = 0; s < steps; s++) {
    const tokens = new Int32Array(B * T).fill(pad);
    const targets = new Int32Array(B * T).fill(pad);
    const mask = new Float32Array(B * T);
    for (let b = 0; b < B; b++) {
      const q = seqs[rng.integer(seqs.length)]!;
      for (let t = 0; t + 1 < q.length; t++) {
        tokens[b * T + t] = q[t]!;
        targets[b * T + t] = q[t + 1]!;
        mask[b * T + t] = 1;
      }
    }
    engine.zeroGrad();
    engine.forwardBackward({ tokens, targets, mask, B, T });
    opt.step(engine);
  }
  mkdirSync(dir, { recursive: true });
  await saveLm(dir, engine, tokenizer, await checksummer(), false);
}
