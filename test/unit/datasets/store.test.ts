import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RunStore } from '../../../core/store/db.js';
import { datasetPath, DatasetStore, journalPath, readDataset, RECOVERABLE_MS, rebuildDatasetIndex } from '../../../core/store/datasets.js';
import { DatasetFileSchema } from '../../../core/store/datasets-schema.js';
import { importRow, pendingPair, tempHome } from './fixtures.js';

async function open(home: string): Promise<{ runs: RunStore; ds: DatasetStore }> {
  const runs = await RunStore.open(home, { rebuildDatasets: rebuildDatasetIndex });
  return { runs, ds: new DatasetStore(runs) };
}
/** The dataset as on disk (its file with its labelling journal applied), read without the store. */
const onDisk = async (home: string, id: string) => (await readDataset(home, id))!;

describe('DatasetStore', () => {
  it('creates a dataset file and registers its summary in db.json', async () => {
    const home = tempHome();
    const { runs, ds } = await open(home);
    const s = await ds.create({ name: ' arith prefs ', task: 'arithmetic' });
    expect(s.name).toBe('arith prefs');
    expect((await onDisk(home, s.id)).rows).toEqual([]);
    const db = JSON.parse(readFileSync(join(home, 'db.json'), 'utf8')) as { datasets: { id: string; size: number }[] };
    expect(db.datasets.map((d) => [d.id, d.size])).toEqual([[s.id, 0]]);
    expect(ds.list().map((d) => d.id)).toEqual([s.id]);
    await expect(ds.create({ name: '  ' })).rejects.toThrow(/dataset name must be 1–200 characters/);
    await runs.close();
  });

  it('labels pending pairs into rows with provenance, undo puts the pair back, every label is on disk when it resolves', async () => {
    const home = tempHome();
    const { runs, ds } = await open(home);
    const { id } = await ds.create({ name: 'd' });
    await ds.addPending(id, [pendingPair(0), pendingPair(1), pendingPair(2)]);
    const shownAt = new Date().toISOString();
    const row = await ds.label(id, { pairId: 'p0', label: 'b', labeller: 'ann', shownAt });
    expect(row).toMatchObject({ id: 'p0', label: 'b', chosen: ' The answer is 2.', rejected: ' 1', source: 'human', labeller: 'ann', edited: false, seed: 0 });
    expect((await onDisk(home, id)).rows).toEqual([row]);
    const edited = await ds.label(id, { pairId: 'p1', label: 'a', labeller: 'ann', shownAt, responseA: ' two' });
    expect(edited).toMatchObject({ edited: true, chosen: ' two', responseA: ' two' });
    await ds.label(id, { pairId: 'p2', label: 'tie', labeller: 'ann', shownAt });
    let file = (await onDisk(home, id));
    expect(file.rows.map((r) => [r.id, r.label, r.chosen])).toEqual([['p0', 'b', ' The answer is 2.'], ['p1', 'a', ' two'], ['p2', 'tie', null]]);
    expect(file.pending).toEqual([]);
    await ds.unlabel(id, 'p2');
    file = (await onDisk(home, id));
    expect(file.rows.map((r) => r.id)).toEqual(['p0', 'p1']);
    expect(file.pending.map((p) => p.id)).toEqual(['p2']);
    expect(ds.list()[0]).toMatchObject({ size: 2, pending: 1, labels: { a: 1, b: 1, tie: 0, skip: 0 }, sources: { human: 2, oracle: 0, import: 0 }, labellers: ['ann'] });
    await expect(ds.label(id, { pairId: 'nope', label: 'a', labeller: null, shownAt: null })).rejects.toThrow(/no pending pair "nope"/);
    await expect(ds.label(id, { pairId: 'p2', label: 'c' as 'a', labeller: null, shownAt: null })).rejects.toThrow(/label must be one of a, b, tie, skip/);
    await runs.close();
  });

  it('many labels at once: one write per batch, all land, in order', async () => {
    const home = tempHome();
    const { runs, ds } = await open(home);
    const { id } = await ds.create({ name: 'd' });
    await ds.addPending(id, Array.from({ length: 50 }, (_, i) => pendingPair(i)));
    await Promise.all(Array.from({ length: 50 }, (_, i) => ds.label(id, { pairId: `p${i}`, label: i % 2 ? 'a' : 'skip', labeller: 'x', shownAt: null })));
    expect((await onDisk(home, id)).rows.map((r) => r.id)).toEqual(Array.from({ length: 50 }, (_, i) => `p${i}`));
    await runs.close();
  });

  it('a refused change in a batch does not stop the others', async () => {
    const home = tempHome();
    const { runs, ds } = await open(home);
    const { id } = await ds.create({ name: 'd' });
    await ds.addPending(id, [pendingPair(0), pendingPair(1)]);
    const results = await Promise.allSettled([
      ds.label(id, { pairId: 'p0', label: 'a', labeller: null, shownAt: null }),
      ds.addPending(id, [pendingPair(1)]),
      ds.label(id, { pairId: 'p1', label: 'b', labeller: null, shownAt: null }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(String((results[1] as PromiseRejectedResult).reason)).toMatch(/duplicate id "p1"/);
    expect((await onDisk(home, id)).rows.map((r) => r.id)).toEqual(['p0', 'p1']);
    await runs.close();
  });

  it('fixes, deletes (recoverably) and restores rows; export ends recoverability', async () => {
    const home = tempHome();
    const { runs, ds } = await open(home);
    const { id } = await ds.create({ name: 'd' });
    await ds.addRows(id, [importRow(0), importRow(1), importRow(2)]);
    const fixed = await ds.updateRow(id, 'r0', { label: 'b', note: 'swapped by mistake' });
    expect(fixed).toMatchObject({ label: 'b', chosen: 'bad 0', rejected: 'good 0', note: 'swapped by mistake', edited: false });
    expect((await ds.updateRow(id, 'r1', { responseB: 'worse 1' })).edited).toBe(true);
    await expect(ds.updateRow(id, 'r1', { prompt: 'x' } as never)).rejects.toThrow(/unknown field "prompt"/);
    await ds.deleteRow(id, 'r2');
    expect((await onDisk(home, id)).rows.map((r) => r.id)).toEqual(['r0', 'r1']);
    expect((await onDisk(home, id)).deleted.map((x) => x.row.id)).toEqual(['r2']);
    await ds.restoreRow(id, 'r2');
    expect((await onDisk(home, id)).rows.map((r) => r.id)).toEqual(['r0', 'r1', 'r2']);
    await ds.deleteRow(id, 'r2');
    await ds.markExported(id);
    await expect(ds.restoreRow(id, 'r2')).rejects.toThrow(/no deleted row "r2"/);
    await expect(ds.addRows(id, [importRow(0)])).rejects.toThrow(/duplicate id "r0"/);
    await runs.close();
  });

  it('deleted rows older than a day are purged at the next write', async () => {
    const home = tempHome();
    const { runs, ds } = await open(home);
    const { id } = await ds.create({ name: 'd' });
    await ds.addRows(id, [importRow(0), importRow(1)]);
    await ds.deleteRow(id, 'r0');
    const file = (await onDisk(home, id));
    file.deleted[0]!.deletedAt = new Date(Date.now() - RECOVERABLE_MS - 1000).toISOString();
    writeFileSync(datasetPath(home, id), JSON.stringify(file));
    await ds.updateRow(id, 'r1', { note: 'n' });
    expect((await onDisk(home, id)).deleted).toEqual([]);
    await runs.close();
  });

  it('two stores on one folder: both processes\' labels land (re-read under the lock)', async () => {
    const home = tempHome();
    const a = await open(home);
    const b = await open(home);
    const { id } = await a.ds.create({ name: 'shared' });
    await a.ds.addPending(id, [pendingPair(0), pendingPair(1), pendingPair(2), pendingPair(3)]);
    await Promise.all([
      a.ds.label(id, { pairId: 'p0', label: 'a', labeller: 'a', shownAt: null }),
      b.ds.label(id, { pairId: 'p1', label: 'b', labeller: 'b', shownAt: null }),
      a.ds.label(id, { pairId: 'p2', label: 'a', labeller: 'a', shownAt: null }),
      b.ds.label(id, { pairId: 'p3', label: 'b', labeller: 'b', shownAt: null }),
    ]);
    expect((await onDisk(home, id)).rows.map((r) => r.id).sort()).toEqual(['p0', 'p1', 'p2', 'p3']);
    await b.runs.refresh();
    expect(b.ds.list()[0]).toMatchObject({ size: 4, labellers: ['a', 'b'] });
    await a.runs.close();
    await b.runs.close();
  });

  it('a corrupt file is reported naming the field and never overwritten', async () => {
    const home = tempHome();
    const { runs, ds } = await open(home);
    const { id } = await ds.create({ name: 'd' });
    await ds.addRows(id, [importRow(0)]);
    const file = (await onDisk(home, id)) as unknown as { rows: { label: string }[] };
    file.rows[0]!.label = 'maybe';
    const bad = JSON.stringify(file);
    writeFileSync(datasetPath(home, id), bad);
    await expect(ds.read(id)).rejects.toThrow(/is not a valid dataset file: dataset\.rows\.0\.label/);
    await expect(ds.addRows(id, [importRow(1)])).rejects.toThrow(/not a valid dataset file/);
    expect(readFileSync(datasetPath(home, id), 'utf8')).toBe(bad);
    writeFileSync(datasetPath(home, id), '{"format": "policylab-pref');
    await expect(ds.read(id)).rejects.toThrow(/is not valid JSON/);
    await expect(ds.read('../etc')).rejects.toThrow(/invalid dataset id/);
    await runs.close();
  });

  it('a rebuilt db.json gets its datasets back from datasets/; removing keeps the file aside', async () => {
    const home = tempHome();
    let { runs, ds } = await open(home);
    const { id } = await ds.create({ name: 'keep me' });
    await ds.addRows(id, [importRow(0)]);
    await runs.close();
    writeFileSync(join(home, 'db.json'), 'not json');
    ({ runs, ds } = await open(home));
    expect(runs.recovery?.reason).toBe('invalid-json');
    expect(ds.list().map((d) => [d.name, d.size])).toEqual([['keep me', 1]]);
    const aside = await ds.remove(id);
    expect(ds.list()).toEqual([]);
    expect(DatasetFileSchema.parse(JSON.parse(readFileSync(aside, 'utf8'))).rows).toHaveLength(1);
    await expect(ds.read(id)).rejects.toThrow(/unknown dataset/);
    await runs.close();
  });
});

describe('the labelling journal', () => {
  it('labels append to datasets/<id>.journal.jsonl; a rewrite folds them in and removes it; a torn last line is ignored and cut', async () => {
    const home = tempHome();
    const { runs, ds } = await open(home);
    const { id } = await ds.create({ name: 'j' });
    await ds.addPending(id, [pendingPair(0), pendingPair(1), pendingPair(2)]);
    await ds.label(id, { pairId: 'p0', label: 'a', labeller: 'x', shownAt: null });
    await ds.label(id, { pairId: 'p1', label: 'b', labeller: 'x', shownAt: null });
    const jp = journalPath(home, id);
    const lines = readFileSync(jp, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as { seq: number; op: string });
    expect(lines.map((l) => [l.seq, l.op])).toEqual([[1, 'label'], [2, 'label']]);
    // The file itself still has no rows: the journal holds them.
    expect(DatasetFileSchema.parse(JSON.parse(readFileSync(datasetPath(home, id), 'utf8'))).rows).toEqual([]);
    expect((await onDisk(home, id)).rows.map((r) => r.id)).toEqual(['p0', 'p1']);

    // A writer killed mid-append: half a line at the end.
    appendFileSync(jp, '{"seq":3,"at":"2026-01-01T00:00:00.000Z","op":"lab');
    const other = new DatasetStore(await RunStore.open(home));
    expect((await other.read(id)).rows.map((r) => r.id)).toEqual(['p0', 'p1']);
    await other.unlabel(id, 'p1');
    expect(readFileSync(jp, 'utf8').trimEnd().split('\n').map((l) => (JSON.parse(l) as { seq: number }).seq)).toEqual([1, 2, 3]);
    // The first store sees the other's undo (re-reads the journal from where it was).
    expect((await ds.read(id)).pending.map((p) => p.id)).toEqual(['p1', 'p2']);

    await ds.updateRow(id, 'p0', { note: 'fold' });
    expect(existsSync(jp)).toBe(false);
    const file = DatasetFileSchema.parse(JSON.parse(readFileSync(datasetPath(home, id), 'utf8')));
    expect(file.journalSeq).toBe(3);
    expect(file.rows.map((r) => [r.id, r.note])).toEqual([['p0', 'fold']]);
    expect(file.pending.map((p) => p.id)).toEqual(['p1', 'p2']);
    // A crash between the fold and removing the journal: its entries are at or below journalSeq and not applied again.
    writeFileSync(jp, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    expect((await onDisk(home, id)).rows.map((r) => r.id)).toEqual(['p0']);
    await runs.close();
  });

  it('a damaged journal line in the middle is reported, and nothing is written over it', async () => {
    const home = tempHome();
    const { runs, ds } = await open(home);
    const { id } = await ds.create({ name: 'j' });
    await ds.addPending(id, [pendingPair(0), pendingPair(1)]);
    await ds.label(id, { pairId: 'p0', label: 'a', labeller: 'x', shownAt: null });
    await ds.label(id, { pairId: 'p1', label: 'a', labeller: 'x', shownAt: null });
    const jp = journalPath(home, id);
    const text = readFileSync(jp, 'utf8').replace('"op":"label"', '"op":"lable"');
    writeFileSync(jp, text);
    const fresh = new DatasetStore(await RunStore.open(home));
    await expect(fresh.read(id)).rejects.toThrow(/journal\.jsonl line 1: entry\.op/);
    await expect(fresh.unlabel(id, 'p0')).rejects.toThrow(/journal\.jsonl line 1/);
    expect(readFileSync(jp, 'utf8')).toBe(text);
    await runs.close();
  });
});

const COMPACT_AT = 25;

describe('journal compaction', () => {
  it('a journal of compactAt entries is folded by a write of its own after the label that reached it', async () => {
    const home = tempHome();
    const runs = await RunStore.open(home);
    const ds = new DatasetStore(runs, { compactAt: COMPACT_AT });
    const { id } = await ds.create({ name: 'c' });
    await ds.addPending(id, Array.from({ length: COMPACT_AT + 3 }, (_, i) => pendingPair(i)));
    for (let i = 0; i < COMPACT_AT; i++) await ds.label(id, { pairId: `p${i}`, label: 'skip', labeller: 'x', shownAt: null });
    await ds.flush();
    expect(existsSync(journalPath(home, id))).toBe(false);
    const file = DatasetFileSchema.parse(JSON.parse(readFileSync(datasetPath(home, id), 'utf8')));
    expect([file.rows.length, file.journalSeq, file.pending.length]).toEqual([COMPACT_AT, COMPACT_AT, 3]);
    await ds.label(id, { pairId: `p${COMPACT_AT}`, label: 'a', labeller: 'x', shownAt: null });
    expect(readFileSync(journalPath(home, id), 'utf8').trimEnd().split('\n').map((l) => (JSON.parse(l) as { seq: number }).seq)).toEqual([COMPACT_AT + 1]);
    expect((await onDisk(home, id)).rows).toHaveLength(COMPACT_AT + 1);
    await runs.close();
  });
});
