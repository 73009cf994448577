/**
 * How a training process's end is recorded: the run's final status, error and log line for each outcome.
 * Pure, so the wording and the mapping are tested without processes.
 */
import type { RunPatch } from '../store/index.js';
import type { Outcome } from './training-process.js';

/** The patch for the run record and the system log line, for every outcome but `deleted` (nothing to record). */
export function endOfRun(outcome: Exclude<Outcome, { kind: 'deleted' }>, step: number): { patch: RunPatch; log: string | null } {
  switch (outcome.kind) {
    case 'done':
      return {
        patch: { status: outcome.status, error: null, backend: outcome.backend, ...(outcome.episodes !== undefined ? { episodes: outcome.episodes } : {}) },
        log: `${outcome.status} at step ${step}`,
      };
    case 'failed':
      return {
        patch: { status: 'failed', error: { message: outcome.message, ...(outcome.stack ? { stack: outcome.stack } : {}) } },
        log: `failed: ${outcome.message}`,
      };
    case 'cancelled':
      return { patch: { status: 'stopped' }, log: null };
    default: {
      const message =
        outcome.kind === 'killed-after-timeout'
          ? `did not stop within ${Math.round(outcome.timeoutMs / 1000)} s and was killed; resume continues from the last checkpoint`
          : `the training process ${outcome.signal ? `was killed by ${outcome.signal}` : `exited with code ${outcome.code}`} without reporting${
              outcome.lastStderr ? `: ${outcome.lastStderr}` : ''
            }`;
      return { patch: { status: 'crashed', error: { message } }, log: `crashed: ${message}` };
    }
  }
}
