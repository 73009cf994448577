/**
 * Restarting a run from step 0 (it has no intact checkpoint to resume from) never deletes what it logged: the
 * metric stream and recorded episodes are renamed aside with the restart's time; only the derived column index
 * (metrics.idx/, rebuilt from metrics.jsonl) is removed.
 */
import { rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isNodeError } from './errors.js';
import { fileTimestamp } from './fs-utils.js';

export interface SetAside {
  /** Where the earlier metrics now are (`metrics.jsonl.before-restart-<time>`), or null when there were none. */
  metrics: string | null;
  episodes: string | null;
}

async function moveIfPresent(from: string, to: string, nonEmptyFile: boolean): Promise<string | null> {
  try {
    const s = await stat(from);
    if (nonEmptyFile && s.isFile() && s.size === 0) {
      await rm(from, { force: true });
      return null;
    }
    await rename(from, to);
    return to;
  } catch (e) {
    if (isNodeError(e) && e.code === 'ENOENT') return null;
    throw e;
  }
}

/** Moves a run's metrics and episodes aside before it restarts from step 0; returns where they went. */
export async function setAsideForRestart(runDir: string, now = new Date()): Promise<SetAside> {
  const suffix = `before-restart-${fileTimestamp(now)}`;
  const metrics = await moveIfPresent(join(runDir, 'metrics.jsonl'), join(runDir, `metrics.jsonl.${suffix}`), true);
  await rm(join(runDir, 'metrics.idx'), { recursive: true, force: true });
  const episodes = await moveIfPresent(join(runDir, 'episodes'), join(runDir, `episodes.${suffix}`), false);
  return { metrics, episodes };
}
