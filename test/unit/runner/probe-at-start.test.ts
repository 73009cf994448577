/**
 * The backend probe: started when the back end opens (probeAtStart, as the app's entry points do) so the first
 * system:info finds it done or under way, run once, at background priority, and killed when the app closes first.
 */
import { getPriority } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import type { SystemInfo } from '../../../core/api/contract.js';
import { openAppBackend } from '../../../core/runner/service.js';
import { forkWorker, type SpawnWorker, type WorkerProcess } from '../../../core/runner/spawn.js';
import { call, FAKE_WORKER, fakeCatalog, tempHome } from './helpers.js';

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((c) => c()));

function recordingSpawn() {
  const spawned: { proc: WorkerProcess; exited: Promise<void> }[] = [];
  const spawn: SpawnWorker = (modulePath, env, options) => {
    const proc = forkWorker(modulePath, env, options);
    spawned.push({ proc, exited: new Promise((resolve) => proc.onExit(() => resolve())) });
    return proc;
  };
  return { spawn, spawned };
}

describe('backend probe at start', () => {
  it('starts when the back end opens, runs once at background priority, and answers system:info', async () => {
    const { home, cleanup } = tempHome();
    cleanups.push(cleanup);
    const { spawn, spawned } = recordingSpawn();
    const backend = await openAppBackend({ home, transport: 'browser', catalog: fakeCatalog, workerPath: FAKE_WORKER, spawn, probeAtStart: true });
    try {
      expect(spawned).toHaveLength(1); // before anyone asked
      expect(getPriority(spawned[0]!.proc.pid!)).toBeGreaterThan(getPriority());
      const info = await call<SystemInfo>(backend, 'system:info');
      expect(info.backend?.name).toBe('fake');
      await call(backend, 'system:info');
      expect(spawned).toHaveLength(1);
    } finally {
      await backend.close();
    }
  });

  it('waits for the first system:info when probeAtStart is off, and is killed by close() when still running', async () => {
    const { home, cleanup } = tempHome();
    cleanups.push(cleanup);
    const lazy = recordingSpawn();
    const quiet = await openAppBackend({ home, transport: 'browser', catalog: fakeCatalog, workerPath: FAKE_WORKER, spawn: lazy.spawn });
    expect(lazy.spawned).toHaveLength(0);
    await quiet.close();

    const eager = recordingSpawn();
    const backend = await openAppBackend({ home, transport: 'browser', catalog: fakeCatalog, workerPath: FAKE_WORKER, spawn: eager.spawn, probeAtStart: true });
    await backend.close(); // the fake worker needs far longer than this to load and answer
    await eager.spawned[0]!.exited; // killed, not left to finish
    const r = await backend.invoke('system:info', undefined);
    expect(r.ok && (r.value as SystemInfo).backendError).toMatch(/cancelled: the app is closing/);
  });
});
