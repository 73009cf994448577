/**
 * The back end both shells share (Electron main and browser mode's server): opens the store and the
 * RunManager on a data folder and implements every contract channel. Transports call `invoke`, which
 * validates channel and payload (core/api/validate.ts) before any handler runs and never throws.
 */
import { readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ApiFailure,
  type ApiBackend,
  type ApiEvent,
  type BackendInfo,
  type DamagedRunInfo,
  type Handlers,
  type MetricSeries,
  type MetricsQueryResult,
  OVERVIEW_POINTS,
  type RunIntegrityInfo,
  type SystemInfo,
} from '../api/contract.js';
import { dispatch } from '../api/validate.js';
import {
  lineAlignedSize,
  listCheckpoints,
  listEpisodes,
  loadEpisode,
  METRICS_FILE,
  MetricReader,
  openIntegrityCache,
  resolveHome,
  readSettings,
  runIntegrity,
  RunStore,
  saveSettings,
  summarizeIntegrity,
} from '../store/index.js';
import { ImportError } from '../import/errors.js';
import { RunTableCache } from './run-table.js';
import { datasetHandlers } from '../store/datasets-service.js';
import { PrefsJobs } from '../prefs-eval/service.js';
import { readSamples } from '../algos/lm/samples.js';
import { SweepController } from '../sweep/controller.js';
import { sweepHandlers } from '../sweep/handlers.js';
import { Uploads } from '../import/uploads.js';
import { loadCatalog, type AlgoCatalog } from './catalog.js';
import { mapStoreError } from './errors.js';
import { concurrencyFromEnv, RunManager } from './run-manager.js';
import { probeBackend } from './probe.js';
import { QueryCache } from './query-cache.js';
import { RolloutManager } from './rollouts.js';
import { defaultWorkerPath, forkWorker, type SpawnWorker } from './spawn.js';

export interface AppBackendOptions {
  /** Data folder; resolveHome() (POLICYLAB_HOME or the per-OS default) when omitted. */
  home?: string;
  transport: SystemInfo['transport'];
  maxConcurrent?: number;
  spawn?: SpawnWorker;
  workerPath?: string;
  /** Module live-rollout processes run (default: rollout-worker.ts/.js next to rollouts.ts). */
  rolloutWorkerPath?: string;
  /** Most live rollouts at once (default 4). */
  maxRollouts?: number;
  stopTimeoutMs?: number;
  /** Algorithms and envs (default: core/algos/registry.ts and core/envs). */
  catalog?: AlgoCatalog;
  /** Extra versions to report in system:info (electron, chrome). */
  versions?: Record<string, string>;
  /**
   * Start detecting the tensor backend (a short-lived worker, at background priority) as soon as the back end
   * opens, instead of on the first system:info: the app's window asks for it at once, and a detection started
   * then competes with the first views for the CPU. The app's entry points set it; tests and tools leave it off.
   */
  probeAtStart?: boolean;
  /**
   * How long system:info waits for the damaged-runs scan before answering with the last finished scan's list and
   * damagedRunsPending (default 150 ms: a small data folder's scan finishes within it, so the answer is complete;
   * 0: never wait).
   */
  scanWaitMs?: number;
}

