/**
 * How long a run has trained: the store adds up its running sessions (a stop → resume gap does not count),
 * ends a crashed run's session at its last sign of life, and estimates records written before it kept count.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { activeMsOf, RunStore, type CreateRunInput } from '../../../core/store/index.js';
import { toRunInfo } from '../../../core/runner/run-info.js';
import { runDuration } from '../../../renderer/src/lib/run-duration.js';
import { tempDir } from './temp.js';

const input: CreateRunInput = { algo: 'ppo', env: 'CartPole-v1', config: {}, seed: 1 };
const T0 = Date.parse('2026-11-24T10:00:00.000Z');
const at = (seconds: number) => vi.setSystemTime(T0 + seconds * 1000);

afterEach(() => vi.useRealTimers());

describe('run active time', () => {
  it('counts running sessions only, across a stop and a resume, and survives a reopen', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const home = tempDir();
    const store = await RunStore.open(home);
    at(0);
    const run = await store.createRun(input);
    at(5); // queued for 5 s: not running time
    await store.updateRun(run.id, { status: 'running', pid: 4242 });
    at(65);
    expect(runDuration(toRunInfo(store.getRun(run.id), null), Date.now())).toBe(60);
    await store.updateRun(run.id, { status: 'stopped' });
    expect(store.getRun(run.id)).toMatchObject({ activeMs: 60_000, runningSince: null });

    at(3_665); // an hour later
    await store.updateRun(run.id, { status: 'queued' });
    at(3_670);
    await store.updateRun(run.id, { status: 'running', pid: 4243 });
    const live = toRunInfo(store.getRun(run.id), null);
    expect(live.activeSeconds).toBe(60);
    expect(runDuration(live, T0 + 3_700_000)).toBe(90);
    at(3_700);
    await store.updateRun(run.id, { status: 'finished' });
    const done = store.getRun(run.id);
    expect(done.activeMs).toBe(90_000);
    expect(runDuration(toRunInfo(done, null), T0 + 9_999_000)).toBe(90); // a finished run's duration stays put
    expect(Date.parse(done.endedAt!) - Date.parse(done.startedAt!)).toBe(3_695_000); // the wall span, pause included
    expect((await RunStore.open(home)).getRun(run.id).activeMs).toBe(90_000);
  });

  it('ends a crashed run’s session at its last update, not when the crash is noticed', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const store = await RunStore.open(tempDir());
    at(0);
    const run = await store.createRun(input);
    await store.updateRun(run.id, { status: 'running', pid: 999_999 });
    at(30);
    await store.updateRun(run.id, { step: 1_000 }); // a progress write: the last sign of life
    at(600);
    await store.reconcile(() => false);
    expect(store.getRun(run.id)).toMatchObject({ status: 'crashed', activeMs: 30_000, runningSince: null });
  });

  it('estimates records written before active time was kept from their start and end', async () => {
    const home = tempDir();
    const store = await RunStore.open(home);
    const run = await store.createRun(input);
    await store.updateRun(run.id, { status: 'running' });
    await store.updateRun(run.id, { status: 'finished' });
    await store.close();
    // An old record: no activeMs, no runningSince.
    const db = JSON.parse(readFileSync(join(home, 'db.json'), 'utf8'));
    Object.assign(db.runs[0], { startedAt: '2026-01-01T00:00:00.000Z', endedAt: '2026-01-01T00:02:30.000Z' });
    delete db.runs[0].activeMs;
    delete db.runs[0].runningSince;
    writeFileSync(join(home, 'db.json'), JSON.stringify(db));
    const old = (await RunStore.open(home)).getRun(run.id);
    expect(old.activeMs).toBeUndefined();
    expect(activeMsOf(old)).toBe(150_000);
    expect(toRunInfo(old, null).activeSeconds).toBe(150);
    expect(activeMsOf({ startedAt: null, endedAt: null })).toBe(0);
  });
});
