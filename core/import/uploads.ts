/**
 * Imports uploaded from the app (browser mode has no file paths): the page sends each file in base64 chunks over
 * the API (`import:upload`, each message well under the WebSocket's 1 MiB frame and the API's 20k-character
 * strings), then `import:commit` groups the files into runs exactly as a folder on disk would be (event files of
 * one folder are one run; each monitor.csv is one) and imports them all or nothing. Uploads live in memory only,
 * are bounded in size, and are dropped after a commit, an error, or ten idle minutes.
 */
import { basename, posix } from 'node:path';
import type { RunStore } from '../store/index.js';
import { ImportError } from './errors.js';
import { labelOf, type ParsedRun, parseSources, type SourceGroup, writeRuns } from './index.js';
import type { RunRecord } from '../store/index.js';

export const UPLOAD_LIMITS = {
  /** Bytes in one upload (all its files). */
  maxBytes: 256 * 1024 * 1024,
  maxFiles: 200,
  /** Uploads open at once (per back end). */
  maxOpen: 8,
  idleMs: 10 * 60 * 1000,
} as const;

const EVENT_FILE = /^events\.out\.tfevents\./;
const MONITOR_FILE = /(^|\.)monitor\.csv$/;

interface OpenUpload {
  files: Map<string, Buffer[]>;
  sizes: Map<string, number>;
  bytes: number;
  touched: number;
}

export interface UploadChunk {
  uploadId: string;
  /** The file's path inside what the user picked (`run-a/events.out.tfevents.…`), `/`-separated. */
  path: string;
  /** Byte offset of this chunk in the file: chunks must arrive in order. */
  offset: number;
  /** Base64 pieces, decoded and appended in order. */
  data: readonly string[];
}

/** A relative upload path, checked: no absolute paths, no `..`, no empty parts. */
export function checkUploadPath(path: string): string {
  const parts = path.split('/');
  if (path.startsWith('/') || parts.some((p) => p === '' || p === '.' || p === '..' || p.includes('\\'))) {
    throw new ImportError(`upload path ${JSON.stringify(path)} must be relative, with no empty, "." or ".." parts`);
  }
  const name = parts.at(-1)!;
  if (!EVENT_FILE.test(name) && !MONITOR_FILE.test(name)) {
    throw new ImportError(`${path}: neither a TensorBoard event file (events.out.tfevents.*) nor an SB3 monitor.csv`);
  }
  return path;
}

export class Uploads {
  readonly #open = new Map<string, OpenUpload>();

  #sweep(now: number): void {
    for (const [id, u] of this.#open) if (now - u.touched > UPLOAD_LIMITS.idleMs) this.#open.delete(id);
  }

  /** Appends one chunk; returns the bytes the file has so far. */
  receive(chunk: UploadChunk, now = Date.now()): { received: number } {
    this.#sweep(now);
    const path = checkUploadPath(chunk.path);
    let u = this.#open.get(chunk.uploadId);
    if (!u) {
      if (this.#open.size >= UPLOAD_LIMITS.maxOpen) throw new ImportError(`too many imports in progress (${UPLOAD_LIMITS.maxOpen}); finish or wait for one`);
      u = { files: new Map(), sizes: new Map(), bytes: 0, touched: now };
      this.#open.set(chunk.uploadId, u);
    }
    u.touched = now;
    const size = u.sizes.get(path) ?? 0;
    if (!u.files.has(path) && u.files.size >= UPLOAD_LIMITS.maxFiles) this.#fail(chunk.uploadId, `an import takes at most ${UPLOAD_LIMITS.maxFiles} files`);
    if (chunk.offset !== size) this.#fail(chunk.uploadId, `${path}: chunk at byte ${chunk.offset}, but ${size} bytes have arrived (chunks must come in order)`);
    const parts = chunk.data.map((d, i) => {
      if (d.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(d)) this.#fail(chunk.uploadId, `${path}: chunk piece ${i} is not base64`);
      return Buffer.from(d, 'base64');
    });
    const added = parts.reduce((s, p) => s + p.length, 0);
    if (u.bytes + added > UPLOAD_LIMITS.maxBytes) this.#fail(chunk.uploadId, `an import takes at most ${UPLOAD_LIMITS.maxBytes / 1024 / 1024} MiB`);
    const list = u.files.get(path) ?? [];
    list.push(...parts);
    u.files.set(path, list);
    u.sizes.set(path, size + added);
    u.bytes += added;
    return { received: size + added };
  }

  #fail(uploadId: string, message: string): never {
    this.#open.delete(uploadId);
    throw new ImportError(message);
  }

  /** The uploaded files as runs (one per folder of event files, one per monitor.csv). */
  groups(uploadId: string): SourceGroup[] {
    const u = this.#open.get(uploadId);
    if (!u || u.files.size === 0) throw new ImportError(`no files were uploaded for import ${uploadId}`);
    const folders = new Map<string, SourceGroup>();
    const out: SourceGroup[] = [];
    for (const [path, parts] of [...u.files].sort(([a], [b]) => a.localeCompare(b))) {
      const bytes = new Uint8Array(Buffer.concat(parts));
      const name = basename(path);
      if (MONITOR_FILE.test(name)) {
        out.push({ format: 'sb3-monitor', path, label: labelOf(path.includes('/') ? path : `upload/${path}`), files: [{ rel: name, bytes }] });
        continue;
      }
      const dir = posix.dirname(path);
      let g = folders.get(dir);
      if (!g) {
        g = { format: 'tensorboard', path: dir === '.' ? path : dir, label: dir === '.' ? 'upload' : posix.basename(dir), files: [] };
        folders.set(dir, g);
        out.push(g);
      }
      g.files.push({ rel: name, bytes });
    }
    return out;
  }

  /** Parses and imports everything uploaded under `uploadId`, all or nothing; the upload is dropped either way. */
  async commit(store: RunStore, uploadId: string, name?: string): Promise<{ runs: RunRecord[]; parsed: ParsedRun[] }> {
    try {
      const parsed = await parseSources(this.groups(uploadId), name !== undefined ? { name } : {});
      return { runs: await writeRuns(store, parsed), parsed };
    } finally {
      this.#open.delete(uploadId);
    }
  }

  /** Forgets an upload (the user cancelled). */
  discard(uploadId: string): void {
    this.#open.delete(uploadId);
  }
}
