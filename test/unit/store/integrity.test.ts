/**
 * Damaged store files are never served as truth (issue 10, item 5), on real files in a temp folder: a garbled
 * metrics.idx/ column, overview or index is read around (the points come from metrics.jsonl) and rebuilt; a
 * garbled checkpoint file is refused by name and skipped for the newest intact checkpoint; unreadable lines of
 * metrics.jsonl are reported with their line numbers and quarantined byte for byte before a rewrite. Files
 * written before checksums existed stay readable (unverified, not damaged).
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  DamagedFileError,
  ensureOverviews,
  listCheckpoints,
  loadCheckpoint,
  metricsIntegrity,
  MetricReader,
  MetricWriter,
  rebuildMetricIndex,
  runIntegrity,
  saveCheckpoint,
  scanCheckpoints,
  StoreError,
  truncateMetrics,
} from '../../../core/store/index.js';
import type { MetricIndex } from '../../../core/store/metric-format.js';
import { openIntegrityCache } from '../../../core/store/integrity-cache.js';
import { verifyMetricIndex } from '../../../core/store/metric-index.js';
import { tempDir } from './temp.js';

const KEY = 'train/value';
const indexPath = (dir: string) => join(dir, 'metrics.idx', 'index.json');
const readIndex = (dir: string) => JSON.parse(readFileSync(indexPath(dir), 'utf8')) as MetricIndex;

/** `n` records with KEY = 0.3469 + i and a second key; closed, so overviews exist when n > 500. */
async function writeMetrics(dir: string, n: number): Promise<void> {
  const w = new MetricWriter(dir);
  for (let i = 0; i < n; i++) w.append(i * 10, { [KEY]: 0.3469 + i, 'train/other': -i }, 1_700_000_000 + i);
  await w.close();
}

/** Overwrites the float64 at byte `offset` of a file (what a bit flip or a bad sector does to a column). */
function setFloat64(path: string, offset: number, value: number): void {
  const bytes = readFileSync(path);
  new DataView(bytes.buffer, bytes.byteOffset).setFloat64(offset, value, true);
  writeFileSync(path, bytes);
}

