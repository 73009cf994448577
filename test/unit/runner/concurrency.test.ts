/**
 * The queue fills every slot: runs started back to back while earlier ones are still launching all run when
 * there are slots for them (a launching run used to count twice, leaving the last one queued until another ended).
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunInfo } from '../../../core/api/contract.js';
import { call, EventLog, openFake, tempHome } from './helpers.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('RunManager concurrency', () => {
  it('runs as many runs at once as it has slots, and queues the rest', async () => {
    const { home, cleanup } = tempHome();
    const backend = await openFake(home, { maxConcurrent: 4 });
    cleanups.push(cleanup, () => backend.close());
    const log = new EventLog(backend);
    // Started together, so later starts happen while earlier runs are still launching.
    const runs = (
      await Promise.all([0, 1, 2, 3, 4].map((seed) => call<RunInfo[]>(backend, 'runs:start', { algo: 'fake', env: 'CartPole-v1', seeds: [seed], totalSteps: 1_000_000 })))
    ).flat();
    // Four report metrics (whichever four the queue took first); the fifth waits for a free slot.
    const streaming = () => new Set(log.of('run:metrics').map((m) => m.id));
    await log.wait('run:metrics', () => streaming().size === 4, 20_000);
    const queued = runs.find((r) => !streaming().has(r.id))!;
    expect(backend.manager.list().filter((r) => r.status === 'running')).toHaveLength(4);
    expect(backend.manager.info(queued.id).status).toBe('queued');
    const first = runs.find((r) => r.id !== queued.id)!;
    await call(backend, 'runs:stop', { id: first.id });
    await log.wait('run:metrics', (m) => m.id === queued.id, 20_000);
    for (const r of runs) if (r.id !== first.id) await call(backend, 'runs:stop', { id: r.id });
  });
});

describe('the queue is visible and its width settable', () => {
  it('queued runs carry their position and why they wait; raising the limit starts them', async () => {
    const { home, cleanup } = tempHome();
    const backend = await openFake(home, { maxConcurrent: 1 });
    cleanups.push(cleanup, () => backend.close());
    const log = new EventLog(backend);
    const runs = await call<RunInfo[]>(backend, 'runs:start', { algo: 'fake', env: 'CartPole-v1', seeds: [1, 2, 3], totalSteps: 1_000_000 });
    await log.wait('run:metrics', (m) => m.id === runs[0].id, 20_000);
    const [, second, third] = runs.map((r) => backend.manager.info(r.id));
    expect(second.queue).toEqual({ position: 1, reason: 'waiting for a free slot: 1 of 1 run at once in use' });
    expect(third.queue).toEqual({ position: 2, reason: 'waiting for a free slot: 1 of 1 run at once in use, 1 queued ahead' });
    expect((await call<{ maxConcurrent: number }>(backend, 'system:info')).maxConcurrent).toBe(1);

    const info = await call<{ maxConcurrent: number }>(backend, 'system:settings', { maxConcurrent: 3 });
    expect(info.maxConcurrent).toBe(3);
    await log.wait('run:metrics', (m) => m.id === third.id, 20_000);
    expect(backend.manager.list().filter((r) => r.status === 'running')).toHaveLength(3);
    expect(backend.manager.info(third.id).queue).toBeUndefined();
    const bad = await backend.invoke('system:settings', { maxConcurrent: 0 });
    expect(bad.ok).toBe(false);
    for (const r of runs) await call(backend, 'runs:stop', { id: r.id });
  });

  it('POLICYLAB_MAX_RUNS sets the default; a bad value names the variable', async () => {
    const { concurrencyFromEnv } = await import('../../../core/runner/run-manager.js');
    expect(concurrencyFromEnv({ POLICYLAB_MAX_RUNS: '3' })).toBe(3);
    expect(concurrencyFromEnv({})).toBeUndefined();
    for (const bad of ['0', '1.5', '0x10', 'many', '65']) {
      expect(() => concurrencyFromEnv({ POLICYLAB_MAX_RUNS: bad })).toThrow(/POLICYLAB_MAX_RUNS must be an integer in \[1, 64\]/);
    }
  });

  it('"Runs at once" is kept in the data folder across restarts; a launch flag wins for its launch; a damaged file is set aside and reported', async () => {
    const { home, cleanup } = tempHome();
    cleanups.push(cleanup);
    const saved = process.env.POLICYLAB_MAX_RUNS;
    delete process.env.POLICYLAB_MAX_RUNS;
    cleanups.push(() => {
      if (saved !== undefined) process.env.POLICYLAB_MAX_RUNS = saved;
    });
    const first = await openFake(home);
    await call(first, 'system:settings', { maxConcurrent: 5 });
    await first.close();
    expect(JSON.parse(readFileSync(join(home, 'settings.json'), 'utf8'))).toEqual({ schemaVersion: 1, settings: { maxConcurrent: 5 } });

    const second = await openFake(home);
    expect((await call<{ maxConcurrent: number }>(second, 'system:info')).maxConcurrent).toBe(5);
    await second.close();
    const flagged = await openFake(home, { maxConcurrent: 2 });
    expect((await call<{ maxConcurrent: number }>(flagged, 'system:info')).maxConcurrent).toBe(2);
    await flagged.close();

    writeFileSync(join(home, 'settings.json'), '{"schemaVersion": 1, "settings": {"maxConcurrent": 900}}');
    const repaired = await openFake(home);
    const info = await call<{ maxConcurrent: number; notices: { kind: string; message: string }[] }>(repaired, 'system:info');
    await repaired.close();
    expect(info.maxConcurrent).not.toBe(900);
    expect(info.notices).toContainEqual(expect.objectContaining({ kind: 'settings-reset', message: expect.stringMatching(/^settings\.json was damaged \(settings\.maxConcurrent: .*\); moved aside to .*settings\.json\.corrupt-/) }));
    expect(readdirSync(home).filter((n) => n.startsWith('settings.json.corrupt-'))).toHaveLength(1);
  });
});
