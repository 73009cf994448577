/**
 * One folder, many processes: what the inter-process locks cost and how soon another process's run shows up.
 * - lock cycle: acquire + release of a proper-lockfile lock (mkdir/rmdir + stat), alone;
 * - updateRun: the whole read-modify-write of run.json under its lock plus the locked index merge, at 1 and 200 runs;
 *   the lock share of it is the two lock cycles it takes;
 * - visibility: a run created by a second store (as a CLI process would) until the app's folder watch reports it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FOLDER_POLL_MS, FolderWatch } from '../../core/runner/folder-watch.js';
import { RunStore, withFileLock } from '../../core/store/index.js';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (x: number, d = 2) => x.toFixed(d);

async function updateLatency(store: RunStore, ids: string[], n: number): Promise<number[]> {
  const lat: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await store.updateRun(ids[i % ids.length], { step: i + 1 });
    lat.push(performance.now() - t0);
  }
  return lat;
}

export async function bench(): Promise<void> {
  const home = mkdtempSync(join(tmpdir(), 'policylab-bench-folder-'));
  try {
    const store = await RunStore.open(home);
    const lockPath = join(home, 'locks', 'bench');
    const cycles: number[] = [];
    for (let i = 0; i < 500; i++) {
      const t0 = performance.now();
      await withFileLock(lockPath, async () => undefined);
      cycles.push(performance.now() - t0);
    }
    const lock = median(cycles);
    console.log(`folder: lock cycle (acquire + release, uncontended): median ${fmt(lock, 3)} ms over 500`);

    const first = await store.createRun({ algo: 'ppo', env: 'CartPole-v1', config: {}, seed: 0 });
    const one = median(await updateLatency(store, [first.id], 300));
    const ids = [first.id];
    for (let i = 1; i < 200; i++) ids.push((await store.createRun({ algo: 'ppo', env: 'CartPole-v1', config: { pad: 'x'.repeat(200) }, seed: i })).id);
    const many = median(await updateLatency(store, ids, 300));
    for (const [runs, ms] of [[1, one], [200, many]] as const) {
      console.log(
        `folder: updateRun at ${runs} run${runs === 1 ? '' : 's'} (run.json RMW + index merge, both locked): median ${fmt(ms)} ms; ` +
          `lock overhead ${fmt(2 * lock, 3)} ms = ${fmt((100 * 2 * lock) / ms, 0)}% of it`,
      );
    }

    // A second store writes (as a CLI training would); the app's watch sees it at its next poll.
    const app = await RunStore.open(home, { reconcile: false });
    const keepAlive = setInterval(() => undefined, 1000); // the watch's timer is unref'd, as in the app
    const seenAfter: number[] = [];
    for (let i = 0; i < 10; i++) {
      let resolveSeen!: () => void;
      const seen = new Promise<void>((r) => (resolveSeen = r));
      let target = '';
      const watch = new FolderWatch({
        store: app,
        isLocal: () => false,
        info: (r) => r as never,
        emit: (e) => {
          if (e.event === 'run:status' && (e.payload as { id: string }).id === target) resolveSeen();
        },
      });
      watch.start();
      await new Promise((r) => setTimeout(r, Math.random() * FOLDER_POLL_MS));
      const t0 = performance.now();
      target = (await store.createRun({ algo: 'ppo', env: 'CartPole-v1', config: {}, seed: 1000 + i })).id;
      await seen;
      seenAfter.push(performance.now() - t0);
      await watch.stop();
    }
    console.log(
      `folder: a run created by another process appears in the app after median ${fmt(median(seenAfter), 0)} ms, max ${fmt(Math.max(...seenAfter), 0)} ms ` +
        `(poll every ${FOLDER_POLL_MS} ms; target ≤ 1000 ms: ${fmt(1000 / Math.max(...seenAfter), 1)}× under)`,
    );
    clearInterval(keepAlive);
    await app.close();
    await store.close();
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}
