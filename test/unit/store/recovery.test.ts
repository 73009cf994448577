import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RunStore, StoreError, type RunRecord } from '../../../core/store/index.js';
import { tempDir } from './temp.js';

async function homeWithRuns(n: number): Promise<{ home: string; runs: RunRecord[] }> {
  const home = tempDir();
  const store = await RunStore.open(home);
  const runs: RunRecord[] = [];
  for (let i = 0; i < n; i++) {
    const r = await store.createRun({ algo: 'a2c', env: 'Acrobot-v1', config: { i }, seed: i });
    runs.push(await store.updateRun(r.id, { status: 'finished', step: 1000 * (i + 1) }));
  }
  await store.close();
  return { home, runs };
}

function corruptFiles(home: string): string[] {
  return readdirSync(home).filter((n) => n.startsWith('db.json.corrupt-'));
}

describe('db.json recovery', () => {
  const cases: [string, (text: string) => string, string, RegExp][] = [
    ['truncated', (t) => t.slice(0, Math.floor(t.length / 2)), 'invalid-json', /JSON/],
    ['invalid JSON', () => '{ this is not json', 'invalid-json', /JSON/],
    ['empty', () => '', 'invalid-json', /JSON/],
    ['wrong schema', () => JSON.stringify({ schemaVersion: 3, runs: [{ id: 'x' }], datasets: [], sweeps: [] }), 'wrong-schema', /db\.runs\.0/],
    ['no schemaVersion', () => JSON.stringify({ runs: [] }), 'wrong-schema', /schemaVersion/],
    ['not an object', () => '[1, 2, 3]', 'wrong-schema', /schemaVersion/],
  ];

  for (const [name, corrupt, reason, detail] of cases) {
    it(`moves a ${name} db.json aside and rebuilds the index from run folders`, async () => {
      const { home, runs } = await homeWithRuns(3);
      const original = readFileSync(join(home, 'db.json'), 'utf8');
      const bad = corrupt(original);
      writeFileSync(join(home, 'db.json'), bad);

      const store = await RunStore.open(home);
      expect(store.recovery).not.toBeNull();
      expect(store.recovery!.reason).toBe(reason);
      expect(store.recovery!.detail).toMatch(detail);
      expect(store.recovery!.rebuiltRuns).toBe(3);
      expect(store.recovery!.skipped).toEqual([]);
      expect(store.recovery!.message).toMatch(/moved aside to db\.json\.corrupt-.*Rebuilt the index from 3 run folders/);
      // The bad file is kept byte for byte, never overwritten.
      expect(corruptFiles(home)).toHaveLength(1);
      expect(readFileSync(store.recovery!.movedTo!, 'utf8')).toBe(bad);
      expect(store.listRuns()).toEqual(runs);
      // And the rebuilt index is a valid db.json again.
      const again = await RunStore.open(home);
      expect(again.recovery).toBeNull();
      expect(again.listRuns()).toEqual(runs);
    });
  }

  it('moves an unreadable db.json (a folder) aside', async () => {
    const { home, runs } = await homeWithRuns(1);
    rmSync(join(home, 'db.json'));
    mkdirSync(join(home, 'db.json'));
    const store = await RunStore.open(home);
    expect(store.recovery?.reason).toBe('unreadable');
    expect(store.recovery?.detail).toMatch(/EISDIR/);
    expect(store.listRuns()).toEqual(runs);
  });

  it('rebuilds a missing db.json when run folders exist, and reports it', async () => {
    const { home, runs } = await homeWithRuns(2);
    rmSync(join(home, 'db.json'));
    const store = await RunStore.open(home);
    expect(store.recovery).toMatchObject({ reason: 'missing', movedTo: null, rebuiltRuns: 2 });
    expect(store.listRuns()).toEqual(runs);
  });

  it('reports run folders it cannot recover and leaves them in place', async () => {
    const { home, runs } = await homeWithRuns(2);
    writeFileSync(join(home, 'runs', runs[1].id, 'run.json'), '{"schemaVersion":2,"run":{"id":');
    mkdirSync(join(home, 'runs', 'stray-folder'));
    writeFileSync(join(home, 'db.json'), 'garbage');
    const store = await RunStore.open(home);
    expect(store.listRuns()).toEqual([runs[0]]);
    expect(store.recovery?.skipped.map((s) => s.dir)).toEqual([join('runs', runs[1].id), join('runs', 'stray-folder')]);
    expect(store.recovery?.skipped[1].reason).toMatch(/run\.json: ENOENT/);
    expect(readdirSync(join(home, 'runs')).sort()).toEqual([runs[0].id, runs[1].id, 'stray-folder'].sort());
  });

  it('refuses a db.json from a newer PolicyLab and leaves it untouched', async () => {
    const { home } = await homeWithRuns(1);
    const newer = JSON.stringify({ schemaVersion: 99, runs: [], somethingNew: true });
    writeFileSync(join(home, 'db.json'), newer);
    await expect(RunStore.open(home)).rejects.toThrow(StoreError);
    await expect(RunStore.open(home)).rejects.toThrow(/schemaVersion 99, newer than this PolicyLab understands \(3\)/);
    expect(readFileSync(join(home, 'db.json'), 'utf8')).toBe(newer);
    expect(corruptFiles(home)).toEqual([]);
  });
});

