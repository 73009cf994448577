/**
 * Picks the tfjs backend for this process, fastest first:
 *   1. `@tensorflow/tfjs-node-gpu` (TensorFlow C library with CUDA) — backend name `tensorflow`;
 *   2. `@tensorflow/tfjs-node` (TensorFlow C library, CPU)            — backend name `tensorflow`;
 *   3. `@tensorflow/tfjs-backend-wasm` (XNNPACK, SIMD where the runtime validates it);
 *   4. tfjs's pure-JS `cpu` backend.
 * The first two are optionalDependencies whose native install often fails (and npm then skips them); each
 * candidate that does not load is recorded with the reason, so runs and the UI can say why they are slower.
 *
 * `POLICYLAB_BACKEND=gpu|node|wasm|cpu` forces one candidate; if it fails, `initBackend()` rejects naming it.
 * `initBackend()` is idempotent: every call returns the same promise (one initialisation per process).
 */
import * as tf from '@tensorflow/tfjs';
import { createRequire } from 'node:module';
import { dirname, sep } from 'node:path';

export type BackendName = 'tensorflow-gpu' | 'tensorflow' | 'wasm' | 'cpu';

export interface BackendInfo {
  name: BackendName;
  /** wasm only: whether the SIMD binary is in use. */
  simd?: boolean;
  /** wasm only: XNNPACK threads (1 in Node, where tfjs does not enable wasm threads). */
  threads?: number;
  tfjsVersion: string;
  /** Candidates tried before the chosen one, with why each was not used. */
  skipped: { candidate: string; reason: string }[];
  /** The update engine a training run used (`wasm-simd kernels`, `js kernels`, `tfjs:<backend>`); set by the loop. */
  engine?: string;
}

/** Values `POLICYLAB_BACKEND` accepts, in the order `initBackend()` tries them. */
export const BACKEND_CHOICES = ['gpu', 'node', 'wasm', 'cpu'] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];

interface Candidate {
  choice: BackendChoice;
  /** Human-readable name for `skipped` entries and errors. */
  label: string;
  init: () => Promise<Omit<BackendInfo, 'tfjsVersion' | 'skipped'>>;
}

function reasonOf(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    const first = error.message.split('\n')[0];
    return typeof code === 'string' ? `${code}: ${first}` : first;
  }
  if (error && typeof error === 'object' && 'message' in error) return String((error as { message: unknown }).message);
  return String(error);
}

/** Loads a native tfjs-node package (by a non-literal specifier, since it is optional and usually absent). */
async function initNative(packageName: string, name: BackendName): Promise<Omit<BackendInfo, 'tfjsVersion' | 'skipped'>> {
  const specifier: string = packageName;
  try {
    await import(specifier);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    const message = error instanceof Error ? error.message : '';
    if (code === 'ERR_MODULE_NOT_FOUND' && message.includes(`'${packageName}'`)) {
      throw new Error('not installed (optional dependency; npm skips it where its native build fails)');
    }
    throw error;
  }
  if (tf.findBackendFactory('tensorflow') === null) {
    throw new Error(`${packageName} loaded but registered no 'tensorflow' backend with this @tensorflow/tfjs (duplicate tfjs-core?)`);
  }
  if (!(await tf.setBackend('tensorflow'))) throw new Error(`tf.setBackend('tensorflow') failed after loading ${packageName}`);
  if (name === 'tensorflow-gpu') {
    // tfjs-node-gpu falls back to the CPU silently when CUDA is missing; say so rather than claim a GPU.
    const gpus = (tf.backend() as unknown as { isUsingGpuDevice?: boolean }).isUsingGpuDevice;
    if (gpus === false) throw new Error('@tensorflow/tfjs-node-gpu loaded but TensorFlow found no usable GPU');
  }
  return { name };
}

async function initWasm(): Promise<Omit<BackendInfo, 'tfjsVersion' | 'skipped'>> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  // In Node the .wasm binaries are read from disk: point tfjs at the package's dist folder.
  const require = createRequire(import.meta.url);
  const distDir = dirname(require.resolve('@tensorflow/tfjs-backend-wasm'));
  wasm.setWasmPaths(distDir + sep);
  if (!(await tf.setBackend('wasm'))) throw new Error("tf.setBackend('wasm') returned false");
  const simd = Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
  let threads: number | undefined;
  try {
    threads = wasm.getThreadsCount();
  } catch {
    threads = undefined;
  }
  return { name: 'wasm', simd, threads };
}

