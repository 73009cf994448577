/**
 * Browser mode's saved session: the port and access token of the last `policylab serve` / `npm start` on a data
 * folder, kept in `<home>/browser-session.json` with owner-only permissions (0600), so a restart listens on the same
 * port with the same token and an open tab reconnects instead of showing "Reconnecting…" forever.
 * `--new-token` rotates the token; a file readable by others is treated as leaked and its token rotated too.
 */
import { randomBytes } from 'node:crypto';
import { chmod, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { isNodeError } from '../store/errors.js';
import { renameWithRetry, tempPathFor, writeAll } from '../store/fs-utils.js';

export const SESSION_FILE = 'browser-session.json';

export const TOKEN_PATTERN = /^[A-Za-z0-9_-]{16,128}$/;

const SessionSchema = z
  .object({
    version: z.literal(1),
    port: z.number().int().min(1).max(65535),
    token: z.string().regex(TOKEN_PATTERN),
  })
  .strict();
export type BrowserSession = z.infer<typeof SessionSchema>;

export function newToken(): string {
  return randomBytes(24).toString('base64url');
}

export function sessionPath(home: string): string {
  return join(home, SESSION_FILE);
}

export interface LoadedSession {
  /** The saved session, or null when there is none usable. */
  saved: BrowserSession | null;
  /** One line per thing the user should know (a damaged file moved aside, a token rotated because of its mode). */
  notes: string[];
  /** True when the saved token must not be reused (file readable by group/others). */
  leaked: boolean;
}

/** Reads the saved session; a damaged file is moved aside (never overwritten) and reported. */
export async function loadSession(home: string): Promise<LoadedSession> {
  const path = sessionPath(home);
  let text: string;
  let mode: number;
  try {
    [text, mode] = await Promise.all([readFile(path, 'utf8'), stat(path).then((s) => s.mode)]);
  } catch (e) {
    if (isNodeError(e) && e.code === 'ENOENT') return { saved: null, notes: [], leaked: false };
    throw new Error(`browser session ${path}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  let parsed: BrowserSession | null = null;
  let why = '';
  try {
    const r = SessionSchema.safeParse(JSON.parse(text));
    if (r.success) parsed = r.data;
    else why = r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
  } catch (e) {
    why = e instanceof Error ? e.message : String(e);
  }
  if (!parsed) {
    const aside = `${path}.damaged-${Date.now().toString(36)}`;
    await rename(path, aside);
    return { saved: null, notes: [`${path} was not a valid session (${why}); moved it to ${aside} and started a new one`], leaked: false };
  }
  // POSIX permission bits only: Windows reports 0o666 for any writable file and has no group/other bits to check.
  const leaked = process.platform !== 'win32' && (mode & 0o077) !== 0;
  const notes = leaked ? [`${path} was readable by other users (mode ${(mode & 0o777).toString(8)}); its token was rotated and the file made owner-only`] : [];
  return { saved: parsed, notes, leaked };
}

/** Writes the session atomically with mode 0600 (the temp file is created owner-only, so the token never lies open). */
export async function saveSession(home: string, session: Omit<BrowserSession, 'version'>): Promise<string> {
  const path = sessionPath(home);
  const value = SessionSchema.parse({ version: 1, ...session });
  const tmp = tempPathFor(path);
  try {
    const fh = await open(tmp, 'wx', 0o600);
    try {
      await writeAll(fh, Buffer.from(`${JSON.stringify(value, null, 2)}\n`, 'utf8'));
    } finally {
      await fh.close();
    }
    await chmod(tmp, 0o600); // the umask cannot widen it, but a filesystem that ignored the mode gets it now
    await renameWithRetry(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw new Error(`cannot save the browser session to ${path}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  return path;
}
