/**
 * A language model on disk, inside a run's checkpoint folder, in the tfjs layout the store uses (model-files.ts):
 * model.json (weightsManifest naming every tensor of paramLayout, with the LM config and the tokenizer in
 * userDefinedMetadata) and weights.bin (float32, manifest order). The returned checksums go into the checkpoint's
 * manifest like the RL models'; loading verifies them when given and checks every tensor's name and shape.
 */
import type { io } from '@tensorflow/tfjs';
import type { Checksummer } from '../store/checksum.js';
import { readModelArtifacts, writeModelArtifacts } from '../store/model-files.js';
import { type LmConfig, paramLayout, validateConfig } from './config.js';
import { LmEngine } from './engine.js';
import { Tokenizer, type TokenizerJson } from './tokenizer.js';

export const LM_FORMAT = 'policylab-lm/1';

export async function saveLm(dir: string, engine: LmEngine, tokenizer: Tokenizer, sum: Checksummer, fsync = true): Promise<Record<string, string>> {
  return writeModelArtifacts(dir, lmArtifacts(engine, tokenizer), fsync, sum);
}

/** The model as tfjs artifacts (what saveLm writes; a run's checkpoint stores them as its `lm` model). */
export function lmArtifacts(engine: LmEngine, tokenizer: Tokenizer): io.ModelArtifacts {
  if (tokenizer.vocabSize > engine.config.vocabSize) throw new Error(`tokenizer has ${tokenizer.vocabSize} tokens, the model only ${engine.config.vocabSize}`);
  const weightSpecs: io.WeightsManifestEntry[] = engine.layout.tensors.map(([name, , shape]) => ({ name, shape, dtype: 'float32' }));
  const p = engine.params;
  const artifacts: io.ModelArtifacts = {
    modelTopology: { format: LM_FORMAT, config: { ...engine.config } },
    format: LM_FORMAT,
    generatedBy: 'PolicyLab core/lm',
    weightSpecs,
    weightData: p.buffer.slice(p.byteOffset, p.byteOffset + p.byteLength) as ArrayBuffer,
    userDefinedMetadata: { lmConfig: { ...engine.config }, tokenizer: tokenizer.toJSON() as unknown as Record<string, unknown> },
  };
  return artifacts;
}

export async function loadLm(dir: string, sum: Checksummer, checksums: Record<string, string> = {}): Promise<{ engine: LmEngine; tokenizer: Tokenizer; config: LmConfig }> {
  return lmFromArtifacts(await readModelArtifacts(dir, sum, checksums), dir);
}

/** The model out of tfjs artifacts (a checkpoint's `lm` model); `dir` names where they came from in errors. */
export function lmFromArtifacts(a: io.ModelArtifacts, dir: string): { engine: LmEngine; tokenizer: Tokenizer; config: LmConfig } {
  const meta = a.userDefinedMetadata as { lmConfig?: LmConfig; tokenizer?: TokenizerJson } | undefined;
  if (a.format !== LM_FORMAT || !meta?.lmConfig || !meta.tokenizer) throw new Error(`${dir}: not a PolicyLab language model (format ${String(a.format)}, expected ${LM_FORMAT})`);
  const config = validateConfig(meta.lmConfig);
  const tokenizer = new Tokenizer(meta.tokenizer);
  const layout = paramLayout(config);
  const specs = a.weightSpecs ?? [];
  if (specs.length !== layout.tensors.length) throw new Error(`${dir}: model.json lists ${specs.length} tensors, the config needs ${layout.tensors.length}`);
  layout.tensors.forEach(([name, , shape], i) => {
    const s = specs[i];
    if (s.name !== name || s.dtype !== 'float32' || s.shape.join(',') !== shape.join(',')) {
      throw new Error(`${dir}: tensor ${i} is ${s.name} [${s.shape.join(', ')}] ${s.dtype}, expected ${name} [${shape.join(', ')}] float32`);
    }
  });
  const data = Array.isArray(a.weightData) ? a.weightData : a.weightData ? [a.weightData] : [];
  const bytes = new Uint8Array(layout.total * 4);
  let at = 0;
  for (const piece of data) {
    bytes.set(new Uint8Array(piece), at);
    at += piece.byteLength;
  }
  if (at !== bytes.length) throw new Error(`${dir}: weights.bin has ${at} bytes, expected ${bytes.length}`);
  const engine = new LmEngine(config, 0);
  const flat = new Float32Array(bytes.buffer);
  for (let i = 0; i < flat.length; i++) if (!Number.isFinite(flat[i])) throw new Error(`${dir}: weight ${i} is not finite`);
  engine.params.set(flat);
  return { engine, tokenizer, config };
}
