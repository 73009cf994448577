/**
 * APG end to end, through trainRun as the CLI and the app start it: a seeded learning test on Pendulum-v1 (evaluation
 * return ≥ −250 within 16k env steps with the preset) and the stopGradient finding (the same budget learns nothing);
 * the same seed gives the same metric stream; a run stopped and resumed from its checkpoint logs what an
 * uninterrupted one logs; the step counter is every simulated env step; recorded evaluation episodes are
 * Gymnasium-layout states the replay canvases draw; the app's policy loader plays the checkpoint as evaluation does.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { trainApg } from '../../../core/algos/apg/train.js';
import { trainRun, type TrainRunOptions } from '../../../core/algos/loop.js';
import { resolveConfig } from '../../../core/algos/registry.js';
import { Rng } from '../../../core/common/rng.js';
import { makeEnv } from '../../../core/envs/index.js';
import { loadPolicy } from '../../../core/runner/policy-loader.js';
import { listCheckpoints, listEpisodes, loadCheckpoint, loadEpisode } from '../../../core/store/index.js';
import { readMetrics, tempRunDir } from './helpers.js';

const cleanups: (() => void)[] = [];
afterAll(() => cleanups.forEach((c) => c()));

function dir(): string {
  const t = tempRunDir();
  cleanups.push(t.cleanup);
  return t.dir;
}

function options(runDir: string, seed: number, totalSteps: number, overrides: Record<string, unknown> = {}): TrainRunOptions {
  const { config } = resolveConfig('apg', 'Pendulum-v1', { overrides: { checkpointInterval: 0, ...overrides } });
  return { runDir, runId: 'apg', algo: 'apg', env: 'Pendulum-v1', config, seed, totalSteps, signal: new AbortController().signal };
}

async function evalReturns(runDir: string): Promise<{ step: number; ret: number }[]> {
  return (await readMetrics(runDir)).filter((r) => r.values['eval/return'] !== undefined).map((r) => ({ step: r.step, ret: r.values['eval/return'] }));
}

describe('APG learns Pendulum-v1 through the differentiable twin', () => {
  it('preset, seed 1: evaluation return ≥ −250 within 16,384 env steps; stopGradient on the same budget stays below −800', async () => {
    const full = dir();
    const result = await trainRun(options(full, 1, 16_384, { evalInterval: 4_096, evalEpisodes: 10 }));
    expect(result.status).toBe('finished');
    const evals = await evalReturns(full);
    expect(evals.at(-1)!.step).toBe(16_384);
    expect(evals.at(-1)!.ret, `evaluations: ${JSON.stringify(evals)}`).toBeGreaterThanOrEqual(-250);

    // The finding: r(sg[s], a) leaves only the 0.001·u² term, whose gradient pulls every torque to 0.
    const sg = dir();
    await trainRun(options(sg, 1, 16_384, { evalInterval: 4_096, evalEpisodes: 10, stateGradientInReward: 'stopGradient' }));
    const sgEvals = await evalReturns(sg);
    for (const e of sgEvals) expect(e.ret).toBeLessThan(-800);
    const last = (await readMetrics(sg)).at(-1)!.values;
    expect(last['train/gradNorm']).toBeLessThan(1); // a vanishing gradient: only the small torque cost is left
    // The policy it ends with applies (almost) no torque, from any state.
    const policy = await loadPolicy({ runDir: sg, env: 'Pendulum-v1', config: {}, step: 'latest' });
    const probe = makeEnv('Pendulum-v1');
    for (let i = 0; i < 20; i++) {
      const a = policy.act(probe.reset(100 + i).obs, true, new Rng(0)) as number[];
      expect(Math.abs(a[0])).toBeLessThan(0.05);
    }
    policy.dispose();
  });
});

describe('reproducibility and resume', () => {
  it('same seed → identical metric stream; another seed → a different one', async () => {
    const runs = await Promise.all(
      [1, 1, 2].map(async (seed) => {
        const d = dir();
        await trainRun(options(d, seed, 2_048, { evalInterval: 1_024, evalEpisodes: 2, criticBootstrap: true }));
        return readMetrics(d);
      }),
    );
    expect(runs[0].length).toBeGreaterThan(10);
    expect(runs[1]).toEqual(runs[0]);
    expect(runs[2]).not.toEqual(runs[0]);
    const keys = new Set(runs[0].flatMap((r) => Object.keys(r.values)));
    for (const k of ['train/policyLoss', 'train/windowReturn', 'train/gradNorm', 'train/skippedFraction', 'train/valueLoss', 'rollout/episodeReturn', 'charts/episodicReturn', 'eval/return']) {
      expect(keys).toContain(k);
    }
  });

  it('a run stopped mid-way and resumed logs exactly what an uninterrupted run logs (critic, observation normalisation)', async () => {
    const overrides = { criticBootstrap: true, normalizeObs: true, evalInterval: 1_024, evalEpisodes: 1, checkpointInterval: 768 };
    const full = dir();
    await trainRun(options(full, 5, 3_200, overrides));
    const split = dir();
    const controller = new AbortController();
    const first = await trainRun({ ...options(split, 5, 3_200, overrides), signal: controller.signal, events: { metrics: (step) => step >= 1_300 && controller.abort() } });
    expect(first.status).toBe('stopped');
    expect((await listCheckpoints(split)).at(-1)?.step).toBe(first.step);
    const logs: string[] = [];
    const second = await trainRun({ ...options(split, 5, 3_200, overrides), resume: true, events: { log: (l) => logs.push(l) } });
    expect(second.status).toBe('finished');
    expect(logs[0]).toMatch(/^resumed apg on Pendulum-v1 from the checkpoint at step \d+/);
    expect(await readMetrics(split)).toEqual(await readMetrics(full));
    const a = await loadCheckpoint(full, 'latest');
    const b = await loadCheckpoint(split, 'latest');
    for (const name of ['params', 'targetCritic', 'optim.actor.m', 'optim.critic.v']) {
      expect(Array.from(b.arrays[name] as Float32Array), name).toEqual(Array.from(a.arrays[name] as Float32Array));
    }
    expect((await listEpisodes(split)).map((e) => e.step)).toEqual((await listEpisodes(full)).map((e) => e.step));
  });

  it('refuses a checkpoint of another seed, and an env without a differentiable twin', async () => {
    const d = dir();
    await trainRun(options(d, 1, 512, { evalInterval: 0 }));
    await expect(trainRun({ ...options(d, 2, 1_024, { evalInterval: 0 }), resume: true })).rejects.toThrow(/belongs to apg on Pendulum-v1 with seed 1, not Pendulum-v1 with seed 2/);
    await expect(trainRun({ ...options(dir(), 1, 512), env: 'CartPole-v1' })).rejects.toThrow(/APG trains through a differentiable env; "CartPole-v1" has none/);
    expect(() => resolveConfig('apg', 'CartPole-v1')).toThrow(/APG cannot train on "CartPole-v1"; it trains on Pendulum-v1, MountainCarContinuous-v0/);
  });
});

describe('what the app shows', () => {
  it('counts every simulated step, records replayable episodes, and the policy loader acts as evaluation does', async () => {
    const d = dir();
    const result = await trainRun(options(d, 3, 1_000, { evalInterval: 500, evalEpisodes: 2 }));
    // 2 copies × 32-step windows: 16 windows cover 1,000 steps (1,024 simulated).
    expect(result.step).toBe(1_024);
    expect(result.backend.engine).toMatch(/^(wasm-simd|js) kernels$/);
    const metrics = await readMetrics(d);
    const updates = metrics.filter((r) => r.values['train/policyLoss'] !== undefined);
    expect(updates.map((r) => r.step)).toEqual(Array.from({ length: 16 }, (_, i) => (i + 1) * 64));
    // Pendulum episodes are 200 steps: copies 0 and 1 end theirs at the same env step (each ends at 2 × 200).
    const episodes = metrics.filter((r) => r.values['charts/episodicReturn'] !== undefined);
    expect(episodes.map((r) => [r.step, r.values['charts/episodicLength']])).toEqual([
      [400, 200], [400, 200], [800, 200], [800, 200],
    ]);

    const stored = await listEpisodes(d);
    expect(stored.map((e) => e.step)).toEqual([512, 1_024]);
    const ep = await loadEpisode(d, 1_024);
    expect(ep.envId).toBe('Pendulum-v1');
    expect(ep.states.length).toBe(201);
    // The recorded states replay through the classic env with the recorded actions.
    const env = makeEnv('Pendulum-v1');
    env.reset(ep.seed);
    expect(env.getState()).toEqual(ep.states[0]);
    for (let t = 0; t < 5; t++) {
      env.step(ep.actions[t] as number[]);
      expect(env.getState()).toEqual(ep.states[t + 1]);
    }

    const policy = await loadPolicy({ runDir: d, env: 'Pendulum-v1', config: {}, step: 'latest' });
    const replayEnv = makeEnv('Pendulum-v1');
    const obs = replayEnv.reset(ep.seed).obs;
    const a = policy.act(obs, true, new Rng(0)) as number[];
    expect(a[0]).toBeCloseTo((ep.actions[0] as number[])[0], 5);
    expect(Math.abs(a[0])).toBeLessThan(2);
    policy.dispose();
  });

  it('PointReach-v0 (no classic twin) trains and evaluates on the differentiable env', async () => {
    const d = dir();
    const result = await trainApg({ runDir: d, runId: 'reach', env: 'PointReach-v0', config: { evalInterval: 4_000, evalEpisodes: 5 }, seed: 1, totalSteps: 8_000, signal: new AbortController().signal });
    expect(result.status).toBe('finished');
    const evals = await evalReturns(d);
    // The untrained policy scores about −120 here (npm run bench -- apg); one that reaches the target, about −10.
    expect(evals.at(-1)!.ret).toBeGreaterThan(-40);
    const ep = await loadEpisode(d, evals.at(-1)!.step);
    expect(ep.envId).toBe('PointReach-v0');
    expect(ep.states[0].length).toBe(6);
  });
});
