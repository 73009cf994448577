/**
 * Checkpoints: runs/<id>/checkpoints/<step>/ — everything an exact resume needs.
 *   checkpoint.json      step, time, metrics at save time, model and array names, and `checksums`: the xxhash64 of
 *                        every other file of the checkpoint by its path in the folder (checksum.ts), plus its own
 *                        `checksum` (of its other fields), so any changed byte is caught
 *   <model>/model.json   tfjs layout (model-files.ts), one folder per model (actor, critic, …)
 *   <model>/weights.bin
 *   arrays.json + arrays.bin   named typed arrays (optimizer moments, normaliser stats, …) in one
 *                              little-endian file, 8-byte aligned, described by the manifest
 *   state.json           JSON state: RNG states, counters, optimizer scalars, …
 * A checkpoint is assembled in `checkpoints/.tmp-<step>-<rand>/` and renamed into place, so a
 * reader (or a process killed mid-save) sees a whole checkpoint or none. Removal renames to
 * `.del-…` before deleting, for the same reason.
 *
 * Every read is checked: listing verifies checkpoint.json and arrays.json, loading verifies every file it reads
 * (checksums where the checkpoint has them, structure and lengths always). A checkpoint that fails is damaged, never
 * loaded: `loadCheckpoint(dir, 'latest')` skips it for the newest intact one and returns what it skipped (path and
 * reason) for the caller to show; a resume moves the damaged ones it skipped aside to `checkpoints/damaged-<step>-<time>/`
 * (with a note `….json` saying why), so a later save at that step cannot overwrite them. Checkpoints written before
 * checksums existed load as before and count as unverified, not damaged.
 */
import type { io } from '@tensorflow/tfjs';
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { endianness } from 'node:os';
import { join, relative } from 'node:path';
import { type Checksummer, checksummer, DamagedFileError, MISMATCH, selfVerdict, withSelfChecksum } from './checksum.js';
import { errorMessage, isNodeError, StoreError } from './errors.js';
import { assertJsonValue, fileTimestamp, fsyncDir, writeFileAtomic } from './fs-utils.js';
import { checkBytes, readChecked, readModelArtifacts, validateArtifacts, writeFileSynced, writeModelArtifacts } from './model-files.js';

export const CHECKPOINTS_DIR = 'checkpoints';
const META_FILE = 'checkpoint.json';
const STATE_FILE = 'state.json';
const ARRAYS_JSON = 'arrays.json';
const ARRAYS_BIN = 'arrays.bin';
const MODEL_NAME = /^[A-Za-z0-9_-]{1,64}$/;

export type CheckpointArray = Float32Array | Float64Array | Int32Array | Uint8Array;

export interface CheckpointData<S = unknown> {
  /** Environment step the checkpoint was taken at (its folder name). */
  step: number;
  /** tfjs models by name (`actor`, `critic`): `model.save(tf.io.withSaveHandler(...))` artifacts. */
  models?: Record<string, io.ModelArtifacts>;
  /** Named typed arrays; loaded back as the same array type. */
  arrays?: Record<string, CheckpointArray>;
  /** Any JSON data (finite numbers only). */
  state?: S;
  /** Metric values at save time; `keepBest` ranks checkpoints by one of them. */
  metrics?: Record<string, number>;
}

export interface CheckpointPolicy {
  /** Keep the newest `keepLast` checkpoints (>= 1). */
  keepLast: number;
  /** Also keep the checkpoint with the best value of `metric` (checkpoints without it never rank). */
  keepBest?: { metric: string; mode: 'max' | 'min' };
}

export interface CheckpointInfo {
  step: number;
  createdAt: string;
  metrics: Record<string, number>;
  models: string[];
  arrays: string[];
  dir: string;
  /** False for a checkpoint written before checksums existed (readable, but its bytes cannot be verified). */
  verified: boolean;
}

/** A checkpoint that failed its check: which file, and what was wrong with it. */
export interface DamagedCheckpoint {
  step: number;
  /** Where the checkpoint's folder is now (moved aside by a resume: `checkpoints/damaged-<step>-<time>`). */
  dir: string;
  /** Full path of the file that failed. */
  file: string;
  reason: string;
}

