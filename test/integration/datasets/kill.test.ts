/**
 * kill -9 while labelling: a real child process (the dataset store alone, or the app's back end labelling over the
 * API) labels a 3000-row dataset one pair at a time and is killed with SIGKILL while a label is in flight (its
 * journal append, lock or index write). The dataset must still read as valid, hold every label the child saw land,
 * and lose at most the one in flight; a new process then labels on (cutting any torn journal line first). The torn
 * line itself is pinned deterministically in test/unit/datasets/store.test.ts.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { RunStore } from '../../../core/store/db.js';
import { DatasetStore, readDataset, rebuildDatasetIndex } from '../../../core/store/datasets.js';
import { importRow, pendingPair, tempHome } from '../../unit/datasets/fixtures.js';

interface Msg {
  type: 'labelling' | 'labelled' | 'done';
  n: number;
}

describe('a labelling process killed with SIGKILL', () => {
  it.each([
    [1, 'label-child.ts'],
    [2, 'label-child.ts'],
    [3, 'app-label-child.ts'],
  ])('kill %i (%s): the file stays valid and loses at most the label in flight', async (n, fixture) => {
    const home = tempHome();
    const runs = await RunStore.open(home, { rebuildDatasets: rebuildDatasetIndex });
    const ds = new DatasetStore(runs);
    const { id } = await ds.create({ name: 'big' });
    const big = 'x'.repeat(400);
    await ds.addRows(id, Array.from({ length: 3000 }, (_, i) => importRow(i, { responseA: big, chosen: big })));
    await ds.addPending(id, Array.from({ length: 500 }, (_, i) => pendingPair(i)));

    const child = fork(fileURLToPath(new URL(`./fixtures/${fixture}`, import.meta.url)), [home, id], {
      execArgv: ['--import', 'tsx'],
      cwd: fileURLToPath(new URL('../../../', import.meta.url)),
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    let landed = 0;
    let inFlight = 0;
    // SIGKILL right after the child announced label `killAt`: that label's append (or its lock, or its index write)
    // is in flight.
    const killAt = 20 + 37 * n;
    child.on('message', (m: Msg) => {
      if (m.type === 'labelled') landed = m.n;
      if (m.type === 'labelling') {
        inFlight = m.n;
        if (m.n === killAt) child.kill('SIGKILL');
      }
    });
    await exited;
    expect(inFlight, stderr).toBe(killAt);

    // The file and its journal, read as a new process would (a torn last journal line is ignored).
    const file = (await readDataset(home, id))!;
    const labelled = file.rows.filter((r) => r.source === 'human');
    expect(new Set(labelled.map((r) => r.labeller)).size).toBe(1);
    expect(labelled.length).toBeGreaterThanOrEqual(landed);
    expect(labelled.length).toBeLessThanOrEqual(Math.max(landed, inFlight));
    expect(inFlight - landed).toBeLessThanOrEqual(1);
    expect(labelled.length + file.pending.length).toBe(500);
    expect(file.rows).toHaveLength(3000 + labelled.length);

    // Another process carries on (the dead child's lock goes stale and is taken over).
    const next = file.pending[0]!.id;
    const afterRuns = await RunStore.open(home, { rebuildDatasets: rebuildDatasetIndex });
    const after = new DatasetStore(afterRuns);
    await after.label(id, { pairId: next, label: 'a', labeller: 'after', shownAt: null });
    expect((await after.read(id)).rows.at(-1)!.id).toBe(next);
    await afterRuns.close();
    await runs.close();
  });
});
