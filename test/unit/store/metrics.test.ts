import { appendFileSync, existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { MetricReader, MetricWriter, rebuildMetricIndex, StoreError, truncateMetrics, type MetricRecord } from '../../../core/store/index.js';
import { tempDir } from './temp.js';

const exact = [0.1 + 0.2, 1e-7, -123456789.123, 5e-324, 1.7976931348623157e308, 42];

function expected(n: number): MetricRecord[] {
  return Array.from({ length: n }, (_, i) => ({
    step: i * 8,
    wallTime: 1_700_000_000 + i / 10,
    values: (i % 3 === 0
      ? { 'train/loss': exact[i % exact.length] * (i + 1), 'rollout/λ-return': i }
      : { 'train/loss': -i / 7 }) as Record<string, number>,
  }));
}

async function writeAll(dir: string, records: MetricRecord[], w = new MetricWriter(dir)): Promise<MetricWriter> {
  for (const r of records) w.append(r.step, r.values, r.wallTime);
  await w.close();
  return w;
}

async function everything(dir: string) {
  const r = new MetricReader(dir);
  const keys = await r.keys();
  return {
    keys,
    summary: await r.summary(),
    ranges: await Promise.all(keys.map((k) => r.range(k))),
  };
}

describe('MetricWriter + MetricReader', () => {
  it('round-trips records exactly, one JSON line each', async () => {
    const dir = tempDir();
    const records = expected(50);
    await writeAll(dir, records);
    const lines = readFileSync(join(dir, 'metrics.jsonl'), 'utf8').split('\n');
    expect(lines).toHaveLength(51);
    expect(lines[50]).toBe('');
    expect(JSON.parse(lines[1])).toEqual({ step: 8, wallTime: 1_700_000_000.1, 'train/loss': -1 / 7 });
    const reader = new MetricReader(dir);
    const { records: back, nextOffset, skippedLines } = await reader.readFrom(0);
    expect(back).toEqual(records);
    expect(nextOffset).toBe(statSync(join(dir, 'metrics.jsonl')).size);
    expect(skippedLines).toBe(0);
    expect(await reader.keys()).toEqual(['rollout/λ-return', 'train/loss']);
    expect(await reader.range('train/loss', 16, 40)).toEqual(
      records.filter((r) => r.step >= 16 && r.step <= 40).map((r) => ({ step: r.step, wallTime: r.wallTime, value: r.values['train/loss'] })),
    );
    const losses = records.map((r) => r.values['train/loss']);
    expect((await reader.summary())['train/loss']).toEqual({
      last: losses.at(-1),
      lastStep: 49 * 8,
      min: Math.min(...losses),
      max: Math.max(...losses),
      count: 50,
    });
    expect(await reader.range('no/such-key')).toEqual([]);
  });

  it('reads nothing from a run that has logged nothing', async () => {
    const reader = new MetricReader(tempDir());
    expect(await reader.keys()).toEqual([]);
    expect(await reader.summary()).toEqual({});
    expect(await reader.readFrom(0)).toEqual({ records: [], nextOffset: 0, reset: false, skippedLines: 0, fileId: null });
  });

  it('tails incrementally and never consumes a line still being written', async () => {
    const dir = tempDir();
    const w = new MetricWriter(dir);
    const reader = new MetricReader(dir);
    w.append(1, { a: 1 }, 10);
    w.append(2, { a: 2 }, 11);
    await w.flush();
    const first = await reader.readFrom(0);
    expect(first.records.map((r) => r.step)).toEqual([1, 2]);
    w.append(3, { a: 3 }, 12);
    await w.flush();
    await w.close();
    // Half a line, as if a writer were mid-write.
    appendFileSync(join(dir, 'metrics.jsonl'), '{"step":4,"wallTime":13,"a"');
    const second = await reader.readFrom(first.nextOffset);
    expect(second.records).toEqual([{ step: 3, wallTime: 12, values: { a: 3 } }]);
    appendFileSync(join(dir, 'metrics.jsonl'), ':4}\n');
    const third = await reader.readFrom(second.nextOffset);
    expect(third.records).toEqual([{ step: 4, wallTime: 13, values: { a: 4 } }]);
    expect(await reader.readFrom(third.nextOffset)).toMatchObject({ records: [], nextOffset: third.nextOffset });
    await expect(reader.readFrom(third.nextOffset - 3)).rejects.toThrow(/not at the start of a line/);
    await expect(reader.readFrom(-1)).rejects.toThrow(/integer >= 0/);
    // Past the end (the file was rewritten shorter): start again from 0 and say so.
    const again = await reader.readFrom(third.nextOffset + 1000);
    expect(again.reset).toBe(true);
    expect(again.records).toHaveLength(4);
  });

  it('reads in bounded slices with maxBytes', async () => {
    const dir = tempDir();
    const records = expected(500);
    await writeAll(dir, records);
    const reader = new MetricReader(dir);
    const got: MetricRecord[] = [];
    let offset = 0;
    let calls = 0;
    for (;;) {
      const r = await reader.readFrom(offset, { maxBytes: 2048 });
      if (r.nextOffset === offset) break;
      got.push(...r.records);
      offset = r.nextOffset;
      calls++;
    }
    expect(calls).toBeGreaterThan(5);
    expect(got).toEqual(records);
  });

  it('rejects non-finite and non-numeric values with a clear error and writes nothing', async () => {
    const dir = tempDir();
    const w = new MetricWriter(dir);
    w.append(0, { ok: 1 });
    const bad: [number, Record<string, unknown>, RegExp][] = [
      [1, { ok: 2, loss: Number.NaN }, /"loss" at step 1 must be a finite number, got NaN; nothing was written/],
      [1, { loss: Infinity }, /got Infinity/],
      [1, { loss: '0.5' }, /got string "0.5"/],
      [1, { loss: null }, /got object null/],
      [1, { loss: undefined }, /got undefined/],
      [Number.NaN, { loss: 1 }, /step must be a finite number >= 0, got NaN/],
      [-1, { loss: 1 }, /step must be/],
      [1, { step: 1 }, /invalid metric key "step"/],
      [1, { '': 1 }, /invalid metric key ""/],
      [1, { 'bad\nkey': 1 }, /invalid metric key/],
    ];
    for (const [step, values, message] of bad) {
      expect(() => w.append(step, values as Record<string, number>)).toThrow(message);
      try {
        w.append(step, values as Record<string, number>);
      } catch (e) {
        expect(e).toBeInstanceOf(StoreError);
        expect((e as StoreError).code).toBe('INVALID_INPUT');
      }
    }
    expect(() => w.append(1, null as never)).toThrow(/must be an object of numbers/);
    expect(() => w.append(1, { a: 1 }, Number.NaN)).toThrow(/wallTime/);
    w.append(2, {}); // nothing to log: a no-op
    await w.close();
    const { records } = await new MetricReader(dir).readFrom(0);
    expect(records.map((r) => r.values)).toEqual([{ ok: 1 }]);
    expect(() => w.append(3, { ok: 3 })).toThrow(/closed/);
  });

  it('flushes on its own, without flush() or close()', async () => {
    const dir = tempDir();
    const w = new MetricWriter(dir, { flushIntervalMs: 50 });
    w.append(1, { a: 1 });
    expect(w.pendingRecords).toBe(1);
    await vi.waitFor(() => expect(w.recordsWritten).toBe(1), { timeout: 5000, interval: 20 });
    expect(readFileSync(join(dir, 'metrics.jsonl'), 'utf8')).toMatch(/^\{"step":1,"wallTime":[\d.]+,"a":1\}\n$/);
    // A full chunk is written without waiting for the timer.
    const big = new MetricWriter(tempDir(), { flushIntervalMs: 60_000, chunkBytes: 1024 });
    for (let i = 0; i < 100; i++) big.append(i, { value: i });
    await vi.waitFor(() => expect(big.recordsWritten).toBeGreaterThan(0), { timeout: 5000, interval: 20 });
    await Promise.all([w.close(), big.close()]);
  });

  it('keeps the column sidecar identical to a full parse of the jsonl', async () => {
    const dir = tempDir();
    const w = new MetricWriter(dir, { chunkBytes: 4096 });
    await writeAll(dir, expected(2000), w);
    expect(existsSync(join(dir, 'metrics.idx', 'index.json'))).toBe(true);
    const index = JSON.parse(readFileSync(join(dir, 'metrics.idx', 'index.json'), 'utf8'));
    expect(index.jsonlBytes).toBe(statSync(join(dir, 'metrics.jsonl')).size);
    expect(index.records).toBe(2000);
    const withSidecar = await everything(dir);
    rmSync(join(dir, 'metrics.idx'), { recursive: true });
    expect(await everything(dir)).toEqual(withSidecar);
    await rebuildMetricIndex(dir);
    expect(JSON.parse(readFileSync(join(dir, 'metrics.idx', 'index.json'), 'utf8'))).toEqual(index);
  });

  it('stays correct when the index is stale after a crash, and the next writer repairs it', async () => {
    const dir = tempDir();
    const records = expected(30);
    await writeAll(dir, records.slice(0, 20));
    const truth = (recs: MetricRecord[]) => recs.map((r) => JSON.stringify({ step: r.step, wallTime: r.wallTime, ...r.values }) + '\n').join('');
    // A crash after the jsonl and column writes but before the index write: both have more than the index says.
    appendFileSync(join(dir, 'metrics.jsonl'), truth(records.slice(20, 25)));
    appendFileSync(join(dir, 'metrics.idx', '0.f64'), Buffer.alloc(24 * 3 + 7, 0xff));
    const reader = new MetricReader(dir);
    expect((await reader.readFrom(0)).records).toEqual(records.slice(0, 25));
    expect(await reader.range('train/loss')).toHaveLength(25);
    const snapshot = await everything(dir);
    rmSync(join(dir, 'metrics.idx'), { recursive: true });
    expect(await everything(dir)).toEqual(snapshot);
    await rebuildMetricIndex(dir);
    // A torn last line, then a new writer (a resumed run) appends after it.
    appendFileSync(join(dir, 'metrics.jsonl'), '{"step":200,"wallTime":1,"train/lo');
    appendFileSync(join(dir, 'metrics.idx', '0.f64'), Buffer.alloc(11, 0xff));
    await writeAll(dir, records.slice(25));
    const all = await reader.readFrom(0);
    expect(all.records).toEqual(records);
    expect(all.skippedLines).toBe(1);
    const repaired = await everything(dir);
    expect(repaired.ranges[1]).toHaveLength(30);
    rmSync(join(dir, 'metrics.idx'), { recursive: true });
    expect(await everything(dir)).toEqual(repaired);
  });

  it('truncates the stream after a step for a resume', async () => {
    const dir = tempDir();
    const records = expected(40);
    await writeAll(dir, records);
    appendFileSync(join(dir, 'metrics.jsonl'), 'torn{"st\n');
    const reader = new MetricReader(dir);
    const firstLineEnd = readFileSync(join(dir, 'metrics.jsonl'), 'utf8').indexOf('\n') + 1;
    const before = { nextOffset: firstLineEnd, fileId: (await reader.readFrom(0)).fileId };
    const cut = await truncateMetrics(dir, 100);
    expect(cut).toMatchObject({ kept: 13, removed: 28 });
    // The unreadable line is kept aside, byte for byte, not dropped.
    expect(cut.quarantine!.lines).toEqual([{ line: 41, reason: 'not valid JSON' }]);
    expect(readFileSync(cut.quarantine!.path, 'utf8')).toBe('torn{"st\n');
    // A tailer holding an offset into the old file notices the new one and starts over.
    const restarted = await reader.readFrom(before.nextOffset, { fileId: before.fileId });
    expect(restarted.reset).toBe(true);
    expect(restarted.fileId).not.toBe(before.fileId);
    expect(restarted.records.map((r) => r.step)).toEqual(records.filter((r) => r.step <= 100).map((r) => r.step));
    expect((await reader.readFrom(0)).records).toEqual(records.filter((r) => r.step <= 100));
    expect((await reader.summary())['train/loss'].lastStep).toBe(96);
    await writeAll(dir, records.filter((r) => r.step > 100));
    expect((await reader.readFrom(0)).records).toEqual(records);
    expect(await truncateMetrics(dir, -Infinity)).toEqual({ kept: 0, removed: 40, quarantine: null, indexProblems: [] });
    expect(await reader.keys()).toEqual([]);
    expect(await truncateMetrics(tempDir(), 5)).toEqual({ kept: 0, removed: 0, quarantine: null, indexProblems: [] });
  });

  it('reports a write failure with the path, on the next call', async () => {
    const base = tempDir();
    const notADir = join(base, 'file');
    writeFileSync(notADir, 'x');
    const w = new MetricWriter(notADir);
    w.append(1, { a: 1 });
    await expect(w.flush()).rejects.toThrow(/writing metrics to .*file.*metrics\.jsonl failed/);
    expect(() => w.append(2, { a: 2 })).toThrow(/failed/);
    await expect(w.close()).rejects.toThrow(/failed/);
  });
});
