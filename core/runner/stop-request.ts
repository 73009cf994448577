/**
 * Stopping one run that another RunManager trains (a `policylab sweep` command, a second app). SIGINT cannot do it:
 * `policylab sweep` stops its whole sweep on SIGINT, as on Ctrl-C. So the asking process writes
 * runs/<id>/stop-request.json naming the owner it means; the owner's folder poll (every FOLDER_POLL_MS) takes the file
 * and stops that run as if asked locally (queued: never starts; running: checkpoints and exits). A request naming
 * another process (a stale one, the run since resumed elsewhere) is removed unheeded.
 */
import { readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunOwner } from '../store/index.js';

export const STOP_REQUEST_FILE = 'stop-request.json';

export interface StopRequest {
  /** The process the request is for (the run's owner when it was asked). */
  target: Pick<RunOwner, 'pid' | 'startTime' | 'host'>;
  /** Who asked, for the run's log. */
  from: RunOwner;
  at: string;
}

/** Written whole (temp file, then rename), so the owner never reads half a request. */
export async function writeStopRequest(runDir: string, request: StopRequest): Promise<void> {
  const temp = join(runDir, `.${STOP_REQUEST_FILE}.${process.pid}.tmp`);
  await writeFile(temp, JSON.stringify(request));
  await rename(temp, join(runDir, STOP_REQUEST_FILE));
}

/** True while a request is waiting for its owner to take it. */
export async function stopRequestPending(runDir: string): Promise<boolean> {
  return stat(join(runDir, STOP_REQUEST_FILE)).then(
    () => true,
    () => false,
  );
}

export async function removeStopRequest(runDir: string): Promise<void> {
  await rm(join(runDir, STOP_REQUEST_FILE), { force: true });
}

/**
 * Takes (reads and removes) a run's request if there is one: the request when it is for `self`, null when there is
 * none, it is for another process, or it cannot be read (a damaged file is removed too, so it is not read again).
 */
export async function takeStopRequest(runDir: string, self: Pick<RunOwner, 'pid' | 'startTime' | 'host'>): Promise<StopRequest | null> {
  let text: string;
  try {
    text = await readFile(join(runDir, STOP_REQUEST_FILE), 'utf8');
  } catch {
    return null;
  }
  await removeStopRequest(runDir);
  try {
    const r = JSON.parse(text) as StopRequest;
    const t = r.target;
    return t && t.pid === self.pid && t.host === self.host && t.startTime === self.startTime ? r : null;
  } catch {
    return null;
  }
}
