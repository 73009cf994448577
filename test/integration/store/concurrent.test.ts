/**
 * Eight training processes writing their runs at once, while this process (the index owner)
 * tails their streams and updates their records: nothing lost, nothing interleaved.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { listCheckpoints, loadCheckpoint, MetricReader, RunStore, type MetricRecord } from '../../../core/store/index.js';
import { spawnFixture } from './spawn.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('8 concurrent writers', () => {
  it('lose no record and interleave none', async () => {
    const home = mkdtempSync(join(tmpdir(), 'policylab-concurrent-'));
    dirs.push(home);
    const store = await RunStore.open(home);
    const writers = 8;
    const count = 3000;
    const runs = await Promise.all(
      Array.from({ length: writers }, (_, w) => store.createRun({ algo: 'ppo', env: 'CartPole-v1', config: { w }, seed: w })),
    );
    const children = runs.map((run, w) => spawnFixture('metrics-child.ts', [store.runDir(run.id), String(count), String(w)]));
    await Promise.all(runs.map((run, w) => store.updateRun(run.id, { status: 'running', pid: children[w].proc.pid })));

    // Tail every stream live, as the app does, and keep the records seen.
    const tailed: MetricRecord[][] = runs.map(() => []);
    const offsets = runs.map(() => 0);
    let running = true;
    const tail = (async () => {
      while (running) {
        await Promise.all(
          runs.map(async (run, w) => {
            const { records, nextOffset } = await new MetricReader(store.runDir(run.id)).readFrom(offsets[w]);
            tailed[w].push(...records);
            offsets[w] = nextOffset;
          }),
        );
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    children.forEach((c, w) =>
      c.proc.on('message', (m: { type: string; step?: number }) => {
        if (m.type === 'appended') void store.updateRun(runs[w].id, { step: m.step! });
      }),
    );

    const exits = await Promise.all(children.map((c) => c.exited));
    running = false;
    await tail;
    exits.forEach((e, w) => expect(e, children[w].stderr()).toEqual({ code: 0, signal: null }));
    await Promise.all(runs.map((run) => store.updateRun(run.id, { status: 'finished', step: count - 1 })));

    for (const [w, run] of runs.entries()) {
      const dir = store.runDir(run.id);
      const reader = new MetricReader(dir);
      const rest = await reader.readFrom(offsets[w]);
      const all = [...tailed[w], ...rest.records];
      const { records, skippedLines } = await reader.readFrom(0);
      expect(skippedLines).toBe(0);
      expect(all).toEqual(records);
      expect(records).toHaveLength(count);
      records.forEach((r, i) => {
        if (r.step !== i || r.values.writer !== w || r.values.x !== i * (w + 1) + 0.25) {
          throw new Error(`writer ${w} record ${i} is wrong: ${JSON.stringify(r)}`);
        }
      });
      const lines = readFileSync(join(dir, 'metrics.jsonl'), 'utf8').split('\n');
      expect(lines).toHaveLength(count + 1);
      expect(await reader.summary(['x'])).toEqual({ x: { last: (count - 1) * (w + 1) + 0.25, lastStep: count - 1, min: 0.25, max: (count - 1) * (w + 1) + 0.25, count } });
      const checkpoints = await listCheckpoints(dir);
      expect(checkpoints.map((c) => c.step)).toEqual([1500, 2000, 2500]);
      expect((await loadCheckpoint<{ writer: number }>(dir)).state.writer).toBe(w);
    }
    await store.close();
    const reopened = await RunStore.open(home);
    expect(reopened.recovery).toBeNull();
    expect(reopened.listRuns().map((r) => [r.status, r.step])).toEqual(runs.map(() => ['finished', count - 1]));
  });
});
