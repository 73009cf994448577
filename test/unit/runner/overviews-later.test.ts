/**
 * Runs that have no chart overviews (written before they existed, or their process was killed) get them from
 * the back end after a whole-run chart query, in the background — but never while a process may be writing the
 * run's folder.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { MetricIndex } from '../../../core/store/metric-format.js';
import { seedSyntheticRuns } from '../../e2e/synthetic-runs.js';
import { call, openFake, tempHome } from './helpers.js';

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((c) => c()));

const indexOf = (dir: string) => JSON.parse(readFileSync(join(dir, 'metrics.idx', 'index.json'), 'utf8')) as MetricIndex;
/** Makes a run's sidecar look like one written before overviews existed. */
function dropOverviews(dir: string): void {
  const { overviews, ...old } = indexOf(dir);
  rmSync(join(dir, 'metrics.idx', overviews!.file));
  writeFileSync(join(dir, 'metrics.idx', 'index.json'), JSON.stringify(old));
}

async function until(check: () => boolean, what: string): Promise<void> {
  const end = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('overviews written later by the back end', () => {
  it('adds them to an ended run after a whole-run chart query, not to a run marked running', async () => {
    const { home, cleanup } = tempHome();
    cleanups.push(cleanup);
    const [ended, running] = await seedSyntheticRuns(home, { runs: 2, points: 3_000 });
    const backend = await openFake(home);
    try {
      const dirOf = (id: string) => backend.store.runDir(id);
      dropOverviews(dirOf(ended!));
      dropOverviews(dirOf(running!));
      // A run another process (the CLI) is training: its folder is that process's to write.
      await backend.store.updateRun(running!, { status: 'running', pid: process.pid });

      const key = 'rollout/episodeReturn';
      await call(backend, 'metrics:query', { id: ended, keys: [key], maxPoints: 700 }); // not an overview size
      await call(backend, 'metrics:query', { id: ended, keys: [key], maxPoints: 500, from: 0, to: 1e9 }); // a range
      await new Promise((r) => setTimeout(r, 100));
      expect(indexOf(dirOf(ended!)).overviews).toBeUndefined();

      const first = await call<{ series: { values: number[] }[] }>(backend, 'metrics:query', { id: ended, keys: [key], maxPoints: 500 });
      await until(() => indexOf(dirOf(ended!)).overviews !== undefined, 'the overviews the query asked for');
      expect(indexOf(dirOf(ended!)).overviews!.entries.some((e) => e.key === key && e.size === 500)).toBe(true);
      const again = await call<{ series: { values: number[] }[] }>(backend, 'metrics:query', { id: ended, keys: [key], maxPoints: 1_000 });
      expect(again.series[0]!.values).toHaveLength(1_000);
      expect(first.series[0]!.values).toHaveLength(500);

      await call(backend, 'metrics:query', { id: running, keys: [key], maxPoints: 500 });
      await backend.manager.prepareOverviews(running!); // refused: it is not the app's to write
      await new Promise((r) => setTimeout(r, 100));
      expect(indexOf(dirOf(running!)).overviews).toBeUndefined();
    } finally {
      await backend.close();
    }
  });
});