export interface AppBackend extends ApiBackend {
  readonly manager: RunManager;
  readonly rollouts: RolloutManager;
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

export async function openAppBackend(options: AppBackendOptions): Promise<AppBackend> {
  const home = options.home ?? resolveHome();
  const store = await RunStore.open(home);
  const spawn = options.spawn ?? forkWorker;
  const workerPath = options.workerPath ?? defaultWorkerPath();
  // "Runs at once": --max-runs / POLICYLAB_MAX_RUNS for this launch, else what the user last set in the app.
  const saved = await readSettings(home);
  if (saved.problem) store.report('settings-reset', saved.problem);
  const maxConcurrent = options.maxConcurrent ?? concurrencyFromEnv() ?? saved.settings.maxConcurrent;
  const manager = await RunManager.open({
    store,
    spawn,
    workerPath,
    ...(maxConcurrent !== undefined ? { maxConcurrent } : {}),
    ...(options.stopTimeoutMs !== undefined ? { stopTimeoutMs: options.stopTimeoutMs } : {}),
  });
  // Rollout events go to the same subscribers as the run manager's.
  const rolloutListeners = new Set<(event: ApiEvent) => void>();
  const rollouts = new RolloutManager({
    spawn,
    ...(options.rolloutWorkerPath !== undefined ? { workerPath: options.rolloutWorkerPath } : {}),
    ...(options.maxRollouts !== undefined ? { maxActive: options.maxRollouts } : {}),
    emit: (event) => {
      for (const l of rolloutListeners) {
        try {
          l(event);
        } catch {
          // A failing subscriber (closed socket) must not break the others.
        }
      }
    },
  });
  const catalog = options.catalog ?? (await loadCatalog());
  // Sweeps (core/sweep): queued through the manager; one left running by a process that is gone is marked stopped.
  const sweeps = new SweepController({ store, manager, catalog, ownerKind: 'app' });
  await sweeps.reconcile();
  const headCache = new QueryCache<{ keys: string[]; offset: number; firstWallTime: number | null; points: number }>();
  const seriesCache = new QueryCache<{ series: MetricSeries; points: number }>();
  const version = await appVersion();
  // Policy comparisons (prefs:*), each in a worker process.
  const prefs = new PrefsJobs(store, { spawn });
  let backendProbe: Promise<{ backend: BackendInfo | null; error: string | null }> | null = null;

  const runDir = (id: string): string => {
    try {
      return store.runDir(id);
    } catch (err) {
      throw mapStoreError(err);
    }
  };

  const probeAbort = new AbortController();
  const probe = () =>
    (backendProbe ??= probeBackend(spawn, workerPath, { signal: probeAbort.signal }).then(
      (backend) => ({ backend, error: null }),
      (err: unknown) => ({ backend: null, error: err instanceof Error ? err.message : String(err) }),
    ));
  if (options.probeAtStart) void probe();

  // Imports uploaded from the app (core/import/uploads.ts): a malformed file is the request's fault.
  const uploads = new Uploads();
  const importing = async <T>(work: () => T | Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (err) {
      throw err instanceof ImportError ? new ApiFailure('invalid_request', err.message) : err;
    }
  };

  // Both kept in the data folder, so a restart neither re-reads every run's metrics for the runs table nor re-scans
  // every folder behind system:info (core/store/persisted-cache.ts).
  const runTable = await RunTableCache.open(home);
  const integrity = await openIntegrityCache(home);
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
    'runs:resume': async ({ id, totalSteps, restart }) => manager.resume(id, totalSteps, restart),
    'runs:delete': async ({ id }) => {
      await manager.delete(id);
      headCache.forget(`${id}\u0000`);
      seriesCache.forget(`${id}\u0000`);
      runTable.forget(id);
      return { id, deleted: true as const };
    },
    'runs:update': async ({ id, ...patch }) => manager.update(id, patch),
    'runs:logs': async ({ id, limit }) => manager.logs(id, limit),
    'metrics:query': async ({ id, keys, maxPoints, from, to }): Promise<MetricsQueryResult> => {
      const dir = runDir(id);
      const file = join(dir, METRICS_FILE);
      // Cached per run (key list, tail offset) and per series, valid while metrics.jsonl is unchanged.
      const signature = await QueryCache.signature(file);
      const runKey = `${id}\u0000`;
      let head = headCache.get(runKey, signature);
      if (!head) {
        const reader = new MetricReader(dir);
        const first = await reader.readFrom(0, { maxBytes: 4096 });
        const firstWallTime = first.records[0]?.wallTime ?? null;
        head = { keys: await reader.keys(), offset: await lineAlignedSize(file), firstWallTime, points: 0 };
        headCache.set(runKey, signature, head);
      }
      const wanted = keys ?? head.keys;
      const seriesKey = (key: string) => `${runKey}${JSON.stringify([key, maxPoints, from ?? null, to ?? null])}`;
      const found = new Map(wanted.map((key) => [key, seriesCache.get(seriesKey(key), signature)] as const));
      const missing = wanted.filter((key) => !found.get(key));
      if (missing.length > 0) {
        const range = { ...(from !== undefined ? { from } : {}), ...(to !== undefined ? { to } : {}) };
        const data = await new MetricReader(dir).downsample(missing, maxPoints, range);
        // A whole-run chart query that had to compute its buckets: an ended run lacking overviews gets them.
        const wholeRun = from === undefined && to === undefined && (OVERVIEW_POINTS as readonly number[]).includes(maxPoints);
        if (wholeRun && missing.some((k) => data[k]!.downsampled && !data[k]!.fromOverview)) void manager.prepareOverviews(id);
        for (const key of missing) {
          const { points, totalPoints } = data[key]!;
          const n = points.length;
          const column = () => new Array<number>(n);
          const series = { key, steps: column(), values: column(), mins: column(), maxs: column(), wallTimes: column(), totalPoints };
          for (let i = 0; i < n; i++) {
            const p = points[i]!;
            series.steps[i] = p.step;
            series.values[i] = p.value;
            series.mins[i] = p.min;
            series.maxs[i] = p.max;
            series.wallTimes[i] = p.wallTime;
          }
          found.set(key, { series, points: n });
          seriesCache.set(seriesKey(key), signature, { series, points: n });
        }
      }
      const series = wanted.map((key) => found.get(key)!.series);
      return { keys: head.keys, offset: head.offset, firstWallTime: head.firstWallTime, series };
    },
    'metrics:tail': async ({ id, offset }) => {
      try {
        const { records, nextOffset } = await new MetricReader(runDir(id)).readFrom(offset, { maxBytes: 1 << 20 });
        return { records: records.map((r) => ({ step: r.step, wallTime: r.wallTime, values: r.values })), nextOffset };
      } catch (err) {
        throw mapStoreError(err);
      }
    },
    'checkpoints:list': async ({ id }) =>
      (await listCheckpoints(runDir(id))).map((c) => ({ step: c.step, time: c.createdAt, metrics: c.metrics })),
    'runs:table': async ({ ids }) => runTable.rows(ids.map((id) => ({ id, dir: runDir(id), env: manager.info(id).env }))),
    'runs:integrity': async ({ id }): Promise<RunIntegrityInfo> => {
      const dir = runDir(id);
      const report: RunIntegrityInfo = await runIntegrity(dir, { cache: integrity });
      if (report.metrics.index.status === 'damaged') {
        // Rebuilt from metrics.jsonl now unless a process is writing the run (then by its next writer); until then
        // charts read around the damage.
        await manager.prepareOverviews(id);
        const after = await runIntegrity(dir, { cache: integrity });
        if (after.metrics.index.status !== 'damaged') report.metrics.index.status = 'rebuilt';
      }
      return report;
    },
    'episodes:list': async ({ id }) => {
      try {
        return (await listEpisodes(runDir(id))).map((e) => ({ step: e.step, envId: e.envId, seed: e.seed, return: e.return, length: e.length }));
      } catch (err) {
        throw mapStoreError(err);
      }
    },
    'runs:samples': async ({ id, limit }) => {
      const { samples, problems } = await readSamples(runDir(id));
      return { samples: samples.slice(-limit), steps: [...new Set(samples.map((x) => x.step))], total: samples.length, problems };
    },
    'episodes:get': async ({ id, step }) => {
      try {
        const e = await loadEpisode(runDir(id), step);
        return {
          step: e.step,
          envId: e.envId,
          seed: e.seed,
          return: e.return,
          length: e.length,
          states: e.states,
          actions: e.actions,
          rewards: e.rewards,
        };
      } catch (err) {
        throw mapStoreError(err);
      }
    },
    // A rollout watched by a client (a tab, a window) stops when that client goes away.
    'rollout:start': async (req, { clientGone }) => {
      const run = manager.info(req.id);
      if (run.external) throw new ApiFailure('conflict', `run ${req.id} was imported from ${run.external.library}; imported runs have no policy to replay`);
      const dir = runDir(req.id);
      const steps = (await listCheckpoints(dir)).map((c) => c.step);
      if (!steps.includes(req.checkpointStep)) {
        const have = steps.length ? `it has ${steps.slice(-8).join(', ')}${steps.length > 8 ? ', …' : ''}` : 'it has none yet';
        throw new ApiFailure('not_found', `run ${req.id} has no checkpoint at step ${req.checkpointStep} (${have})`);
      }
      const request = {
        runDir: dir,
        env: run.env,
        config: run.config,
        checkpointStep: req.checkpointStep,
        seed: req.seed,
        deterministic: req.deterministic,
        realtime: req.realtime,
        ...(req.maxSteps !== undefined ? { maxSteps: req.maxSteps } : {}),
        ...(req.fps !== undefined ? { fps: req.fps } : {}),
      };
      return rollouts.start(request, clientGone ? { owner: clientGone } : {});
    },
    'rollout:stop': async ({ rolloutId }) => rollouts.stop(rolloutId),
    'algos:describe': async () => catalog.describe(),
    'system:settings': async ({ maxConcurrent }) => {
      manager.setMaxConcurrent(maxConcurrent);
      await saveSettings(home, { maxConcurrent: manager.maxConcurrent });
      return systemInfo();
    },
    'system:info': async (req) => systemInfo(req?.waitForScan === true),
    ...sweepHandlers(sweeps, store),
    // Preference datasets; pair generation runs in a worker process like training does.
    ...datasetHandlers(store, { spawn }),
    ...prefs.handlers(),
    'import:upload': async (req) => importing(() => uploads.receive(req)),
    'import:commit': async ({ uploadId, name }) => {
      const { runs, parsed } = await importing(() => uploads.commit(store, uploadId, name));
      return {
        runs: runs.map((r) => manager.info(r.id)),
        details: runs.map((r, i) => ({ id: r.id, library: parsed[i]!.library, records: parsed[i]!.records.length, keys: Object.keys(r.summary).length, skipped: parsed[i]!.skipped })),
      };
    },
  };