describe('metrics.idx/ integrity', () => {
  it('never charts a garbled column: the points come from metrics.jsonl, and the column is rebuilt', async () => {
    const dir = tempDir();
    await writeMetrics(dir, 50);
    const column = join(dir, 'metrics.idx', readIndex(dir).keys.find((k) => k.key === KEY)!.file);
    setFloat64(column, 0 * 24 + 16, 0.123); // point 0's value: 0.3469 in metrics.jsonl
    const reader = new MetricReader(dir);
    expect((await reader.range(KEY))[0]!.value).toBe(0.3469);
    expect((await reader.downsample([KEY], 1000))[KEY]!.points[0]!.value).toBe(0.3469);
    expect((await reader.summary([KEY]))[KEY]!.min).toBe(0.3469);
    expect(await verifyMetricIndex(dir)).toEqual({ status: 'damaged', problems: [{ file: column, reason: expect.stringMatching(/checksum mismatch/) }] });
    expect((await metricsIntegrity(dir)).index.status).toBe('damaged');

    expect(await ensureOverviews(dir)).toBe(true); // what the app runs for an ended run: rebuilds the damaged sidecar
    expect((await verifyMetricIndex(dir)).status).toBe('ok');
    const rebuilt = join(dir, 'metrics.idx', readIndex(dir).keys.find((k) => k.key === KEY)!.file);
    expect(readFileSync(rebuilt).readDoubleLE(16)).toBe(0.3469);
  });

  it('a resume\'s rewrite of metrics.jsonl says what was damaged in the sidecar it replaces', async () => {
    const dir = tempDir();
    await writeMetrics(dir, 50);
    const column = join(dir, 'metrics.idx', readIndex(dir).keys.find((k) => k.key === KEY)!.file);
    setFloat64(column, 3 * 24 + 16, 0.123);
    const cut = await truncateMetrics(dir, 200);
    expect(cut.indexProblems).toEqual([{ file: column, reason: expect.stringMatching(/checksum mismatch/) }]);
    expect((await verifyMetricIndex(dir)).status).toBe('ok');
    expect((await new MetricReader(dir).range(KEY))[3]!.value).toBe(0.3469 + 3);
  });

  it('never serves a garbled overview, and the next ensureOverviews rewrites it', async () => {
    const dir = tempDir();
    await writeMetrics(dir, 1_200);
    const { overviews } = readIndex(dir);
    const entry = overviews!.entries.find((e) => e.key === KEY && e.size === 500)!;
    setFloat64(join(dir, 'metrics.idx', overviews!.file), entry.offset + 16, 0.123);
    const truth = (await new MetricReader(dir).downsample([KEY], 500, { from: 0, to: 1e9 }))[KEY]!.points;
    const got = (await new MetricReader(dir).downsample([KEY], 500))[KEY]!;
    expect(got.fromOverview).toBeUndefined();
    expect(got.points).toEqual(truth);
    expect((await verifyMetricIndex(dir)).problems).toEqual([
      { file: join(dir, 'metrics.idx', overviews!.file), reason: expect.stringMatching(/overview of train\/value at 500 points: checksum mismatch/) },
    ]);
    expect(await ensureOverviews(dir)).toBe(true);
    const again = (await new MetricReader(dir).downsample([KEY], 500))[KEY]!;
    expect(again.fromOverview).toBe(true);
    expect(again.points).toEqual(truth);
  });

  it('reads around a short column, an unparsable index and a changed index, and the next writer rebuilds them', async () => {
    const cases: [string, (dir: string) => void, RegExp][] = [
      ['a column shorter than its index says', (dir) => writeFileSync(join(dir, 'metrics.idx', readIndex(dir).keys[0]!.file), Buffer.alloc(30)), /holds fewer than the 20 points/],
      ['an unparsable index.json', (dir) => writeFileSync(indexPath(dir), '{"version":1,"jsonlBy'), /not valid JSON/],
      ['an index.json whose numbers changed', (dir) => writeFileSync(indexPath(dir), readFileSync(indexPath(dir), 'utf8').replace('"records":20', '"records":21')), /checksum mismatch/],
    ];
    for (const [name, garble, reason] of cases) {
      const dir = tempDir();
      await writeMetrics(dir, 20);
      const truth = await new MetricReader(dir).range(KEY);
      garble(dir);
      expect(await new MetricReader(dir).range(KEY), name).toEqual(truth);
      const check = await verifyMetricIndex(dir);
      expect(check.status, name).toBe('damaged');
      expect(check.problems[0]!.reason, name).toMatch(reason);
      // A resumed run's writer opens the sidecar: it rebuilds it from metrics.jsonl, then appends.
      const w = new MetricWriter(dir);
      w.append(1000, { [KEY]: 7 }, 1_800_000_000);
      await w.close();
      expect((await verifyMetricIndex(dir)).status, name).toBe('ok');
      expect(await new MetricReader(dir).range(KEY), name).toEqual([...truth, { step: 1000, wallTime: 1_800_000_000, value: 7 }]);
    }
  });

  it('reads an index written before checksums existed as before (unverified), and the next writer adds them', async () => {
    const dir = tempDir();
    await writeMetrics(dir, 30);
    const truth = await new MetricReader(dir).range(KEY);
    const { checksum: _c, overviews: _o, ...old } = readIndex(dir);
    writeFileSync(indexPath(dir), JSON.stringify({ ...old, keys: old.keys.map(({ checksum: _k, ...k }) => k) }));
    expect(await new MetricReader(dir).range(KEY)).toEqual(truth);
    expect(await verifyMetricIndex(dir)).toEqual({ status: 'unverified', problems: [] });
    expect((await runIntegrity(dir)).problems).toBe(false);
    await rebuildMetricIndex(dir);
    expect((await verifyMetricIndex(dir)).status).toBe('ok');
  });
});

