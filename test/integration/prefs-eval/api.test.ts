/**
 * prefs:* through the app's back end (validation included), with the comparison in a real worker process: the
 * sentiment SFT fixture against itself (identical answers: all ties, rate 0.5 inside its CI, KL 0), against a
 * deliberately damaged copy (weights + N(0, 0.2²) noise: SFT wins, the copy's KL is large), scored by a reward model;
 * bad requests fail before any worker starts, naming the field; a running job can be cancelled.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PrefsJobInfo } from '../../../core/api/prefs.js';
import { taskPromptSplit } from '../../../core/algos/prefs/common.js';
import { Rng } from '../../../core/common/rng.js';
import { lmArtifacts, loadLm } from '../../../core/lm/files.js';
import { openAppBackend, type AppBackend } from '../../../core/runner/service.js';
import { checksummer } from '../../../core/store/checksum.js';
import { saveCheckpoint } from '../../../core/store/checkpoints.js';
import { call } from '../../unit/runner/helpers.js';

const FIXTURE = join(import.meta.dirname, '..', '..', 'fixtures', 'lm', 'sentiment-sft');

let backend: AppBackend;
let home: string;
const ids = { sft: '', damaged: '', ppo: '', arith: '', rm: '' };

async function makeRun(algo: string, config: Record<string, unknown>, step: number, models: Parameters<typeof saveCheckpoint>[1]['models'], arrays?: Parameters<typeof saveCheckpoint>[1]['arrays']): Promise<string> {
  const run = await backend.store.createRun({ algo, env: algo === 'ppo' ? 'CartPole-v1' : 'text', config, seed: 1 });
  await saveCheckpoint(backend.store.runDir(run.id), { step, models, ...(arrays ? { arrays } : {}), state: {} }, undefined, { fsync: false });
  return run.id;
}

async function finished(jobId: string): Promise<PrefsJobInfo> {
  for (;;) {
    const j = await call<PrefsJobInfo>(backend, 'prefs:job', { jobId });
    if (j.status !== 'running') return j;
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'policylab-prefs-eval-'));
  backend = await openAppBackend({ home, transport: 'browser' });
  const sum = await checksummer();
  const sft = await loadLm(FIXTURE, sum);
  ids.sft = await makeRun('sft', { data: 'sentiment' }, 120, { lm: lmArtifacts(sft.engine, sft.tokenizer) });
  const broken = await loadLm(FIXTURE, sum);
  const rng = new Rng(5);
  for (let i = 0; i < broken.engine.params.length; i++) broken.engine.params[i]! += 0.2 * rng.normal();
  ids.damaged = await makeRun('dpo', { task: 'sentiment' }, 8, { lm: lmArtifacts(broken.engine, broken.tokenizer) });
  ids.ppo = await makeRun('ppo', {}, 2048, undefined, { obsMean: new Float32Array(4) });
  ids.arith = await makeRun('sft', { data: 'arithmetic' }, 10, { lm: lmArtifacts(sft.engine, sft.tokenizer) });
  const head = new Float32Array(sft.engine.config.nEmbd + 1);
  for (let i = 0; i < head.length; i++) head[i] = 0.1 * rng.normal();
  ids.rm = await makeRun('reward-model', { dataset: 'x' }, 30, { lm: lmArtifacts(sft.engine, sft.tokenizer) }, { rewardHead: head });
});

afterAll(async () => {
  await backend?.close();
  rmSync(home, { recursive: true, force: true });
});

describe('prefs:compare over the API', () => {
  it('SFT vs itself ties everywhere; a damaged copy loses to SFT; reward-model scores for every answer', async () => {
    const { jobId } = await call<{ jobId: string }>(backend, 'prefs:compare', {
      task: 'sentiment',
      policies: [{ runId: ids.sft, step: null }, { runId: ids.damaged, step: 8 }],
      reference: { runId: ids.sft, step: 120 },
      rewardModel: { runId: ids.rm, step: null },
      seed: 3,
      sampling: { maxNewTokens: 24 },
    });
    const job = await finished(jobId);
    expect(job.error).toBeNull();
    expect(job.status).toBe('done');
    const r = job.result!;
    const n = taskPromptSplit('sentiment').eval.length; // default 64 → every held-out prompt the task has
    expect(r.prompts).toEqual(taskPromptSplit('sentiment').eval.slice(0, 64));
    expect(job.done).toBe(job.total);
    expect(job.total).toBe(3 * n);
    const [self, damaged] = r.policies;
    expect(self).toMatchObject({ runId: ids.sft, step: 120, algo: 'sft', kl: 0 });
    expect(self!.completions).toEqual(r.reference.completions);
    expect(r.reference.kl).toBe(0);
    expect(damaged).toMatchObject({ runId: ids.damaged, step: 8, algo: 'dpo' });
    expect(damaged!.kl).toBeGreaterThan(10);
    expect(damaged!.meanOracle).toBeLessThan(r.reference.meanOracle);
    // Every answer scored by the oracle and the reward model; the means are the means.
    for (const p of [r.reference, self!, damaged!]) {
      expect(p.completions).toHaveLength(n);
      expect(p.oracle).toHaveLength(n);
      expect(p.reward).toHaveLength(n);
      expect(p.reward!.every(Number.isFinite)).toBe(true);
      expect(p.meanReward).toBeCloseTo(p.reward!.reduce((a, b) => a + b, 0) / n, 5);
      expect(p.meanOracle).toBeCloseTo(p.oracle.reduce((a, b) => a + b, 0) / n, 9);
    }
    expect(self!.reward).toEqual(r.reference.reward);
    expect(r.rewardModel).toMatchObject({ runId: ids.rm, step: 30 });
    // Win rates: policy vs reference for each policy, then the pair.
    expect(r.winRates.map((w) => [w.a, w.b])).toEqual([[0, -1], [1, -1], [0, 1]]);
    const [selfVsRef, damagedVsRef, selfVsDamaged] = r.winRates;
    expect(selfVsRef).toMatchObject({ wins: 0, losses: 0, ties: n, n, rate: 0.5 });
    expect(selfVsRef!.ci95[0]).toBeLessThan(0.5);
    expect(selfVsRef!.ci95[1]).toBeGreaterThan(0.5);
    expect(damagedVsRef!.ci95[1]).toBeLessThan(0.5); // SFT wins, significantly
    expect(selfVsDamaged!.rate).toBeCloseTo(1 - damagedVsRef!.rate, 12);
    expect(selfVsDamaged!.wins).toBe(damagedVsRef!.losses);
    // The same request gives the same answers (seeded).
    const again = await finished((await call<{ jobId: string }>(backend, 'prefs:compare', { task: 'sentiment', policies: [{ runId: ids.damaged, step: null }], reference: { runId: ids.sft, step: null }, prompts: 5, seed: 3, sampling: { maxNewTokens: 24 } })).jobId);
    expect(again.result!.policies[0]!.completions).toEqual(damaged!.completions.slice(0, 5));
    expect(again.result!.reference.reward).toBeNull();
    const listed = await call<PrefsJobInfo[]>(backend, 'prefs:jobs');
    expect(listed.map((j) => j.jobId)).toEqual([again.jobId, jobId]);
    expect(listed.every((j) => j.result === null)).toBe(true);
  });

  it('refuses bad requests before a worker starts, naming the field', async () => {
    const ref = { runId: ids.sft, step: null };
    const fail = async (payload: unknown): Promise<{ code: string; message: string }> => {
      const r = await backend.invoke('prefs:compare', payload);
      expect(r.ok).toBe(false);
      return r.ok ? { code: '', message: '' } : r.error;
    };
    expect(await fail({ task: 'sentiment', policies: [{ runId: 'nope', step: null }], reference: ref })).toMatchObject({ code: 'not_found', message: expect.stringMatching(/^policies\[0\]: there is no run "nope"/) });
    expect((await fail({ task: 'sentiment', policies: [{ runId: ids.ppo, step: null }], reference: ref })).message).toMatch(/policies\[0\]: run \S+ \(ppo\) holds no language model 'lm'.*policies are sft, pretrain, rlhf-ppo or dpo runs/);
    expect((await fail({ task: 'sentiment', policies: [ref], reference: { runId: ids.arith, step: null } })).message).toMatch(/reference: run \S+ was trained on the arithmetic task, the comparison is on sentiment/);
    expect((await fail({ task: 'sentiment', policies: [{ runId: ids.rm, step: null }], reference: ref })).message).toMatch(/policies\[0\]: run \S+ is a reward model/);
    expect((await fail({ task: 'sentiment', policies: [ref], reference: ref, rewardModel: ref })).message).toMatch(/rewardModel: run \S+ \(sft\) is not a reward model/);
    expect(await fail({ task: 'sentiment', policies: [{ runId: ids.sft, step: 7 }], reference: ref })).toMatchObject({ code: 'not_found', message: expect.stringMatching(/policies\[0\]: run \S+ has no checkpoint at step 7 \(have: 120\)/) });
    const tooMany = await fail({ task: 'sentiment', policies: Array.from({ length: 7 }, () => ref), reference: ref });
    expect(tooMany.code).toBe('invalid_request');
    expect((await fail({ task: 'sentiment', policies: [ref], reference: ref, prompts: 0 })).code).toBe('invalid_request');
    expect((await fail({ task: 'poetry', policies: [ref], reference: ref })).code).toBe('invalid_request');
    const unknown = await backend.invoke('prefs:job', { jobId: 'cmp-missing' });
    expect(!unknown.ok && unknown.error.code).toBe('not_found');
  });

  it('cancels a running job (its worker is stopped; the job stays cancelled)', async () => {
    const { jobId } = await call<{ jobId: string }>(backend, 'prefs:compare', { task: 'sentiment', policies: [{ runId: ids.sft, step: null }], reference: { runId: ids.sft, step: null }, sampling: { maxNewTokens: 48 } });
    const c = await call<PrefsJobInfo>(backend, 'prefs:cancel', { jobId });
    expect(c.status).toBe('cancelled');
    await new Promise((r) => setTimeout(r, 300));
    const j = await call<PrefsJobInfo>(backend, 'prefs:job', { jobId });
    expect(j).toMatchObject({ status: 'cancelled', result: null });
  });
});
