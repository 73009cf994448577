/**
 * Telling a dead writer from a live one. A run record names the process that owns it (`owner`: pid, the
 * process's start time, host); a pid alone is not enough, because after a crash the pid can be reused by an
 * unrelated process. On Linux the start time is field 22 of /proc/<pid>/stat (clock ticks since boot, fixed for
 * the life of a process); where /proc is missing (macOS, Windows) it is null and only the pid is checked.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { isNodeError } from './errors.js';
import type { RunOwner } from './schema.js';

/** The process's start time as an opaque string (Linux: boot-relative clock ticks), or null where unknown. */
export function processStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may contain spaces: count fields after its last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19] ?? null; // field 22 overall = index 19 after the name
  } catch {
    return null;
  }
}

let self: RunOwner | null = null;

/** This process as a run owner. */
export function currentOwner(kind: RunOwner['kind']): RunOwner {
  self ??= { pid: process.pid, startTime: processStartTime(process.pid), host: hostname(), kind: 'cli' };
  return { ...self, kind };
}

/** True if a process with this pid exists (EPERM means it exists but belongs to someone else). */
export function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return isNodeError(e) && e.code === 'EPERM';
  }
}

export type Liveness = 'alive' | 'dead' | 'unknown';

/**
 * Whether the owner process still runs: `dead` when its pid is gone or now belongs to a process that started at
 * another time; `unknown` for an owner on another host (a shared folder), whose processes cannot be checked.
 */
export function ownerLiveness(owner: RunOwner): Liveness {
  if (owner.host !== hostname()) return 'unknown';
  if (!pidExists(owner.pid)) return 'dead';
  if (owner.startTime === null) return 'alive';
  const now = processStartTime(owner.pid);
  return now === null || now === owner.startTime ? 'alive' : 'dead';
}

/** True when `owner` is this very process. */
export function isCurrentProcess(owner: RunOwner): boolean {
  const me = currentOwner(owner.kind);
  return owner.pid === me.pid && owner.host === me.host && owner.startTime === me.startTime;
}

/** Who holds a queued/running record, in words: `a CLI process (pid 123)`, `a PolicyLab app (pid 45)`. */
export function describeOwner(run: { owner?: RunOwner | null; pid: number | null }): string {
  if (run.owner) return `${run.owner.kind === 'cli' ? 'a CLI process' : 'a PolicyLab app'} (pid ${run.owner.pid})`;
  return `a training process (pid ${run.pid ?? '?'})`;
}
