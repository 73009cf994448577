/**
 * Two stores on one folder (as two processes would hold them): no lost update, the index never puts back an
 * older record, and refresh reports what the other changed.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RunStore, type RunRecord } from '../../../core/store/index.js';

const homes: string[] = [];
afterEach(() => {
  for (const h of homes.splice(0)) rmSync(h, { recursive: true, force: true });
});
function home(): string {
  const h = mkdtempSync(join(tmpdir(), 'policylab-shared-'));
  homes.push(h);
  return h;
}
const input = { algo: 'ppo', env: 'CartPole-v1', config: {}, seed: 1 };
const db = (h: string) => JSON.parse(readFileSync(join(h, 'db.json'), 'utf8')) as { runs: RunRecord[] };
const runJson = (h: string, id: string) => (JSON.parse(readFileSync(join(h, 'runs', id, 'run.json'), 'utf8')) as { run: RunRecord }).run;

describe('two stores on one folder', () => {
  it('merges: a rename in one and a step update in the other both land; each index write keeps the other\'s runs', async () => {
    const h = home();
    const a = await RunStore.open(h);
    const b = await RunStore.open(h);
    const run = await a.createRun(input);
    const other = await b.createRun({ ...input, seed: 2 });
    expect(db(h).runs.map((r) => r.id).sort()).toEqual([run.id, other.id].sort());

    const seen = await b.refresh();
    expect(seen.changed.map((r) => r.id)).toEqual([run.id]);
    await b.updateRun(run.id, { name: 'renamed in b', tags: ['x'] });
    await a.updateRun(run.id, { step: 4096 }); // a's cached copy still has the old name
    expect(runJson(h, run.id)).toMatchObject({ name: 'renamed in b', tags: ['x'], step: 4096 });
    for (const r of db(h).runs) expect(r).toEqual(runJson(h, r.id));

    await b.deleteRun(other.id);
    const gone = await a.refresh();
    expect(gone.removed).toEqual([other.id]);
    expect(a.listRuns().map((r) => r.id)).toEqual([run.id]);
  });

  it('an older index entry never replaces a newer record', async () => {
    const h = home();
    const a = await RunStore.open(h);
    const run = await a.createRun(input);
    const stale = db(h);
    await a.updateRun(run.id, { name: 'newer', status: 'running' });
    // Another process writes an index with the older copy (as a process with a stale memory would have).
    writeFileSync(join(h, 'db.json'), JSON.stringify(stale));
    await a.refresh();
    expect(a.getRun(run.id).name).toBe('newer');
    // The next index write from anyone re-reads run.json: the index is right again.
    const b = await RunStore.open(h, { reconcile: false });
    await b.createRun({ ...input, seed: 9 });
    await b.updateRun(run.id, { notes: 'n' });
    expect(db(h).runs.find((r) => r.id === run.id)).toMatchObject({ name: 'newer', notes: 'n' });
  });

  it('a damaged run.json is moved aside and rewritten from the index on the next change, with a notice', async () => {
    const h = home();
    const a = await RunStore.open(h);
    const run = await a.createRun(input);
    writeFileSync(join(h, 'runs', run.id, 'run.json'), '{"schemaVersion": 2, "run": {');
    await a.updateRun(run.id, { name: 'fixed' });
    expect(runJson(h, run.id).name).toBe('fixed');
    expect(a.notices.some((n) => n.kind === 'run-file-corrupt' && /moved aside/.test(n.message))).toBe(true);
  });
});