  // The background scan behind system:info gives way to requests: between chunks it waits (up to PACE_MAX_MS a
  // chunk, so a client that never stops asking cannot stall it) until no request has been in flight for PACE_QUIET_MS.
  // A scan that misses its cache parses 1M-record runs for seconds; it competed with the compare view's reads.
  let requestsInFlight = 0;
  let lastRequestEnded = 0;
  const PACE_QUIET_MS = 100;
  const PACE_MAX_MS = 250;
  // Only work that has run PACE_WORK_MS since the scan last gave way waits: a folder of small runs is scanned
  // without a pause (system:info waits on the scan, and the renderer waits on system:info for the data folder).
  const PACE_WORK_MS = 50;
  let lastGaveWay = 0;
  const pace = async (): Promise<void> => {
    const started = performance.now();
    if (started - lastGaveWay < PACE_WORK_MS) return;
    try {
      await giveWay(started);
    } finally {
      lastGaveWay = performance.now();
    }
  };
  const giveWay = async (started: number): Promise<void> => {
    for (;;) {
      const now = performance.now();
      const quietFor = requestsInFlight > 0 ? 0 : now - lastRequestEnded;
      if (quietFor >= PACE_QUIET_MS || now - started >= PACE_MAX_MS) return;
      await new Promise<void>((resolve) => setTimeout(resolve, Math.min(PACE_QUIET_MS - quietFor, PACE_MAX_MS - (now - started)) + 1));
    }
  };

