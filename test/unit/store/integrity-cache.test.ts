/**
 * The integrity scan's persisted cache (core/store/integrity-cache.ts, persisted-cache.ts): a restarted process
 * reuses what the scan found while the files are the same, scans again (or only the appended part) when they
 * change, and ignores a damaged or foreign cache file — the report is the one a scan without a cache gives.
 */
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { INTEGRITY_CACHE_FILE, MetricWriter, openIntegrityCache, PersistedCache, runIntegrity, truncateMetrics } from '../../../core/store/index.js';
import { tempDir } from './temp.js';

const KEY = 'train/value';

async function writeMetrics(dir: string, from: number, n: number): Promise<void> {
  const w = new MetricWriter(dir);
  for (let i = from; i < from + n; i++) w.append(i * 10, { [KEY]: i }, 1_700_000_000 + i);
  await w.close();
}

/** A data folder with one run folder holding `n` records. */
async function folder(n: number): Promise<{ home: string; run: string }> {
  const home = tempDir();
  const run = join(home, 'run');
  await writeMetrics(run, 0, n);
  return { home, run };
}

/** The report as a fresh process with this folder's cache file sees it. */
async function reopened(home: string, run: string) {
  const cache = await openIntegrityCache(home);
  const report = await runIntegrity(run, { cache });
  await cache.flush();
  return { report, cache };
}

describe('integrity cache', () => {
  it('a restarted process reuses the stored scan while the files are unchanged, and finds damage written since', async () => {
    const { home, run } = await folder(200);
    const first = await reopened(home, run);
    expect(first.report.problems).toBe(false);
    expect(first.cache.size).toBe(2); // the line scan and the index check
    const again = await reopened(home, run);
    expect(again.cache.problem).toBeNull();
    expect(again.report).toEqual(first.report);

    // A damaged line written in place (the file's size and mtime change with it): scanned again.
    const path = join(run, 'metrics.jsonl');
    const text = readFileSync(path, 'utf8').split('\n');
    text[4] = text[4]!.replace('"step"', '"st#p"');
    writeFileSync(path, text.join('\n'));
    const damaged = await reopened(home, run);
    expect(damaged.report.metrics.badLines).toEqual([{ line: 5, reason: expect.stringMatching(/step/) }]);
    expect(damaged.report.problems).toBe(true);
  });

  it('scans only what was appended to the same file, and a rewritten file from the start', async () => {
    const { home, run } = await folder(100);
    await reopened(home, run);
    appendFileSync(join(run, 'metrics.jsonl'), 'not json\n');
    await writeMetrics(run, 100, 20);
    appendFileSync(join(run, 'metrics.jsonl'), '{"step":');
    const grown = await reopened(home, run);
    const fresh = await runIntegrity(run); // no persisted cache: the whole file parsed
    expect(grown.report.metrics).toEqual(fresh.metrics);
    expect(grown.report.metrics.badLines).toEqual([{ line: 101, reason: 'not valid JSON' }]);
    expect(grown.report.metrics.tornTailBytes).toBe('{"step":'.length);

    // A resume's rewrite (a new file, the bad line quarantined): the old scan does not carry over.
    await truncateMetrics(run, 2000);
    const rewritten = await reopened(home, run);
    expect(rewritten.report.metrics.badLineCount).toBe(0);
    expect(rewritten.report.metrics.quarantines).toHaveLength(1);
  });

  it('an incremental scan is not trusted when the bytes before the old end changed', async () => {
    const { home, run } = await folder(50);
    await reopened(home, run);
    const path = join(run, 'metrics.jsonl');
    // Same length up to the old end, one line garbled, then grown: the guard no longer matches, so all is scanned.
    const text = readFileSync(path, 'utf8');
    const at = text.lastIndexOf('"step"');
    writeFileSync(path, `${text.slice(0, at)}"st#p"${text.slice(at + 6)}{"step":1000,"wallTime":1,"x":1}\n`);
    const { report } = await reopened(home, run);
    expect(report.metrics.badLines).toEqual([{ line: 50, reason: expect.stringMatching(/step/) }]);
  });

  it('a damaged, truncated or foreign cache file is ignored and replaced, and the report is still complete', async () => {
    const { home, run } = await folder(100);
    appendFileSync(join(run, 'metrics.jsonl'), 'garbage\n');
    const truth = (await reopened(home, run)).report;
    expect(truth.metrics.badLineCount).toBe(1);
    const file = join(home, INTEGRITY_CACHE_FILE);
    const stored = readFileSync(file, 'utf8');
    // A forged entry claiming the folder is clean, with the old checksum: refused.
    const forged = stored.replace('"badLineCount":1', '"badLineCount":0');
    expect(forged).not.toBe(stored);
    for (const [bad, why] of [
      [forged, /checksum/],
      [stored.slice(0, stored.length / 2), /JSON/],
      [JSON.stringify({ version: 99, entries: [] }), /version/],
    ] as const) {
      writeFileSync(file, bad);
      const { report, cache } = await reopened(home, run);
      expect(cache.problem).toMatch(why);
      expect(report).toEqual(truth);
      expect((await openIntegrityCache(home)).problem).toBeNull(); // rewritten whole by the flush
    }
  });
});

describe('PersistedCache', () => {
  const isNumber = (v: unknown): v is number => typeof v === 'number';

  it('returns a value only for its signature, keeps the newest maxEntries, and drops what retain rejects', async () => {
    const path = join(tempDir(), 'c.json');
    const c = await PersistedCache.open(path, { version: 1, isValue: isNumber, maxEntries: 2 });
    c.set('a', 's1', 1);
    expect(c.get('a', 's1')).toBe(1);
    expect(c.get('a', 's2')).toBeUndefined();
    expect(c.peek('a')).toEqual({ signature: 's1', value: 1 });
    c.set('b', 's', 2);
    c.set('c', 's', 3);
    expect(c.get('a', 's1')).toBeUndefined();
    c.retain((k) => k !== 'b');
    await c.flush();
    const back = await PersistedCache.open(path, { version: 1, isValue: isNumber });
    expect([back.get('b', 's'), back.get('c', 's')]).toEqual([undefined, 3]);
  });

  it('ignores a file whose entries have the wrong shape', async () => {
    const path = join(tempDir(), 'c.json');
    const c = await PersistedCache.open(path, { version: 1, isValue: (v: unknown): v is string => typeof v === 'string' });
    c.set('a', 's', 'text');
    await c.flush();
    const back = await PersistedCache.open(path, { version: 1, isValue: isNumber });
    expect(back.problem).toMatch(/shape/);
    expect(back.size).toBe(0);
  });
});