export interface LoadedCheckpoint<S = unknown> {
  step: number;
  createdAt: string;
  models: Record<string, io.ModelArtifacts>;
  arrays: Record<string, CheckpointArray>;
  state: S;
  metrics: Record<string, number>;
  dir: string;
  verified: boolean;
  /** Damaged checkpoints newer than this one that a 'latest' load passed over, newest first (empty otherwise). */
  skipped: DamagedCheckpoint[];
}

interface Meta {
  version: 1;
  step: number;
  createdAt: string;
  metrics: Record<string, number>;
  models: string[];
  /** Checksum of every other file, by its path in the checkpoint folder (absent before checksums existed). */
  checksums?: Record<string, string>;
  /** Checksum of this file's other fields (checksum.ts, withSelfChecksum). */
  checksum?: string;
}

interface ArraysManifest {
  version: 1;
  byteOrder: 'little';
  arrays: { name: string; dtype: DType; length: number; byteOffset: number }[];
}

const DTYPES = {
  float32: Float32Array,
  float64: Float64Array,
  int32: Int32Array,
  uint8: Uint8Array,
} as const;
type DType = keyof typeof DTYPES;

function dtypeOf(a: unknown): DType | null {
  if (a instanceof Float32Array) return 'float32';
  if (a instanceof Float64Array) return 'float64';
  if (a instanceof Int32Array) return 'int32';
  if (a instanceof Uint8Array) return 'uint8';
  return null;
}

function bad(msg: string): never {
  throw new StoreError('INVALID_INPUT', msg);
}

function assertStep(step: unknown, where: string): asserts step is number {
  if (typeof step !== 'number' || !Number.isSafeInteger(step) || step < 0) bad(`${where}: step must be an integer >= 0, got ${String(step)}`);
}

function validatePolicy(p: CheckpointPolicy | undefined): void {
  if (p === undefined) return;
  if (!Number.isInteger(p.keepLast) || p.keepLast < 1) bad(`checkpoint policy keepLast must be an integer >= 1, got ${String(p.keepLast)}`);
  if (p.keepBest !== undefined) {
    if (typeof p.keepBest.metric !== 'string' || p.keepBest.metric === '') bad('checkpoint policy keepBest.metric must be a metric key');
    if (p.keepBest.mode !== 'max' && p.keepBest.mode !== 'min') bad(`checkpoint policy keepBest.mode must be 'max' or 'min', got ${String(p.keepBest.mode)}`);
  }
}

/** One line per damaged checkpoint, for messages and run logs. */
export function describeDamage(d: DamagedCheckpoint): string {
  return `step ${d.step}: ${d.file}: ${d.reason}`;
}

function checkpointsDir(runDir: string): string {
  if (typeof runDir !== 'string' || runDir === '') throw new StoreError('INVALID_PATH', `run folder must be a path, got ${JSON.stringify(runDir)}`);
  return join(runDir, CHECKPOINTS_DIR);
}

/**
 * Saves a checkpoint atomically, replacing one at the same step, then applies `policy`
 * (no policy keeps every checkpoint). Returns where it went and which steps the policy removed.
 */
