/** The run record's own rules: how a patch changes it, its running time, its run.json text and order. */
import { type RunFile, type RunPatch, type RunRecord, SCHEMA_VERSION, TERMINAL_STATUSES } from './schema.js';

export function runFileText(run: RunRecord): string {
  const file: RunFile = { schemaVersion: SCHEMA_VERSION, run };
  return `${JSON.stringify(file, null, 2)}\n`;
}

export function byCreation(a: RunRecord, b: RunRecord): number {
  return a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id);
}

/** Applies a validated patch to a record in place (the status transitions documented on updateRun). */
export function applyPatch(run: RunRecord, p: RunPatch, now: string): void {
  if (p.status !== undefined && p.status !== run.status) {
    if (p.status === 'running' || p.status === 'queued') {
      if (p.status === 'running') {
        run.startedAt ??= now;
        run.runningSince = now;
      }
      run.endedAt = null;
      run.error = null;
    } else if (TERMINAL_STATUSES.includes(p.status)) {
      endSession(run, now);
      run.endedAt = now;
      run.pid = null;
      run.owner = null;
      run.pidStartTime = null;
    }
  }
  for (const [key, value] of Object.entries(p)) {
    if (value !== undefined) (run as Record<string, unknown>)[key] = value;
  }
  run.updatedAt = now;
}

/**
 * Milliseconds a run has spent running in sessions that have ended (a stop → resume gap is not counted). Records
 * from before `activeMs` existed count startedAt → endedAt (what they showed then, paused time included).
 */
export function activeMsOf(run: Pick<RunRecord, 'activeMs' | 'startedAt' | 'endedAt'>): number {
  if (run.activeMs !== undefined) return run.activeMs;
  if (!run.startedAt || !run.endedAt) return 0;
  return Math.max(0, Date.parse(run.endedAt) - Date.parse(run.startedAt));
}

/** Closes the run's current running session at `end` (ISO time), adding its length to activeMs. */
export function endSession(run: RunRecord, end: string): void {
  const since = run.runningSince ?? null;
  const ms = activeMsOf(run) + (since ? Math.max(0, Date.parse(end) - Date.parse(since)) : 0);
  run.activeMs = Math.round(ms);
  run.runningSince = null;
}
