import { getPriority } from 'node:os';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BACKGROUND_NICE, backgroundNice, forkWorker, type SpawnOptions } from '../../../core/runner/spawn.js';

const IDLE = fileURLToPath(new URL('./fixtures/idle-worker.ts', import.meta.url));

/** Starts the idle worker, waits until it runs, returns its niceness and stderr lines, then kills it. */
async function started(options: SpawnOptions | undefined, env: NodeJS.ProcessEnv = process.env) {
  const proc = forkWorker(IDLE, env, options);
  const stderr: string[] = [];
  proc.onOutput((stream, line) => {
    if (stream === 'stderr') stderr.push(line);
  });
  await new Promise<void>((resolve) => proc.onMessage(() => resolve()));
  const nice = getPriority(proc.pid!);
  const exited = new Promise<void>((resolve) => proc.onExit(() => resolve()));
  proc.kill();
  await exited;
  return { nice, stderr };
}

describe('worker CPU priority', () => {
  it('runs background workers (training, backend probe) niced, others like the app', async () => {
    const own = getPriority();
    expect((await started({ priority: 'background' })).nice).toBe(Math.max(own, BACKGROUND_NICE));
    expect((await started(undefined)).nice).toBe(own);
    expect((await started({ priority: 'normal' })).nice).toBe(own);
  });

  it('takes the niceness from POLICYLAB_WORKER_NICE and reports a bad value instead of failing the run', async () => {
    expect((await started({ priority: 'background' }, { ...process.env, POLICYLAB_WORKER_NICE: '15' })).nice).toBe(15);
    const refused = await started({ priority: 'background' }, { ...process.env, POLICYLAB_WORKER_NICE: 'low' });
    expect(refused.nice).toBe(getPriority());
    expect(refused.stderr.join('\n')).toMatch(/could not lower the worker's priority: POLICYLAB_WORKER_NICE must be/);
    expect(backgroundNice({ POLICYLAB_WORKER_NICE: '3' })).toBe(3);
    expect(backgroundNice({})).toBe(BACKGROUND_NICE);
    for (const bad of ['-1', '20', '2.5', 'low']) {
      expect(() => backgroundNice({ POLICYLAB_WORKER_NICE: bad })).toThrow(/POLICYLAB_WORKER_NICE must be an integer from 0 to 19/);
    }
  });
});
