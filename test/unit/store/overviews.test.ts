import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { downsampleChunks } from '../../../core/store/downsample.js';
import { ensureOverviews, MetricReader, MetricWriter } from '../../../core/store/index.js';
import { checksummer, withSelfChecksum } from '../../../core/store/checksum.js';
import { OVERVIEW_POINTS, type MetricIndex } from '../../../core/store/metric-format.js';
import { tempDir } from './temp.js';

const LONG = 'rollout/episodeReturn';
const SHORT = 'eval/return';

/** `n` records: LONG on every one (noisy, irregular steps), SHORT on every 100th. */
async function writeStream(dir: string, n: number, start = 0): Promise<void> {
  const w = new MetricWriter(dir);
  for (let i = start; i < start + n; i++) {
    const values: Record<string, number> = { [LONG]: Math.sin(i / 50) * 100 + ((i * 7919) % 13) - (i === 1234 ? 1e4 : 0) };
    if (i % 100 === 0) values[SHORT] = i / 10;
    w.append(i * 16 + (i % 3), values, 1_700_000_000 + i * 0.01);
  }
  await w.close();
}

/** What downsampling the raw points gives, computed here from MetricReader.range. */
async function computed(dir: string, key: string, maxPoints: number, from?: number, to?: number) {
  const raw = await new MetricReader(dir).range(key);
  const chunk = new Float64Array(raw.flatMap((p) => [p.step, p.wallTime, p.value]));
  return downsampleChunks([chunk], maxPoints, from, to);
}

const index = (dir: string) => JSON.parse(readFileSync(join(dir, 'metrics.idx', 'index.json'), 'utf8')) as MetricIndex;
const overviewFiles = (dir: string) => readdirSync(join(dir, 'metrics.idx')).filter((n) => n.startsWith('overviews-'));

