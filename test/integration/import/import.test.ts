import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ImportError, importPaths } from '../../../core/import/index.js';
import { MetricReader, RunStore } from '../../../core/store/index.js';
import { cleanrlEvents, eventFile } from '../../helpers/tfrecord-writer.js';

let home: string;
let src: string;
let store: RunStore;

beforeEach(async () => {
  home = mkdtempSync(join(tmpdir(), 'policylab-import-home-'));
  src = mkdtempSync(join(tmpdir(), 'policylab-import-src-'));
  store = await RunStore.open(home);
});
afterEach(async () => {
  await store.close();
  rmSync(home, { recursive: true, force: true });
  rmSync(src, { recursive: true, force: true });
});

function cleanrlRun(name: string, episodes: number): string {
  const dir = join(src, 'runs', name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'events.out.tfevents.1700000000.host.1.0'), eventFile(cleanrlEvents(episodes)));
  return dir;
}

const points = async (id: string, key: string) => (await new MetricReader(store.runDir(id)).range(key)).map((p) => [p.step, p.value]);
const runFolders = () => readdirSync(join(home, 'runs'));

describe('policylab import: TensorBoard event files (CleanRL) and SB3 monitor.csv', () => {
  it('a CleanRL run becomes a finished, read-only external run with mapped keys and its hyperparameters', async () => {
    const dir = cleanrlRun('CartPole-v1__ppo__1__1700000000', 5);
    const { runs } = await importPaths(store, [join(src, 'runs')]);
    expect(runs).toHaveLength(1);
    const r = runs[0]!;
    expect(r).toMatchObject({ name: 'CartPole-v1__ppo__1__1700000000', algo: 'cleanrl:ppo', env: 'CartPole-v1', seed: 1, status: 'finished', step: 500, episodes: 5 });
    expect(r.config).toEqual({ exp_name: 'ppo', seed: 1, env_id: 'CartPole-v1', learning_rate: 0.00025, anneal_lr: true });
    expect(r.external).toMatchObject({ format: 'tensorboard', library: 'CleanRL', path: dir, files: ['events.out.tfevents.1700000000.host.1.0'] });
    expect(Date.parse(r.external!.importedAt)).toBeGreaterThan(Date.now() - 60_000);
    expect(r.tags).toEqual(['external', 'CleanRL']);
    const returns = [1, 2, 3, 4, 5].map((i) => [100 * i, 10 * i]);
    expect(await points(r.id, 'charts/episodicReturn')).toEqual(returns);
    expect(await points(r.id, 'rollout/episodeReturn')).toEqual(returns);
    expect(await points(r.id, 'charts/episodicLength')).toEqual(returns);
    expect((await points(r.id, 'train/valueLoss')).map(([, v]) => v)).toEqual([1, 1 / 2, 1 / 3, 1 / 4, 1 / 5].map(Math.fround));
    expect(r.summary['rollout/episodeReturn']).toMatchObject({ last: 50, max: 50, min: 10, count: 5 });
    // The record survives a reopen (the schema keeps `external`).
    await store.close();
    store = await RunStore.open(home);
    expect(store.getRun(r.id).external).toEqual(r.external);
    expect(runFolders()).toEqual([r.id]);
    // Deleting the imported run removes PolicyLab's copy only, never the source files.
    await store.deleteRun(r.id);
    expect(runFolders()).toEqual([]);
    expect(readdirSync(dir)).toEqual(['events.out.tfevents.1700000000.host.1.0']);
  });

  it('two episodes ending at the same global step are two records, not one overwritten', async () => {
    const dir = join(src, 'same-step');
    mkdirSync(dir);
    writeFileSync(
      join(dir, 'events.out.tfevents.1'),
      eventFile([
        { wallTime: 1, step: 512, values: [{ tag: 'charts/episodic_return', simple: 9 }] },
        { wallTime: 1, step: 512, values: [{ tag: 'charts/episodic_return', simple: 11 }] },
        { wallTime: 2, step: 256, values: [{ tag: 'charts/episodic_return', simple: 5 }] },
      ]),
    );
    const { runs } = await importPaths(store, [dir], { name: 'mine' });
    expect(runs[0]!.name).toBe('mine');
    expect(runs[0]!.env).toBe('unknown');
    expect(await points(runs[0]!.id, 'charts/episodicReturn')).toEqual([[256, 5], [512, 9], [512, 11]]);
  });

  it("SB3's TensorBoard keys: ep_rew_mean → rollout/episodeReturn, entropy_loss → −train/entropy, others kept", async () => {
    const dir = join(src, 'PPO_1');
    mkdirSync(dir);
    writeFileSync(
      join(dir, 'events.out.tfevents.1700000000.host.7.0'),
      eventFile([
        { wallTime: 5, step: 2048, values: [{ tag: 'rollout/ep_rew_mean', simple: 22.5 }, { tag: 'time/fps', simple: 900 }, { tag: 'train/entropy_loss', tensorFloat: -0.69, encoding: 'content' }, { tag: 'custom/thing', tensorDouble: 3 }, { tag: 'weights', histogramLike: true }] },
        { wallTime: 9, step: 4096, values: [{ tag: 'rollout/ep_rew_mean', simple: 40 }] },
      ]),
    );
    const { runs, parsed } = await importPaths(store, [dir]);
    expect(runs[0]).toMatchObject({ name: 'PPO_1', algo: 'stablebaselines3', env: 'unknown', step: 4096, totalSteps: 4096, status: 'finished' });
    expect(runs[0]!.external!.library).toBe('Stable-Baselines3');
    expect(parsed[0]!.skipped).toBe(1);
    expect(await points(runs[0]!.id, 'rollout/episodeReturn')).toEqual([[2048, 22.5], [4096, 40]]);
    expect(await points(runs[0]!.id, 'time/sps')).toEqual([[2048, 900]]);
    expect(await points(runs[0]!.id, 'train/entropy')).toEqual([[2048, -Math.fround(-0.69)]]);
    expect(await points(runs[0]!.id, 'custom/thing')).toEqual([[2048, 3]]);
  });

  it('an SB3 monitor.csv: steps from summed lengths, env from its header', async () => {
    const dir = join(src, 'sb3');
    mkdirSync(dir);
    writeFileSync(join(dir, '0.monitor.csv'), '#{"t_start": 1700000000.0, "env_id": "Acrobot-v1"}\nr,l,t\n-500.0,500,1.5\n-200.0,200,2.5\n');
    const { runs } = await importPaths(store, [join(dir, '0.monitor.csv')]);
    expect(runs[0]).toMatchObject({ algo: 'sb3', env: 'Acrobot-v1', step: 700, episodes: 2, name: '0' });
    expect(runs[0]!.external).toMatchObject({ format: 'sb3-monitor', library: 'Stable-Baselines3' });
    expect(await points(runs[0]!.id, 'rollout/episodeReturn')).toEqual([[500, -500], [700, -200]]);
  });

  it('a malformed source anywhere in the batch imports nothing, and the error names file and record/line', async () => {
    cleanrlRun('CartPole-v1__ppo__1__1', 3);
    const bad = cleanrlRun('CartPole-v1__ppo__2__2', 3);
    const file = join(bad, 'events.out.tfevents.1700000000.host.1.0');
    const bytes = eventFile(cleanrlEvents(3));
    bytes[bytes.length - 30] ^= 0xff;
    writeFileSync(file, bytes);
    const err = await importPaths(store, [join(src, 'runs')]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImportError);
    expect((err as Error).message).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: record \\d+ \\(byte \\d+\\): data CRC32C does not match$`));
    const csv = join(src, 'monitor.csv');
    writeFileSync(csv, '#{"t_start": 1}\nr,l,t\n1,1,1\n1,1,x\n');
    await expect(importPaths(store, [csv])).rejects.toThrow(/monitor\.csv: line 4: t \(seconds since t_start\) is not a finite number/);
    await expect(importPaths(store, [join(src, 'nothing-here')])).rejects.toThrow(/no such file or folder/);
    expect(store.listRuns()).toEqual([]);
    expect(runFolders()).toEqual([]);
  });

  it('a failure while writing removes every folder of the batch (nothing half-imported)', async () => {
    cleanrlRun('CartPole-v1__ppo__1__1', 2);
    cleanrlRun('CartPole-v1__ppo__2__2', 2);
    const adopt = store.adoptRun.bind(store);
    let calls = 0;
    store.adoptRun = async (id: string) => {
      if (++calls === 2) throw new Error('disk full (injected)');
      return adopt(id);
    };
    await expect(importPaths(store, [join(src, 'runs')])).rejects.toThrow(/disk full \(injected\)/);
    expect(store.listRuns()).toEqual([]);
    expect(runFolders()).toEqual([]);
  });
});