export async function saveCheckpoint<S>(
  runDir: string,
  data: CheckpointData<S>,
  policy?: CheckpointPolicy,
  options: { fsync?: boolean } = {},
): Promise<{ step: number; dir: string; removed: number[] }> {
  const fsync = options.fsync ?? true;
  const where = `checkpoint at step ${String(data?.step)}`;
  if (typeof data !== 'object' || data === null) bad('saveCheckpoint needs { step, models, arrays, state }');
  assertStep(data.step, 'saveCheckpoint');
  validatePolicy(policy);
  const models = data.models ?? {};
  const arrays = data.arrays ?? {};
  const metrics = data.metrics ?? {};
  for (const [name, a] of Object.entries(models)) {
    if (!MODEL_NAME.test(name)) bad(`${where}: model name ${JSON.stringify(name)} must be 1-64 letters, digits, '-' or '_'`);
    validateArtifacts(a, `${where}: models.${name}`);
  }
  for (const [name, a] of Object.entries(arrays)) {
    if (name === '') bad(`${where}: array names must be non-empty`);
    if (dtypeOf(a) === null) bad(`${where}: arrays.${name} must be a Float32Array, Float64Array, Int32Array or Uint8Array`);
  }
  for (const [k, v] of Object.entries(metrics)) {
    if (typeof v !== 'number' || !Number.isFinite(v)) bad(`${where}: metrics.${k} must be a finite number, got ${String(v)}`);
  }
  let stateText: string;
  try {
    assertJsonValue(data.state ?? null, `${where}: state`);
    stateText = JSON.stringify(data.state ?? null);
  } catch (e) {
    bad(errorMessage(e));
  }

  const sum = await checksummer();
  const root = checkpointsDir(runDir);
  await mkdir(root, { recursive: true });
  await cleanStale(root);
  const rand = randomBytes(4).toString('hex');
  const tmp = join(root, `.tmp-${data.step}-${rand}`);
  const final = join(root, String(data.step));
  try {
    await mkdir(tmp);
    const stateBytes = Buffer.from(stateText, 'utf8');
    await writeFileSynced(join(tmp, STATE_FILE), [stateBytes], fsync);
    const checksums: Record<string, string> = { [STATE_FILE]: sum.of(stateBytes), ...(await writeArrays(tmp, arrays, fsync, sum)) };
    for (const [name, a] of Object.entries(models)) {
      await mkdir(join(tmp, name));
      const sums = await writeModelArtifacts(join(tmp, name), a, fsync, sum);
      for (const [file, c] of Object.entries(sums)) checksums[`${name}/${file}`] = c;
      if (fsync) await fsyncDir(join(tmp, name));
    }
    const meta: Meta = {
      version: 1,
      step: data.step,
      createdAt: new Date().toISOString(),
      metrics: { ...metrics },
      models: Object.keys(models),
      checksums,
    };
    await writeFileSynced(join(tmp, META_FILE), [Buffer.from(withSelfChecksum(sum, { ...meta }, 2), 'utf8')], fsync);
    if (fsync) await fsyncDir(tmp);
    // Replace a checkpoint at the same step: move it aside first (rename cannot replace a non-empty folder).
    const old = join(root, `.old-${data.step}-${rand}`);
    let replaced = false;
    try {
      await rename(final, old);
      replaced = true;
    } catch (e) {
      if (!(isNodeError(e) && e.code === 'ENOENT')) throw e;
    }
    await rename(tmp, final);
    if (fsync) await fsyncDir(root);
    if (replaced) await rm(old, { recursive: true, force: true });
  } catch (e) {
    await rm(tmp, { recursive: true, force: true }).catch(() => undefined);
    throw e;
  }
  const removed = policy ? await applyPolicy(root, policy) : [];
  return { step: data.step, dir: final, removed };
}

/** Every intact checkpoint of a run, oldest step first (damaged ones: scanCheckpoints). */
export async function listCheckpoints(runDir: string): Promise<CheckpointInfo[]> {
  return (await scanCheckpoints(runDir)).intact;
}

/**
 * Every checkpoint folder of a run, oldest step first, split into those whose checkpoint.json and arrays.json pass
 * their checks and those that do not (with the file and the reason). The other files are checked when loaded.
 */
export async function scanCheckpoints(runDir: string): Promise<{ intact: CheckpointInfo[]; damaged: DamagedCheckpoint[] }> {
  const root = checkpointsDir(runDir);
  let names: string[];
  try {
    names = await readdir(root);
  } catch (e) {
    if (isNodeError(e) && e.code === 'ENOENT') return { intact: [], damaged: [] };
    throw e;
  }
  const sum = await checksummer();
  const results = await Promise.all(
    names.filter((n) => /^\d+$/.test(n)).map(async (n) => {
      const dir = join(root, n);
      try {
        return await readInfo(dir, Number(n), sum);
      } catch (e) {
        if (!(e instanceof DamagedFileError)) throw e;
        if (await removedMeanwhile(dir)) return null;
        return { step: Number(n), dir, file: e.file, reason: e.reason } satisfies DamagedCheckpoint;
      }
    }),
  );
  const intact = results.filter((r): r is CheckpointInfo => r !== null && 'createdAt' in r).sort((a, b) => a.step - b.step);
  const damaged = results.filter((r): r is DamagedCheckpoint => r !== null && 'reason' in r).sort((a, b) => a.step - b.step);
  return { intact, damaged };
}

