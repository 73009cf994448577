/**
 * The contract's `prefs:*` channels (core/api/prefs.ts): policy comparisons as jobs, each in a worker process
 * (worker.ts) so sampling never blocks the app. core/runner/service.ts spreads `handlers()` into its table and calls
 * `close()` when it closes. Requests arrive validated by the zod schemas; here every named run is checked against the
 * store before a worker starts (it exists, its checkpoint holds what its role needs, it was trained on the task), so
 * a bad request fails at once with an error naming the field, not minutes later in the worker.
 */
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nanoid } from 'nanoid';
import { ApiFailure, type Handlers } from '../api/contract.js';
import type { PrefsChannel, PrefsCompareRequest, PrefsCompareResult, PrefsJobInfo } from '../api/prefs.js';
import { POLICY_MODEL, taskPromptSplit } from '../algos/prefs/common.js';
import { REWARD_HEAD_ARRAY } from '../algos/reward-model/model.js';
import { coreModuleUrl } from '../collective/thread.js';
import { forkWorker, type SpawnWorker, type WorkerProcess } from '../runner/spawn.js';
import { listCheckpoints } from '../store/checkpoints.js';
import type { RunStore } from '../store/db.js';
import { isTaskId } from '../tasks/index.js';
import type { CompareJob, CompareModelSpec } from './compare.js';

/** Jobs kept in memory (finished ones beyond this are dropped, oldest first). */
const KEEP_JOBS = 20;

/** worker.ts under tsx, worker.js in the built tree (also from the CLI bundle, whose per-file tree is ../core/). */
export function defaultPrefsWorkerPath(): string {
  return fileURLToPath(coreModuleUrl(import.meta.url, 'prefs-eval/worker'));
}

export interface PrefsServiceOptions {
  spawn?: SpawnWorker;
  workerPath?: string;
}

type Role = 'policy' | 'reference' | 'rewardModel';

/** The shipped task a run was trained on, when its config names one (task, or an SFT/pretrain run's data/corpus). */
function runTask(config: Record<string, unknown>): string | null {
  for (const key of ['task', 'data', 'corpus']) {
    const v = config[key];
    if (isTaskId(v)) return v;
  }
  return null;
}

interface Job {
  info: PrefsJobInfo;
  child: WorkerProcess | null;
}

export class PrefsJobs {
  readonly #store: RunStore;
  readonly #spawn: SpawnWorker;
  readonly #workerPath: string;
  readonly #jobs = new Map<string, Job>();
  #closed = false;

  constructor(store: RunStore, options: PrefsServiceOptions = {}) {
    this.#store = store;
    this.#spawn = options.spawn ?? forkWorker;
    this.#workerPath = options.workerPath ?? defaultPrefsWorkerPath();
  }

  /** Checks one named run for its role and resolves its step (null → the latest intact checkpoint). */
  async #resolve(ref: { runId: string; step: number | null }, field: string, role: Role, task: string): Promise<CompareModelSpec> {
    const run = this.#store.findRun(ref.runId);
    if (!run) throw new ApiFailure('not_found', `${field}: there is no run ${JSON.stringify(ref.runId)}`);
    const ckpts = await listCheckpoints(this.#store.runDir(run.id));
    if (ckpts.length === 0) throw new ApiFailure('invalid_request', `${field}: run ${run.id} (${run.algo}) has no checkpoint yet`);
    const c = ref.step === null ? ckpts[ckpts.length - 1]! : ckpts.find((x) => x.step === ref.step);
    if (!c) {
      const have = ckpts.map((x) => x.step);
      throw new ApiFailure('not_found', `${field}: run ${run.id} has no checkpoint at step ${ref.step} (have: ${have.slice(-8).join(', ')}${have.length > 8 ? ', …' : ''})`);
    }
    if (!c.models.includes(POLICY_MODEL)) {
      throw new ApiFailure('invalid_request', `${field}: run ${run.id} (${run.algo}) holds no language model '${POLICY_MODEL}' in its checkpoint at step ${c.step} (models: ${c.models.join(', ') || 'none'}); ${role === 'rewardModel' ? 'name a reward-model run' : 'policies are sft, pretrain, rlhf-ppo or dpo runs'}`);
    }
    if (role === 'rewardModel' && !c.arrays.includes(REWARD_HEAD_ARRAY)) {
      throw new ApiFailure('invalid_request', `${field}: run ${run.id} (${run.algo}) is not a reward model (its checkpoint at step ${c.step} has no '${REWARD_HEAD_ARRAY}' array)`);
    }
    if (role !== 'rewardModel' && (run.algo === 'reward-model' || c.arrays.includes(REWARD_HEAD_ARRAY))) {
      throw new ApiFailure('invalid_request', `${field}: run ${run.id} is a reward model (its 'lm' is the reward model's trunk, not a policy); pass it as rewardModel`);
    }
    const trained = runTask(run.config);
    if (trained !== null && trained !== task) throw new ApiFailure('invalid_request', `${field}: run ${run.id} was trained on the ${trained} task, the comparison is on ${task}`);
    return { ref: run.id, step: c.step, field, algo: run.algo, name: run.name };
  }