describe('metrics.jsonl: unreadable lines', () => {
  it('are reported with their line numbers and quarantined byte for byte before a resume rewrites the file', async () => {
    const dir = tempDir();
    await writeMetrics(dir, 10);
    const path = join(dir, 'metrics.jsonl');
    const lines = readFileSync(path).toString('latin1').split('\n');
    // Line 4: bytes that are not even UTF-8; line 7: a record without its step; then a torn last line.
    const garbage = Buffer.from([0x7b, 0xff, 0xfe, 0x00, 0x22, 0x9f]);
    const seventh = '{"wallTime":1,"train/value":3}';
    const before = Buffer.concat([
      Buffer.from(lines.slice(0, 3).join('\n') + '\n', 'latin1'),
      garbage,
      Buffer.from('\n' + lines.slice(4, 6).join('\n') + '\n' + seventh + '\n' + lines.slice(7, 10).join('\n') + '\n{"step":999,"wa', 'latin1'),
    ]);
    writeFileSync(path, before);

    const report = await metricsIntegrity(dir);
    expect(report.badLines).toEqual([
      { line: 4, reason: 'not valid JSON' },
      { line: 7, reason: '"step" is missing or not a finite number' },
    ]);
    expect(report.badLineCount).toBe(2);
    expect(report.tornTailBytes).toBe('{"step":999,"wa'.length);
    expect(report.quarantine).toBeNull();
    expect((await runIntegrity(dir)).problems).toBe(true);

    const cut = await truncateMetrics(dir, 60);
    expect(cut.kept).toBe(5); // steps 0-20 and 40-60: the records of lines 1-3, 5, 6
    expect(cut.quarantine!.lines).toEqual(report.badLines);
    expect(readFileSync(cut.quarantine!.path)).toEqual(Buffer.concat([garbage, Buffer.from(`\n${seventh}\n`)]));
    // Kept lines byte for byte; the unreadable ones are gone from metrics.jsonl but not lost.
    expect(readFileSync(path, 'latin1')).toBe(lines.slice(0, 3).join('\n') + '\n' + lines.slice(4, 6).join('\n') + '\n');

    const after = await metricsIntegrity(dir);
    expect(after.badLines).toEqual([]);
    expect(after.quarantine).toBe(cut.quarantine!.path);
    expect(after.quarantines).toEqual([{ path: cut.quarantine!.path, createdAt: expect.any(String), why: expect.stringMatching(/cut back to step 60/), lines: report.badLines }]);
    expect((await runIntegrity(dir)).problems).toBe(true); // the quarantine stays reported
  });

  it('awaits `pace` between chunks of a scan, and reports the same with or without it', async () => {
    const dir = tempDir();
    await writeMetrics(dir, 40_000); // several 1 MB chunks of metrics.jsonl, and two columns
    const plain = await runIntegrity(dir);
    let paced = 0;
    const withPace = await runIntegrity(dir, {
      cache: await openIntegrityCache(tempDir()), // empty: the scan runs again
      pace: async () => {
        paced++;
        await new Promise((resolve) => setImmediate(resolve));
      },
    });
    expect(withPace).toEqual(plain);
    expect(paced).toBeGreaterThanOrEqual(2);
  });

  it('a rewrite with nothing unreadable writes no quarantine file', async () => {
    const dir = tempDir();
    await writeMetrics(dir, 10);
    expect((await truncateMetrics(dir, 40)).quarantine).toBeNull();
    expect(readdirSync(dir).filter((n) => n.includes('quarantine'))).toEqual([]);
    expect((await runIntegrity(dir)).problems).toBe(false);
  });
});

