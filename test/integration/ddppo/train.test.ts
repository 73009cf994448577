/**
 * DD-PPO as a run type: `policylab train --algo ddppo` through the real CLI (metrics with the per-worker series,
 * evaluation episodes, checkpoints); a stop + resume gives the same numbers as an uninterrupted run (local
 * transport, fixed N, syncFraction 1); a worker that throws fails the run with its own message.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { trainDdppo } from '../../../core/algos/ddppo/train.js';
import { trainRun } from '../../../core/algos/loop.js';
import { expectSameRun, records } from './records.js';

const CLI = join(process.cwd(), 'bin/policylab.mjs');
const dirs: string[] = [];
const tmp = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'policylab-ddppo-run-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const config = { workers: 2, numEnvs: 2, numSteps: 32, numMinibatches: 2, updateEpochs: 2, syncFraction: 1, evalInterval: 256, evalEpisodes: 2, checkpointInterval: 256 };

describe('policylab train --algo ddppo (local transport)', () => {
  it('runs through the CLI: finished, PPO + DD-PPO metrics for every worker, evaluation episodes, checkpoints', { timeout: 120_000 }, () => {
    const home = tmp();
    const r = spawnSync(
      process.execPath,
      [CLI, 'train', '--algo', 'ddppo', '--env', 'CartPole-v1', '--seed', '4', '--workers', '3', '--num-envs', '2', '--num-steps', '16', '--num-minibatches', '2', '--update-epochs', '1', '--total-steps', '960', '--eval-interval', '480', '--checkpoint-interval', '480', '--no-progress', '--home', home],
      { encoding: 'utf8', env: { ...process.env, POLICYLAB_HOME: home } },
    );
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/finished run \S+ at step 960/);
    const [id] = readdirSync(join(home, 'runs'));
    const runDir = join(home, 'runs', id);
    const recs = records(runDir);
    const last = recs[recs.length - 1];
    expect(last.step).toBe(960); // 3 workers × 2 envs × 16 steps = 96 per update, 10 updates
    for (const k of ['train/policyLoss', 'train/valueLoss', 'ddppo/preemptedFraction', 'ddppo/allReduceMs', 'ddppo/idleMs', 'ddppo/worker0/sps', 'ddppo/worker1/sps', 'ddppo/worker2/sps', 'ddppo/worker2/idleMs', 'eval/return']) {
      expect(last[k], k).toBeTypeOf('number');
    }
    expect(last['ddppo/worker3/sps']).toBeUndefined();
    expect(recs.some((x) => typeof x['charts/episodicReturn'] === 'number')).toBe(true);
    expect(readdirSync(join(runDir, 'episodes')).sort()).toEqual(['480.json', '960.json']);
    expect(readdirSync(join(runDir, 'checkpoints')).sort()).toEqual(['480', '960']);
    const { run } = JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8')) as { run: { status: string; algo: string } };
    expect(run).toMatchObject({ status: 'finished', algo: 'ddppo' });
  });

  it('stop at a step, then resume: every learned number and the final weights equal an uninterrupted run', { timeout: 180_000 }, async () => {
    const base = { runId: 'r', algo: 'ddppo' as const, env: 'CartPole-v1' as const, config, seed: 5, totalSteps: 1024 };
    const whole = tmp();
    await trainRun({ ...base, runDir: whole, signal: new AbortController().signal });

    const split = tmp();
    const stop = new AbortController();
    const first = await trainRun({ ...base, runDir: split, signal: stop.signal, events: { metrics: (step) => step >= 384 && stop.abort() } });
    expect(first.status).toBe('stopped');
    expect(first.step).toBeLessThan(1024);
    const second = await trainRun({ ...base, runDir: split, resume: true, signal: new AbortController().signal });
    expect(second.status).toBe('finished');

    await expectSameRun(split, whole, 1024);
  });

  it('a resume with another worker count is refused, naming both', { timeout: 60_000 }, async () => {
    const dir = tmp();
    await trainRun({ runId: 'r', runDir: dir, algo: 'ddppo', env: 'CartPole-v1', config, seed: 1, totalSteps: 128, signal: new AbortController().signal });
    await expect(trainRun({ runId: 'r', runDir: dir, algo: 'ddppo', env: 'CartPole-v1', config: { ...config, workers: 3 }, seed: 1, totalSteps: 256, resume: true, signal: new AbortController().signal })).rejects.toThrow(
      /taken with 2 workers; resume it with workers = 2 \(got 3\)/,
    );
  });

  it('a worker thread that throws fails the run with that worker’s message (rank 0 is not left waiting)', { timeout: 60_000 }, async () => {
    const dir = tmp();
    const run = trainDdppo({ runId: 'r', runDir: dir, algo: 'ddppo', env: 'CartPole-v1', config, seed: 1, totalSteps: 4096, signal: new AbortController().signal }, { 1: { throwAt: { iteration: 2, message: 'simulator crashed' } } });
    await expect(run).rejects.toThrow('DD-PPO worker 1 failed: simulator crashed');
  });

  it('config: transport redis needs a redis:// URL; gSDE and the tfjs engine are refused', async () => {
    const { algoSpec } = await import('../../../core/algos/registry.js');
    const schema = algoSpec('ddppo').configSchema;
    expect(schema.safeParse({ transport: 'redis' }).success).toBe(false);
    expect(schema.safeParse({ transport: 'redis', redisUrl: 'http://x' }).success).toBe(false);
    expect(schema.safeParse({ transport: 'redis', redisUrl: 'redis://10.0.0.5:6379' }).success).toBe(true);
    expect(schema.safeParse({ useSde: true }).success).toBe(false);
    expect(schema.safeParse({ engine: 'tfjs' }).success).toBe(false);
  });
});
