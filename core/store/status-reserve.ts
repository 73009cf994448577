/**
 * A run's status reserve: `runs/<id>/status.reserve`, 4 KiB of blanks written (and fsynced) when a run starts
 * training. When the disk is full, a status change that run.json's atomic rewrite cannot store (a new file needs
 * new blocks) is written into these blocks in place instead — overwriting allocated blocks needs no free space — so
 * a process that exits while the disk is still full leaves its real outcome behind: the next reader that finds the
 * owner gone records that (`failed`, with the error) rather than `crashed`, and blanks the reserve again.
 * An unreadable or foreign reserve is ignored (the run is then marked crashed, as without one).
 */
import { open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type RunPatch, RunPatchSchema } from './schema.js';

export const RESERVE_FILE = 'status.reserve';
export const RESERVE_BYTES = 4096;

const BLANK = Buffer.alloc(RESERVE_BYTES, 0x20);

interface ReserveBody {
  kind: 'policylab-status-reserve';
  writtenAt: string;
  patch: RunPatch;
}

/** Writes the blank reserve unless one of the right size is there. Best effort: a full disk leaves none. */
export async function ensureReserve(runDir: string): Promise<void> {
  const path = join(runDir, RESERVE_FILE);
  let fh;
  try {
    fh = await open(path, 'wx');
  } catch {
    return; // there already (EEXIST), or no room for it
  }
  try {
    await fh.write(BLANK, 0, RESERVE_BYTES, 0);
    await fh.sync();
  } catch {
    /* full already: no reserve for this run */
  } finally {
    await fh.close();
  }
}

/**
 * Writes a status change into the reserve's blocks, in place. Returns whether it was stored (false: no reserve, or
 * the patch does not fit in 4 KiB even without its summary and config).
 */
export async function writeReserve(runDir: string, patch: RunPatch, now = new Date()): Promise<boolean> {
  const slim: RunPatch = {};
  for (const key of ['status', 'error', 'step', 'endedAt'] as const) if (key in patch) (slim as Record<string, unknown>)[key] = patch[key];
  if (slim.error?.message && slim.error.message.length > 2000) slim.error = { ...slim.error, message: `${slim.error.message.slice(0, 2000)}…` };
  const body: ReserveBody = { kind: 'policylab-status-reserve', writtenAt: now.toISOString(), patch: slim };
  const bytes = Buffer.from(JSON.stringify(body));
  if (bytes.length > RESERVE_BYTES) return false;
  let fh;
  try {
    fh = await open(join(runDir, RESERVE_FILE), 'r+');
  } catch {
    return false;
  }
  try {
    if ((await fh.stat()).size !== RESERVE_BYTES) return false;
    const page = Buffer.from(BLANK);
    bytes.copy(page);
    await fh.write(page, 0, RESERVE_BYTES, 0);
    await fh.sync();
    return true;
  } catch {
    return false;
  } finally {
    await fh.close();
  }
}

/** The status change the reserve holds, or null (blank, missing, damaged or not ours). */
export async function readReserve(runDir: string): Promise<{ writtenAt: string; patch: RunPatch } | null> {
  let text: string;
  try {
    text = (await readFile(join(runDir, RESERVE_FILE), 'utf8')).trim();
  } catch {
    return null;
  }
  if (text === '') return null;
  try {
    const body = JSON.parse(text) as Partial<ReserveBody>;
    if (body.kind !== 'policylab-status-reserve' || typeof body.writtenAt !== 'string') return null;
    const patch = RunPatchSchema.safeParse(body.patch);
    return patch.success ? { writtenAt: body.writtenAt, patch: patch.data } : null;
  } catch {
    return null;
  }
}

/** Blanks the reserve in place (once what it held is in run.json). Best effort. */
export async function clearReserve(runDir: string): Promise<void> {
  let fh;
  try {
    fh = await open(join(runDir, RESERVE_FILE), 'r+');
  } catch {
    return;
  }
  try {
    await fh.write(BLANK, 0, RESERVE_BYTES, 0);
    await fh.sync();
  } catch {
    /* left as is: read again at the next open */
  } finally {
    await fh.close();
  }
}