describe('checkpoint integrity', () => {
  /** Tiny hand-made layers-model artifacts: 4 float32 weights. */
  const artifacts = (w: number[]) => ({
    modelTopology: { class_name: 'Sequential', config: { name: 'm' } },
    format: 'layers-model',
    weightSpecs: [{ name: 'dense/kernel', shape: [2, 2], dtype: 'float32' as const }],
    weightData: Float32Array.from(w).buffer,
  });
  async function threeCheckpoints(runDir: string): Promise<void> {
    for (const step of [100, 200, 300]) {
      await saveCheckpoint(runDir, {
        step,
        models: { actor: artifacts([step, 1, 2, 3]) },
        arrays: { params: Float32Array.from([step, -1]) },
        state: { step },
        metrics: { 'rollout/episodeReturn': step / 10 },
      });
    }
  }
  const file = (runDir: string, step: number, name: string) => join(runDir, 'checkpoints', String(step), name);
  const flipByte = (path: string, at: number) => {
    const b = readFileSync(path);
    b[at] ^= 0x40;
    writeFileSync(path, b);
  };

  const garbles: [string, string, (path: string) => void, RegExp][] = [
    ['weights.bin', 'actor/weights.bin', (p) => flipByte(p, 5), /checksum mismatch/],
    ['weights.bin (cut short)', 'actor/weights.bin', (p) => writeFileSync(p, readFileSync(p).subarray(0, 10)), /checksum mismatch/],
    ['arrays.bin', 'arrays.bin', (p) => flipByte(p, 1), /checksum mismatch/],
    ['arrays.json', 'arrays.json', (p) => writeFileSync(p, '{"version":1,"arr'), /checksum mismatch/],
    ['state.json', 'state.json', (p) => writeFileSync(p, '{"step":3000}'), /checksum mismatch/],
    ['model.json', 'actor/model.json', (p) => writeFileSync(p, readFileSync(p, 'utf8').replace('dense/kernel', 'dense/kernex')), /checksum mismatch/],
    ['checkpoint.json (unparsable)', 'checkpoint.json', (p) => writeFileSync(p, '{"version":1,"st'), /not valid JSON/],
    ['checkpoint.json (a changed number)', 'checkpoint.json', (p) => writeFileSync(p, readFileSync(p, 'utf8').replace('"rollout/episodeReturn": 30', '"rollout/episodeReturn": 31')), /checksum mismatch/],
  ];
  for (const [name, rel, garble, reason] of garbles) {
    it(`a garbled ${name} is refused by name, and 'latest' falls back to the newest intact checkpoint`, async () => {
      const runDir = tempDir();
      await threeCheckpoints(runDir);
      const path = file(runDir, 300, rel);
      garble(path);
      const err = await loadCheckpoint(runDir, 300).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StoreError);
      expect((err as StoreError).code).toBe('CORRUPT');
      expect((err as Error).message).toContain(path);
      expect((err as Error).message).toMatch(reason);

      const latest = await loadCheckpoint<{ step: number }>(runDir, 'latest');
      expect(latest.step).toBe(200);
      expect(latest.state).toEqual({ step: 200 });
      expect(latest.skipped).toEqual([{ step: 300, dir: join(runDir, 'checkpoints', '300'), file: path, reason: expect.stringMatching(reason) }]);
      expect(existsSync(join(runDir, 'checkpoints', '300'))).toBe(true); // a read never moves anything

      // Listed as damaged (not silently missing) in the integrity report.
      const report = await runIntegrity(runDir);
      expect(report.checkpoints.damaged).toEqual([{ step: 300, dir: join(runDir, 'checkpoints', '300'), file: path, reason: expect.stringMatching(reason) }]);
      expect(report.problems).toBe(true);
    });
  }

  it('lists a checkpoint whose arrays.json is garbled as damaged, not as missing', async () => {
    const runDir = tempDir();
    await threeCheckpoints(runDir);
    writeFileSync(file(runDir, 200, 'arrays.json'), 'garbage');
    expect((await listCheckpoints(runDir)).map((c) => c.step)).toEqual([100, 300]);
    const { damaged } = await scanCheckpoints(runDir);
    expect(damaged).toEqual([{ step: 200, dir: join(runDir, 'checkpoints', '200'), file: file(runDir, 200, 'arrays.json'), reason: expect.stringMatching(/checksum mismatch/) }]);
    await expect(loadCheckpoint(runDir, 200)).rejects.toThrow(/no checkpoint at step 200 .*have: 100, 300.*arrays\.json: checksum mismatch/);
  });

  it('a resume moves the damaged checkpoints it skipped aside, where a later save cannot overwrite them', async () => {
    const runDir = tempDir();
    await threeCheckpoints(runDir);
    flipByte(file(runDir, 300, 'actor/weights.bin'), 2);
    const original = readFileSync(file(runDir, 300, 'actor/weights.bin'));
    const loaded = await loadCheckpoint(runDir, 'latest', { setAsideDamaged: true });
    expect(loaded.step).toBe(200);
    const movedTo = loaded.skipped[0]!.dir;
    expect(movedTo).toMatch(/checkpoints\/damaged-300-[0-9TZ.]+$/);
    expect(loaded.skipped[0]!.file).toBe(join(movedTo, 'actor', 'weights.bin'));
    expect(existsSync(join(runDir, 'checkpoints', '300'))).toBe(false);
    await saveCheckpoint(runDir, { step: 300, state: { again: true } });
    expect(readFileSync(join(movedTo, 'actor', 'weights.bin'))).toEqual(original);
    const report = await runIntegrity(runDir);
    expect(report.checkpoints.damaged).toEqual([]);
    expect(report.checkpoints.setAside).toEqual([
      { step: 300, dir: movedTo, file: join(movedTo, 'actor', 'weights.bin'), reason: expect.stringMatching(/checksum mismatch/), movedAt: expect.any(String) },
    ]);
  });

  it('every checkpoint damaged: the error names each one; none at all: NOT_FOUND', async () => {
    const runDir = tempDir();
    await threeCheckpoints(runDir);
    for (const step of [100, 200, 300]) writeFileSync(file(runDir, step, 'state.json'), '[]');
    const err = (await loadCheckpoint(runDir).catch((e: unknown) => e)) as StoreError;
    expect(err.code).toBe('CORRUPT');
    for (const step of [100, 200, 300]) expect(err.message).toContain(file(runDir, step, 'state.json'));
    expect(((await loadCheckpoint(tempDir()).catch((e: unknown) => e)) as StoreError).code).toBe('NOT_FOUND');
  });

  it('loads a checkpoint written before checksums existed (unverified, not damaged), still checking its structure', async () => {
    const runDir = tempDir();
    await threeCheckpoints(runDir);
    // What the store wrote before checksums: checkpoint.json without `checksums`/`checksum`, same layout otherwise.
    const metaPath = file(runDir, 300, 'checkpoint.json');
    const { checksums: _s, checksum: _c, ...old } = JSON.parse(readFileSync(metaPath, 'utf8')) as Record<string, unknown>;
    writeFileSync(metaPath, JSON.stringify(old, null, 2));
    const loaded = await loadCheckpoint<{ step: number }>(runDir, 'latest');
    expect(loaded).toMatchObject({ step: 300, verified: false, skipped: [], state: { step: 300 } });
    expect(new Float32Array(loaded.models.actor!.weightData as ArrayBuffer)).toEqual(Float32Array.from([300, 1, 2, 3]));
    expect(loaded.arrays.params).toEqual(Float32Array.from([300, -1]));
    const report = await runIntegrity(runDir);
    expect(report.checkpoints).toEqual({ damaged: [], setAside: [], unverified: [300] });
    expect(report.problems).toBe(false);
    // Without checksums a flipped bit cannot be seen, but a wrong length or unparsable JSON still can.
    writeFileSync(file(runDir, 300, 'actor/weights.bin'), Buffer.alloc(12));
    const err = await loadCheckpoint(runDir, 300).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DamagedFileError);
    expect((err as Error).message).toBe(`${file(runDir, 300, 'actor/weights.bin')} is damaged: holds 12 bytes of weights, but ${file(runDir, 300, 'actor/model.json')} describes 16`);
  });
});
