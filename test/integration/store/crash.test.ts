/**
 * Crash safety with real processes: SIGKILL a training process mid-append and mid-checkpoint, and
 * the process owning db.json mid-write; the files must stay valid and the run reconcile to crashed.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import {
  listCheckpoints,
  loadCheckpoint,
  MetricReader,
  MetricWriter,
  RunFileSchema,
  saveCheckpoint,
  RunStore,
} from '../../../core/store/index.js';
import { spawnFixture } from './spawn.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tempHome(): string {
  const d = mkdtempSync(join(tmpdir(), 'policylab-crash-'));
  dirs.push(d);
  return d;
}

async function firstMessage(child: ReturnType<typeof spawnFixture>) {
  await child.waitFor((m) => m.type === 'appended');
  return child.messages.find((m) => m.type === 'appended')!;
}

describe('a training process killed with SIGKILL', () => {
  const moments = ['while appending', 'while saving a checkpoint'] as const;
  it.each(moments)('%s: leaves a valid index, a stream readable to its last whole line, whole checkpoints, and reconciles to crashed', async (when) => {
    const home = tempHome();
    const store = await RunStore.open(home);
    const run = await store.createRun({ algo: 'ppo', env: 'CartPole-v1', config: {}, seed: 1 });
    const runDir = store.runDir(run.id);
    const child = spawnFixture('metrics-child.ts', [runDir, 'forever', '0']);
    await store.updateRun(run.id, { status: 'running', pid: child.proc.pid });
    // Like the RunManager: progress updates rewrite db.json while the child appends.
    child.proc.on('message', (m: { type: string; step?: number }) => {
      if (m.type === 'appended' && m.step! % 20 === 0) void store.updateRun(run.id, { step: m.step! }).catch(() => undefined);
    });
    await child.waitFor((m) => m.type === 'checkpoint' && m.step! >= 125);
    // Run for a while past the first 1 s flush, so the kill lands in steady state.
    const started = (await firstMessage(child)).wallTime!;
    await child.waitFor((m) => m.type === 'appended' && m.step! >= 400 && m.wallTime! - started >= 2.5);
    if (when === 'while saving a checkpoint') {
      const seen = child.messages.length;
      await child.waitFor((m) => m.type === 'checkpointing' && child.messages.indexOf(m) >= seen);
      // Kill once the save has started writing its temp folder.
      const root = join(runDir, 'checkpoints');
      for (let i = 0; i < 2000 && !readdirSync(root).some((n) => n.startsWith('.tmp-')); i++) await sleep(1);
    }
    child.proc.kill('SIGKILL');
    expect((await child.exited).signal).toBe('SIGKILL');
    await store.flush();
    const appended = child.messages.filter((m) => m.type === 'appended');
    const lastAppended = appended.at(-1)!;

    // The stream: every whole line is a valid record, in order, with the values the child wrote.
    const { records, skippedLines } = await new MetricReader(runDir).readFrom(0);
    expect(skippedLines).toBeLessThanOrEqual(1);
    expect(records.length).toBeGreaterThan(0);
    records.forEach((r, i) => expect(r).toMatchObject({ step: i, values: { writer: 0, i, x: i + 0.25 } }));
    const lastOnDisk = records.at(-1)!;
    expect(lastOnDisk.step).toBeLessThanOrEqual(lastAppended.step!);
    // At most ~1 s of metrics lost: the flush interval, plus slack for a loaded machine.
    expect(lastAppended.wallTime! - lastOnDisk.wallTime).toBeLessThan(2.5);
    // The sidecar agrees with the jsonl (the reader combines both).
    const x = await new MetricReader(runDir).range('x');
    expect(x.map((p) => p.step)).toEqual(records.map((r) => r.step));

    // Checkpoints: only whole ones are listed, each loads, and keep-last-3 held.
    const checkpoints = await listCheckpoints(runDir);
    expect(checkpoints.length).toBeGreaterThanOrEqual(1);
    expect(checkpoints.length).toBeLessThanOrEqual(4); // 3 kept + one saved just before its pruning
    for (const c of checkpoints) {
      const loaded = await loadCheckpoint<{ step: number }>(runDir, c.step);
      expect(loaded.state.step).toBe(c.step);
      const filled = loaded.arrays.filled;
      expect(filled.length).toBe(1 << 20);
      expect(filled.every((v) => v === c.step)).toBe(true);
    }

    // The index: the store process survived, and a fresh open sees a valid db.json.
    const reopened = await RunStore.open(home, { reconcile: false });
    expect(reopened.recovery).toBeNull();
    expect(reopened.getRun(run.id).status).toBe('running');
    const changed = await reopened.reconcile();
    expect(changed.map((r) => r.id)).toEqual([run.id]);
    const crashed = reopened.getRun(run.id);
    expect(crashed.status).toBe('crashed');
    // The last known step: the record's (from progress events) or the stream's, whichever is later.
    expect(crashed.step).toBe(Math.max(store.getRun(run.id).step, lastOnDisk.step));
    expect(crashed.step).toBeGreaterThanOrEqual(lastOnDisk.step);
    expect(crashed.summary.x).toMatchObject({ last: lastOnDisk.values.x, lastStep: lastOnDisk.step, count: records.length });

    // The next save clears whatever a save in progress left behind.
    await saveCheckpoint(runDir, { step: 1_000_000, state: { step: 1_000_000 } }, { keepLast: 3 });
    expect(readdirSync(join(runDir, 'checkpoints')).filter((n) => n.startsWith('.'))).toEqual([]);

    // A resumed writer appends after whatever the killed one left (torn line included).
    const resumed = new MetricWriter(runDir);
    resumed.append(lastOnDisk.step + 1, { writer: 0, i: lastOnDisk.step + 1, x: lastOnDisk.step + 1.25 });
    await resumed.close();
    const after = await new MetricReader(runDir).readFrom(0);
    expect(after.records.map((r) => r.step)).toEqual([...records.map((r) => r.step), lastOnDisk.step + 1]);
    expect((await new MetricReader(runDir).range('x')).length).toBe(records.length + 1);
  });
});

describe('the process owning db.json killed with SIGKILL', () => {
  for (const killAfter of [30, 120, 300]) {
    it(`leaves db.json and every run.json valid (killed after ${killAfter} updates)`, async () => {
      const home = tempHome();
      const child = spawnFixture('db-child.ts', [home, '50']);
      await child.waitFor((m) => m.type === 'updates' && m.updates! >= killAfter);
      child.proc.kill('SIGKILL');
      expect((await child.exited).signal).toBe('SIGKILL');

      const store = await RunStore.open(home);
      expect(store.recovery).toBeNull();
      expect(store.adoptedRunIds).toEqual([]);
      const runs = store.listRuns();
      expect(runs).toHaveLength(50);
      const reported = child.messages.filter((m) => m.type === 'updates').at(-1)!.updates!;
      expect(Math.max(...runs.map((r) => r.step))).toBeGreaterThanOrEqual(reported - 1);
      for (const r of runs) {
        const file = JSON.parse(readFileSync(join(home, 'runs', r.id, 'run.json'), 'utf8'));
        expect(RunFileSchema.safeParse(file).success).toBe(true);
      }
      // Stray temp files from the interrupted write are never mistaken for data.
      expect(readdirSync(home).filter((n) => n.includes('corrupt'))).toEqual([]);
    });
  }
});
