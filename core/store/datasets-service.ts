/**
 * The contract's `datasets:*` channels over a DatasetStore; core/runner/service.ts spreads them into its handler
 * table. Requests arrive validated by core/api/datasets.ts's schemas. Pair generation runs in a worker process
 * (core/tasks/pair-worker.ts), so sampling never blocks the app's event loop or its window.
 */
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApiFailure, type Handlers } from '../api/contract.js';
import type { DatasetChannel, DatasetDetail, DatasetRowInfo } from '../api/datasets.js';
import { forkWorker, type SpawnWorker } from '../runner/spawn.js';
import { labelPendingWithOracle } from '../tasks/labeller.js';
import { readPromptSet } from '../tasks/resources.js';
import type { PairJob } from '../tasks/sample-pairs.js';
import { listCheckpoints } from './checkpoints.js';
import type { RunStore } from './db.js';
import { DatasetStore } from './datasets.js';
import { DatasetImportError, exportRows, importIntoDataset } from './datasets-io.js';
import type { PendingPair, PreferenceRow } from './datasets-schema.js';
import { StoreError } from './errors.js';

/** Most characters one import upload may hold (64 MiB). */
const MAX_UPLOAD_CHARS = 64 * 1024 * 1024;
/** An upload nobody finished is dropped after this long. */
const UPLOAD_TTL_MS = 10 * 60 * 1000;

export function defaultPairWorkerPath(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const js = join(here, '..', 'tasks', 'pair-worker.js');
  return existsSync(js) ? js : join(here, '..', 'tasks', 'pair-worker.ts');
}

export interface DatasetHandlerOptions {
  spawn?: SpawnWorker;
  pairWorkerPath?: string;
}

function mapError(err: unknown): unknown {
  if (err instanceof DatasetImportError) return new ApiFailure('invalid_request', err.message);
  if (err instanceof StoreError) {
    if (err.code === 'NOT_FOUND' || err.code === 'UNKNOWN_RUN') return new ApiFailure('not_found', err.message);
    if (err.code === 'INVALID_INPUT') return new ApiFailure('invalid_request', err.message);
    if (err.code === 'CORRUPT') return new ApiFailure('conflict', err.message);
  }
  return err;
}

async function mapped<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw mapError(err);
  }
}

function matches(row: PreferenceRow, q: { search?: string; label?: string; source?: string; labeller?: string }): boolean {
  if (q.label && row.label !== q.label) return false;
  if (q.source && row.source !== q.source) return false;
  if (q.labeller && row.labeller !== q.labeller) return false;
  if (q.search) {
    const s = q.search.toLowerCase();
    return [row.prompt, row.responseA, row.responseB, row.note, row.id].some((t) => t.toLowerCase().includes(s));
  }
  return true;
}

/** core/algos/prefs/common.ts POLICY_MODEL and core/algos/reward-model/model.ts REWARD_HEAD_ARRAY (the store does not import algos). */
const POLICY_MODEL = 'lm';
const REWARD_HEAD_ARRAY = 'rewardHead';

/** The model folders of a run's checkpoint (the worker loads the first one in core/lm's format). */
async function checkpointModelDirs(store: RunStore, runId: string, step: number): Promise<string[]> {
  const ckpts = await listCheckpoints(store.runDir(runId));
  const c = ckpts.find((x) => x.step === step);
  if (!c) throw new ApiFailure('not_found', `run ${runId} has no checkpoint at step ${step} (have: ${ckpts.map((x) => x.step).join(', ') || 'none'})`);
  if (c.models.length === 0) throw new ApiFailure('invalid_request', `run ${runId}'s checkpoint at step ${step} holds no model`);
  // Any policy run (sft, pretrain, rlhf-ppo, dpo) stores its policy as the `lm` model; a reward model's `lm` is its
  // trunk, not a policy, so pairs are never sampled from it.
  if (c.arrays.includes(REWARD_HEAD_ARRAY)) throw new ApiFailure('invalid_request', `run ${runId} is a reward model (its checkpoint holds '${REWARD_HEAD_ARRAY}'); generate pairs from a policy run (sft, rlhf-ppo, dpo)`);
  const names = [...c.models].sort((a, b) => Number(b === POLICY_MODEL) - Number(a === POLICY_MODEL));
  return names.map((name) => join(c.dir, name));
}

