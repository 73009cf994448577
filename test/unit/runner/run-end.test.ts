import { describe, expect, it } from 'vitest';
import { endOfRun } from '../../../core/runner/run-end.js';

const backend = { name: 'wasm', tfjsVersion: '4.22.0', skipped: [] };

describe('endOfRun', () => {
  it('records each outcome as a status, an error and a log line', () => {
    expect(endOfRun({ kind: 'done', status: 'finished', step: 100, backend, episodes: 7 }, 100)).toEqual({
      patch: { status: 'finished', error: null, backend, episodes: 7 },
      log: 'finished at step 100',
    });
    expect(endOfRun({ kind: 'failed', message: 'bad lr', stack: 'at x' }, 5)).toEqual({
      patch: { status: 'failed', error: { message: 'bad lr', stack: 'at x' } },
      log: 'failed: bad lr',
    });
    expect(endOfRun({ kind: 'cancelled' }, 0)).toEqual({ patch: { status: 'stopped' }, log: null });
    const killed = endOfRun({ kind: 'killed-after-timeout', timeoutMs: 10_000 }, 50);
    expect(killed.patch.status).toBe('crashed');
    expect(killed.log).toBe(`crashed: ${killed.patch.error!.message}`);
    expect(killed.patch.error!.message).toMatch(/did not stop within 10 s and was killed/);
    expect(endOfRun({ kind: 'died', code: 3, signal: null, lastStderr: 'Error: boom' }, 50).patch.error!.message).toBe(
      'the training process exited with code 3 without reporting: Error: boom',
    );
    expect(endOfRun({ kind: 'died', code: null, signal: 'SIGKILL', lastStderr: null }, 50).patch.error!.message).toBe(
      'the training process was killed by SIGKILL without reporting',
    );
  });
});
