/** Small filesystem helpers shared by the store: atomic file writes and crash-safe directory swaps. */
import { randomBytes } from 'node:crypto';
import { open, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { isNodeError } from './errors.js';

/** A unique sibling name for temp files, so two writers never share one (`.<name>.<rand>.tmp`). */
export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${randomBytes(4).toString('hex')}.tmp`);
}

/** A filesystem-safe UTC timestamp (no `:`, which Windows forbids): `20240102T030405.678Z`. */
export function fileTimestamp(date = new Date()): string {
  return date.toISOString().replace(/[-:]/g, '');
}

/**
 * Writes `data` to `path` atomically: write a temp file beside it, optionally fsync it, rename over
 * the target. Readers see the old or the new file, never a torn one. The temp file is removed on failure.
 */
export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  options: { fsync?: boolean } = {},
): Promise<void> {
  const tmp = tempPathFor(path);
  let ok = false;
  try {
    const fh = await open(tmp, 'w');
    try {
      await writeAll(fh, typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
      if (options.fsync) await fh.sync();
    } finally {
      await fh.close();
    }
    await renameWithRetry(tmp, path);
    ok = true;
  } finally {
    if (!ok) await rm(tmp, { force: true }).catch(() => undefined);
  }
  if (options.fsync) await fsyncDir(dirname(path));
}

/** `fh.write` may write fewer bytes than asked; loop until everything is out. */
export async function writeAll(
  fh: import('node:fs/promises').FileHandle,
  data: Uint8Array,
  position?: number,
): Promise<void> {
  let done = 0;
  while (done < data.byteLength) {
    const { bytesWritten } = await fh.write(data, done, data.byteLength - done, position === undefined ? null : position + done);
    done += bytesWritten;
  }
}

/**
 * rename() can fail transiently on Windows when another process (a virus scanner, an indexer, a
 * reader) holds the target open; retry a few times like steno does before giving up.
 */
export async function renameWithRetry(from: string, to: string, tries = 10): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      await rename(from, to);
      return;
    } catch (e) {
      const transient = isNodeError(e) && (e.code === 'EPERM' || e.code === 'EACCES' || e.code === 'EBUSY');
      if (!transient || i >= tries - 1 || process.platform !== 'win32') throw e;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** Makes a rename durable (POSIX). Directories cannot be opened for sync on Windows; skip quietly there. */
export async function fsyncDir(dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  try {
    const fh = await open(dir, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch {
    // Some filesystems refuse fsync on directories; the rename itself already happened.
  }
}

export async function pathExists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (e) {
    if (isNodeError(e) && e.code === 'ENOENT') return false;
    throw e;
  }
}

/** Throws unless every value is plain JSON (objects, arrays, strings, booleans, null, finite numbers). */
export function assertJsonValue(value: unknown, where: string, seen = new Set<object>()): void {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`${where} must be a finite number, got ${value}`);
    return;
  }
  if (typeof value !== 'object') throw new TypeError(`${where} must be JSON data, got a ${typeof value}`);
  if (seen.has(value)) throw new TypeError(`${where} contains a circular reference`);
  seen.add(value);
  if (Array.isArray(value)) {
    value.forEach((v, i) => assertJsonValue(v, `${where}[${i}]`, seen));
  } else {
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      throw new TypeError(`${where} must be a plain object or array, got ${proto?.constructor?.name ?? 'an object'}`);
    }
    for (const [k, v] of Object.entries(value)) assertJsonValue(v, `${where}.${k}`, seen);
  }
  seen.delete(value);
}

/** Byte offset just past the last complete line of a file (0 when missing): where a tail of a JSONL file starts. */
export async function lineAlignedSize(path: string): Promise<number> {
  const size = await stat(path).then((s) => s.size, () => 0);
  if (size === 0) return 0;
  const fh = await open(path, 'r');
  try {
    const chunk = Buffer.alloc(Math.min(size, 64 * 1024));
    for (let end = size; end > 0; end -= chunk.length) {
      const start = Math.max(0, end - chunk.length);
      const { bytesRead } = await fh.read(chunk, 0, end - start, start);
      const nl = chunk.subarray(0, bytesRead).lastIndexOf(10);
      if (nl >= 0) return start + nl + 1;
    }
    return 0;
  } finally {
    await fh.close();
  }
}
