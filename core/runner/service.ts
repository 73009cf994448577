/**
 * The back end both shells share (Electron main and browser mode's server): opens the store and the
 * RunManager on a data folder and implements every contract channel. Transports call `invoke`, which
 * validates channel and payload (core/api/validate.ts) before any handler runs and never throws.
 */
import { open, readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type {
  ApiBackend,
  ApiEvent,
  BackendInfo,
  Handlers,
  MetricsQueryResult,
  SystemInfo,
} from '../api/contract.js';
import { dispatch } from '../api/validate.js';
import { listCheckpoints, METRICS_FILE, MetricReader, resolveHome, RunStore } from '../store/index.js';
import { loadCatalog, type AlgoCatalog } from './catalog.js';
import { mapStoreError, RunManager } from './run-manager.js';
import { probeBackend } from './probe.js';
import { defaultWorkerPath, forkWorker, type SpawnWorker } from './spawn.js';

export interface AppBackendOptions {
  /** Data folder; resolveHome() (POLICYLAB_HOME or the per-OS default) when omitted. */
  home?: string;
  transport: SystemInfo['transport'];
  maxConcurrent?: number;
  spawn?: SpawnWorker;
  workerPath?: string;
  stopTimeoutMs?: number;
  /** Algorithms and envs (default: core/algos/registry.ts and core/envs). */
  catalog?: AlgoCatalog;
  /** Extra versions to report in system:info (electron, chrome). */
  versions?: Record<string, string>;
}

export interface AppBackend extends ApiBackend {
  readonly manager: RunManager;
  readonly store: RunStore;
  readonly home: string;
  close(): Promise<void>;
}

async function appVersion(): Promise<string> {
  // package.json sits two folders up from core/runner (sources) and three from dist/core/runner.
  const here = dirname(fileURLToPath(import.meta.url));
  for (const rel of ['../../package.json', '../../../package.json']) {
    try {
      const pkg = JSON.parse(await readFile(join(here, rel), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'policylab' && pkg.version) return pkg.version;
    } catch {
      /* try the next */
    }
  }
  return 'unknown';
}

/** Byte offset just past the last complete line of the metrics file (where metrics:tail continues). */
async function lineAlignedSize(path: string): Promise<number> {
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

export async function openAppBackend(options: AppBackendOptions): Promise<AppBackend> {
  const home = options.home ?? resolveHome();
  const store = await RunStore.open(home);
  const spawn = options.spawn ?? forkWorker;
  const workerPath = options.workerPath ?? defaultWorkerPath();
  const manager = await RunManager.open({
    store,
    spawn,
    workerPath,
    ...(options.maxConcurrent !== undefined ? { maxConcurrent: options.maxConcurrent } : {}),
    ...(options.stopTimeoutMs !== undefined ? { stopTimeoutMs: options.stopTimeoutMs } : {}),
  });
  const catalog = options.catalog ?? (await loadCatalog());
  const version = await appVersion();
  let backendProbe: Promise<{ backend: BackendInfo | null; error: string | null }> | null = null;

  const runDir = (id: string): string => {
    try {
      return store.runDir(id);
    } catch (err) {
      throw mapStoreError(err);
    }
  };

  const handlers: Handlers = {
    'runs:list': async () => manager.list(),
    'runs:get': async ({ id }) => manager.info(id),
    'runs:start': async (req) => {
      const { config, totalSteps } = catalog.resolve(req);
      const runs = [];
      for (const seed of req.seeds) {
        const name = req.name && req.seeds.length > 1 ? `${req.name} s${seed}` : req.name;
        runs.push(
          await manager.start({
            algo: req.algo,
            env: req.env,
            config,
            seed,
            totalSteps,
            ...(name !== undefined ? { name } : {}),
            ...(req.tags !== undefined ? { tags: req.tags } : {}),
            ...(req.notes !== undefined ? { notes: req.notes } : {}),
          }),
        );
      }
      return runs;
    },
    'runs:stop': async ({ id }) => manager.stop(id),
    'runs:resume': async ({ id, totalSteps }) => manager.resume(id, totalSteps),
    'runs:delete': async ({ id }) => {
      await manager.delete(id);
      return { id, deleted: true as const };
    },
    'runs:update': async ({ id, ...patch }) => manager.update(id, patch),
    'runs:logs': async ({ id, limit }) => manager.logs(id, limit),
    'metrics:query': async ({ id, keys, maxPoints }): Promise<MetricsQueryResult> => {
      const dir = runDir(id);
      const reader = new MetricReader(dir);
      const offset = await lineAlignedSize(join(dir, METRICS_FILE));
      const all = await reader.keys();
      const wanted = keys ?? all;
      const data = await reader.downsample(wanted, maxPoints);
      return {
        keys: all,
        offset,
        series: wanted.map((key) => {
          const s = data[key]!;
          return {
            key,
            steps: s.points.map((p) => p.step),
            values: s.points.map((p) => p.value),
            mins: s.points.map((p) => p.min),
            maxs: s.points.map((p) => p.max),
            totalPoints: s.totalPoints,
          };
        }),
      };
    },
    'metrics:tail': async ({ id, offset }) => {
      try {
        const { records, nextOffset } = await new MetricReader(runDir(id)).readFrom(offset, { maxBytes: 1 << 20 });
        return { records: records.map((r) => ({ step: r.step, values: r.values })), nextOffset };
      } catch (err) {
        throw mapStoreError(err);
      }
    },
    'checkpoints:list': async ({ id }) =>
      (await listCheckpoints(runDir(id))).map((c) => ({ step: c.step, time: c.createdAt, metrics: c.metrics })),
    'algos:describe': async () => catalog.describe(),
    'system:info': async () => {
      backendProbe ??= probeBackend(spawn, workerPath).then(
        (backend) => ({ backend, error: null }),
        (err: unknown) => ({ backend: null, error: err instanceof Error ? err.message : String(err) }),
      );
      const { backend, error } = await backendProbe;
      return {
        appVersion: version,
        transport: options.transport,
        home,
        backend,
        backendError: error,
        maxConcurrent: manager.maxConcurrent,
        platform: `${process.platform}-${process.arch}`,
        versions: {
          node: process.versions.node,
          v8: process.versions.v8,
          ...(backend?.tfjsVersion ? { tfjs: backend.tfjsVersion } : {}),
          ...options.versions,
        },
      };
    },
  };

  let closed = false;
  return {
    manager,
    store,
    home,
    invoke: (channel, payload) => dispatch(handlers, channel, payload),
    subscribe: (listener: (event: ApiEvent) => void) => manager.subscribe(listener),
    async close() {
      if (closed) return;
      closed = true;
      await manager.close();
      await store.close();
    },
  };
}
