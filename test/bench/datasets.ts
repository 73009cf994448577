/**
 * Preference-dataset benchmarks (issue 12): label latency (key press → row on disk) on a 10k-row dataset, labelled
 * one after another and in bursts, against the 1 s budget; and a 100k-row TRL import (validate + one atomic write)
 * against "seconds"; the time to generate 500 pairs (two responses per prompt, KV-cache sampling) with an untrained
 * `tiny` LM (4 layers, width 128; BPE vocabulary 512 learned from the arithmetic corpus), 32 new tokens each.
 * Run alone: `npx tsx test/bench/datasets.ts`.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { RunStore } from '../../core/store/db.js';
import { datasetPath, DatasetStore, rebuildDatasetIndex } from '../../core/store/datasets.js';
import { importIntoDataset } from '../../core/store/datasets-io.js';
import type { PendingPair } from '../../core/store/datasets-schema.js';
import { lmConfig } from '../../core/lm/config.js';
import { LmEngine } from '../../core/lm/engine.js';
import { saveLm } from '../../core/lm/files.js';
import { trainBpe } from '../../core/lm/tokenizer.js';
import { checksummer } from '../../core/store/checksum.js';
import { readPromptSet } from '../../core/tasks/resources.js';
import { samplePairs } from '../../core/tasks/sample-pairs.js';

const TARGET_LABEL_MS = 1000;
const TARGET_IMPORT_S = 10;
const fmt = (x: number, d = 1) => x.toLocaleString('en-US', { maximumFractionDigits: d });
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!;

function pair(i: number): PendingPair {
  return {
    id: `p${i}`,
    prompt: `It runs for two hours. The cast was ${i}`,
    responseA: ' really good. The music was lovely. I loved the ending and the pacing was strong.',
    responseB: ' dull. The plot was confusing and the dialogue was weak. I hated the final act.',
    modelRunId: null,
    checkpointStep: null,
    samplingParams: { temperature: 1, topK: 0, topP: 0.95, maxNewTokens: 48, swapped: i % 2 === 0 },
    seed: i,
  };
}

export async function bench(): Promise<void> {
  const home = mkdtempSync(join(tmpdir(), 'policylab-bench-datasets-'));
  try {
    const runs = await RunStore.open(home, { rebuildDatasets: rebuildDatasetIndex });
    const ds = new DatasetStore(runs);
    const { id } = await ds.create({ name: 'bench' });
    const lines = Array.from({ length: 10_000 }, (_, i) => JSON.stringify({ prompt: `prompt ${i}: The cast was`, chosen: pair(i).responseA, rejected: pair(i).responseB }));
    await importIntoDataset(ds, id, lines.join('\n'));
    await ds.addPending(id, Array.from({ length: 300 }, (_, i) => pair(i)));
    const mb = statSync(datasetPath(home, id)).size / 1e6;
    const one: number[] = [];
    for (let i = 0; i < 100; i++) {
      const t0 = performance.now();
      await ds.label(id, { pairId: `p${i}`, label: i % 2 ? 'a' : 'b', labeller: 'bench', shownAt: null });
      one.push(performance.now() - t0);
    }
    // Bursts: ten labels pressed at once (key repeat): each resolves when its batch is on disk.
    const burst: number[] = [];
    for (let b = 0; b < 10; b++) {
      const t0 = performance.now();
      await Promise.all(
        Array.from({ length: 10 }, (_, k) => ds.label(id, { pairId: `p${100 + b * 10 + k}`, label: 'tie', labeller: 'bench', shownAt: null }).then(() => burst.push(performance.now() - t0))),
      );
    }
    console.log(
      `label on a 10k-row dataset (${fmt(mb)} MB file), one at a time: p50 ${fmt(pct(one, 0.5))} ms, p99 ${fmt(pct(one, 0.99))} ms, max ${fmt(Math.max(...one))} ms` +
        `  (target ≤ ${TARGET_LABEL_MS} ms: ${fmt(TARGET_LABEL_MS / pct(one, 0.99), 0)}×)`,
    );
    console.log(`label bursts of 10: p50 ${fmt(pct(burst, 0.5))} ms, max ${fmt(Math.max(...burst))} ms  (target ≤ ${TARGET_LABEL_MS} ms: ${fmt(TARGET_LABEL_MS / Math.max(...burst), 0)}×)`);

    const big = await ds.create({ name: 'import' });
    const text =
      Array.from({ length: 100_000 }, (_, i) => JSON.stringify({ prompt: `Q: ${i % 100} + ${i % 37} = ?\nA:`, chosen: ` ${(i % 100) + (i % 37)}`, rejected: ` The answer is ${i}.` })).join('\n') + '\n';
    const t0 = performance.now();
    let ticks = 0;
    const r = await importIntoDataset(ds, big.id, text, { onProgress: () => ticks++ });
    const s = (performance.now() - t0) / 1000;
    console.log(
      `import 100k TRL rows (${fmt(text.length / 1e6)} MB): ${fmt(s, 2)} s (${fmt(r.imported / s, 0)} rows/s, ${ticks} progress ticks)  (target ≤ ${TARGET_IMPORT_S} s: ${fmt(TARGET_IMPORT_S / s)}×)`,
    );
    const lmDir = join(home, 'tiny-lm');
    mkdirSync(lmDir, { recursive: true });
    const corpus = readFileSync(new URL('../../resources/tasks/arithmetic/corpus.txt', import.meta.url), 'utf8');
    const tokenizer = trainBpe(corpus, 512);
    await saveLm(lmDir, new LmEngine(lmConfig('tiny', { vocabSize: 512 }), 1), tokenizer, await checksummer(), false);
    const prompts = [...readPromptSet('arithmetic'), ...readPromptSet('arithmetic').map((p) => ({ ...p, id: `${p.id}b` })), ...readPromptSet('arithmetic').map((p) => ({ ...p, id: `${p.id}c` }))].slice(0, 500);
    const g0 = performance.now();
    const pairs = await samplePairs({ source: { kind: 'lm', dirs: [lmDir], runId: null, step: null }, task: 'arithmetic', prompts, sampling: { temperature: 1, topK: 0, topP: 1, maxNewTokens: 32 }, seed: 1, idPrefix: 'b' });
    const gs = (performance.now() - g0) / 1000;
    console.log(`generate ${pairs.length} pairs with an untrained tiny LM (32 new tokens per response, one thread): ${fmt(gs, 1)} s (${fmt((pairs.length * 2 * 32) / gs, 0)} tokens/s at most)`);
    console.log(`load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
    await runs.close();
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await bench();
