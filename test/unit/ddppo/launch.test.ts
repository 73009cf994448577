/**
 * launchWorkers: the Kubernetes manifests generated for a run match deploy/k8s/workers.yaml (the documented file)
 * with the run's values filled in, and the kubectl path applies them and deletes them at the end — driven through a
 * stand-in `kubectl` on PATH that records its arguments and stdin (no cluster here). Local launching runs real
 * processes: test/integration/ddppo/redis-train.test.ts.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { ddppoConfigSchema } from '../../../core/algos/ddppo/config.js';
import { k8sName, launchWorkers, workerManifests } from '../../../core/algos/ddppo/launch.js';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- parsed YAML, compared whole

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('DD-PPO worker launching', () => {
  it('names Kubernetes objects after the run (DNS-1123, at most 63 characters)', () => {
    expect(k8sName('ppo-cartpole_s1')).toBe('policylab-ddppo-ppo-cartpole-s1');
    const long = k8sName('x'.repeat(80));
    expect(long.length).toBeLessThanOrEqual(63);
    expect(long).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
  });

  it('generates deploy/k8s/workers.yaml for a run: N − 1 pods at once, its run key, name and Redis URL', () => {
    const shipped = parseAllDocuments(readFileSync(join(process.cwd(), 'deploy/k8s/workers.yaml'), 'utf8')).map((d) => d.toJS() as Obj);
    const runId = 'ddppo-cartpole-v1-s2';
    const got = workerManifests({ runId, workers: 5, redisUrl: 'redis://10.0.0.5:6379', workerRedisUrl: 'redis://policylab-redis:6379', image: 'registry.local/policylab:1' }) as Obj[];
    // What the documented file leaves to the user (envsubst, completions, the image), filled in the same way.
    const name = k8sName(runId);
    const expected = structuredClone(shipped);
    for (const m of expected) {
      m.metadata.name = name;
      m.metadata.labels['policylab/run'] = name;
    }
    const [svc, job] = expected;
    svc.spec.selector['policylab/run'] = name;
    job.spec.completions = 4;
    job.spec.parallelism = 4;
    job.spec.template.metadata.labels['policylab/run'] = name;
    job.spec.template.spec.subdomain = name;
    const c = job.spec.template.spec.containers[0];
    c.image = 'registry.local/policylab:1';
    c.env.find((e: Obj) => e.name === 'POLICYLAB_RUN_KEY').value = runId;
    expect(c.env.find((e: Obj) => e.name === 'POLICYLAB_REDIS_URL').value).toBe('redis://policylab-redis:6379');
    expect(got).toEqual(expected);
  });

  it('refuses launchWorkers other than manual on the local transport', () => {
    const r = ddppoConfigSchema.safeParse({ launchWorkers: 'local' });
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error?.issues)).toContain('needs transport \\"redis\\"');
    expect(ddppoConfigSchema.safeParse({ transport: 'redis', redisUrl: 'redis://h:1', launchWorkers: 'kubernetes', k8sNamespace: 'Bad_NS' }).success).toBe(false);
  });

  describe('kubernetes, through a stand-in kubectl', () => {
    let bin: string;
    const path = process.env.PATH;
    beforeEach(() => {
      bin = mkdtempSync(join(tmpdir(), 'policylab-kubectl-'));
      dirs.push(bin);
      process.env.PATH = `${bin}:${path}`;
    });
    afterEach(() => {
      process.env.PATH = path;
    });
    const fake = (script: string): void => {
      writeFileSync(join(bin, 'kubectl'), `#!/bin/sh\n${script}\n`);
      chmodSync(join(bin, 'kubectl'), 0o755);
    };

    it('applies the manifests with kubectl apply -f - and deletes the Job and Service when the run ends', async () => {
      fake(`echo "$@" >> "${bin}/calls"\ncat > "${bin}/stdin-$(wc -l < "${bin}/calls" | tr -d ' ')"\necho "job.batch/x created"`);
      const log: string[] = [];
      const launched = await launchWorkers('kubernetes', { runId: 'r1', workers: 3, redisUrl: 'redis://h:6379', namespace: 'rl', image: 'img:1', log: (l) => log.push(l) });
      expect(launched?.description).toBe('Kubernetes Job policylab-ddppo-r1 in namespace rl');
      const applied = parseAllDocuments(readFileSync(join(bin, 'stdin-1'), 'utf8')).map((d) => d.toJS() as Obj);
      expect(applied).toEqual(workerManifests({ runId: 'r1', workers: 3, redisUrl: 'redis://h:6379', image: 'img:1' }));
      await launched!.stop('finished');
      const calls = readFileSync(join(bin, 'calls'), 'utf8').trim().split('\n');
      expect(calls).toEqual(['apply --namespace rl -f -', 'delete --namespace rl --ignore-not-found --wait=false job/policylab-ddppo-r1 service/policylab-ddppo-r1']);
      expect(log.join('\n')).toContain('applied the worker Job policylab-ddppo-r1 (2 pods) in namespace rl');
    });

    it('a failing kubectl fails the launch with its message; no kubectl on PATH says so', async () => {
      fake('echo "error: You must be logged in to the server (Unauthorized)" >&2\nexit 1');
      await expect(launchWorkers('kubernetes', { runId: 'r2', workers: 2, redisUrl: 'redis://h:6379', log: () => {} })).rejects.toThrow(/kubectl apply --namespace default -f - exited with code 1: error: You must be logged in/);
      process.env.PATH = bin; // an empty folder: no kubectl (and nothing else)
      rmSync(join(bin, 'kubectl'));
      await expect(launchWorkers('kubernetes', { runId: 'r2', workers: 2, redisUrl: 'redis://h:6379', log: () => {} })).rejects.toThrow(/needs kubectl on PATH/);
    });
  });

  it('manual launching logs the command with the password hidden; one worker needs nothing', async () => {
    const log: string[] = [];
    expect(await launchWorkers('manual', { runId: 'r3', workers: 4, redisUrl: 'redis://:secret@h:6379', log: (l) => log.push(l) })).toBeNull();
    expect(log[0]).toContain('start ranks 1 … 3 with  policylab ddppo-worker --redis-url');
    expect(log[0]).toContain('--run-key r3 --rank R');
    expect(log[0]).not.toContain('secret');
    expect(await launchWorkers('local', { runId: 'r3', workers: 1, redisUrl: 'redis://h:6379', log: () => {} })).toBeNull();
  });
});