/**
 * Loads the checkpoint at `step`, verifying every file it reads. 'latest' is the newest intact checkpoint: damaged
 * newer ones are passed over and returned in `skipped` (with `setAsideDamaged`, as a resume does, they are also
 * moved aside first). A given step that is damaged throws (a DamagedFileError naming the file). Throws NOT_FOUND
 * when there is no checkpoint, CORRUPT when every one is damaged.
 */
export async function loadCheckpoint<S = unknown>(
  runDir: string,
  step: number | 'latest' = 'latest',
  options: { setAsideDamaged?: boolean } = {},
): Promise<LoadedCheckpoint<S>> {
  if (step !== 'latest') assertStep(step, 'loadCheckpoint');
  const root = checkpointsDir(runDir);
  const sum = await checksummer();
  const { intact, damaged } = await scanCheckpoints(runDir);
  if (step !== 'latest') {
    const info = intact.find((c) => c.step === step);
    if (!info) {
      const bad = damaged.find((d) => d.step === step);
      const have = intact.length ? ` (have: ${intact.map((c) => c.step).join(', ')})` : '';
      if (bad) throw new StoreError('CORRUPT', `no checkpoint at step ${step} in ${root}${have}: the one there is damaged: ${bad.file}: ${bad.reason}`);
      throw new StoreError('NOT_FOUND', `no checkpoint at step ${step} in ${root}${have}`);
    }
    try {
      return { ...(await readCheckpoint<S>(info, sum)), skipped: [] };
    } catch (e) {
      if (e instanceof DamagedFileError && (await removedMeanwhile(info.dir))) {
        throw new StoreError('NOT_FOUND', `the checkpoint at step ${step} in ${root} was removed while it was being read`, { cause: e });
      }
      throw e;
    }
  }
  const skipped: DamagedCheckpoint[] = [];
  let loaded: Omit<LoadedCheckpoint<S>, 'skipped'> | null = null;
  for (const info of [...intact].reverse()) {
    try {
      loaded = await readCheckpoint<S>(info, sum);
      break;
    } catch (e) {
      if (!(e instanceof DamagedFileError)) throw e;
      if (!(await removedMeanwhile(info.dir))) skipped.push({ step: info.step, dir: info.dir, file: e.file, reason: e.reason });
    }
  }
  const newer = damaged.filter((d) => loaded === null || d.step > loaded.step);
  skipped.push(...newer);
  skipped.sort((a, b) => b.step - a.step);
  if (!loaded) {
    if (skipped.length === 0) throw new StoreError('NOT_FOUND', `no checkpoints in ${root}`);
    throw new StoreError('CORRUPT', `no intact checkpoint in ${root}; every one is damaged: ${skipped.map(describeDamage).join('; ')}`);
  }
  if (options.setAsideDamaged) {
    for (const d of skipped) Object.assign(d, await setAsideDamaged(root, d));
  }
  return { ...loaded, skipped };
}

/**
 * Whether a checkpoint folder disappeared while it was being read: the training process removed it (keep-last)
 * or replaced it, which is no damage. Its files vanish only with the folder (saves and removals are renames).
 */
async function removedMeanwhile(dir: string): Promise<boolean> {
  return stat(dir).then(
    () => false,
    (e: unknown) => isNodeError(e) && e.code === 'ENOENT',
  );
}

/** checkpoint.json and arrays.json of one folder, checked; throws DamagedFileError. */
async function readInfo(dir: string, folderStep: number, sum: Checksummer): Promise<CheckpointInfo> {
  const meta = await readMeta(dir, folderStep, sum);
  const manifest = await readManifest(dir, meta, sum);
  return {
    step: meta.step,
    createdAt: meta.createdAt,
    metrics: meta.metrics,
    models: meta.models,
    arrays: manifest.arrays.map((a) => a.name),
    dir,
    verified: meta.checksums !== undefined,
  };
}

