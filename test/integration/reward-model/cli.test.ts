/**
 * `policylab train --algo reward-model --dataset <id> --init <SFT>` with the real CLI: no --env needed, the run is
 * recorded (finished, env text) with its checkpoint (trunk + head) and metrics, and the dataset lists it.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { listCheckpoints, loadCheckpoint } from '../../../core/store/index.js';
import { oracleDataset, SFT_FIXTURE, trainedRunIds } from './fixtures.js';

const CLI = join(process.cwd(), 'bin/policylab.mjs');
const home = mkdtempSync(join(tmpdir(), 'policylab-rmcli-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));
let dataset = '';

beforeAll(async () => {
  dataset = (await oracleDataset(home, { passes: 1, prompts: 16, maxNewTokens: 10, beta: 2, seed: 3 })).id;
}, 120_000);

function cli(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, POLICYLAB_HOME: home }, timeout: 240_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

it('trains a reward model from the CLI on a dataset id and an SFT folder, and records it on the dataset', { timeout: 300_000 }, async () => {
  const r = cli(['train', '--algo', 'reward-model', '--dataset', dataset, '--init', SFT_FIXTURE, '--batch-size', '4', '--eval-interval', '2', '--total-steps', '3', '--home', home, '--no-progress']);
  expect(r.stderr).not.toMatch(/error/i);
  expect(r.code).toBe(0);
  const id = /run (\S+): Reward model on text/.exec(r.stdout)?.[1];
  expect(id).toBeTruthy();
  const runDir = join(home, 'runs', id!);
  const record = (JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8')) as { run: { status: string; env: string; algo: string; step: number; config: Record<string, unknown> } }).run;
  expect(record).toMatchObject({ status: 'finished', env: 'text', algo: 'reward-model', step: 3 });
  expect(record.config).toMatchObject({ dataset, init: SFT_FIXTURE, batchSize: 4, initStep: null });
  expect((await listCheckpoints(runDir)).map((c) => [c.step, c.models])).toEqual([[3, ['lm']]]);
  expect((await loadCheckpoint(runDir, 'latest')).arrays.rewardHead).toBeInstanceOf(Float32Array);
  const steps = readFileSync(join(runDir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { step: number; values?: Record<string, number> });
  expect(steps.map((s) => s.step)).toEqual([0, 1, 2, 3]);
  expect(await trainedRunIds(home, dataset)).toEqual([id]);
});

it('names a dataset that does not exist (a config mistake: exit status 2, the message on stderr, the run failed)', () => {
  const r = cli(['train', '--algo', 'reward-model', '--dataset', 'nope', '--init', SFT_FIXTURE, '--total-steps', '1', '--home', home, '--no-progress']);
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(/^error: config\.dataset: there is no dataset "nope"/m);
  const id = /run (\S+): Reward model on text/.exec(r.stdout)?.[1];
  const record = (JSON.parse(readFileSync(join(home, 'runs', id!, 'run.json'), 'utf8')) as { run: { status: string; error: { message: string } } }).run;
  expect(record.status).toBe('failed');
  expect(record.error.message).toMatch(/there is no dataset "nope"/);
});