async function initCpu(): Promise<Omit<BackendInfo, 'tfjsVersion' | 'skipped'>> {
  if (!(await tf.setBackend('cpu'))) throw new Error("tf.setBackend('cpu') returned false");
  // The cpu backend prints a "install tfjs-node" banner on first use; describeBackend() already says why.
  (tf.backend() as unknown as { firstUse?: boolean }).firstUse = false;
  return { name: 'cpu' };
}

const CANDIDATES: readonly Candidate[] = [
  { choice: 'gpu', label: '@tensorflow/tfjs-node-gpu', init: () => initNative('@tensorflow/tfjs-node-gpu', 'tensorflow-gpu') },
  { choice: 'node', label: '@tensorflow/tfjs-node', init: () => initNative('@tensorflow/tfjs-node', 'tensorflow') },
  { choice: 'wasm', label: '@tensorflow/tfjs-backend-wasm', init: initWasm },
  { choice: 'cpu', label: 'cpu', init: initCpu },
];

let pending: Promise<BackendInfo> | undefined;
let current: BackendInfo | undefined;

/** Parses `POLICYLAB_BACKEND` (undefined when unset or empty). */
export function forcedBackend(env: NodeJS.ProcessEnv = process.env): BackendChoice | undefined {
  const raw = env.POLICYLAB_BACKEND?.trim().toLowerCase();
  if (!raw) return undefined;
  if (!(BACKEND_CHOICES as readonly string[]).includes(raw)) {
    throw new Error(`POLICYLAB_BACKEND must be one of ${BACKEND_CHOICES.join(', ')}, got ${JSON.stringify(env.POLICYLAB_BACKEND)}`);
  }
  return raw as BackendChoice;
}

async function select(): Promise<BackendInfo> {
  const forced = forcedBackend();
  const skipped: BackendInfo['skipped'] = [];
  for (const candidate of CANDIDATES) {
    if (forced !== undefined && candidate.choice !== forced) {
      skipped.push({ candidate: candidate.label, reason: `POLICYLAB_BACKEND=${forced}` });
      continue;
    }
    try {
      const info = await candidate.init();
      await tf.ready();
      return { ...info, tfjsVersion: tf.version.tfjs, skipped };
    } catch (error) {
      const reason = reasonOf(error);
      if (forced !== undefined) {
        throw new Error(`POLICYLAB_BACKEND=${forced} asked for ${candidate.label}, which failed to load: ${reason}`);
      }
      skipped.push({ candidate: candidate.label, reason });
    }
  }
  throw new Error(`no tfjs backend could be initialised: ${skipped.map((s) => `${s.candidate} (${s.reason})`).join('; ')}`);
}

/** Selects and initialises the backend once per process; later calls return the same result. */
export function initBackend(): Promise<BackendInfo> {
  pending ??= select().then(
    (info) => {
      current = info;
      return info;
    },
    (error: unknown) => {
      pending = undefined; // let a caller retry (e.g. after fixing POLICYLAB_BACKEND)
      throw error;
    },
  );
  return pending;
}

/** The backend chosen by `initBackend()`; throws when called before it finished. */
export function describeBackend(): BackendInfo {
  if (current === undefined) throw new Error('describeBackend() called before initBackend() finished');
  return { ...current, skipped: current.skipped.map((s) => ({ ...s })) };
}

/** One line for logs and the CLI: `wasm (SIMD, 1 thread) · tfjs 4.22.0 · skipped: …`. */
export function formatBackend(info: BackendInfo): string {
  const details: string[] = [];
  if (info.simd !== undefined) details.push(info.simd ? 'SIMD' : 'no SIMD');
  if (info.threads !== undefined) details.push(`${info.threads} thread${info.threads === 1 ? '' : 's'}`);
  const head = details.length > 0 ? `${info.name} (${details.join(', ')})` : info.name;
  const skipped = info.skipped.length > 0 ? ` · skipped: ${info.skipped.map((s) => `${s.candidate}: ${s.reason}`).join('; ')}` : '';
  return `${head} · tfjs ${info.tfjsVersion}${skipped}`;
}