function parseJson(path: string, bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch (e) {
    throw new DamagedFileError(path, `not valid JSON (${errorMessage(e)})`, { cause: e });
  }
}

const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

async function readMeta(dir: string, folderStep: number, sum: Checksummer): Promise<Meta> {
  const path = join(dir, META_FILE);
  const meta = parseJson(path, await readChecked(path));
  if (
    !isRecord(meta) ||
    typeof meta.step !== 'number' ||
    typeof meta.createdAt !== 'string' ||
    !isRecord(meta.metrics) ||
    !Array.isArray(meta.models) ||
    !meta.models.every((m) => typeof m === 'string' && MODEL_NAME.test(m)) ||
    (meta.checksums !== undefined && (!isRecord(meta.checksums) || !Object.values(meta.checksums).every((c) => typeof c === 'string')))
  ) {
    throw new DamagedFileError(path, 'does not describe a checkpoint (needs step, createdAt, metrics and models)');
  }
  if (selfVerdict(sum, meta) === 'mismatch') throw new DamagedFileError(path, MISMATCH);
  if (meta.step !== folderStep) throw new DamagedFileError(path, `says step ${meta.step}, but its folder is ${folderStep}`);
  return meta as unknown as Meta;
}

async function readManifest(dir: string, meta: Meta, sum: Checksummer): Promise<ArraysManifest> {
  const path = join(dir, ARRAYS_JSON);
  const bytes = await readChecked(path);
  checkBytes(sum, path, bytes, meta.checksums?.[ARRAYS_JSON]);
  const m = parseJson(path, bytes);
  const count = (n: unknown) => Number.isSafeInteger(n) && (n as number) >= 0;
  if (
    !isRecord(m) ||
    !Array.isArray(m.arrays) ||
    !m.arrays.every((a) => isRecord(a) && typeof a.name === 'string' && typeof a.dtype === 'string' && a.dtype in DTYPES && count(a.length) && count(a.byteOffset))
  ) {
    throw new DamagedFileError(path, 'is not an arrays manifest ({ arrays: [{ name, dtype, length, byteOffset }] })');
  }
  return m as unknown as ArraysManifest;
}

/** Reads and checks every file of a listed checkpoint; throws DamagedFileError naming the first one that fails. */
async function readCheckpoint<S>(info: CheckpointInfo, sum: Checksummer): Promise<Omit<LoadedCheckpoint<S>, 'skipped'>> {
  const { dir } = info;
  const meta = await readMeta(dir, info.step, sum);
  const checksums = meta.checksums ?? {};
  const statePath = join(dir, STATE_FILE);
  const stateBytes = await readChecked(statePath);
  checkBytes(sum, statePath, stateBytes, checksums[STATE_FILE]);
  const state = parseJson(statePath, stateBytes) as S;
  const arrays = await readArrays(dir, await readManifest(dir, meta, sum), checksums[ARRAYS_BIN], sum);
  const models: Record<string, io.ModelArtifacts> = {};
  for (const name of meta.models) {
    const own = Object.fromEntries(
      Object.entries(checksums).filter(([k]) => k.startsWith(`${name}/`)).map(([k, v]) => [k.slice(name.length + 1), v]),
    );
    models[name] = await readModelArtifacts(join(dir, name), sum, own);
  }
  return { step: meta.step, createdAt: meta.createdAt, models, arrays, state, metrics: meta.metrics, dir, verified: meta.checksums !== undefined };
}

/**
 * Every checkpoint of a run with every file checked (what the integrity report shows). Results are kept per folder
 * while its files' sizes and times stay the same, so asking again costs a stat per file.
 */
