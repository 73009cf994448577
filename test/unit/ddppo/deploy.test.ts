/**
 * deploy/: the Kubernetes manifests and the compose file parse, and hold the invariants a multi-machine DD-PPO run
 * needs (no cluster or Docker needed): an Indexed Job with parallelism = completions (every worker at once), no
 * retries, ranks from the completion index that the worker CLI turns into 1 … N − 1, the Redis URL naming the
 * Redis Service (and its port), a headless Service for the pods' names, Redis without persistence; compose workers
 * with distinct contiguous ranks 1 … k wired to its Redis.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { resolveWorkerArgs } from '../../../core/cli/ddppo-worker.js';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- parsed YAML, checked field by field

const root = process.cwd();
function docs(path: string): Obj[] {
  const all = parseAllDocuments(readFileSync(join(root, path), 'utf8'));
  for (const d of all) expect(d.errors, `${path}: ${d.errors.map((e) => e.message).join('; ')}`).toEqual([]);
  return all.map((d) => d.toJS() as Obj);
}
const find = (list: Obj[], kind: string, name: string): Obj => {
  const o = list.find((d) => d.kind === kind && d.metadata?.name === name);
  expect(o, `${kind} ${name}`).toBeDefined();
  return o!;
};
const matches = (selector: Obj, labels: Obj): boolean => Object.entries(selector).every(([k, v]) => labels[k] === v);
const envOf = (container: Obj): Record<string, Obj> => Object.fromEntries((container.env as Obj[]).map((e) => [e.name, e]));

describe('deploy/k8s', () => {
  const redis = docs('deploy/k8s/redis.yaml');
  const workers = docs('deploy/k8s/workers.yaml');
  const all = [...redis, ...workers];

  it('Redis: one Deployment without persistence, a Service selecting its pods on its port', () => {
    const dep = find(all, 'Deployment', 'policylab-redis');
    const svc = find(all, 'Service', 'policylab-redis');
    expect(dep.spec.replicas).toBe(1);
    const podLabels = dep.spec.template.metadata.labels as Obj;
    expect(matches(dep.spec.selector.matchLabels, podLabels)).toBe(true);
    expect(matches(svc.spec.selector, podLabels)).toBe(true);
    const c = dep.spec.template.spec.containers[0] as Obj;
    const args = c.args as string[];
    expect(args[args.indexOf('--save') + 1]).toBe('');
    expect(args[args.indexOf('--appendonly') + 1]).toBe('no');
    const port = (c.ports as Obj[]).find((p) => p.name === svc.spec.ports[0].targetPort || p.containerPort === svc.spec.ports[0].targetPort);
    expect(port?.containerPort).toBe(6379);
  });

  it('workers: an Indexed Job, parallelism = completions, no retries, a headless Service for its pods', () => {
    const job = find(all, 'Job', 'policylab-ddppo-workers');
    expect(job.apiVersion).toBe('batch/v1');
    expect(job.spec.completionMode).toBe('Indexed');
    expect(Number.isInteger(job.spec.completions) && job.spec.completions >= 1).toBe(true);
    expect(job.spec.parallelism).toBe(job.spec.completions);
    expect(job.spec.backoffLimit).toBe(0);
    const pod = job.spec.template.spec as Obj;
    expect(pod.restartPolicy).toBe('Never');
    const headless = find(all, 'Service', pod.subdomain as string);
    expect(headless.spec.clusterIP).toBe('None');
    expect(matches(headless.spec.selector, job.spec.template.metadata.labels)).toBe(true);
    // The Redis selector must not catch worker pods (and the other way round).
    expect(matches(find(all, 'Service', 'policylab-redis').spec.selector, job.spec.template.metadata.labels)).toBe(false);
  });

  it("workers' env: the Redis Service's URL, the run key placeholder, the completion index from the pod annotation — and the CLI maps index i to rank i + 1", () => {
    const job = find(all, 'Job', 'policylab-ddppo-workers');
    const c = job.spec.template.spec.containers[0] as Obj;
    expect(c.command).toEqual(['node', 'bin/policylab.mjs', 'ddppo-worker']);
    expect(existsSync(join(root, 'bin/policylab.mjs'))).toBe(true);
    const env = envOf(c);
    const url = new URL(env.POLICYLAB_REDIS_URL.value as string);
    const svc = find(all, 'Service', 'policylab-redis');
    expect(url.protocol).toBe('redis:');
    expect(url.hostname).toBe(svc.metadata.name);
    expect(Number(url.port)).toBe(svc.spec.ports[0].port);
    expect(env.POLICYLAB_RUN_KEY.value).toBe('${POLICYLAB_RUN_KEY}');
    expect(env.JOB_COMPLETION_INDEX.valueFrom.fieldRef.fieldPath).toBe("metadata.annotations['batch.kubernetes.io/job-completion-index']");
    expect(env.RANK, 'RANK would override the completion index').toBeUndefined();
    // What each pod's worker resolves (the placeholder substituted, as the README's envsubst does).
    const ranks = Array.from({ length: job.spec.completions as number }, (_, i) =>
      resolveWorkerArgs({}, { POLICYLAB_REDIS_URL: url.href, POLICYLAB_RUN_KEY: 'run-abc', JOB_COMPLETION_INDEX: String(i) }).rank,
    );
    expect(ranks).toEqual(Array.from({ length: job.spec.completions as number }, (_, i) => i + 1));
    // Applied without the substitution, the worker refuses clearly instead of waiting for a run that never comes.
    expect(() => resolveWorkerArgs({}, { POLICYLAB_REDIS_URL: url.href, POLICYLAB_RUN_KEY: '${POLICYLAB_RUN_KEY}', JOB_COMPLETION_INDEX: '0' })).toThrow(
      "the manifest's placeholder was not substituted",
    );
  });
});

describe('deploy/docker-compose.yml', () => {
  const compose = parse(readFileSync(join(root, 'deploy/docker-compose.yml'), 'utf8'), { merge: true }) as Obj;
  const services = compose.services as Record<string, Obj>;
  const workerNames = Object.keys(services).filter((s) => s !== 'redis');

  it('Redis without persistence, published on loopback unless REDIS_BIND says otherwise', () => {
    const cmd = services.redis.command as string[];
    expect(cmd[0]).toBe('redis-server');
    expect(cmd[cmd.indexOf('--save') + 1]).toBe('');
    expect(cmd[cmd.indexOf('--appendonly') + 1]).toBe('no');
    expect(services.redis.ports).toEqual(['${REDIS_BIND:-127.0.0.1}:6379:6379']);
  });

  it('workers: ranks 1 … k, each once, wired to the redis service, never restarted, the run key required', () => {
    expect(workerNames.length).toBeGreaterThanOrEqual(1);
    const ranks = workerNames.map((n) => Number(services[n].environment.RANK)).sort((a, b) => a - b);
    expect(ranks).toEqual(Array.from({ length: workerNames.length }, (_, i) => i + 1));
    for (const n of workerNames) {
      const s = services[n];
      expect(s.command).toEqual(['node', 'bin/policylab.mjs', 'ddppo-worker']);
      expect(s.restart).toBe('no');
      expect(s.depends_on).toContain('redis');
      expect(s.build).toEqual({ context: '..', dockerfile: 'deploy/Dockerfile' });
      expect(s.environment.POLICYLAB_REDIS_URL).toBe('${POLICYLAB_REDIS_URL:-redis://redis:6379}');
      expect(s.environment.POLICYLAB_RUN_KEY).toMatch(/^\$\{POLICYLAB_RUN_KEY:\?.+\}$/);
      // With compose's defaults filled in, the CLI takes this service's rank.
      const args = resolveWorkerArgs({}, { RANK: String(s.environment.RANK), POLICYLAB_REDIS_URL: 'redis://redis:6379', POLICYLAB_RUN_KEY: 'run-abc' });
      expect(args).toEqual({ url: 'redis://redis:6379', runKey: 'run-abc', rank: Number(s.environment.RANK), timeoutMs: 60_000, joinTimeoutMs: 300_000 });
    }
    expect(existsSync(join(root, 'deploy/Dockerfile'))).toBe(true);
  });
});

describe('ddppo-worker flags', () => {
  const env = { POLICYLAB_REDIS_URL: 'redis://h:6379', POLICYLAB_RUN_KEY: 'k' };
  it('flags win over the environment; RANK over JOB_COMPLETION_INDEX', () => {
    expect(resolveWorkerArgs({ rank: '2', redisUrl: 'redis://x:1', runKey: 'r', timeoutMs: '500', joinTimeoutMs: '900' }, { ...env, RANK: '3' })).toEqual({ url: 'redis://x:1', runKey: 'r', rank: 2, timeoutMs: 500, joinTimeoutMs: 900 });
    expect(resolveWorkerArgs({}, { ...env, RANK: '3', JOB_COMPLETION_INDEX: '0' }).rank).toBe(3);
    expect(resolveWorkerArgs({}, { ...env, RANK: '3', WORLD_SIZE: '4' }).worldSize).toBe(4);
  });
  it('refuses what is missing or malformed, naming the flag or variable', () => {
    expect(() => resolveWorkerArgs({}, {})).toThrow('--redis-url is required (or set POLICYLAB_REDIS_URL)');
    expect(() => resolveWorkerArgs({ redisUrl: 'http://h' }, env)).toThrow('--redis-url must look like redis://host:port, got "http://h"');
    expect(() => resolveWorkerArgs({}, { POLICYLAB_REDIS_URL: 'redis://h:6379' })).toThrow('--run-key is required (or set POLICYLAB_RUN_KEY)');
    expect(() => resolveWorkerArgs({}, env)).toThrow('--rank is required (or set RANK, or run as a Kubernetes Indexed Job');
    expect(() => resolveWorkerArgs({ rank: '0' }, env)).toThrow('rank 0 is the training run itself');
    expect(() => resolveWorkerArgs({ rank: 'one' }, env)).toThrow('--rank must be a decimal integer');
    expect(() => resolveWorkerArgs({}, { ...env, RANK: '1.5' })).toThrow('RANK must be a decimal integer');
    expect(() => resolveWorkerArgs({}, { ...env, JOB_COMPLETION_INDEX: '-1' })).toThrow('JOB_COMPLETION_INDEX must be ≥ 0, got -1');
    expect(() => resolveWorkerArgs({ rank: '1', timeoutMs: '10' }, env)).toThrow('--timeout-ms must be ≥ 100, got 10');
    expect(() => resolveWorkerArgs({ rank: '1', joinTimeoutMs: '5s' }, env)).toThrow('--join-timeout-ms must be a decimal integer');
    expect(() => resolveWorkerArgs({ rank: '4' }, { ...env, WORLD_SIZE: '4' })).toThrow('rank 4 is outside WORLD_SIZE 4 (ranks 1 … 3 are workers)');
  });
});
