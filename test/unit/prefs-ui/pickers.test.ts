/** Launch-form pickers of the preference and LM runs (renderer/src/prefs/pickers.ts), on the real registry's schemas. */
import { describe, expect, it } from 'vitest';
import type { CheckpointInfo, DatasetInfo, RunInfo } from '../../../core/api/contract.js';
import { fromRegistry } from '../../../core/runner/catalog-registry.js';
import { fieldsOf, type Field } from '../../../renderer/src/lib/schema-form.js';
import { datasetOptionLabel, latestStepValue, mustPick, pickerOf, policyRuns, runOptions, stepOptions } from '../../../renderer/src/prefs/pickers.js';

const catalog = fromRegistry().describe();
function fields(algo: string): Field[] {
  const a = catalog.algos.find((x) => x.id === algo);
  if (!a) throw new Error(`no algo ${algo} in the registry`);
  return fieldsOf(a.configSchema);
}
function pickers(algo: string): Record<string, unknown> {
  return Object.fromEntries(fields(algo).map((f) => [f.key, pickerOf(f)]).filter(([, p]) => p !== null));
}

function run(id: string, algo: string, createdAt: string, extra: Partial<RunInfo> = {}): RunInfo {
  return {
    id, name: `run ${id}`, algo, env: 'text', seed: 1, status: 'finished', config: {}, backend: null, tags: [], notes: '', createdAt,
    startedAt: null, endedAt: null, activeSeconds: 0, runningSince: null, step: 10, totalSteps: 10, summary: { lastReturn: null, bestReturn: null, sps: null }, error: null, ...extra,
  };
}
const ckpt = (step: number): CheckpointInfo => ({ step, time: '2026-01-01T00:00:00Z', metrics: {} });

describe('launch pickers', () => {
  it('the catalog says which envs each algorithm trains on: LM and preference runs text only', () => {
    const envs = Object.fromEntries(catalog.algos.map((a) => [a.id, a.envs]));
    expect(envs.sft).toEqual(['text']);
    expect(envs['reward-model']).toEqual(['text']);
    expect(envs.ppo).not.toContain('text');
    expect(envs.ppo).toContain('CartPole-v1');
  });

  it('reward-model: dataset, init and its step are pickers; other fields are not', () => {
    expect(pickers('reward-model')).toEqual({ dataset: { kind: 'dataset' }, init: { kind: 'policy' }, initStep: { kind: 'step', of: 'init' } });
    expect(pickers('sft')).toEqual({ init: { kind: 'policy' } });
    // Required ones read "— pick one —" when empty; SFT's optional init reads "none (a fresh model)".
    const byKey = (algo: string, key: string) => fields(algo).find((f) => f.key === key)!;
    expect([mustPick(byKey('reward-model', 'dataset')), mustPick(byKey('reward-model', 'init')), mustPick(byKey('reward-model', 'initStep')), mustPick(byKey('sft', 'init'))]).toEqual([true, true, false, false]);
    expect(pickers('pretrain')).toEqual({});
    expect(pickers('ppo')).toEqual({});
  });

  it("a rewardModel field offers the oracle only where its schema says so", () => {
    const base: Field = { key: 'rewardModel', label: 'Reward model', description: 'a reward-model run id', kind: 'string', schema: { type: 'string' }, nullable: false, required: true, options: [] };
    expect(pickerOf(base)).toEqual({ kind: 'reward-model', oracle: false });
    expect(pickerOf({ ...base, description: 'a run id; "oracle": the task\'s true reward' })).toEqual({ kind: 'reward-model', oracle: true });
    expect(pickerOf({ ...base, key: 'rewardModelStep', kind: 'integer', nullable: true })).toEqual({ kind: 'step', of: 'rewardModel' });
    expect(pickerOf({ ...base, key: 'someStep', kind: 'integer' })).toBeNull();
    const runs = [run('rm1', 'reward-model', '2026-01-01'), run('s1', 'sft', '2026-01-02')];
    expect(runOptions({ kind: 'reward-model', oracle: true }, runs).map((o) => o.value)).toEqual(['oracle', 'rm1']);
    expect(runOptions({ kind: 'reward-model', oracle: false }, runs).map((o) => o.value)).toEqual(['rm1']);
  });

  it('policy runs: the LM-holding run types, newest first, imported runs left out', () => {
    const runs = [
      run('a', 'sft', '2026-01-01'), run('b', 'ppo', '2026-01-05'), run('c', 'dpo', '2026-01-03'), run('d', 'rlhf-ppo', '2026-01-04'),
      run('e', 'reward-model', '2026-01-06'), run('f', 'pretrain', '2026-01-02'),
      run('g', 'sft', '2026-01-07', { external: { format: 'tensorboard', library: 'TensorBoard', path: '/x', importedAt: '2026-01-07' } }),
    ];
    expect(policyRuns(runs).map((r) => r.id)).toEqual(['d', 'c', 'f', 'a']);
    expect(runOptions({ kind: 'policy' }, runs)[0]).toEqual({ value: 'd', label: 'run d (rlhf-ppo, step 10, finished)' });
  });

  it('step choices: "latest" (empty = null) first when nullable, then steps newest first', () => {
    const [, , initStep] = fields('reward-model');
    expect(initStep!.key).toBe('initStep');
    expect(initStep!.nullable).toBe(true);
    const list = [ckpt(100), ckpt(300), ckpt(200)];
    expect(stepOptions(initStep!, list)).toEqual([
      { value: '', label: 'latest (now step 300)' },
      { value: '300', label: 'step 300' },
      { value: '200', label: 'step 200' },
      { value: '100', label: 'step 100' },
    ]);
    expect(latestStepValue(initStep!, list)).toBe('');
    const strict = { ...initStep!, nullable: false };
    expect(stepOptions(strict, list).map((o) => o.value)).toEqual(['300', '200', '100']);
    expect(latestStepValue(strict, list)).toBe('300');
    expect(latestStepValue(strict, [])).toBe('');
  });

  it('a dataset is listed with its size and label balance', () => {
    const d: DatasetInfo = {
      id: 'sent', name: 'Sentiment pairs', task: 'sentiment', createdAt: '', updatedAt: '', size: 240, pending: 0, deleted: 0,
      labels: { a: 118, b: 110, tie: 12, skip: 0 }, sources: { human: 0, oracle: 240, import: 0 }, labellers: [],
      oracle: { task: 'sentiment', beta: 1, bayesAccuracy: 0.812, pairs: 240 }, trainedRunIds: [], exportedAt: null,
    };
    expect(datasetOptionLabel(d)).toBe('Sentiment pairs — 240 pairs · A 118 / B 110 / tie 12 (oracle β 1, Bayes 81%) · sentiment');
    expect(datasetOptionLabel({ ...d, oracle: null, task: null, labels: { a: 1, b: 2, tie: 0, skip: 3 } })).toBe('Sentiment pairs — 240 pairs · A 1 / B 2 / tie 0 / skip 3');
  });
});
