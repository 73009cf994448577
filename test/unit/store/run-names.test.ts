/** Default run names are unique (issue 11: three runs were all `ppo-CartPole-v1-s1`); given names are kept. */
import { describe, expect, it } from 'vitest';
import { RunStore, type CreateRunInput } from '../../../core/store/index.js';
import { tempDir } from './temp.js';

const input: CreateRunInput = { algo: 'ppo', env: 'CartPole-v1', config: {}, seed: 1 };

describe('default run names', () => {
  it('suffix -2, -3 when the name exists, per seed, and survive a reopen', async () => {
    const home = tempDir();
    const store = await RunStore.open(home);
    const names = [];
    for (let i = 0; i < 3; i++) names.push((await store.createRun(input)).name);
    names.push((await store.createRun({ ...input, seed: 2 })).name);
    expect(names).toEqual(['ppo-CartPole-v1-s1', 'ppo-CartPole-v1-s1-2', 'ppo-CartPole-v1-s1-3', 'ppo-CartPole-v1-s2']);
    await store.close();
    // Another process (a CLI training) opening the folder sees the names taken.
    const again = await RunStore.open(home);
    expect((await again.createRun(input)).name).toBe('ppo-CartPole-v1-s1-4');
    await again.close();
  });

  it('keep names the user gives, and a deleted run frees its name', async () => {
    const home = tempDir();
    const store = await RunStore.open(home);
    const a = await store.createRun(input);
    const b = await store.createRun(input);
    expect(b.name).toBe('ppo-CartPole-v1-s1-2');
    expect((await store.createRun({ ...input, name: 'ppo-CartPole-v1-s1' })).name).toBe('ppo-CartPole-v1-s1');
    await store.deleteRun(a.id);
    // The user's run still holds the bare name.
    expect((await store.createRun(input)).name).toBe('ppo-CartPole-v1-s1-3');
    await store.deleteRun(b.id);
    expect((await store.createRun(input)).name).toBe('ppo-CartPole-v1-s1-2');
    await store.close();
  });
});
