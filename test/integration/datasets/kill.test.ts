/**
 * kill -9 while labelling: a real child process (the dataset store alone, or the app's back end labelling over the
 * API) labels a 3000-row dataset one pair at a time and is killed with SIGKILL while a label's write is in flight. The file must still be valid, hold every label the child saw land,
 * and lose at most the one in flight; a new process then labels on.
 */
import { fork } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { RunStore } from '../../../core/store/db.js';
import { DATASETS_DIR, datasetPath, DatasetStore, rebuildDatasetIndex } from '../../../core/store/datasets.js';
import { DatasetFileSchema } from '../../../core/store/datasets-schema.js';
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
  ])('kill %i (%s): the file stays valid and loses at most the label in flight', async (_n, fixture) => {
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
    child.on('message', (m: Msg) => {
      if (m.type === 'labelled') landed = m.n;
      if (m.type === 'labelling') inFlight = m.n;
    });
    for (let i = 0; i < 6000 && landed < 20; i++) await sleep(5);
    expect(landed, stderr).toBeGreaterThanOrEqual(20);
    // Kill while a write is in flight: the temp file of the atomic write exists.
    const dir = join(home, DATASETS_DIR);
    for (let i = 0; i < 20000 && !readdirSync(dir).some((n) => n.endsWith('.tmp')); i++) await sleep(0);
    child.kill('SIGKILL');
    await exited;

    const file = DatasetFileSchema.parse(JSON.parse(readFileSync(datasetPath(home, id), 'utf8')));
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
