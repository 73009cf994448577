/**
 * Starting DD-PPO's workers (ranks 1 … N − 1) for a run on the redis transport, from rank 0 — the training run,
 * so the app and the CLI launch them the same way (config `launchWorkers`):
 *   manual      nothing is started; rank 0 logs the command each worker runs (other machines, your scheduler)
 *   local       N − 1 `policylab ddppo-worker` processes on this machine, their output in the run's log, stopped
 *               with the run
 *   kubernetes  an Indexed Job of N − 1 worker pods (deploy/k8s/workers.yaml's shape, named after the run) applied
 *               with `kubectl apply -f -` to the cluster kubectl points at (KUBECONFIG / its current context), and
 *               deleted when the run ends
 * A worker that fails reports to the other ranks through Redis, so rank 0 fails the run with its message; the
 * launcher only starts and cleans up.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { redactUrl } from '../../collective/redis.js';

import type { WorkerLaunch } from './launch-kinds.js';

export interface LaunchOptions {
  runId: string;
  /** Workers in all (rank 0 included). */
  workers: number;
  /** The Redis URL rank 0 uses; workers use `workerRedisUrl` when given (the address pods reach). */
  redisUrl: string;
  workerRedisUrl?: string;
  image?: string;
  namespace?: string;
  log: (line: string) => void;
}

export interface LaunchedWorkers {
  /** What was started, for the log. */
  description: string;
  /** Ends the workers (after the run ended, or failed): waits for local processes, deletes a Kubernetes Job. */
  stop(reason: 'finished' | 'failed'): Promise<void>;
}

/** bin/policylab.mjs of this install: the nearest folder above this module (sources, dist/, the CLI bundle) that has it. */
export function cliPath(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  let dir = here;
  for (let up = 0; up < 6; up++) {
    const p = join(dir, 'bin', 'policylab.mjs');
    if (existsSync(p)) return p;
    dir = dirname(dir);
  }
  throw new Error(`launchWorkers local: the policylab CLI (bin/policylab.mjs) was not found above ${here}`);
}

/** The command a worker runs (what `manual` logs, and `local` spawns). */
export function workerArgs(o: Pick<LaunchOptions, 'runId' | 'redisUrl' | 'workerRedisUrl'>, rank: number): string[] {
  return ['ddppo-worker', '--redis-url', o.workerRedisUrl || o.redisUrl, '--run-key', o.runId, '--rank', String(rank)];
}

export async function launchWorkers(kind: WorkerLaunch, o: LaunchOptions): Promise<LaunchedWorkers | null> {
  if (!Number.isInteger(o.workers) || o.workers < 1) throw new Error(`launchWorkers: workers must be a positive integer, got ${o.workers}`);
  if (o.workers === 1) return null;
  if (kind === 'manual') {
    const shown = workerArgs(o, 0).map((a) => (a.startsWith('redis') ? redactUrl(a) : a));
    o.log(`DD-PPO rank 0 on Redis: start ranks 1 … ${o.workers - 1} with  policylab ${shown.slice(0, -1).join(' ')} R  (deploy/README.md: other machines, Kubernetes)`);
    return null;
  }
  if (kind === 'local') return launchLocal(o);
  return launchKubernetes(o);
}

const STOP_GRACE_MS = 10_000;

function launchLocal(o: LaunchOptions): LaunchedWorkers {
  const cli = cliPath();
  const children: { rank: number; child: ChildProcess; exited: Promise<number | null> }[] = [];
  for (let rank = 1; rank < o.workers; rank++) {
    const child = spawn(process.execPath, [cli, ...workerArgs(o, rank)], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, RANK: undefined, JOB_COMPLETION_INDEX: undefined, WORLD_SIZE: undefined } });
    const prefix = `[worker ${rank}] `;
    for (const stream of [child.stdout!, child.stderr!]) {
      let rest = '';
      stream.setEncoding('utf8');
      stream.on('data', (d: string) => {
        const lines = (rest + d).split('\n');
        rest = lines.pop() ?? '';
        for (const line of lines) if (line.trim()) o.log(prefix + line);
      });
      stream.on('end', () => rest.trim() && o.log(prefix + rest));
    }
    const exited = new Promise<number | null>((resolve) => {
      child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : null)));
      child.on('error', (e) => {
        o.log(`${prefix}could not start: ${e.message}`);
        resolve(null);
      });
    });
    children.push({ rank, child, exited });
  }
  o.log(`DD-PPO: started ranks 1 … ${o.workers - 1} on this machine (pids ${children.map((c) => c.child.pid).join(', ')})`);
  return {
    description: `${o.workers - 1} local worker processes`,
    async stop(reason) {
      // A finished run's workers exit 0 by themselves; a failed one's have been told through Redis. Either way, give
      // them a moment, then make sure none is left behind.
      const timeout = (ms: number): Promise<'timeout'> => new Promise((r) => setTimeout(() => r('timeout'), ms).unref());
      for (const c of children) {
        const code = await Promise.race([c.exited, timeout(reason === 'finished' ? STOP_GRACE_MS : 2000)]);
        if (code === 'timeout') {
          c.child.kill('SIGTERM');
          if ((await Promise.race([c.exited, timeout(STOP_GRACE_MS)])) === 'timeout') c.child.kill('SIGKILL');
          o.log(`[worker ${c.rank}] stopped by rank 0`);
        } else if (code !== 0 && reason === 'finished') o.log(`[worker ${c.rank}] exited with code ${code}`);
      }
    },
  };
}