describe('schema migrations', () => {
  const v1Run = {
    id: 'lx0abc123-abcdefgh',
    name: 'old run',
    algorithm: 'reinforce',
    env: 'CartPole-v1',
    config: { gamma: 0.99 },
    seed: 3,
    status: 'done',
    createdAt: Date.UTC(2024, 0, 2, 3, 4, 5),
    startedAt: Date.UTC(2024, 0, 2, 3, 4, 6),
    endedAt: Date.UTC(2024, 0, 2, 3, 14, 6),
    step: 20000,
    tags: ['old'],
    error: null,
    backend: 'wasm',
  };

  it('migrates a v1 db.json to the current version on open, keeping a backup and rewriting run.json', async () => {
    const home = tempDir();
    const v1 = { schemaVersion: 1, runs: [v1Run, { ...v1Run, id: 'lx0abc124-abcdefgh', status: 'failed', error: 'boom', backend: null }] };
    writeFileSync(join(home, 'db.json'), JSON.stringify(v1));
    mkdirSync(join(home, 'runs', v1Run.id), { recursive: true });
    mkdirSync(join(home, 'runs', 'lx0abc124-abcdefgh'), { recursive: true });

    const store = await RunStore.open(home);
    expect(store.recovery).toBeNull();
    expect(store.migration).toMatchObject({ from: 1, to: 3 });
    expect(store.migration!.applied[0]).toMatch(/v1 → v2/);
    expect(store.migration!.applied[1]).toMatch(/v2 → v3/);
    expect(JSON.parse(readFileSync(store.migration!.backupPath, 'utf8'))).toEqual(v1);

    const [a, b] = store.listRuns();
    expect(a).toEqual({
      id: v1Run.id,
      name: 'old run',
      algo: 'reinforce',
      env: 'CartPole-v1',
      config: { gamma: 0.99 },
      seed: 3,
      status: 'finished',
      backend: { name: 'wasm' },
      createdAt: '2024-01-02T03:04:05.000Z',
      updatedAt: '2024-01-02T03:14:06.000Z',
      startedAt: '2024-01-02T03:04:06.000Z',
      endedAt: '2024-01-02T03:14:06.000Z',
      step: 20000,
      totalSteps: null,
      episodes: 0,
      tags: ['old'],
      notes: '',
      summary: {},
      error: null,
      pid: null,
    });
    expect(b).toMatchObject({ status: 'failed', error: { message: 'boom' }, backend: null });
    const db = JSON.parse(readFileSync(join(home, 'db.json'), 'utf8'));
    expect(db.schemaVersion).toBe(3);
    expect(db.datasets).toEqual([]);
    expect(db.sweeps).toEqual([]);
    // run.json is written where the folder exists, so a later rebuild sees the migrated record.
    expect(JSON.parse(readFileSync(join(home, 'runs', v1Run.id, 'run.json'), 'utf8'))).toEqual({ schemaVersion: 3, run: a });
    expect((await RunStore.open(home)).migration).toBeNull();
  });

  it('migrates v1 run.json files while rebuilding a corrupt index', async () => {
    const home = tempDir();
    mkdirSync(join(home, 'runs', v1Run.id), { recursive: true });
    writeFileSync(join(home, 'runs', v1Run.id, 'run.json'), JSON.stringify({ schemaVersion: 1, run: v1Run }));
    writeFileSync(join(home, 'db.json'), '{"schemaVersion":2,"runs":[');
    const store = await RunStore.open(home);
    expect(store.recovery?.rebuiltRuns).toBe(1);
    expect(store.getRun(v1Run.id)).toMatchObject({ algo: 'reinforce', status: 'finished', createdAt: '2024-01-02T03:04:05.000Z' });
  });

  it('treats a v1 file that does not match the v1 shape as corrupt', async () => {
    const home = tempDir();
    writeFileSync(join(home, 'db.json'), JSON.stringify({ schemaVersion: 1, runs: [{ id: 'lx0abc123-abcdefgh', algorithm: 5 }] }));
    const store = await RunStore.open(home);
    expect(store.recovery?.reason).toBe('wrong-schema');
    expect(store.recovery?.detail).toMatch(/db\.runs\.0\.algorithm/);
  });
});
