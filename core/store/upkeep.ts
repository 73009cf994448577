/** Start-up upkeep of a data folder: finish interrupted deletions, remove temp files killed writers left behind. */
import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { RUNS_DIR } from './index-file.js';

/** A temp file older than this was left by a killed writer (a live write renames its temp within milliseconds). */
const STALE_TEMP_MS = 60_000;

/** Finishes deletions a crash interrupted (see deleteRun). */
export async function removeTrash(home: string): Promise<void> {
  const entries = await readdir(join(home, RUNS_DIR));
  await Promise.all(
    entries.filter((n) => n.startsWith('.trash-')).map((n) => rm(join(home, RUNS_DIR, n), { recursive: true, force: true })),
  );
}

/** Temp files of atomic writes (`.<name>.<8 hex>.tmp`, steno's `.<name>.tmp`) left behind by killed writers. */
const TEMP_FILE = /^\..+\.(?:[0-9a-f]{8}\.)?tmp$/;

async function removeStaleTemps(dir: string, now: number): Promise<void> {
  const names = await readdir(dir).catch(() => [] as string[]);
  await Promise.all(
    names
      .filter((n) => TEMP_FILE.test(n))
      .map(async (n) => {
        const path = join(dir, n);
        const s = await stat(path).catch(() => null);
        if (s?.isFile() && now - s.mtimeMs > STALE_TEMP_MS) await rm(path, { force: true }).catch(() => undefined);
      }),
  );
}

/** Removes stale temp files from the data folder and every run folder (start-up upkeep). */
export async function cleanStaleTemps(home: string): Promise<void> {
  const now = Date.now();
  await removeStaleTemps(home, now);
  const runs = await readdir(join(home, RUNS_DIR)).catch(() => [] as string[]);
  for (let i = 0; i < runs.length; i += 32) {
    await Promise.all(runs.slice(i, i + 32).filter((n) => !n.startsWith('.')).map((n) => removeStaleTemps(join(home, RUNS_DIR, n), now)));
  }
}