/** Runs one pair job in a worker process; resolves with its pairs. `onProgress` gets the worker's progress reports. */
function runPairJob(spawn: SpawnWorker, workerPath: string, job: PairJob, onProgress: (done: number, total: number) => void): Promise<PendingPair[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(workerPath, { ...process.env, POLICYLAB_PAIR_JOB: JSON.stringify(job) }, { priority: 'background' });
    let result: PendingPair[] | null = null;
    let error: string | null = null;
    const stderr: string[] = [];
    child.onMessage((m) => {
      const msg = m as { type?: string; pairs?: PendingPair[]; message?: string; done?: unknown; total?: unknown };
      if (msg.type === 'pairs' && Array.isArray(msg.pairs)) result = msg.pairs;
      if (msg.type === 'progress' && Number.isInteger(msg.done) && Number.isInteger(msg.total)) onProgress(msg.done as number, msg.total as number);
      if (msg.type === 'error') error = String(msg.message);
    });
    child.onOutput((stream, line) => {
      if (stream === 'stderr' && stderr.length < 20) stderr.push(line);
    });
    child.onExit((code, signal) => {
      if (result) resolve(result);
      else reject(new ApiFailure('internal', `pair generation failed: ${error ?? `worker exited (code ${code}, signal ${signal})${stderr.length ? `: ${stderr.join(' | ')}` : ''}`}`));
    });
  });
}

