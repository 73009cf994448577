/**
 * tfjs models on disk in the layout tfjs's own file handlers use (tfjs-node `file://`):
 *   <dir>/model.json   — topology + `weightsManifest: [{ paths: ['weights.bin'], weights: [...] }]`
 *   <dir>/weights.bin  — every weight's bytes, concatenated in manifest order
 * Written with plain fs because tfjs-node (and its file:// handler) is not always installable;
 * read back into ModelArtifacts that `tf.loadLayersModel(tf.io.fromMemory(artifacts))` accepts.
 * The writer returns both files' checksums (the checkpoint's manifest keeps them); the reader verifies them when
 * given, and always checks that weights.bin holds exactly the bytes the manifest describes.
 */
import type { io } from '@tensorflow/tfjs';
import { open, readFile } from 'node:fs/promises';
import { isAbsolute, join, normalize } from 'node:path';
import { type Checksummer, DamagedFileError, MISMATCH, verdict } from './checksum.js';
import { errorMessage, isNodeError, StoreError } from './errors.js';
import { assertJsonValue, writeAll } from './fs-utils.js';

export const MODEL_JSON = 'model.json';
export const WEIGHTS_BIN = 'weights.bin';

const DTYPE_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, complex64: 8 };

function weightPieces(a: io.ModelArtifacts): ArrayBuffer[] {
  const d = a.weightData;
  if (d === undefined) return [];
  return Array.isArray(d) ? d : [d];
}

/** Bytes the weight specs describe, or null when they cannot say (quantized or unknown dtypes). */
function describedBytes(specs: readonly io.WeightsManifestEntry[]): number | null {
  let expected = 0;
  for (const s of specs) {
    const per = DTYPE_BYTES[s.dtype];
    if (per === undefined || s.quantization || !Array.isArray(s.shape)) return null;
    expected += per * s.shape.reduce((n, d) => n * d, 1);
  }
  return expected;
}

/** Checks artifacts can be written and loaded again; throws a StoreError naming what is wrong. */
export function validateArtifacts(a: io.ModelArtifacts, where: string): void {
  const fail = (msg: string): never => {
    throw new StoreError('INVALID_INPUT', `${where}: ${msg}`);
  };
  if (typeof a !== 'object' || a === null) fail('expected tf.io.ModelArtifacts');
  if (typeof a.modelTopology !== 'object' || a.modelTopology === null || a.modelTopology instanceof ArrayBuffer) {
    fail('modelTopology must be a layers-model JSON object (graph models in protobuf form are not supported)');
  }
  try {
    assertJsonValue(a.modelTopology, `${where}.modelTopology`);
    if (a.trainingConfig !== undefined) assertJsonValue(a.trainingConfig, `${where}.trainingConfig`);
    if (a.userDefinedMetadata !== undefined) assertJsonValue(a.userDefinedMetadata, `${where}.userDefinedMetadata`);
  } catch (e) {
    fail((e as Error).message.replace(`${where}: `, ''));
  }
  const specs = a.weightSpecs ?? [];
  if (!Array.isArray(specs)) fail('weightSpecs must be an array');
  const pieces = weightPieces(a);
  if (pieces.some((p) => !(p instanceof ArrayBuffer))) fail('weightData must be an ArrayBuffer or an array of them');
  const bytes = pieces.reduce((n, p) => n + p.byteLength, 0);
  let expected = 0;
  let checkable = true;
  for (const s of specs) {
    if (typeof s?.name !== 'string' || !Array.isArray(s.shape)) fail('every weightSpecs entry needs a name and a shape');
    const per = DTYPE_BYTES[s.dtype];
    if (per === undefined || s.quantization) checkable = false;
    else expected += per * s.shape.reduce((n, d) => n * d, 1);
  }
  if (checkable && expected !== bytes) {
    fail(`weightData has ${bytes} bytes but weightSpecs describe ${expected}`);
  }
}

/**
 * Writes model.json + weights.bin into `dir` (which must exist). Optionally fsyncs both. Returns their checksums
 * by file name.
 */