  // Each run's integrity line, recomputed only when its record changed (a damaged file is found by reading the folder).
  const integrityCache = new Map<string, { signature: string; summary: string | null }>();
  const damagedRuns = async (): Promise<DamagedRunInfo[]> => {
    lastGaveWay = performance.now(); // the scan's work counts from here
    const out: DamagedRunInfo[] = [];
    const runs = store.listRuns();
    const live = new Set(runs.map((r) => r.id));
    for (const id of integrityCache.keys()) if (!live.has(id)) integrityCache.delete(id);
    const dirs = new Set(runs.map((r) => runDir(r.id)));
    integrity.retain((key) => dirs.has(key.slice(key.indexOf('\u0000') + 1)));
    runTable.retain((id) => live.has(id));
    for (const r of runs) {
      const dir = runDir(r.id);
      const stamps = await Promise.all([dir, join(dir, METRICS_FILE), join(dir, 'checkpoints')].map((p) => stat(p).then((st) => `${st.size}:${st.mtimeMs}`, () => '-')));
      const signature = `${r.updatedAt}|${stamps.join('|')}`;
      let cached = integrityCache.get(r.id);
      if (cached?.signature !== signature) {
        const summary = await runIntegrity(dir, { cache: integrity, pace }).then(summarizeIntegrity, () => null);
        cached = { signature, summary };
        integrityCache.set(r.id, cached);
      }
      if (cached.summary) out.push({ id: r.id, name: r.name, summary: cached.summary });
    }
    return out;
  };
  // One scan at a time, shared by the callers that arrive meanwhile: every page load asks system:info, and with
  // 1,000 runs the first scan takes seconds, so each new tab started another one beside it (competing with runs:table).
  let damagedScan: Promise<DamagedRunInfo[]> | null = null;
  let lastDamaged: DamagedRunInfo[] = [];
  const damagedRunsOnce = (): Promise<DamagedRunInfo[]> =>
    (damagedScan ??= damagedRuns()
      .then((found) => (lastDamaged = found))
      .finally(() => {
        damagedScan = null;
      }));
  const scanWaitMs = options.scanWaitMs ?? 150;

