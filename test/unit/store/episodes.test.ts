import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listEpisodes, loadEpisode, saveEpisode, StoreError, type Episode } from '../../../core/store/index.js';
import { tempDir } from './temp.js';

const episode: Episode = {
  envId: 'CartPole-v1',
  seed: 12,
  states: [
    [0.01, 0.02, -0.03, 0.04],
    [0.0104, 0.217, -0.0292, -0.26],
    [0.0148, 0.0223, -0.0344, 0.0236],
  ],
  actions: [1, 0],
  rewards: [1, 1],
  return: 2,
};

describe('episodes', () => {
  it('saves, lists and loads recorded episodes', async () => {
    const runDir = tempDir();
    const path = await saveEpisode(runDir, 4096, episode);
    expect(path).toBe(join(runDir, 'episodes', '4096.json'));
    await saveEpisode(runDir, 512, {
      envId: 'Pendulum-v1',
      seed: 3,
      states: [[1, 0]],
      actions: [[0.5]],
      rewards: [-1.25],
      return: -1.25,
      obs: [[1, 0, 0]],
    });
    const list = await listEpisodes(runDir);
    expect(list.map(({ recordedAt: _r, ...rest }) => rest)).toEqual([
      { step: 512, envId: 'Pendulum-v1', seed: 3, return: -1.25, length: 1 },
      { step: 4096, envId: 'CartPole-v1', seed: 12, return: 2, length: 2 },
    ]);
    const loaded = await loadEpisode(runDir, 4096);
    expect(loaded).toMatchObject({ ...episode, step: 4096, length: 2 });
    expect(Date.parse(loaded.recordedAt)).not.toBeNaN();
    expect((await loadEpisode(runDir, 512)).obs).toEqual([[1, 0, 0]]);
  });

  it('rejects bad episodes with clear errors and writes nothing', async () => {
    const runDir = tempDir();
    const cases: [number, Episode, RegExp][] = [
      [-1, episode, /step must be an integer >= 0/],
      [1, { ...episode, rewards: [1] }, /2 actions but 1 rewards/],
      [1, { ...episode, states: [[0]] }, /2 steps need 2 or 3 states, got 1/],
      [1, { ...episode, rewards: [1, Number.NaN] }, /rewards\.1: .*NaN/],
      [1, { ...episode, envId: '' }, /envId/],
      [1, { ...episode, extra: { bad: Infinity } } as Episode, /extra\.bad must be a finite number/],
    ];
    for (const [step, e, message] of cases) {
      const err = await saveEpisode(runDir, step, e).catch((x: unknown) => x);
      expect(err).toBeInstanceOf(StoreError);
      expect((err as Error).message).toMatch(message);
    }
    expect(existsSync(join(runDir, 'episodes'))).toBe(false);
    await expect(loadEpisode(runDir, 9)).rejects.toThrow(/no episode recorded at step 9/);
    expect(await listEpisodes(runDir)).toEqual([]);
  });

  it('skips files it did not write when listing', async () => {
    const runDir = tempDir();
    await saveEpisode(runDir, 1, episode);
    writeFileSync(join(runDir, 'episodes', '2.json'), '{"broken":');
    writeFileSync(join(runDir, 'episodes', 'notes.txt'), 'hi');
    expect((await listEpisodes(runDir)).map((e) => e.step)).toEqual([1]);
    expect(readdirSync(join(runDir, 'episodes'))).toHaveLength(3);
    await expect(loadEpisode(runDir, 2)).rejects.toThrow(/2\.json/);
  });
});
