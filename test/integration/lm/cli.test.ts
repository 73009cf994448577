/** `policylab train --algo pretrain` end to end with the real CLI: no --env needed, run recorded, checkpoint, samples. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { readSamples } from '../../../core/algos/lm/samples.js';
import { listCheckpoints } from '../../../core/store/index.js';

const CLI = join(process.cwd(), 'bin/policylab.mjs');
const home = mkdtempSync(join(tmpdir(), 'policylab-lmcli-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));

function cli(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, POLICYLAB_HOME: home }, timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

it('trains a tiny pretrain run from the CLI and stores its checkpoint (with the LM) and samples', { timeout: 150_000 }, () => {
  const r = cli(['train', '--algo', 'pretrain', '--total-steps', '6', '--batchSize', '2', '--tokenizer', 'char', '--vocabSize', '260', '--sampleInterval', '3', '--numSamples', '2', '--sampleMaxTokens', '6', '--home', home, '--no-progress']);
  expect(r.stderr).not.toMatch(/error/i);
  expect(r.code).toBe(0);
  const id = /run (\S+): LM pretrain on text/.exec(r.stdout)?.[1];
  expect(id).toBeTruthy();
  const runDir = join(home, 'runs', id!);
  const record = (JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8')) as { run: { status: string; env: string; algo: string; step: number } }).run;
  expect(record).toMatchObject({ status: 'finished', env: 'text', algo: 'pretrain', step: 6 });
  return Promise.all([listCheckpoints(runDir), readSamples(runDir)]).then(([ckpts, { samples }]) => {
    expect(ckpts.map((c) => [c.step, c.models])).toEqual([[6, ['lm']]]);
    expect([...new Set(samples.map((s) => s.step))]).toEqual([0, 3, 6]);
  });
});

it('refuses an RL env for pretrain and the text env for PPO', () => {
  const a = cli(['train', '--algo', 'pretrain', '--env', 'CartPole-v1', '--total-steps', '1', '--home', home]);
  expect(a.code).not.toBe(0);
  expect(a.stderr).toMatch(/LM pretrain cannot train on "CartPole-v1"; it trains on text/);
  const b = cli(['train', '--algo', 'ppo', '--env', 'text', '--total-steps', '1', '--home', home]);
  expect(b.code).not.toBe(0);
  expect(b.stderr).toMatch(/unknown env "text"/);
});
