/**
 * Iterated preference collection: datasets:generate samples new pairs from an RLHF or DPO run's checkpoint (the policy
 * is its `lm` model, beside its other arrays) like from an SFT run's, recording the run and step; a reward-model run's
 * checkpoint (its `lm` is a reward trunk) is refused.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatasetDetail, DatasetInfo } from '../../../core/api/datasets.js';
import { lmArtifacts, loadLm } from '../../../core/lm/files.js';
import { openAppBackend, type AppBackend } from '../../../core/runner/service.js';
import { checksummer } from '../../../core/store/checksum.js';
import { saveCheckpoint } from '../../../core/store/checkpoints.js';
import { call } from '../../unit/runner/helpers.js';

const FIXTURE = join(import.meta.dirname, '..', '..', 'fixtures', 'lm', 'sentiment-sft');
let backend: AppBackend;
let home: string;

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'policylab-prefs-generate-'));
  backend = await openAppBackend({ home, transport: 'browser' });
});

afterAll(async () => {
  await backend?.close();
  rmSync(home, { recursive: true, force: true });
});

describe('datasets:generate from preference runs', () => {
  it('takes rlhf-ppo and dpo checkpoints (their lm model), refuses a reward model', async () => {
    const sft = await loadLm(FIXTURE, await checksummer());
    const lm = lmArtifacts(sft.engine, sft.tokenizer);
    const C = sft.engine.config.nEmbd;
    const info = await call<DatasetInfo>(backend, 'datasets:create', { name: 'round 2', task: 'sentiment' });
    const made: { id: string; step: number }[] = [];
    for (const [algo, arrays] of [['rlhf-ppo', { valueHead: new Float32Array(C + 1) }], ['dpo', { refLogps: new Float32Array(8) }]] as const) {
      const run = await backend.store.createRun({ algo, env: 'text', config: { task: 'sentiment' }, seed: 1 });
      await saveCheckpoint(backend.store.runDir(run.id), { step: 64, models: { lm }, arrays, state: {} }, undefined, { fsync: false });
      const gen = await call<{ added: number }>(backend, 'datasets:generate', { id: info.id, task: 'sentiment', model: { kind: 'run', runId: run.id, step: 64 }, count: 2, maxNewTokens: 6, seed: made.length });
      expect(gen.added).toBe(2);
      made.push({ id: run.id, step: 64 });
    }
    const d = await call<DatasetDetail>(backend, 'datasets:get', { id: info.id });
    expect(d.pending.map((p) => p.modelRunId)).toEqual([made[0]!.id, made[0]!.id, made[1]!.id, made[1]!.id]);
    expect(d.pending.every((p) => p.checkpointStep === 64 && p.responseA.length + p.responseB.length > 0)).toBe(true);

    const rm = await backend.store.createRun({ algo: 'reward-model', env: 'text', config: {}, seed: 1 });
    await saveCheckpoint(backend.store.runDir(rm.id), { step: 5, models: { lm }, arrays: { rewardHead: new Float32Array(C + 1) }, state: {} }, undefined, { fsync: false });
    const refused = await backend.invoke('datasets:generate', { id: info.id, task: 'sentiment', model: { kind: 'run', runId: rm.id, step: 5 }, count: 1 });
    expect(!refused.ok && refused.error).toMatchObject({ code: 'invalid_request', message: expect.stringMatching(/is a reward model/) });
  });
});
