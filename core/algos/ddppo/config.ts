/**
 * DD-PPO's configuration (Wijmans et al., 2020, "DD-PPO: Learning Near-Perfect PointGoal Navigators from 2.5 Billion
 * Frames"; habitat-lab `habitat_baselines/rl/ddppo/`): PPO's config, per worker, plus the distributed fields.
 */
import { z } from 'zod';
import { ppoConfigSchema } from '../ppo/config.js';
import { WORKER_LAUNCHES } from './launch-kinds.js';

export const ddppoConfigSchema = ppoConfigSchema.safeExtend({
  workers: z.number().int().min(1).max(64).default(2).describe('Workers N: each holds a policy replica and numEnvs envs, collects its own rollout and joins the gradient all-reduce.'),
  syncFraction: z
    .number()
    .gt(0)
    .max(1)
    .default(0.6)
    .describe("Preemption threshold (habitat-lab's sync_frac): a worker cuts its rollout once this fraction of the workers have finished theirs."),
  minRolloutFraction: z
    .number()
    .min(0)
    .max(1)
    .default(0.25)
    .describe('A rollout is never cut before this fraction of numSteps (0.25, hard-coded in habitat-lab).'),
  transport: z
    .enum(['local', 'redis'])
    .default('local')
    .describe(
      'How workers communicate: local = worker threads of the training process sharing memory (SharedArrayBuffer + Atomics); redis = the training process is rank 0 and ranks 1 … N − 1 are `policylab ddppo-worker` processes (any machines) joining through one Redis server.',
    ),
  redisUrl: z
    .string()
    .max(2000)
    .regex(/^$|^rediss?:\/\/[^\s/]+/, 'must look like redis://host:port (or rediss:// for TLS)')
    .default('')
    .describe('transport redis: the Redis server every rank connects to, redis://[:password@]host:port[/db] (empty for transport local).'),
  launchWorkers: z
    .enum(WORKER_LAUNCHES)
    .default('manual')
    .describe(
      'transport redis: who starts ranks 1 … N − 1. manual = you do (rank 0 logs the command; other machines, your scheduler); local = N − 1 `policylab ddppo-worker` processes on this machine, stopped with the run; kubernetes = an Indexed Job of N − 1 worker pods applied with `kubectl apply` to the cluster kubectl points at, deleted when the run ends (deploy/README.md).',
    ),
  workerRedisUrl: z
    .string()
    .max(2000)
    .regex(/^$|^rediss?:\/\/[^\s/]+/, 'must look like redis://host:port (or rediss:// for TLS)')
    .default('')
    .describe('The Redis URL the workers use when it differs from rank 0’s (e.g. the in-cluster service name, redis://policylab-redis:6379); empty = redisUrl.'),
  k8sImage: z.string().max(500).regex(/^[^\s]*$/, 'must be an image reference without spaces').default('policylab:dev').describe('launchWorkers kubernetes: the worker image (built from deploy/Dockerfile, pushed where the cluster pulls from).'),
  k8sNamespace: z
    .string()
    .max(63)
    .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a Kubernetes namespace name (lower-case letters, digits, "-")')
    .default('default')
    .describe('launchWorkers kubernetes: the namespace of the worker Job.'),
  distributedAdvNorm: z
    .boolean()
    .default(false)
    .describe("Normalise advantages once per rollout with the mean/std over all workers' samples (instead of per minibatch)."),
  checksumInterval: z.number().int().min(1).default(10).describe('Compare a checksum of every replica’s parameters every K updates; a mismatch fails the run.'),
}).superRefine((c, ctx) => {
  if (c.transport === 'redis' && c.redisUrl === '') ctx.addIssue({ code: 'custom', path: ['redisUrl'], message: 'transport "redis" needs redisUrl, e.g. redis://10.0.0.5:6379' });
  if (c.transport === 'local' && c.launchWorkers !== 'manual') ctx.addIssue({ code: 'custom', path: ['launchWorkers'], message: `launchWorkers "${c.launchWorkers}" needs transport "redis" (local workers are threads of the training process)` });
  if (c.useSde) ctx.addIssue({ code: 'custom', path: ['useSde'], message: 'DD-PPO does not support gSDE (useSde must be false)' });
  if (c.engine !== 'js') ctx.addIssue({ code: 'custom', path: ['engine'], message: 'DD-PPO runs on the js engine (its all-reduce works on the engine’s flat gradient)' });
});

export type DdppoConfig = z.output<typeof ddppoConfigSchema>;
