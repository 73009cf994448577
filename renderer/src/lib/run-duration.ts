import type { RunInfo } from '../../../core/api/contract.js';

/** Seconds a run has spent running (paused time between a stop and a resume excluded); null before it started. */
export function runDuration(run: RunInfo, now = Date.now()): number | null {
  if (!run.startedAt) return null;
  const running = run.runningSince !== null && (run.status === 'running' || run.status === 'stopping');
  return run.activeSeconds + (running ? Math.max(0, now - Date.parse(run.runningSince!)) / 1000 : 0);
}