/** A Kubernetes object name from a run id: DNS-1123 (lower-case alphanumerics and '-'), ≤ 63 characters. */
export function k8sName(runId: string): string {
  const base = `policylab-ddppo-${runId.toLowerCase().replace(/[^a-z0-9-]+/g, '-')}`.replace(/-+$/, '');
  return base.length <= 63 ? base : base.slice(0, 63).replace(/-+$/, '');
}

/**
 * The Service + Indexed Job of deploy/k8s/workers.yaml for one run: named after it, N − 1 completions run at once,
 * the run key and the workers' Redis URL filled in. test/unit/ddppo/launch.test.ts checks it against the shipped
 * file, so the two cannot drift.
 */
export function workerManifests(o: Pick<LaunchOptions, 'runId' | 'workers' | 'redisUrl' | 'workerRedisUrl' | 'image'>): Record<string, unknown>[] {
  const name = k8sName(o.runId);
  const labels = { 'app.kubernetes.io/name': 'policylab', 'app.kubernetes.io/component': 'ddppo-worker', 'policylab/run': name.slice(0, 63) };
  const n = o.workers - 1;
  const service = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, labels },
    spec: { clusterIP: 'None', selector: labels },
  };
  const job = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, labels },
    spec: {
      completionMode: 'Indexed',
      completions: n,
      parallelism: n,
      backoffLimit: 0,
      template: {
        metadata: { labels },
        spec: {
          subdomain: name,
          restartPolicy: 'Never',
          containers: [
            {
              name: 'worker',
              image: o.image || 'policylab:dev',
              command: ['node', 'bin/policylab.mjs', 'ddppo-worker'],
              env: [
                { name: 'POLICYLAB_REDIS_URL', value: o.workerRedisUrl || o.redisUrl },
                { name: 'POLICYLAB_RUN_KEY', value: o.runId },
                { name: 'JOB_COMPLETION_INDEX', valueFrom: { fieldRef: { fieldPath: "metadata.annotations['batch.kubernetes.io/job-completion-index']" } } },
              ],
              resources: { requests: { cpu: '1', memory: '512Mi' } },
            },
          ],
        },
      },
    },
  };
  return [service, job];
}

/** Runs kubectl with `args` (stdin `input`); resolves with its output, rejects naming the command and its stderr. */
function kubectl(args: string[], input: string | null): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('kubectl', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', (e: NodeJS.ErrnoException) =>
      reject(new Error(e.code === 'ENOENT' ? 'launchWorkers kubernetes needs kubectl on PATH (pointed at the cluster: KUBECONFIG or its current context)' : `kubectl ${args.join(' ')}: ${e.message}`)),
    );
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`kubectl ${args.join(' ')} exited with code ${code}: ${err.trim() || out.trim()}`))));
    child.stdin.on('error', () => {}); // kubectl exiting before reading its input: its exit code and stderr say why
    child.stdin.end(input ?? '');
  });
}

async function launchKubernetes(o: LaunchOptions): Promise<LaunchedWorkers> {
  const ns = o.namespace || 'default';
  const name = k8sName(o.runId);
  const yaml = workerManifests(o)
    .map((m) => stringify(m))
    .join('---\n');
  const applied = await kubectl(['apply', '--namespace', ns, '-f', '-'], yaml);
  o.log(`DD-PPO: applied the worker Job ${name} (${o.workers - 1} pods) in namespace ${ns}: ${applied.trim().replace(/\n/g, '; ')}`);
  return {
    description: `Kubernetes Job ${name} in namespace ${ns}`,
    async stop() {
      try {
        await kubectl(['delete', '--namespace', ns, '--ignore-not-found', '--wait=false', `job/${name}`, `service/${name}`], null);
        o.log(`DD-PPO: deleted the worker Job ${name}`);
      } catch (e) {
        o.log(`warning: could not delete the worker Job ${name}: ${e instanceof Error ? e.message : String(e)} (kubectl delete job/${name} service/${name} -n ${ns})`);
      }
    },
  };
}
