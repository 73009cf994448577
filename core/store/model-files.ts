/**
 * tfjs models on disk in the layout tfjs's own file handlers use (tfjs-node `file://`):
 *   <dir>/model.json   — topology + `weightsManifest: [{ paths: ['weights.bin'], weights: [...] }]`
 *   <dir>/weights.bin  — every weight's bytes, concatenated in manifest order
 * Written with plain fs because tfjs-node (and its file:// handler) is not always installable;
 * read back into ModelArtifacts that `tf.loadLayersModel(tf.io.fromMemory(artifacts))` accepts.
 */
import type { io } from '@tensorflow/tfjs';
import { open, readFile } from 'node:fs/promises';
import { isAbsolute, join, normalize } from 'node:path';
import { StoreError } from './errors.js';
import { assertJsonValue, writeAll } from './fs-utils.js';

export const MODEL_JSON = 'model.json';
export const WEIGHTS_BIN = 'weights.bin';

const DTYPE_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, complex64: 8 };

function weightPieces(a: io.ModelArtifacts): ArrayBuffer[] {
  const d = a.weightData;
  if (d === undefined) return [];
  return Array.isArray(d) ? d : [d];
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

/** Writes model.json + weights.bin into `dir` (which must exist). Optionally fsyncs both. */
export async function writeModelArtifacts(dir: string, a: io.ModelArtifacts, fsync: boolean): Promise<void> {
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
  await writeFileSynced(join(dir, MODEL_JSON), [Buffer.from(JSON.stringify(modelJson), 'utf8')], fsync);
  await writeFileSynced(
    join(dir, WEIGHTS_BIN),
    weightPieces(a).map((p) => new Uint8Array(p)),
    fsync,
  );
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

/** Reads a model folder back into ModelArtifacts (weights joined into one ArrayBuffer). */
export async function readModelArtifacts(dir: string): Promise<io.ModelArtifacts> {
  const path = join(dir, MODEL_JSON);
  const json = JSON.parse(await readFile(path, 'utf8')) as {
    modelTopology?: object;
    weightsManifest?: { paths: string[]; weights: io.WeightsManifestEntry[] }[];
  } & Omit<io.ModelArtifacts, 'weightSpecs' | 'weightData'>;
  if (typeof json.modelTopology !== 'object' || !Array.isArray(json.weightsManifest)) {
    throw new StoreError('CORRUPT', `${path} lacks modelTopology or weightsManifest`);
  }
  const weightSpecs: io.WeightsManifestEntry[] = [];
  const buffers: Buffer[] = [];
  for (const group of json.weightsManifest) {
    weightSpecs.push(...group.weights);
    for (const p of group.paths) {
      const rel = normalize(p);
      if (isAbsolute(rel) || rel.startsWith('..')) throw new StoreError('CORRUPT', `${path}: weights path ${p} leaves the model folder`);
      buffers.push(await readFile(join(dir, rel)));
    }
  }
  const joined = Buffer.concat(buffers);
  const weightData = joined.buffer.slice(joined.byteOffset, joined.byteOffset + joined.byteLength) as ArrayBuffer;
  const { weightsManifest: _manifest, ...rest } = json;
  return { ...rest, weightSpecs, weightData };
}
