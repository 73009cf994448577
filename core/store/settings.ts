/**
 * The app's settings, kept in the data folder (`settings.json`) so they outlive a restart and are shared by every
 * app instance on the folder: today "Runs at once" (maxConcurrent). Written atomically; validated on read — a
 * damaged or foreign file is moved aside (`settings.json.corrupt-<time>`) and reported, and the defaults apply.
 * An explicit choice at launch (`--max-runs`, POLICYLAB_MAX_RUNS) wins over the saved value for that launch.
 */
import { readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { errorMessage, isNodeError } from './errors.js';
import { fileTimestamp, writeFileAtomic } from './fs-utils.js';
import { withFileLock } from './lock.js';

export const SETTINGS_FILE = 'settings.json';

export const AppSettingsSchema = z.strictObject({
  maxConcurrent: z.int().min(1).max(64).optional(),
});
export type AppSettings = z.infer<typeof AppSettingsSchema>;

const FileSchema = z.strictObject({ schemaVersion: z.literal(1), settings: AppSettingsSchema });

/** The saved settings; `problem` says what was wrong with a file that had to be set aside (then the defaults). */
export async function readSettings(home: string): Promise<{ settings: AppSettings; problem: string | null }> {
  const path = join(home, SETTINGS_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if (isNodeError(e) && e.code === 'ENOENT') return { settings: {}, problem: null };
    throw e;
  }
  let why: string;
  try {
    const parsed = FileSchema.safeParse(JSON.parse(text));
    if (parsed.success) return { settings: parsed.data.settings, problem: null };
    why = parsed.error.issues.map((i) => `${i.path.join('.') || 'file'}: ${i.message}`).join('; ');
  } catch (e) {
    why = `not valid JSON (${errorMessage(e)})`;
  }
  const aside = `${path}.corrupt-${fileTimestamp()}`;
  await rename(path, aside).catch(() => undefined);
  return { settings: {}, problem: `${SETTINGS_FILE} was damaged (${why}); moved aside to ${aside}, the defaults apply` };
}

/** Merges `patch` into the saved settings (read-modify-write under the file's lock: app instances may share a folder). */
export async function saveSettings(home: string, patch: AppSettings): Promise<AppSettings> {
  const checked = AppSettingsSchema.parse(patch);
  const path = join(home, SETTINGS_FILE);
  return withFileLock(path, async () => {
    const { settings } = await readSettings(home);
    const next = { ...settings, ...checked };
    await writeFileAtomic(path, `${JSON.stringify({ schemaVersion: 1, settings: next }, null, 2)}\n`, { fsync: true });
    return next;
  });
}