export async function verifyCheckpoints(runDir: string): Promise<{ damaged: DamagedCheckpoint[]; unverified: number[] }> {
  const { intact, damaged } = await scanCheckpoints(runDir);
  const sum = await checksummer();
  const unverified: number[] = [];
  const all = [...damaged];
  for (const info of intact) {
    const signature = await folderSignature(info.dir);
    let result = verifiedCache.get(info.dir);
    if (result?.signature !== signature) {
      let damage: DamagedCheckpoint | null = null;
      try {
        await readCheckpoint(info, sum);
      } catch (e) {
        if (!(e instanceof DamagedFileError)) throw e;
        if (await removedMeanwhile(info.dir)) continue;
        damage = { step: info.step, dir: info.dir, file: e.file, reason: e.reason };
      }
      result = { signature, damage };
      verifiedCache.set(info.dir, result);
      if (verifiedCache.size > 256) verifiedCache.delete(verifiedCache.keys().next().value!);
    }
    if (result.damage) all.push(result.damage);
    else if (!info.verified) unverified.push(info.step);
  }
  return { damaged: all.sort((a, b) => a.step - b.step), unverified };
}

const verifiedCache = new Map<string, { signature: string; damage: DamagedCheckpoint | null }>();

/** Names, sizes and modification times of a folder's files and its subfolders' files. */
async function folderSignature(dir: string): Promise<string> {
  const parts: string[] = [];
  const walk = async (d: string, depth: number): Promise<void> => {
    const entries = await readdir(d, { withFileTypes: true }).catch(() => []);
    for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(d, e.name);
      if (e.isDirectory()) {
        if (depth < 2) await walk(p, depth + 1);
        continue;
      }
      const s = await stat(p).catch(() => null);
      parts.push(`${relative(dir, p)}:${s?.size ?? -1}:${s?.mtimeMs ?? -1}:${s?.ino ?? -1}`);
    }
  };
  await walk(dir, 0);
  return parts.join('|');
}

export interface SetAsideCheckpoint extends DamagedCheckpoint {
  /** When it was moved aside (ISO time). */
  movedAt: string;
}

const SET_ASIDE = /^damaged-(\d+)-[0-9TZ.]+$/;

/** Moves a damaged checkpoint aside (`checkpoints/damaged-<step>-<time>/`) with a note saying why. */
async function setAsideDamaged(root: string, d: DamagedCheckpoint): Promise<DamagedCheckpoint> {
  const now = new Date();
  const name = `damaged-${d.step}-${fileTimestamp(now)}`;
  const dir = join(root, name);
  await rename(d.dir, dir);
  const moved: SetAsideCheckpoint = { step: d.step, dir, file: join(dir, relative(d.dir, d.file)), reason: d.reason, movedAt: now.toISOString() };
  await writeFileAtomic(join(root, `${name}.json`), JSON.stringify({ ...moved, dir: name, file: relative(d.dir, d.file) }, null, 2));
  return moved;
}

/** Damaged checkpoints a resume moved aside, oldest step first. */
export async function listSetAsideCheckpoints(runDir: string): Promise<SetAsideCheckpoint[]> {
  const root = checkpointsDir(runDir);
  const names = await readdir(root).catch(() => [] as string[]);
  const out: SetAsideCheckpoint[] = [];
  for (const n of names) {
    const m = SET_ASIDE.exec(n);
    if (!m) continue;
    const note = await readFile(join(root, `${n}.json`), 'utf8').then((t) => JSON.parse(t) as Partial<SetAsideCheckpoint>, () => null);
    out.push({
      step: Number(m[1]),
      dir: join(root, n),
      file: join(root, n, typeof note?.file === 'string' ? note.file : ''),
      reason: typeof note?.reason === 'string' ? note.reason : 'damaged (its note is missing)',
      movedAt: typeof note?.movedAt === 'string' ? note.movedAt : '',
    });
  }
  return out.sort((a, b) => a.step - b.step);
}