export function datasetHandlers(store: RunStore, options: DatasetHandlerOptions = {}): Pick<Handlers, DatasetChannel> {
  const ds = new DatasetStore(store);
  const spawn = options.spawn ?? forkWorker;
  const workerPath = options.pairWorkerPath ?? defaultPairWorkerPath();
  const uploads = new Map<string, { id: string; seq: number; parts: string[]; chars: number; timer: NodeJS.Timeout }>();
  /** Generations running, by dataset id: pairs done of total and when the request arrived. */
  const generations = new Map<string, { done: number; total: number; startedAt: number }>();
  const summary = (id: string) => {
    const s = ds.list().find((d) => d.id === id);
    if (!s) throw new ApiFailure('not_found', `unknown dataset ${JSON.stringify(id)}`);
    return s;
  };
  return {
    'datasets:list': async () => {
      await store.refresh();
      return ds.list().reverse();
    },
    'datasets:get': ({ id, offset, limit, pending, ...filter }) =>
      mapped(async (): Promise<DatasetDetail> => {
        const page = await ds.view(id, (d) => {
          const hits = d.rows.filter((r) => matches(r, filter));
          return structuredClone({ rows: hits.slice(offset, offset + limit), matching: hits.length, pending: d.pending.slice(0, pending), deleted: d.deleted });
        });
        await store.refresh();
        return { info: summary(id), ...page, rows: page.rows as DatasetRowInfo[] };
      }),
    'datasets:create': (req) => mapped(() => ds.create({ name: req.name, description: req.description ?? '', task: req.task ?? null })),
    'datasets:delete': ({ id }) =>
      mapped(async () => {
        await ds.remove(id);
        return { id, deleted: true as const };
      }),
    'datasets:label': ({ id, ...input }) => mapped(() => ds.label(id, input)),
    'datasets:unlabel': ({ id, rowId }) => mapped(() => ds.unlabel(id, rowId)),
    'datasets:fixRow': ({ id, rowId, ...patch }) => mapped(() => ds.updateRow(id, rowId, patch)),
    'datasets:deleteRow': ({ id, rowId }) =>
      mapped(async () => {
        await ds.deleteRow(id, rowId);
        return { id, rowId, deleted: true as const };
      }),
    'datasets:restoreRow': ({ id, rowId }) => mapped(() => ds.restoreRow(id, rowId)),
    'datasets:import': ({ id, uploadId, seq, pieces, last }) =>
      mapped(async () => {
        let u = uploads.get(uploadId);
        if (seq === 0) {
          if (u) clearTimeout(u.timer);
          u = { id, seq: -1, parts: [], chars: 0, timer: setTimeout(() => uploads.delete(uploadId), UPLOAD_TTL_MS) };
          u.timer.unref?.();
          uploads.set(uploadId, u);
        }
        if (!u || u.id !== id) throw new ApiFailure('invalid_request', `datasets:import: upload ${uploadId} was not started with seq 0 for dataset ${id}`);
        if (seq !== u.seq + 1) {
          uploads.delete(uploadId);
          throw new ApiFailure('invalid_request', `datasets:import: chunk ${seq} arrived after ${u.seq} (chunks must come in order); the upload was dropped`);
        }
        u.seq = seq;
        for (const p of pieces) {
          u.parts.push(p);
          u.chars += p.length;
        }
        if (u.chars > MAX_UPLOAD_CHARS) {
          uploads.delete(uploadId);
          throw new ApiFailure('invalid_request', `datasets:import: the file is over ${MAX_UPLOAD_CHARS} characters; import it with \`policylab datasets import\``);
        }
        if (!last) return { format: null, imported: 0, size: 0, received: u.chars };
        uploads.delete(uploadId);
        clearTimeout(u.timer);
        const r = await importIntoDataset(ds, id, u.parts.join(''));
        return { format: r.format, imported: r.imported, size: r.size, received: u.chars };
      }),
    'datasets:export': ({ id, format }) =>
      mapped(async () => {
        const { out, name } = await ds.view(id, (d) => ({ out: exportRows(d.rows, format), name: d.name }));
        await ds.markExported(id);
        const safe = name.replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^-|-$/g, '');
        return { ...out, filename: `${safe || id}.${format}.jsonl` };
      }),
    'datasets:generate': (req) =>
      mapped(async () => {
        const t0 = performance.now();
        await ds.read(req.id);
        const all = readPromptSet(req.task);
        const prompts = all.slice(req.offset, req.offset + req.count);
        if (prompts.length === 0) throw new ApiFailure('invalid_request', `datasets:generate: the ${req.task} prompt set has ${all.length} prompts; offset ${req.offset} is past its end`);
        let source: PairJob['source'];
        if (req.model.kind === 'generator') source = { kind: 'generator' };
        else if (req.model.kind === 'lm') {
          if (!isAbsolute(req.model.dir)) throw new ApiFailure('invalid_request', `datasets:generate: model.dir must be an absolute path, got ${JSON.stringify(req.model.dir)}`);
          source = { kind: 'lm', dirs: [req.model.dir], runId: null, step: null };
        } else source = { kind: 'lm', dirs: await checkpointModelDirs(store, req.model.runId, req.model.step), runId: req.model.runId, step: req.model.step };
        const job: PairJob = {
          source,
          task: req.task,
          prompts,
          sampling: { temperature: req.temperature, topK: req.topK, topP: req.topP, maxNewTokens: req.maxNewTokens },
          seed: req.seed,
          idPrefix: `s${req.seed}-`,
        };
        if (generations.has(req.id)) throw new ApiFailure('conflict', `dataset ${req.id} is already generating pairs; wait for it to finish`);
        const progress = { done: 0, total: prompts.length, startedAt: t0 };
        generations.set(req.id, progress);
        try {
          const pairs = await runPairJob(spawn, workerPath, job, (done, total) => {
            progress.done = Math.min(done, total);
            progress.total = total;
          });
          const pending = await ds.addPending(req.id, pairs);
          return { added: pairs.length, pending, seconds: (performance.now() - t0) / 1000 };
        } finally {
          generations.delete(req.id);
        }
      }),
    'datasets:generation': async ({ id }) => {
      const g = generations.get(id);
      return g ? { done: g.done, total: g.total, seconds: (performance.now() - g.startedAt) / 1000 } : null;
    },
    'datasets:requeue': ({ id, labeller, limit }) => mapped(async () => ({ queued: await ds.requeueForSecondLabeller(id, labeller, limit) })),
    'datasets:oracle': ({ id, task, beta, seed }) =>
      mapped(async () => {
        try {
          return await labelPendingWithOracle(ds, id, { task, beta, seed });
        } catch (e) {
          if (e instanceof Error && !(e instanceof StoreError) && !(e instanceof ApiFailure)) throw new ApiFailure('invalid_request', e.message);
          throw e;
        }
      }),
  };
}