  /**
   * The damaged-runs list for system:info: the scan's own when it finishes within scanWaitMs (or waitForScan),
   * else the last finished scan's, marked pending — the window's first answer (data folder, backend) must not wait
   * seconds for a large folder's scan.
   */
  const damagedForInfo = async (waitForScan: boolean): Promise<{ list: DamagedRunInfo[]; pending: boolean }> => {
    const scan = damagedRunsOnce();
    if (waitForScan) return { list: await scan, pending: false };
    if (scanWaitMs <= 0) return { list: lastDamaged, pending: true };
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), scanWaitMs)));
    try {
      const found = await Promise.race([scan, timeout]);
      return found === null ? { list: lastDamaged, pending: true } : { list: found, pending: false };
    } finally {
      clearTimeout(timer);
    }
  };

  const systemInfo = async (waitForScan = false): Promise<SystemInfo> => {
    const [{ backend, error }, damaged] = await Promise.all([probe(), damagedForInfo(waitForScan)]);
    return {
      appVersion: version,
      transport: options.transport,
      home,
      backend,
      backendError: error,
      maxConcurrent: manager.maxConcurrent,
      notices: store.notices.map((n) => ({ ...n })),
      damagedRuns: damaged.list,
      damagedRunsPending: damaged.pending,
      platform: `${process.platform}-${process.arch}`,
      versions: {
        node: process.versions.node,
        v8: process.versions.v8,
        ...(backend?.tfjsVersion ? { tfjs: backend.tfjsVersion } : {}),
        ...options.versions,
      },
    };
  };

  let closed = false;
  return {
    manager,
    rollouts,
    store,
    home,
    invoke: async (channel, payload, context) => {
      const foreground = channel !== 'system:info' && channel !== 'system:settings'; // those two wait on the scan
      if (foreground) requestsInFlight++;
      try {
        return await dispatch(handlers, channel, payload, context);
      } finally {
        if (foreground) {
          requestsInFlight--;
          lastRequestEnded = performance.now();
        }
      }
    },
    subscribe: (listener: (event: ApiEvent) => void) => {
      const off = manager.subscribe(listener);
      rolloutListeners.add(listener);
      return () => {
        off();
        rolloutListeners.delete(listener);
      };
    },
    async close() {
      if (closed) return;
      closed = true;
      probeAbort.abort();
      prefs.close();
      await rollouts.close();
      sweeps.beginClose();
      await manager.close();
      await sweeps.close();
      await Promise.all([runTable.flush(), integrity.flush()]).catch(() => undefined); // caches: losing one costs a recomputation
      await store.close();
    },
  };
}