describe('metric overviews (precomputed chart buckets)', () => {
  it('are written on close for every size below a key’s point count, and answer exactly what computing gives', async () => {
    const dir = tempDir();
    await writeStream(dir, 12_345);
    const ov = index(dir).overviews!;
    expect(ov).toBeDefined();
    expect(ov.entries.filter((e) => e.key === LONG).map((e) => e.size)).toEqual([...OVERVIEW_POINTS]);
    expect(ov.entries.filter((e) => e.key === SHORT)).toEqual([]); // 124 points: always read raw
    const reader = new MetricReader(dir);
    for (const size of OVERVIEW_POINTS) {
      const got = await reader.downsample([LONG, SHORT], size);
      const want = await computed(dir, LONG, size);
      expect(got[LONG]!.points).toEqual(want.points);
      expect(got[LONG]!.totalPoints).toBe(12_345);
      expect(got[LONG]!.downsampled).toBe(true);
      expect(got[SHORT]!.points).toEqual((await computed(dir, SHORT, size)).points);
    }
    // The spike survives in its bucket's min.
    expect(Math.min(...(await reader.downsample([LONG], 500))[LONG]!.points.map((p) => p.min))).toBeLessThan(-9_000);
  });

  it('are what the reader returns for a whole-run query at an overview size, and not for ranges or other sizes', async () => {
    const dir = tempDir();
    await writeStream(dir, 6_000);
    const { file, entries } = index(dir).overviews!;
    // Mark the first value of the 1,000-point overview: only a reader that uses the file can return it.
    const e = entries.find((x) => x.key === LONG && x.size === 1_000)!;
    const bytes = readFileSync(join(dir, 'metrics.idx', file));
    new DataView(bytes.buffer, bytes.byteOffset).setFloat64(e.offset + 16, 424242, true);
    writeFileSync(join(dir, 'metrics.idx', file), bytes);
    // With its checksums updated to match (a changed overview that fails them is never served: integrity tests).
    const sum = await checksummer();
    const idx = index(dir);
    idx.overviews!.entries.find((x) => x.key === LONG && x.size === 1_000)!.checksum = sum.of(bytes.subarray(e.offset, e.offset + e.count * 48));
    writeFileSync(join(dir, 'metrics.idx', 'index.json'), withSelfChecksum(sum, { ...idx }));
    const reader = new MetricReader(dir);
    const marked = (await reader.downsample([LONG], 1_000))[LONG]!;
    expect(marked.points[0]!.value).toBe(424242);
    expect(marked.fromOverview).toBe(true);
    expect((await reader.downsample([LONG], 999))[LONG]!.fromOverview).toBeUndefined();
    expect((await reader.downsample([LONG], 999))[LONG]!.points).toEqual((await computed(dir, LONG, 999)).points);
    const ranged = await reader.downsample([LONG], 1_000, { from: 0, to: 50_000 });
    expect(ranged[LONG]!.points).toEqual((await computed(dir, LONG, 1_000, 0, 50_000)).points);
  });

  it('are dropped by the next append and rewritten, under a new name, by the next close', async () => {
    const dir = tempDir();
    await writeStream(dir, 3_000);
    const first = overviewFiles(dir);
    expect(first).toHaveLength(1);

    const w = new MetricWriter(dir);
    w.append(999_999, { [LONG]: 5e5 }, 1_800_000_000);
    await w.flush();
    expect(index(dir).overviews).toBeUndefined();
    expect(overviewFiles(dir)).toEqual([]); // the stale generation is removed when the writer reopens
    const live = await new MetricReader(dir).downsample([LONG], 2_000);
    expect(live[LONG]!.points).toEqual((await computed(dir, LONG, 2_000)).points);
    expect(live[LONG]!.totalPoints).toBe(3_001);
    await w.close();

    const second = overviewFiles(dir);
    expect(second).toHaveLength(1);
    expect(second).not.toEqual(first);
    const done = await new MetricReader(dir).downsample([LONG], 2_000);
    expect(done[LONG]!.points).toEqual((await computed(dir, LONG, 2_000)).points);
    expect(Math.max(...done[LONG]!.points.map((p) => p.max))).toBe(5e5);
  });

  it('are ignored when the jsonl grew past them (a writer that has not rewritten the index yet)', async () => {
    const dir = tempDir();
    await writeStream(dir, 2_500);
    const line = JSON.stringify({ step: 1e7, wallTime: 1_800_000_000, [LONG]: -7e5 });
    writeFileSync(join(dir, 'metrics.jsonl'), `${readFileSync(join(dir, 'metrics.jsonl'), 'utf8')}${line}\n`);
    const got = await new MetricReader(dir).downsample([LONG], 500);
    expect(got[LONG]!.totalPoints).toBe(2_501);
    expect(Math.min(...got[LONG]!.points.map((p) => p.min))).toBe(-7e5);
  });

  it('fall back to computing when the overview file is missing, and a malformed overview entry invalidates the index', async () => {
    const dir = tempDir();
    await writeStream(dir, 2_500);
    const idx = index(dir);
    const path = join(dir, 'metrics.idx', idx.overviews!.file);
    writeFileSync(path, ''); // truncated: the read comes up short
    expect((await new MetricReader(dir).downsample([LONG], 500))[LONG]!.points).toEqual((await computed(dir, LONG, 500)).points);

    const bad = { ...idx, overviews: { ...idx.overviews!, entries: [{ key: LONG, size: 500, offset: 7, count: 500 }] } };
    writeFileSync(join(dir, 'metrics.idx', 'index.json'), JSON.stringify(bad));
    expect((await new MetricReader(dir).downsample([LONG], 500))[LONG]!.points).toEqual((await computed(dir, LONG, 500)).points);
  });

  it('are written later for a stream that lacks them (older runs, killed writers), once', async () => {
    const dir = tempDir();
    await writeStream(dir, 3_000);
    // What a run written before overviews existed looks like: an index without them, no overview file.
    const { overviews, ...old } = index(dir);
    rmSync(join(dir, 'metrics.idx', overviews!.file));
    writeFileSync(join(dir, 'metrics.idx', 'index.json'), JSON.stringify(old));
    expect(await ensureOverviews(dir)).toBe(true);
    expect(index(dir).overviews!.entries.filter((e) => e.key === LONG).map((e) => e.size)).toEqual([500, 1_000, 2_000]);
    expect((await new MetricReader(dir).downsample([LONG], 1_000))[LONG]!.points).toEqual((await computed(dir, LONG, 1_000)).points);
    expect(await ensureOverviews(dir)).toBe(false); // already there

    const small = tempDir();
    await writeStream(small, 400); // no key above the smallest overview: nothing to write, nothing rewritten
    const before = readFileSync(join(small, 'metrics.idx', 'index.json'), 'utf8');
    expect(await ensureOverviews(small)).toBe(false);
    expect(readFileSync(join(small, 'metrics.idx', 'index.json'), 'utf8')).toBe(before);
    expect(await ensureOverviews(tempDir())).toBe(false); // no metrics at all
  });
});
