/**
 * DPO runs end to end in this process, on oracle-labelled pairs sampled from the sentiment SFT fixture (small
 * settings: seconds each): TRL's metrics, the step-0 evaluation, checkpoints holding the policy as an `lm` model,
 * the run recorded on its dataset, ties dropped and counted, no tfjs tensors, exact resume that reads the reference
 * log-probs back instead of recomputing them, and configuration errors.
 */
import * as tf from '@tensorflow/tfjs';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { referenceStats } from '../../../core/algos/dpo/pairs.js';
import { DPO_RUN_METRIC } from '../../../core/algos/dpo/train.js';
import { readSamples } from '../../../core/algos/lm/samples.js';
import { loadLmFromRun } from '../../../core/algos/prefs/common.js';
import { RunStore } from '../../../core/store/db.js';
import { DatasetStore } from '../../../core/store/datasets.js';
import { listCheckpoints, loadCheckpoint } from '../../../core/store/index.js';
import { initBackend } from '../../../core/tensor/backend.js';
import { oracleDataset, runDpo, SFT_FIXTURE_DIR, tempHome } from './helpers.js';

let home: string;
let dataset: string;
beforeAll(async () => {
  await initBackend();
  home = tempHome();
  dataset = (await oracleDataset(home, { rounds: 1, prompts: 24, seed: 5, beta: 1, maxNewTokens: 12, ties: 2 })).id;
}, 120_000);
afterAll(() => rmSync(home, { recursive: true, force: true }));

const small = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
  dataset, init: SFT_FIXTURE_DIR, batchSize: 4, lr: 1e-3, warmupSteps: 1, evalInterval: 3, evalPrompts: 4, evalMaxNewTokens: 8, checkpointInterval: 3, holdout: 0.2, ...over, // prettier-ignore
});

