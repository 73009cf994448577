/**
 * Checkpoints: runs/<id>/checkpoints/<step>/ — everything an exact resume needs.
 *   checkpoint.json      step, time, metrics at save time, model and array names
 *   <model>/model.json   tfjs layout (model-files.ts), one folder per model (actor, critic, …)
 *   <model>/weights.bin
 *   arrays.json + arrays.bin   named typed arrays (optimizer moments, normaliser stats, …) in one
 *                              little-endian file, 8-byte aligned, described by the manifest
 *   state.json           JSON state: RNG states, counters, optimizer scalars, …
 * A checkpoint is assembled in `checkpoints/.tmp-<step>-<rand>/` and renamed into place, so a
 * reader (or a process killed mid-save) sees a whole checkpoint or none. Removal renames to
 * `.del-…` before deleting, for the same reason.
 */
import type { io } from '@tensorflow/tfjs';
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import { endianness } from 'node:os';
import { join } from 'node:path';
import { errorMessage, isNodeError, StoreError } from './errors.js';
import { assertJsonValue, fsyncDir } from './fs-utils.js';
import { readModelArtifacts, validateArtifacts, writeFileSynced, writeModelArtifacts } from './model-files.js';

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
}

export interface LoadedCheckpoint<S = unknown> {
  step: number;
  createdAt: string;
  models: Record<string, io.ModelArtifacts>;
  arrays: Record<string, CheckpointArray>;
  state: S;
  metrics: Record<string, number>;
}

interface Meta {
  version: 1;
  step: number;
  createdAt: string;
  metrics: Record<string, number>;
  models: string[];
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

  const root = checkpointsDir(runDir);
  await mkdir(root, { recursive: true });
  await cleanStale(root);
  const rand = randomBytes(4).toString('hex');
  const tmp = join(root, `.tmp-${data.step}-${rand}`);
  const final = join(root, String(data.step));
  try {
    await mkdir(tmp);
    await writeFileSynced(join(tmp, STATE_FILE), [Buffer.from(stateText, 'utf8')], fsync);
    await writeArrays(tmp, arrays, fsync);
    for (const [name, a] of Object.entries(models)) {
      await mkdir(join(tmp, name));
      await writeModelArtifacts(join(tmp, name), a, fsync);
      if (fsync) await fsyncDir(join(tmp, name));
    }
    const meta: Meta = { version: 1, step: data.step, createdAt: new Date().toISOString(), metrics: { ...metrics }, models: Object.keys(models) };
    await writeFileSynced(join(tmp, META_FILE), [Buffer.from(JSON.stringify(meta, null, 2), 'utf8')], fsync);
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

/** Every complete checkpoint of a run, oldest step first. */
export async function listCheckpoints(runDir: string): Promise<CheckpointInfo[]> {
  const root = checkpointsDir(runDir);
  let names: string[];
  try {
    names = await readdir(root);
  } catch (e) {
    if (isNodeError(e) && e.code === 'ENOENT') return [];
    throw e;
  }
  const infos = await Promise.all(
    names
      .filter((n) => /^\d+$/.test(n))
      .map(async (n): Promise<CheckpointInfo | null> => {
        const dir = join(root, n);
        try {
          const meta = JSON.parse(await readFile(join(dir, META_FILE), 'utf8')) as Meta;
          const manifest = JSON.parse(await readFile(join(dir, ARRAYS_JSON), 'utf8')) as ArraysManifest;
          if (meta.step !== Number(n)) return null;
          return {
            step: meta.step,
            createdAt: meta.createdAt,
            metrics: meta.metrics ?? {},
            models: meta.models ?? [],
            arrays: manifest.arrays.map((a) => a.name),
            dir,
          };
        } catch {
          return null; // not a checkpoint this store wrote
        }
      }),
  );
  return infos.filter((i): i is CheckpointInfo => i !== null).sort((a, b) => a.step - b.step);
}

/** Loads the checkpoint at `step` ('latest' = highest step). Throws NOT_FOUND when there is none. */
export async function loadCheckpoint<S = unknown>(runDir: string, step: number | 'latest' = 'latest'): Promise<LoadedCheckpoint<S>> {
  const all = await listCheckpoints(runDir);
  let info: CheckpointInfo | undefined;
  if (step === 'latest') {
    info = all.at(-1);
    if (!info) throw new StoreError('NOT_FOUND', `no checkpoints in ${checkpointsDir(runDir)}`);
  } else {
    assertStep(step, 'loadCheckpoint');
    info = all.find((c) => c.step === step);
    if (!info) {
      throw new StoreError(
        'NOT_FOUND',
        `no checkpoint at step ${step} in ${checkpointsDir(runDir)}` + (all.length ? ` (have: ${all.map((c) => c.step).join(', ')})` : ''),
      );
    }
  }
  const state = JSON.parse(await readFile(join(info.dir, STATE_FILE), 'utf8')) as S;
  const arrays = await readArrays(info.dir);
  const models: Record<string, io.ModelArtifacts> = {};
  for (const name of info.models) models[name] = await readModelArtifacts(join(info.dir, name));
  return { step: info.step, createdAt: info.createdAt, models, arrays, state, metrics: info.metrics };
}

async function writeArrays(dir: string, arrays: Record<string, CheckpointArray>, fsync: boolean): Promise<void> {
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
  await writeFileSynced(join(dir, ARRAYS_BIN), pieces, fsync);
  await writeFileSynced(join(dir, ARRAYS_JSON), [Buffer.from(JSON.stringify(manifest, null, 2), 'utf8')], fsync);
}

async function readArrays(dir: string): Promise<Record<string, CheckpointArray>> {
  const manifest = JSON.parse(await readFile(join(dir, ARRAYS_JSON), 'utf8')) as ArraysManifest;
  const bin = await readFile(join(dir, ARRAYS_BIN));
  const out: Record<string, CheckpointArray> = {};
  for (const a of manifest.arrays) {
    const Ctor = DTYPES[a.dtype];
    if (!Ctor) throw new StoreError('CORRUPT', `${dir}/${ARRAYS_JSON}: unknown dtype ${String(a.dtype)}`);
    const bytes = a.length * Ctor.BYTES_PER_ELEMENT;
    if (a.byteOffset + bytes > bin.length) throw new StoreError('CORRUPT', `${dir}/${ARRAYS_BIN} is shorter than its manifest says`);
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
