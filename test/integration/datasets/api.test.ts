/**
 * The datasets:* channels through the app's back end (validation included), with pair generation in real worker
 * processes: from the task generator and from a small LM saved with saveLm.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatasetDetail, DatasetGenerationProgress, DatasetInfo, DatasetPairInfo, DatasetRowInfo } from '../../../core/api/datasets.js';
import { LmEngine } from '../../../core/lm/engine.js';
import { lmArtifacts, saveLm } from '../../../core/lm/files.js';
import { trainBpe } from '../../../core/lm/tokenizer.js';
import { openAppBackend, type AppBackend } from '../../../core/runner/service.js';
import { checksummer } from '../../../core/store/checksum.js';
import { saveCheckpoint } from '../../../core/store/checkpoints.js';
import { call } from '../../unit/runner/helpers.js';

let backend: AppBackend;
let home: string;
let lmDir: string;
let lm: { engine: LmEngine; tokenizer: ReturnType<typeof trainBpe> };

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'policylab-datasets-api-'));
  lmDir = join(home, 'tiny-lm');
  const tokenizer = trainBpe('Q: 1 + 2 = ?\nA: 3\n\nQ: 4 - 1 = ?\nA: 3', 280);
  const engine = new LmEngine({ nLayer: 1, nEmbd: 16, nHead: 2, ctx: 64, vocabSize: 280, dropout: 0 }, 3);
  mkdirSync(lmDir, { recursive: true });
  await saveLm(lmDir, engine, tokenizer, await checksummer(), false);
  lm = { engine, tokenizer };
  backend = await openAppBackend({ home, transport: 'browser' });
});

afterAll(async () => {
  await backend?.close();
  rmSync(home, { recursive: true, force: true });
});

describe('datasets over the API', () => {
  it('create → generate (worker) → label, undo, fix, delete, restore → export → chunked re-import gives identical rows', async () => {
    const info = await call<DatasetInfo>(backend, 'datasets:create', { name: 'Arithmetic prefs', task: 'arithmetic' });
    const gen = await call<{ added: number; pending: number }>(backend, 'datasets:generate', { id: info.id, task: 'arithmetic', model: { kind: 'generator' }, count: 6, seed: 4 });
    expect(gen).toMatchObject({ added: 6, pending: 6 });
    let detail = await call<DatasetDetail>(backend, 'datasets:get', { id: info.id });
    expect(detail.pending.map((p) => p.id)).toEqual(['arithmetic-0000', 'arithmetic-0001', 'arithmetic-0002', 'arithmetic-0003', 'arithmetic-0004', 'arithmetic-0005'].map((x) => `s4-${x}`));
    const shownAt = new Date().toISOString();
    const labels = ['a', 'b', 'tie', 'skip', 'a'] as const;
    for (let i = 0; i < labels.length; i++) {
      await call<DatasetRowInfo>(backend, 'datasets:label', { id: info.id, pairId: detail.pending[i]!.id, label: labels[i], labeller: 'ann', shownAt });
    }
    const back = await call<DatasetPairInfo>(backend, 'datasets:unlabel', { id: info.id, rowId: detail.pending[4]!.id });
    expect(back.id).toBe(detail.pending[4]!.id);
    await call(backend, 'datasets:label', { id: info.id, pairId: back.id, label: 'b', labeller: 'ann', shownAt, responseB: ' 7 (edited)' });
    await call(backend, 'datasets:fixRow', { id: info.id, rowId: detail.pending[0]!.id, note: 'checked' });
    await call(backend, 'datasets:deleteRow', { id: info.id, rowId: detail.pending[1]!.id });
    detail = await call<DatasetDetail>(backend, 'datasets:get', { id: info.id });
    expect(detail.deleted.map((d) => d.row.id)).toEqual([`s4-arithmetic-0001`]);
    await call(backend, 'datasets:restoreRow', { id: info.id, rowId: `s4-arithmetic-0001` });
    detail = await call<DatasetDetail>(backend, 'datasets:get', { id: info.id, label: 'b' });
    expect(detail.rows.map((r) => r.id).sort()).toEqual(['s4-arithmetic-0001', 's4-arithmetic-0004']);
    expect(detail.rows.find((r) => r.id === 's4-arithmetic-0004')).toMatchObject({ edited: true, responseB: ' 7 (edited)', chosen: ' 7 (edited)' });
    expect((await call<DatasetDetail>(backend, 'datasets:get', { id: info.id, search: 'CHECKED' })).rows.map((r) => r.id)).toEqual(['s4-arithmetic-0000']);
    const all = (await call<DatasetDetail>(backend, 'datasets:get', { id: info.id })).rows;

    const exported = await call<{ text: string; lines: number; filename: string }>(backend, 'datasets:export', { id: info.id, format: 'policylab' });
    expect(exported.lines).toBe(5);
    expect(exported.filename).toBe('Arithmetic-prefs.policylab.jsonl');
    const copy = await call<DatasetInfo>(backend, 'datasets:create', { name: 'copy' });
    const text = exported.text;
    const pieces = text.match(/[\s\S]{1,100}/g)!;
    const r1 = await call<{ received: number }>(backend, 'datasets:import', { id: copy.id, uploadId: 'upload-0001', seq: 0, pieces: pieces.slice(0, 3), last: false });
    expect(r1.received).toBe(300);
    const r2 = await call<{ imported: number; format: string }>(backend, 'datasets:import', { id: copy.id, uploadId: 'upload-0001', seq: 1, pieces: pieces.slice(3), last: true });
    expect(r2).toMatchObject({ imported: 5, format: 'policylab' });
    expect((await call<DatasetDetail>(backend, 'datasets:get', { id: copy.id })).rows).toEqual(all);

    const list = await call<DatasetInfo[]>(backend, 'datasets:list');
    expect(list.map((d) => d.name)).toEqual(['copy', 'Arithmetic prefs']);
    expect(list[1]).toMatchObject({ size: 5, pending: 1, labels: { a: 1, b: 2, tie: 1, skip: 1 }, sources: { human: 5, oracle: 0, import: 0 } });
  });

  it('refuses bad requests naming the field, bad imports naming the line; stores nothing', async () => {
    const info = await call<DatasetInfo>(backend, 'datasets:create', { name: 'strict' });
    const bad = await backend.invoke('datasets:label', { id: info.id, pairId: 'x', label: 'maybe', labeller: 'ann', shownAt: new Date().toISOString() });
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.error.code).toBe('invalid_request');
    const imp = await backend.invoke('datasets:import', { id: info.id, uploadId: 'upload-0002', seq: 0, pieces: ['{"prompt": "p", "chosen": "c"}\n{bad'], last: true });
    expect(imp.ok).toBe(false);
    if (!imp.ok) expect(imp.error.message).toMatch(/line 1: missing field "rejected"[\s\S]*line 2: bad JSON/);
    expect((await call<DatasetDetail>(backend, 'datasets:get', { id: info.id })).info.size).toBe(0);
    const unknown = await backend.invoke('datasets:get', { id: 'nope' });
    expect(!unknown.ok && unknown.error.code).toBe('not_found');
  });

  it('generates from a saved LM in a worker (sampling recorded, A/B order randomised) and oracle-labels', async () => {
    const info = await call<DatasetInfo>(backend, 'datasets:create', { name: 'lm pairs' });
    const running = call<{ added: number }>(backend, 'datasets:generate', {
      id: info.id, task: 'arithmetic', model: { kind: 'lm', dir: lmDir }, count: 20, temperature: 1, topK: 20, maxNewTokens: 8, seed: 9,
    });
    // Progress while the worker samples (the view polls this), a second generation refused meanwhile, none after.
    let finished = false;
    void running.finally(() => (finished = true));
    const seen: DatasetGenerationProgress[] = [];
    let refused: string | null = null;
    while (!finished) {
      const g = await call<DatasetGenerationProgress | null>(backend, 'datasets:generation', { id: info.id });
      if (g) {
        seen.push(g);
        if (refused === null) {
          const second = await backend.invoke('datasets:generate', { id: info.id, task: 'arithmetic', model: { kind: 'generator' }, count: 1 });
          refused = second.ok ? 'accepted' : second.error.message;
        }
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    const gen = await running;
    expect(gen.added).toBe(20);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((g) => g.total === 20 && g.done >= 0 && g.done <= 20 && g.seconds >= 0)).toBe(true);
    expect(seen.map((g) => g.done)).toEqual([...seen.map((g) => g.done)].sort((a, b) => a - b));
    expect(refused).toMatch(/is already generating pairs/);
    expect(await call(backend, 'datasets:generation', { id: info.id })).toBeNull();
    const d = await call<DatasetDetail>(backend, 'datasets:get', { id: info.id });
    expect(d.pending).toHaveLength(20);
    const swapped = d.pending.map((p) => p.samplingParams!.swapped);
    expect(swapped.some(Boolean) && !swapped.every(Boolean)).toBe(true);
    expect(d.pending[0]!.samplingParams).toMatchObject({ temperature: 1, topK: 20, topP: 1, maxNewTokens: 8 });
    const oracle = await call<{ bayesAccuracy: number; pairs: number }>(backend, 'datasets:oracle', { id: info.id, task: 'arithmetic', beta: 5, seed: 1 });
    expect(oracle.pairs).toBe(20);
    expect(oracle.bayesAccuracy).toBeGreaterThanOrEqual(0.5);
    const after = await call<DatasetDetail>(backend, 'datasets:get', { id: info.id });
    expect(after.info.sources.oracle).toBe(20);
    expect(after.pending).toEqual([]);
    const rel = await backend.invoke('datasets:generate', { id: info.id, task: 'arithmetic', model: { kind: 'lm', dir: 'relative/path' }, count: 1 });
    expect(!rel.ok && rel.error.message).toMatch(/must be an absolute path/);
  });

  it("generates from an LM run's checkpoint (its `lm` model), recording the run and step", async () => {
    const run = await backend.store.createRun({ algo: 'sft', env: 'text', config: {}, seed: 1 });
    await saveCheckpoint(backend.store.runDir(run.id), { step: 40, models: { lm: lmArtifacts(lm.engine, lm.tokenizer) }, state: {} }, undefined, { fsync: false });
    const info = await call<DatasetInfo>(backend, 'datasets:create', { name: 'from a run' });
    const gen = await call<{ added: number }>(backend, 'datasets:generate', { id: info.id, task: 'arithmetic', model: { kind: 'run', runId: run.id, step: 40 }, count: 3, maxNewTokens: 4 });
    expect(gen.added).toBe(3);
    const d = await call<DatasetDetail>(backend, 'datasets:get', { id: info.id });
    expect(d.pending.every((p) => p.modelRunId === run.id && p.checkpointStep === 40)).toBe(true);
    const missing = await backend.invoke('datasets:generate', { id: info.id, task: 'arithmetic', model: { kind: 'run', runId: run.id, step: 41 }, count: 1 });
    expect(!missing.ok && missing.error.message).toMatch(/has no checkpoint at step 41 \(have: 40\)/);
  });
});
