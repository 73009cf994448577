import * as tf from '@tensorflow/tfjs';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listCheckpoints, loadCheckpoint, saveCheckpoint, StoreError } from '../../../core/store/index.js';
import { tempDir } from './temp.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function buildModel(seed: number): tf.Sequential {
  const model = tf.sequential();
  model.add(tf.layers.dense({ inputShape: [4], units: 8, activation: 'tanh', kernelInitializer: tf.initializers.glorotUniform({ seed }) }));
  model.add(tf.layers.dense({ units: 2, kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }) }));
  return model;
}

async function artifactsOf(model: tf.LayersModel): Promise<tf.io.ModelArtifacts> {
  let saved: tf.io.ModelArtifacts | null = null;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      saved = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  return saved!;
}

const models: tf.LayersModel[] = [];
afterAll(() => {
  for (const m of models) m.dispose();
});

describe('checkpoints', () => {
  it('round-trips models (loadable by tf.loadLayersModel), arrays and state', async () => {
    const runDir = tempDir();
    const actor = buildModel(1);
    const critic = buildModel(10);
    models.push(actor, critic);
    const state = { rng: [1, 2, 3, 4294967295], step: 2048, episodes: 17, normalizer: { count: 2048.5 }, lr: 3e-4 };
    const arrays = {
      'adam/m/0': Float32Array.from([0.5, -1.25, 3]),
      'obs/mean': Float64Array.from([Math.PI, -Math.E, 1e-300]),
      counts: Int32Array.from([-7, 0, 2147483647]),
      mask: Uint8Array.from([0, 1, 255]),
    };
    const saved = await saveCheckpoint(runDir, {
      step: 2048,
      models: { actor: await artifactsOf(actor), critic: await artifactsOf(critic) },
      arrays,
      state,
      metrics: { 'rollout/episodeReturn': 35.5 },
    });
    expect(saved).toEqual({ step: 2048, dir: join(runDir, 'checkpoints', '2048'), removed: [] });
    // tfjs file layout: <name>/model.json whose weightsManifest points at <name>/weights.bin.
    const modelJson = JSON.parse(readFileSync(join(saved.dir, 'actor', 'model.json'), 'utf8'));
    expect(modelJson.weightsManifest).toEqual([{ paths: ['weights.bin'], weights: expect.any(Array) }]);
    expect(modelJson.format).toBe('layers-model');
    expect(modelJson.modelTopology.class_name).toBe('Sequential');
    expect(readFileSync(join(saved.dir, 'actor', 'weights.bin')).length).toBe((4 * 8 + 8 + 8 * 2 + 2) * 4);
    expect(readdirSync(saved.dir).sort()).toEqual(['actor', 'arrays.bin', 'arrays.json', 'checkpoint.json', 'critic', 'state.json']);

    const loaded = await loadCheckpoint<typeof state>(runDir, 'latest');
    expect(loaded.step).toBe(2048);
    expect(loaded.state).toEqual(state);
    expect(loaded.metrics).toEqual({ 'rollout/episodeReturn': 35.5 });
    expect(loaded.arrays).toEqual(arrays);
    expect(loaded.arrays['obs/mean']).toBeInstanceOf(Float64Array);
    expect(loaded.arrays.counts).toBeInstanceOf(Int32Array);

    const x = tf.tensor2d([[0.1, -0.2, 0.3, -0.4], [1, 2, 3, 4]]);
    for (const [name, original] of [['actor', actor], ['critic', critic]] as const) {
      const restored = await tf.loadLayersModel(tf.io.fromMemory(loaded.models[name]));
      models.push(restored);
      const a = original.predict(x) as tf.Tensor;
      const b = restored.predict(x) as tf.Tensor;
      expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
      a.dispose();
      b.dispose();
    }
    x.dispose();
  });

  it('keeps the last K checkpoints', async () => {
    const runDir = tempDir();
    const removed: number[][] = [];
    for (const step of [100, 200, 300, 400, 500]) {
      removed.push((await saveCheckpoint(runDir, { step, state: { step } }, { keepLast: 2 })).removed);
    }
    expect(removed).toEqual([[], [], [100], [200], [300]]);
    expect((await listCheckpoints(runDir)).map((c) => c.step)).toEqual([400, 500]);
    expect((await loadCheckpoint(runDir, 'latest')).state).toEqual({ step: 500 });
  });

  it('keeps the best checkpoint by a metric besides the last K', async () => {
    const runDir = tempDir();
    const returns = [10, 80, 30, 20, 15];
    for (const [i, r] of returns.entries()) {
      await saveCheckpoint(runDir, { step: (i + 1) * 100, metrics: { 'rollout/episodeReturn': r } }, {
        keepLast: 1,
        keepBest: { metric: 'rollout/episodeReturn', mode: 'max' },
      });
    }
    expect((await listCheckpoints(runDir)).map((c) => [c.step, c.metrics['rollout/episodeReturn']])).toEqual([
      [200, 80],
      [500, 15],
    ]);
    // mode min, and checkpoints without the metric never rank as best
    const other = tempDir();
    await saveCheckpoint(other, { step: 1, metrics: { 'train/valueLoss': 5 } }, { keepLast: 1, keepBest: { metric: 'train/valueLoss', mode: 'min' } });
    await saveCheckpoint(other, { step: 2 }, { keepLast: 1, keepBest: { metric: 'train/valueLoss', mode: 'min' } });
    await saveCheckpoint(other, { step: 3, metrics: { 'train/valueLoss': 9 } }, { keepLast: 1, keepBest: { metric: 'train/valueLoss', mode: 'min' } });
    expect((await listCheckpoints(other)).map((c) => c.step)).toEqual([1, 3]);
  });

  it('replaces a checkpoint at the same step atomically', async () => {
    const runDir = tempDir();
    await saveCheckpoint(runDir, { step: 7, state: { v: 1 } });
    await saveCheckpoint(runDir, { step: 7, state: { v: 2 } });
    expect((await listCheckpoints(runDir)).map((c) => c.step)).toEqual([7]);
    expect((await loadCheckpoint(runDir, 7)).state).toEqual({ v: 2 });
    expect(readdirSync(join(runDir, 'checkpoints'))).toEqual(['7']);
  });

  it('ignores half-written checkpoints and cleans them up on the next save', async () => {
    const runDir = tempDir();
    await saveCheckpoint(runDir, { step: 10, state: { ok: true } });
    // What a process killed mid-save leaves: a temp folder; a replaced checkpoint moved aside; a folder without meta.
    mkdirSync(join(runDir, 'checkpoints', '.tmp-20-deadbeef', 'actor'), { recursive: true });
    writeFileSync(join(runDir, 'checkpoints', '.tmp-20-deadbeef', 'state.json'), '{"ok":');
    mkdirSync(join(runDir, 'checkpoints', '30'));
    await saveCheckpoint(runDir, { step: 15, state: { v: 15 } });
    renameSync(join(runDir, 'checkpoints', '15'), join(runDir, 'checkpoints', '.old-15-cafe0001'));
    expect((await listCheckpoints(runDir)).map((c) => c.step)).toEqual([10]);
    await expect(loadCheckpoint(runDir, 30)).rejects.toThrow(/no checkpoint at step 30 .*have: 10/);
    await saveCheckpoint(runDir, { step: 40, state: {} });
    expect(readdirSync(join(runDir, 'checkpoints')).sort()).toEqual(['10', '15', '30', '40']);
    expect((await loadCheckpoint(runDir, 15)).state).toEqual({ v: 15 });
  });

  it('rejects bad input with clear errors and writes nothing', async () => {
    const runDir = tempDir();
    const model = buildModel(3);
    models.push(model);
    const good = await artifactsOf(model);
    const cases: [Parameters<typeof saveCheckpoint>[1], Parameters<typeof saveCheckpoint>[2], RegExp][] = [
      [{ step: -1 }, undefined, /step must be an integer >= 0, got -1/],
      [{ step: 1.5 }, undefined, /step must be an integer/],
      [{ step: 1, models: { 'bad/name': good } }, undefined, /model name "bad\/name"/],
      [{ step: 1, models: { actor: { ...good, weightData: new ArrayBuffer(3) } } }, undefined, /models\.actor: weightData has 3 bytes but weightSpecs describe 232/],
      [{ step: 1, models: { actor: { ...good, modelTopology: new ArrayBuffer(8) } } }, undefined, /layers-model JSON/],
      [{ step: 1, arrays: { x: [1, 2, 3] as never } }, undefined, /arrays\.x must be a Float32Array/],
      [{ step: 1, state: { x: Number.NaN } }, undefined, /state\.x must be a finite number/],
      [{ step: 1, metrics: { r: Infinity } }, undefined, /metrics\.r must be a finite number/],
      [{ step: 1 }, { keepLast: 0 }, /keepLast must be an integer >= 1, got 0/],
      [{ step: 1 }, { keepLast: 1, keepBest: { metric: 'r', mode: 'best' as never } }, /keepBest\.mode/],
    ];
    for (const [data, policy, message] of cases) {
      const err = await saveCheckpoint(runDir, data, policy).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StoreError);
      expect((err as Error).message).toMatch(message);
    }
    expect(existsSync(join(runDir, 'checkpoints'))).toBe(false);
    await expect(loadCheckpoint(runDir)).rejects.toThrow(/no checkpoints in/);
    await expect(loadCheckpoint(runDir, -3)).rejects.toThrow(/step must be an integer/);
  });
});