async function writeArrays(dir: string, arrays: Record<string, CheckpointArray>, fsync: boolean, sum: Checksummer): Promise<Record<string, string>> {
  const manifest: ArraysManifest = { version: 1, byteOrder: 'little', arrays: [] };
  const pieces: Uint8Array[] = [];
  let offset = 0;
  for (const [name, a] of Object.entries(arrays)) {
    const pad = (8 - (offset % 8)) % 8; // 8-byte alignment: loads can view float64 data directly
    if (pad) pieces.push(new Uint8Array(pad));
    offset += pad;
    manifest.arrays.push({ name, dtype: dtypeOf(a)!, length: a.length, byteOffset: offset });
    pieces.push(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
    offset += a.byteLength;
  }
  if (endianness() !== 'LE') throw new StoreError('INVALID_INPUT', 'checkpoints are little-endian; this machine is big-endian');
  const json = Buffer.from(JSON.stringify(manifest, null, 2), 'utf8');
  await writeFileSynced(join(dir, ARRAYS_BIN), pieces, fsync);
  await writeFileSynced(join(dir, ARRAYS_JSON), [json], fsync);
  return { [ARRAYS_BIN]: sum.of(...pieces), [ARRAYS_JSON]: sum.of(json) };
}

async function readArrays(dir: string, manifest: ArraysManifest, checksum: string | undefined, sum: Checksummer): Promise<Record<string, CheckpointArray>> {
  const path = join(dir, ARRAYS_BIN);
  const bin = await readChecked(path);
  checkBytes(sum, path, bin, checksum);
  const out: Record<string, CheckpointArray> = {};
  for (const a of manifest.arrays) {
    const Ctor = DTYPES[a.dtype];
    const bytes = a.length * Ctor.BYTES_PER_ELEMENT;
    if (a.byteOffset + bytes > bin.length) {
      throw new DamagedFileError(path, `holds ${bin.length} bytes, but ${join(dir, ARRAYS_JSON)} places ${a.name} at bytes ${a.byteOffset}-${a.byteOffset + bytes}`);
    }
    // Copy into a fresh, aligned buffer owned by the caller.
    const copy = new Uint8Array(bytes);
    copy.set(bin.subarray(a.byteOffset, a.byteOffset + bytes));
    out[a.name] = new Ctor(copy.buffer);
  }
  return out;
}

/** Removes leftovers of interrupted saves/removals; puts back a checkpoint a crash left moved aside. */
async function cleanStale(root: string): Promise<void> {
  const names = await readdir(root);
  for (const n of names) {
    const old = /^\.old-(\d+)-[0-9a-f]+$/.exec(n);
    if (old && !names.includes(old[1])) {
      await rename(join(root, n), join(root, old[1]));
      continue;
    }
    if (n.startsWith('.tmp-') || n.startsWith('.del-') || old) await rm(join(root, n), { recursive: true, force: true });
  }
}

async function applyPolicy(root: string, policy: CheckpointPolicy): Promise<number[]> {
  const all = await listCheckpoints(join(root, '..'));
  const keep = new Set(all.slice(-policy.keepLast).map((c) => c.step));
  if (policy.keepBest) {
    const { metric, mode } = policy.keepBest;
    let best: CheckpointInfo | null = null;
    for (const c of all) {
      const v = c.metrics[metric];
      if (typeof v !== 'number' || !Number.isFinite(v)) continue;
      const b = best?.metrics[metric];
      if (best === null || b === undefined || (mode === 'max' ? v >= b : v <= b)) best = c;
    }
    if (best) keep.add(best.step);
  }
  const removed: number[] = [];
  for (const c of all) {
    if (keep.has(c.step)) continue;
    const del = join(root, `.del-${c.step}-${randomBytes(4).toString('hex')}`);
    await rename(c.dir, del);
    await rm(del, { recursive: true, force: true });
    removed.push(c.step);
  }
  return removed;
}

/**
 * Checkpoints a resume can load: those whose every file passes its checksum (a damaged one is skipped by the
 * resume, so a run whose checkpoints are all damaged has nothing to resume from and needs an explicit restart).
 * `damaged` says what was found wrong, for the message.
 */
export async function loadableCheckpoints(runDir: string): Promise<{ intact: CheckpointInfo[]; damaged: DamagedCheckpoint[] }> {
  const [{ intact }, { damaged }] = await Promise.all([scanCheckpoints(runDir), verifyCheckpoints(runDir)]);
  const bad = new Set(damaged.map((d) => d.step));
  return { intact: intact.filter((c) => !bad.has(c.step)), damaged };
}