export async function writeModelArtifacts(
  dir: string,
  a: io.ModelArtifacts,
  fsync: boolean,
  sum: Checksummer,
): Promise<Record<string, string>> {
  const modelJson = {
    modelTopology: a.modelTopology,
    format: a.format,
    generatedBy: a.generatedBy,
    convertedBy: a.convertedBy,
    trainingConfig: a.trainingConfig,
    signature: a.signature,
    userDefinedMetadata: a.userDefinedMetadata,
    modelInitializer: a.modelInitializer,
    initializerSignature: a.initializerSignature,
    weightsManifest: [{ paths: [WEIGHTS_BIN], weights: a.weightSpecs ?? [] }],
  };
  const json = Buffer.from(JSON.stringify(modelJson), 'utf8');
  const weights = weightPieces(a).map((p) => new Uint8Array(p));
  await writeFileSynced(join(dir, MODEL_JSON), [json], fsync);
  await writeFileSynced(join(dir, WEIGHTS_BIN), weights, fsync);
  return { [MODEL_JSON]: sum.of(json), [WEIGHTS_BIN]: sum.of(...weights) };
}

export async function writeFileSynced(path: string, pieces: Uint8Array[], fsync: boolean): Promise<void> {
  const fh = await open(path, 'wx');
  try {
    for (const p of pieces) await writeAll(fh, p);
    if (fsync) await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Reads a file for a checked load: a missing or unreadable file is damage, named by its path. */
export async function readChecked(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (e) {
    if (isNodeError(e) && e.code === 'ENOENT') throw new DamagedFileError(path, 'the file is missing', { cause: e });
    throw new DamagedFileError(path, `cannot be read (${errorMessage(e)})`, { cause: e });
  }
}

/** Throws DamagedFileError when `bytes` do not match the checksum stored for them (none stored: unverified, fine). */
export function checkBytes(sum: Checksummer, path: string, bytes: Uint8Array, stored: string | undefined): void {
  if (verdict(stored, sum.of(bytes)) === 'mismatch') throw new DamagedFileError(path, MISMATCH);
}

/**
 * Reads a model folder back into ModelArtifacts (weights joined into one ArrayBuffer). `checksums` are the ones
 * the writer returned, by file name (absent for checkpoints written before checksums: then only the structure
 * and the weights' length are checked). Damage throws DamagedFileError naming the file.
 */
export async function readModelArtifacts(dir: string, sum: Checksummer, checksums: Record<string, string> = {}): Promise<io.ModelArtifacts> {
  const path = join(dir, MODEL_JSON);
  const text = await readChecked(path);
  checkBytes(sum, path, text, checksums[MODEL_JSON]);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text.toString('utf8'));
  } catch (e) {
    throw new DamagedFileError(path, `not valid JSON (${errorMessage(e)})`, { cause: e });
  }
  const json = parsed as {
    modelTopology?: object;
    weightsManifest?: { paths: string[]; weights: io.WeightsManifestEntry[] }[];
  } & Omit<io.ModelArtifacts, 'weightSpecs' | 'weightData'>;
  if (
    typeof json !== 'object' || json === null || typeof json.modelTopology !== 'object' || json.modelTopology === null ||
    !Array.isArray(json.weightsManifest) ||
    !json.weightsManifest.every((g) => typeof g === 'object' && g !== null && Array.isArray(g.paths) && Array.isArray(g.weights))
  ) {
    throw new DamagedFileError(path, 'lacks modelTopology or a weightsManifest of { paths, weights } groups');
  }
  const weightSpecs: io.WeightsManifestEntry[] = [];
  const buffers: Buffer[] = [];
  for (const group of json.weightsManifest) {
    weightSpecs.push(...group.weights);
    for (const p of group.paths) {
      if (typeof p !== 'string') throw new DamagedFileError(path, `weights path ${JSON.stringify(p)} is not a file name`);
      const rel = normalize(p);
      if (isAbsolute(rel) || rel.startsWith('..')) throw new StoreError('CORRUPT', `${path}: weights path ${p} leaves the model folder`);
      const bytes = await readChecked(join(dir, rel));
      checkBytes(sum, join(dir, rel), bytes, checksums[rel]);
      buffers.push(bytes);
    }
  }
  const joined = Buffer.concat(buffers);
  const expected = describedBytes(weightSpecs);
  if (expected !== null && expected !== joined.length) {
    const file = json.weightsManifest.length === 1 && json.weightsManifest[0].paths.length === 1 ? join(dir, json.weightsManifest[0].paths[0]) : dir;
    throw new DamagedFileError(file, `holds ${joined.length} bytes of weights, but ${path} describes ${expected}`);
  }
  const weightData = joined.buffer.slice(joined.byteOffset, joined.byteOffset + joined.byteLength) as ArrayBuffer;
  const { weightsManifest: _manifest, ...rest } = json;
  return { ...rest, weightSpecs, weightData };
}