  async start(req: PrefsCompareRequest): Promise<{ jobId: string }> {
    if (this.#closed) throw new ApiFailure('conflict', 'the back end is closing');
    await this.#store.refresh();
    const policies: CompareModelSpec[] = [];
    for (const [i, p] of req.policies.entries()) policies.push(await this.#resolve(p, `policies[${i}]`, 'policy', req.task));
    const reference = await this.#resolve(req.reference, 'reference', 'reference', req.task);
    const rewardModel = req.rewardModel ? await this.#resolve(req.rewardModel, 'rewardModel', 'rewardModel', req.task) : null;
    // The first N held-out prompts; a task with fewer (sentiment has 50) answers all it has.
    const prompts = taskPromptSplit(req.task).eval.slice(0, req.prompts);
    const job: CompareJob = {
      runsDir: dirname(this.#store.runDir(reference.ref)),
      task: req.task,
      prompts,
      policies,
      reference,
      rewardModel,
      seed: req.seed,
      sampling: req.sampling,
    };
    const jobId = `cmp-${nanoid(10).replace(/[^A-Za-z0-9_-]/g, '_')}`;
    const info: PrefsJobInfo = {
      jobId,
      status: 'running',
      stage: 'starting',
      done: 0,
      total: prompts.length * (req.policies.length + 1),
      startedAt: new Date().toISOString(),
      endedAt: null,
      error: null,
      request: structuredClone(req),
      result: null,
    };
    const entry: Job = { info, child: null };
    this.#jobs.set(jobId, entry);
    this.#prune();
    this.#run(entry, job);
    return { jobId };
  }

  #run(entry: Job, job: CompareJob): void {
    const child = this.#spawn(this.#workerPath, { ...process.env, POLICYLAB_PREFS_JOB: JSON.stringify(job) }, { priority: 'background' });
    entry.child = child;
    let result: PrefsCompareResult | null = null;
    let error: string | null = null;
    const stderr: string[] = [];
    child.onMessage((m) => {
      const msg = m as { type?: string; stage?: string; done?: number; total?: number; result?: PrefsCompareResult; message?: string };
      if (msg.type === 'progress' && entry.info.status === 'running') {
        entry.info.stage = String(msg.stage);
        entry.info.done = Number(msg.done) || 0;
      }
      if (msg.type === 'result' && msg.result) result = msg.result;
      if (msg.type === 'error') error = String(msg.message);
    });
    child.onOutput((stream, line) => {
      if (stream === 'stderr' && stderr.length < 20) stderr.push(line);
    });
    child.onExit((code, signal) => {
      entry.child = null;
      const i = entry.info;
      if (i.status !== 'running') return; // cancelled
      i.endedAt = new Date().toISOString();
      if (result) {
        i.status = 'done';
        i.stage = 'done';
        i.done = i.total;
        i.result = result;
      } else {
        i.status = 'failed';
        i.stage = 'failed';
        i.error = error ?? `the comparison worker exited (code ${code}, signal ${signal})${stderr.length ? `: ${stderr.join(' | ')}` : ''}`;
      }
    });
  }

  #prune(): void {
    const finished = [...this.#jobs.values()].filter((j) => j.info.status !== 'running');
    let extra = this.#jobs.size - KEEP_JOBS;
    for (const j of finished) {
      if (extra-- <= 0) break;
      this.#jobs.delete(j.info.jobId);
    }
  }

  #get(jobId: string): Job {
    const j = this.#jobs.get(jobId);
    if (!j) throw new ApiFailure('not_found', `there is no comparison job ${JSON.stringify(jobId)} (jobs are kept until the app closes, the latest ${KEEP_JOBS})`);
    return j;
  }

  job(jobId: string): PrefsJobInfo {
    return structuredClone(this.#get(jobId).info);
  }

  cancel(jobId: string): PrefsJobInfo {
    const j = this.#get(jobId);
    if (j.info.status === 'running') {
      j.info.status = 'cancelled';
      j.info.stage = 'cancelled';
      j.info.endedAt = new Date().toISOString();
      j.child?.kill();
    }
    return structuredClone(j.info);
  }

  list(): PrefsJobInfo[] {
    return [...this.#jobs.values()].reverse().map((j) => ({ ...structuredClone({ ...j.info, result: null }) }));
  }

  handlers(): Pick<Handlers, PrefsChannel> {
    return {
      'prefs:compare': (req) => this.start(req),
      'prefs:job': async ({ jobId }) => this.job(jobId),
      'prefs:cancel': async ({ jobId }) => this.cancel(jobId),
      'prefs:jobs': async () => this.list(),
    };
  }

  /** Stops every running job's worker. */
  close(): void {
    this.#closed = true;
    for (const j of this.#jobs.values()) if (j.info.status === 'running') this.cancel(j.info.jobId);
  }
}