type Line = { step: number } & Record<string, number>;
const metricsOf = (runId: string): Line[] =>
  readFileSync(join(home, 'runs', runId, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Line);
/** Everything but wall-clock quantities. */
const deterministic = (lines: Line[]): Record<string, number>[] =>
  lines.map((l) => Object.fromEntries(Object.entries(l).filter(([k]) => k !== 'wallTime' && !k.startsWith('time/'))));

describe('dpo runs', () => {
  it('logs TRL\'s metrics, evaluates at step 0, checkpoints the policy as `lm`, records the run on the dataset; ties dropped and counted; no tfjs tensors', async () => {
    const logs: string[] = [];
    const tensorsBefore = tf.memory().numTensors;
    const r = await runDpo({ home, runId: 'dpo-a', config: small(), totalSteps: 6, events: { log: (l) => logs.push(l) } });
    expect(tf.memory().numTensors).toBe(tensorsBefore);
    expect(r).toMatchObject({ status: 'finished', step: 6 });
    expect(logs.join('\n')).toMatch(/dropped 2 tie\(s\)/);
    const lines = metricsOf('dpo-a');
    expect(lines.map((l) => l.step)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    const step0 = lines[0];
    // Step 0 is the SFT policy itself: zero log-ratio to the reference, so zero KL and zero implicit rewards.
    expect(step0[DPO_RUN_METRIC.evalKl]).toBe(0);
    expect(step0[DPO_RUN_METRIC.evalRewardsMargins]).toBe(0);
    expect(step0[DPO_RUN_METRIC.evalLoss]).toBeCloseTo(Math.log(2), 6);
    expect(Number.isFinite(step0[DPO_RUN_METRIC.evalOracleScore])).toBe(true);
    for (const key of ['train/loss', 'rewards/chosen', 'rewards/rejected', 'rewards/accuracies', 'rewards/margins', 'logps/chosen', 'logps/rejected', 'logits/chosen', 'logits/rejected', 'train/learningRate', 'train/gradNorm', 'time/tokensPerSecond']) {
      for (const l of lines.slice(1)) expect(Number.isFinite(l[key]), `${key} at step ${l.step}`).toBe(true);
    }
    // The first step starts from the reference: its loss is log 2 and its implicit rewards are zero.
    expect(lines[1]['train/loss']).toBeCloseTo(Math.log(2), 6);
    expect(lines[1]['rewards/margins']).toBe(0);
    // Evaluations at 0, 3 and 6; the policy moved (the margin on training pairs grows from 0).
    expect(lines.filter((l) => DPO_RUN_METRIC.evalOracleScore in l).map((l) => l.step)).toEqual([0, 3, 6]);
    expect(lines[6]['rewards/margins']).toBeGreaterThan(0);
    expect(lines[6][DPO_RUN_METRIC.evalKl]).not.toBe(0);
    const { samples } = await readSamples(join(home, 'runs', 'dpo-a'));
    expect([...new Set(samples.map((s) => s.step))]).toEqual([0, 3, 6]);
    expect(samples.filter((s) => s.step === 0)).toHaveLength(4);

    const ckpts = await listCheckpoints(join(home, 'runs', 'dpo-a'));
    expect(ckpts.map((c) => [c.step, c.models])).toEqual([[3, ['lm']], [6, ['lm']]]);
    // The checkpoint's policy reads back like an SFT model (init of another run, the sample viewer) and differs from SFT.
    const back = await loadLmFromRun('dpo-a', join(home, 'runs', 'other'), null, 'init');
    const sft = await loadLmFromRun(SFT_FIXTURE_DIR, join(home, 'runs', 'other'), null, 'init');
    expect(back.step).toBe(6);
    expect(back.engine.params.length).toBe(sft.engine.params.length);
    expect(back.engine.params).not.toEqual(sft.engine.params);

    const runs = await RunStore.open(home);
    const d = await new DatasetStore(runs).read(dataset);
    await runs.close();
    expect(d.trainedRunIds).toContain('dpo-a');
  }, 120_000);

  it('resume continues exactly (weights, AdamW, metrics) and reads the reference log-probs back instead of recomputing them', async () => {
    const config = small({ evalInterval: 0, checkpointInterval: 0, loss: 'sigmoid', labelSmoothing: 0.1 });
    const callsBefore = referenceStats.calls;
    await runDpo({ home, runId: 'dpo-full', config, totalSteps: 6 });
    expect(referenceStats.calls - callsBefore).toBe(2); // train and held-out pairs, once each

    const stop = new AbortController();
    const first = await runDpo({ home, runId: 'dpo-part', config, totalSteps: 6, signal: stop.signal, events: { metrics: (s) => { if (s === 3) stop.abort(); } } }); // prettier-ignore
    expect(first).toMatchObject({ status: 'stopped', step: 3 });
    const pairsScored = referenceStats.pairs;
    const callsAtStop = referenceStats.calls;
    const logs: string[] = [];
    const second = await runDpo({ home, runId: 'dpo-part', config, totalSteps: 6, resume: true, events: { log: (l) => logs.push(l) } });
    expect(second).toMatchObject({ status: 'finished', step: 6 });
    expect(referenceStats.calls).toBe(callsAtStop);
    expect(referenceStats.pairs).toBe(pairsScored);
    expect(logs.join('\n')).toMatch(/resumed dpo from the checkpoint at step 3/);
    expect(logs.join('\n')).not.toMatch(/reference log-probs of/);

    expect(deterministic(metricsOf('dpo-part'))).toEqual(deterministic(metricsOf('dpo-full')));
    const a = await loadCheckpoint(join(home, 'runs', 'dpo-full'), 'latest');
    const b = await loadCheckpoint(join(home, 'runs', 'dpo-part'), 'latest');
    expect(b.step).toBe(6);
    expect(b.arrays['adam.m']).toEqual(a.arrays['adam.m']);
    expect(b.arrays['ref.train.chosen']).toEqual(a.arrays['ref.train.chosen']);
    const pa = (await loadLmFromRun('dpo-full', join(home, 'runs', 'x'), null, 'init')).engine.params;
    const pb = (await loadLmFromRun('dpo-part', join(home, 'runs', 'x'), null, 'init')).engine.params;
    expect(pb).toEqual(pa);
  }, 180_000);

  it('a dataset that grew since the run started (iterated collection) resumes on the run\'s own pairs', async () => {
    const config = small({ evalInterval: 0, checkpointInterval: 0 });
    await runDpo({ home, runId: 'dpo-grow', config, totalSteps: 2 });
    const runs = await RunStore.open(home);
    const ds = new DatasetStore(runs);
    const d = await ds.read(dataset);
    const labelled = d.rows.filter((row) => row.label === 'a' || row.label === 'b');
    await ds.addRows(dataset, labelled.slice(0, 3).map((row, i) => ({ ...row, id: `grown-${i}` })));
    await runs.close();
    const calls = referenceStats.calls;
    const r = await runDpo({ home, runId: 'dpo-grow', config, totalSteps: 3, resume: true });
    expect(r).toMatchObject({ status: 'finished', step: 3 });
    expect(referenceStats.calls).toBe(calls);
    const ckpt = await loadCheckpoint<{ trainIds: string[] }>(join(home, 'runs', 'dpo-grow'), 'latest');
    expect(ckpt.state.trainIds.some((id) => id.startsWith('grown-'))).toBe(false);
  }, 120_000);

  it('IPO: the loss (Δ − 1/(2β))² starts at 1/(4β²) and falls as the implicit-reward margin grows', async () => {
    const r = await runDpo({ home, runId: 'dpo-ipo', config: small({ loss: 'ipo', beta: 0.1, lr: 3e-4, evalInterval: 0, checkpointInterval: 0 }), totalSteps: 8 });
    expect(r.status).toBe('finished');
    const lines = metricsOf('dpo-ipo').filter((l) => l.step > 0);
    // At the reference Δ = 0, so the loss is (0 − 1/(2·0.1))² = 25.
    expect(lines[0]['train/loss']).toBeCloseTo(25, 5);
    const last = lines.slice(-4);
    expect(last.reduce((a, l) => a + l['train/loss'], 0) / last.length).toBeLessThan(20);
    expect(lines[lines.length - 1]['rewards/margins']).toBeGreaterThan(0);
  }, 120_000);

  it('refuses bad configs with errors that say what is wrong', async () => {
    const run = (config: Record<string, unknown>, env = 'text') => runDpo({ home, runId: 'dpo-bad', config, totalSteps: 1, env }).then(() => 'ok', (e: Error) => e.message);
    expect(await run(small({ dataset: '' }))).toMatch(/config.dataset is required/);
    expect(await run(small({ init: '' }))).toMatch(/config.init is required/);
    expect(await run(small({ dataset: 'no-such-dataset' }))).toMatch(/there is no dataset "no-such-dataset"/);
    expect(await run(small({ init: 'no-such-run' }))).toMatch(/config.init: there is no run "no-such-run"/);
    expect(await run(small({ beta: -1 }))).toMatch(/config.beta must be > 0, got -1/);
    // A TRL file names no task: the oracle needs one.
    const file = join(home, 'pairs.jsonl');
    writeFileSync(file, ['{"prompt":"The film was","chosen":" great and moving.","rejected":" dull."}', '{"prompt":"The cast was","chosen":" superb.","rejected":" awful."}', '{"prompt":"The plot was","chosen":" clever.","rejected":" clever."}'].join('\n') + '\n');
    expect(await run(small({ dataset: file }))).toMatch(/config.task is required: .*pairs.jsonl names no task/);
    // Identical responses are dropped (and counted): two pairs are left, enough to train on.
    const logs: string[] = [];
    const ok = await runDpo({ home, runId: 'dpo-file', config: small({ dataset: file, task: 'sentiment', holdout: 0.5, evalInterval: 0 }), totalSteps: 1, events: { log: (l) => logs.push(l) } });
    expect(ok.status).toBe('finished');
    expect(logs.join('\n')).toMatch(/1 to train on, 1 held out .*dropped 0 tie\(s\) and 1 pair\(s\) with identical responses/);
    expect(await run(small(), 'CartPole-v1')).toMatch(/dpo trains on text \(env "text"\), not on "CartPole-v1"/);
  }, 120_000);
});
