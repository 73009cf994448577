import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RunStore, StoreError, type SweepRecord } from '../../../core/store/index.js';
import { tempDir } from '../store/temp.js';

function sweep(id: string, patch: Partial<SweepRecord> = {}): SweepRecord {
  const t = '2026-01-02T03:04:05.000Z';
  return {
    id,
    name: 'grid ppo CartPole-v1',
    spec: { algo: 'ppo', env: 'CartPole-v1', method: 'grid', parameters: { lr: { values: [0.1, 0.2] } }, seeds: [1] },
    status: 'running',
    points: [
      { index: 0, params: { lr: 0.1 } },
      { index: 1, params: { lr: 0.2 } },
    ],
    runs: [],
    plannedRuns: 2,
    createdAt: t,
    updatedAt: t,
    endedAt: null,
    owner: null,
    error: null,
    ...patch,
  };
}

describe('the sweeps index', () => {
  it('saves a sweep to db.json and sweeps/<id>.json, replaces it by id, and another process sees it on refresh', async () => {
    const home = tempDir();
    const a = await RunStore.open(home);
    const b = await RunStore.open(home);
    await a.saveSweep(sweep('s1'));
    await a.saveSweep(sweep('s1', { status: 'finished', runs: [{ runId: 'r1', point: 0, seed: 1 }] }));
    await a.saveSweep(sweep('s2', { createdAt: '2026-01-03T00:00:00.000Z' }));
    expect(a.listSweeps().map((s) => [s.id, s.status])).toEqual([
      ['s1', 'finished'],
      ['s2', 'running'],
    ]);
    const db = JSON.parse(readFileSync(join(home, 'db.json'), 'utf8'));
    expect(db.schemaVersion).toBe(3);
    expect(db.sweeps.map((s: SweepRecord) => s.id)).toEqual(['s1', 's2']);
    expect(JSON.parse(readFileSync(join(home, 'sweeps', 's1.json'), 'utf8')).sweep.runs).toEqual([{ runId: 'r1', point: 0, seed: 1 }]);
    expect(b.findSweep('s1')).toBeUndefined();
    await b.refresh();
    expect(b.findSweep('s1')?.status).toBe('finished');
    // b writes its own sweep: a's entries are kept (re-read and merged under the lock).
    await b.saveSweep(sweep('s3', { createdAt: '2026-01-04T00:00:00.000Z' }));
    await a.refresh();
    expect(a.listSweeps().map((s) => s.id)).toEqual(['s1', 's2', 's3']);
    await a.close();
    await b.close();
  });

  it('refuses an invalid record, naming the field', async () => {
    const store = await RunStore.open(tempDir());
    await expect(store.saveSweep(sweep('s1', { status: 'exploded' as never }))).rejects.toThrow(StoreError);
    await expect(store.saveSweep(sweep('s1', { plannedRuns: -1 }))).rejects.toThrow(/saveSweep\.plannedRuns/);
    await expect(store.saveSweep(sweep('../x'))).rejects.toThrow(/saveSweep\.id/);
    expect(store.listSweeps()).toEqual([]);
    await store.close();
  });

  it('migrates a v2 db.json (no sweeps) to v3 with an empty sweeps index and a backup', async () => {
    const home = tempDir();
    writeFileSync(join(home, 'db.json'), JSON.stringify({ schemaVersion: 2, runs: [], datasets: [] }));
    const store = await RunStore.open(home);
    expect(store.migration).toMatchObject({ from: 2, to: 3 });
    expect(store.migration!.applied).toEqual([expect.stringMatching(/v2 → v3: adds the sweeps index/)]);
    expect(JSON.parse(readFileSync(store.migration!.backupPath, 'utf8')).schemaVersion).toBe(2);
    expect(JSON.parse(readFileSync(join(home, 'db.json'), 'utf8'))).toEqual({ schemaVersion: 3, runs: [], datasets: [], sweeps: [] });
    await store.close();
  });

  it('a v3 db.json without a sweeps array is damaged (moved aside), and the rebuilt index keeps the sweeps from sweeps/', async () => {
    const home = tempDir();
    const first = await RunStore.open(home);
    await first.saveSweep(sweep('s1', { status: 'finished' }));
    await first.close();
    writeFileSync(join(home, 'db.json'), JSON.stringify({ schemaVersion: 3, runs: [], datasets: [] }));
    mkdirSync(join(home, 'sweeps'), { recursive: true });
    writeFileSync(join(home, 'sweeps', 'bad.json'), '{"schemaVersion": 3, "sweep": {"id": "bad"}}');
    const store = await RunStore.open(home);
    expect(store.recovery?.reason).toBe('wrong-schema');
    expect(store.recovery?.detail).toMatch(/db\.sweeps/);
    expect(store.listSweeps().map((s) => [s.id, s.status])).toEqual([['s1', 'finished']]);
    expect(existsSync(join(home, 'sweeps', 'bad.json'))).toBe(true); // unreadable: left in place, not deleted
    await store.close();
  });
});
