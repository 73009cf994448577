/**
 * RLHF-PPO end to end on the small sentiment SFT fixture: with the task's oracle as the reward (the synthetic
 * upper-bound ablation, so this does not depend on a reward-model run) the held-out oracle score rises over the SFT
 * policy's while the KL to it stays bounded; and a run stopped half-way and resumed gives the numbers, weights,
 * value head and samples of one that never stopped. Seeded.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readSamples } from '../../../core/algos/lm/samples.js';
import type { TrainRunOptions } from '../../../core/algos/loop.js';
import { POLICY_MODEL } from '../../../core/algos/prefs/common.js';
import { trainRlhfPpo, VALUE_HEAD_ARRAY } from '../../../core/algos/rlhf-ppo/train.js';
import { loadCheckpoint } from '../../../core/store/index.js';

const FIXTURE = join(process.cwd(), 'test/fixtures/lm/sentiment-sft');
const root = mkdtempSync(join(tmpdir(), 'policylab-rlhf-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

function opts(config: Record<string, unknown>, totalSteps: number, seed: number, extra: Partial<TrainRunOptions> = {}): TrainRunOptions & { metrics: [number, Record<string, number>][]; logs: string[] } {
  const metrics: [number, Record<string, number>][] = [];
  const logs: string[] = [];
  const runId = `r${++n}`;
  return {
    runDir: join(root, 'runs', runId),
    runId,
    algo: 'rlhf-ppo' as TrainRunOptions['algo'],
    env: 'text' as TrainRunOptions['env'],
    config: { init: FIXTURE, rewardModel: 'oracle', ...config },
    seed,
    totalSteps,
    signal: new AbortController().signal,
    events: { metrics: (s, v) => metrics.push([s, v]), log: (l) => logs.push(l) },
    metrics,
    logs,
    ...extra,
  };
}

describe('RLHF-PPO', () => {
  it('with the oracle reward, eval/oracleScore rises ≥ 1.5 over the SFT policy in 12 iterations, eval/kl < 6 nats', { timeout: 120_000 }, async () => {
    const o = opts({ rolloutPrompts: 16, miniBatches: 2, ppoEpochs: 4, evalInterval: 12, evalPrompts: 50, checkpointInterval: 0 }, 12, 1);
    const r = await trainRlhfPpo(o);
    expect(r).toMatchObject({ status: 'finished', step: 12 });
    expect(o.logs.some((l) => /SYNTHETIC/.test(l))).toBe(true);
    const evals = o.metrics.filter(([, v]) => v['eval/oracleScore'] !== undefined).map(([s, v]) => ({ s, score: v['eval/oracleScore']!, kl: v['eval/kl']! }));
    expect(evals.map((e) => e.s)).toEqual([0, 12]);
    expect(evals[0]!.kl).toBe(0); // the policy is the reference at step 0
    expect(evals[1]!.score - evals[0]!.score).toBeGreaterThanOrEqual(1.5);
    expect(evals[1]!.kl).toBeGreaterThan(0);
    expect(evals[1]!.kl).toBeLessThan(6);
    const train = o.metrics.filter(([s]) => s > 0).map(([, v]) => v);
    for (const k of ['objective/kl', 'objective/entropy', 'objective/non_score_reward', 'objective/rlhf_reward', 'objective/scores', 'policy/approxkl_avg', 'policy/clipfrac_avg', 'loss/policy_avg', 'loss/value_avg', 'val/clipfrac_avg', 'val/ratio', 'objective/klCoef', 'time/rolloutTokensPerSecond', 'time/updateTokensPerSecond']) {
      expect(train.every((v) => Number.isFinite(v[k])), k).toBe(true);
    }
    for (const v of train) expect(v['objective/rlhf_reward']!).toBeCloseTo(v['objective/scores']! + v['objective/non_score_reward']!, 9);
    // The value head learns: its loss falls from the first iterations to the last.
    const vl = train.map((v) => v['loss/value_avg']!);
    expect((vl[9]! + vl[10]! + vl[11]!) / 3).toBeLessThan((vl[0]! + vl[1]! + vl[2]!) / 3);
    const { samples } = await readSamples(o.runDir);
    expect([...new Set(samples.map((s) => s.step))]).toEqual([0, 12]);
    expect(samples.filter((s) => s.step === 12).map((s) => s.prompt)).toEqual(samples.filter((s) => s.step === 0).map((s) => s.prompt));
  });

  it('adaptive β follows the controller iteration by iteration in a run', { timeout: 60_000 }, async () => {
    const o = opts({ rolloutPrompts: 8, miniBatches: 2, ppoEpochs: 2, maxNewTokens: 12, evalPrompts: 4, evalInterval: 0, checkpointInterval: 0, lr: 3e-4, klCoef: 0.1, adaptiveKl: true, targetKl: 0.01, klHorizon: 40 }, 4, 3);
    await trainRlhfPpo(o);
    const rows = o.metrics.filter(([s]) => s > 0).map(([, v]) => v);
    for (let i = 1; i < rows.length; i++) {
      const e = Math.min(0.2, Math.max(-0.2, rows[i - 1]!['objective/kl']! / 0.01 - 1));
      expect(rows[i]!['objective/klCoef']).toBeCloseTo(rows[i - 1]!['objective/klCoef']! * (1 + (e * 8) / 40), 9);
    }
    expect(rows[0]!['objective/klCoef']).toBe(0.1);
    expect(rows[3]!['objective/klCoef']).not.toBe(0.1);
  });

  it('resume: stopping at step 2 and resuming gives the numbers, weights, value head and samples of an uninterrupted 4-step run', { timeout: 120_000 }, async () => {
    const config = { rolloutPrompts: 4, miniBatches: 2, ppoEpochs: 2, maxNewTokens: 8, evalPrompts: 3, evalInterval: 3, checkpointInterval: 0, adaptiveKl: true, klHorizon: 100 };
    const a = opts(config, 4, 5);
    await trainRlhfPpo(a);
    const controller = new AbortController();
    const b = opts(config, 4, 5, { signal: controller.signal });
    b.events = { metrics: (s, v) => (b.metrics.push([s, v]), s === 2 && controller.abort()) };
    expect(await trainRlhfPpo(b)).toMatchObject({ status: 'stopped', step: 2 });
    expect(await trainRlhfPpo({ ...b, runDir: b.runDir, resume: true, signal: new AbortController().signal })).toMatchObject({ status: 'finished', step: 4 });
    const strip = (m: Record<string, number>): Record<string, number> => Object.fromEntries(Object.entries(m).filter(([k]) => !k.startsWith('time/')));
    expect(b.metrics.map(([s, v]) => [s, strip(v)])).toEqual(a.metrics.map(([s, v]) => [s, strip(v)]));
    const ca = await loadCheckpoint(a.runDir, 'latest');
    const cb = await loadCheckpoint(b.runDir, 'latest');
    expect(Buffer.from(cb.models[POLICY_MODEL]!.weightData as ArrayBuffer).equals(Buffer.from(ca.models[POLICY_MODEL]!.weightData as ArrayBuffer))).toBe(true);
    expect(Array.from(cb.arrays[VALUE_HEAD_ARRAY] as Float32Array)).toEqual(Array.from(ca.arrays[VALUE_HEAD_ARRAY] as Float32Array));
    expect((cb.state as { klCoef: number }).klCoef).toBe((ca.state as { klCoef: number }).klCoef);
    const sa = (await readSamples(a.runDir)).samples;
    expect(sa.map((s) => s.step)).toEqual([0, 0, 0, 3, 3, 3, 4, 4, 4]);
    expect((await readSamples(b.runDir)).samples).toEqual(sa);
    const steps = (dir: string): number[] => readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { step: number }).step);
    expect(steps(b.runDir)).toEqual(steps(a.runDir));
  });
});
