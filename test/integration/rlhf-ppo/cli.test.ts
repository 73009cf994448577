/**
 * The preference pipeline's last two stages with the real CLI: a reward-model run trained on oracle-labelled pairs
 * (a TRL JSONL file sampled from the sentiment SFT fixture), then `policylab train --algo rlhf-ppo` against that
 * run's reward model — recorded, checkpointed with the policy (lm) and the value head, r_φ of the eval samples logged
 * beside their oracle score. Small and seeded: it checks the wiring, not the learning (learning.test.ts does).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { decodeResponse, encodePrompt, taskPromptSplit } from '../../../core/algos/prefs/common.js';
import { checksummer } from '../../../core/store/checksum.js';
import { listCheckpoints, loadCheckpoint } from '../../../core/store/index.js';
import { loadLm } from '../../../core/lm/files.js';
import { sample } from '../../../core/lm/generate.js';
import { sentimentScore } from '../../../core/tasks/index.js';

const CLI = join(process.cwd(), 'bin/policylab.mjs');
const FIXTURE = join(process.cwd(), 'test/fixtures/lm/sentiment-sft');
const home = mkdtempSync(join(tmpdir(), 'policylab-rlhfcli-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));

function cli(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, POLICYLAB_HOME: home }, timeout: 150_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Two samples per training prompt from the SFT fixture, the higher oracle score chosen (equal scores dropped). */
async function writePairs(file: string, n: number): Promise<number> {
  const { engine, tokenizer } = await loadLm(FIXTURE, await checksummer());
  const prompts = taskPromptSplit('sentiment').train.slice(0, n);
  const ids = prompts.map((p) => encodePrompt(tokenizer, p, engine.config.ctx, 16));
  const a = sample(engine, ids, { maxNewTokens: 16, eosId: tokenizer.ids.eos, seed: 11 });
  const b = sample(engine, ids, { maxNewTokens: 16, eosId: tokenizer.ids.eos, seed: 12 });
  const lines: string[] = [];
  prompts.forEach((prompt, i) => {
    const ya = decodeResponse(tokenizer, a[i]!);
    const yb = decodeResponse(tokenizer, b[i]!);
    const sa = sentimentScore(ya);
    const sb = sentimentScore(yb);
    if (sa === sb || ya === yb) return;
    lines.push(JSON.stringify(sa > sb ? { prompt, chosen: ya, rejected: yb } : { prompt, chosen: yb, rejected: ya }));
  });
  writeFileSync(file, lines.join('\n') + '\n');
  return lines.length;
}

it('reward-model run → rlhf-ppo run against it, from the CLI', { timeout: 300_000 }, async () => {
  const pairs = join(home, 'pairs.jsonl');
  expect(await writePairs(pairs, 40)).toBeGreaterThan(10);
  const rm = cli(['train', '--algo', 'reward-model', '--dataset', pairs, '--init', FIXTURE, '--total-steps', '3', '--batchSize', '8', '--home', home, '--no-progress']);
  expect(rm.stderr).not.toMatch(/error/i);
  expect(rm.code).toBe(0);
  const rmId = /run (\S+): /.exec(rm.stdout)?.[1];
  expect(rmId).toBeTruthy();

  const r = cli([
    'train', '--algo', 'rlhf-ppo', '--init', FIXTURE, '--rewardModel', rmId!, '--total-steps', '2', '--rolloutPrompts', '4', '--miniBatches', '2', '--ppoEpochs', '1', // prettier-ignore
    '--maxNewTokens', '8', '--evalPrompts', '3', '--home', home, '--no-progress', // prettier-ignore
  ]);
  expect(r.stderr).not.toMatch(/error/i);
  expect(r.code).toBe(0);
  const id = /run (\S+): RLHF \(PPO\) on text/.exec(r.stdout)?.[1];
  expect(id).toBeTruthy();
  const runDir = join(home, 'runs', id!);
  const record = (JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8')) as { run: { status: string; env: string; algo: string; step: number; config: Record<string, unknown> } }).run;
  expect(record).toMatchObject({ status: 'finished', env: 'text', algo: 'rlhf-ppo', step: 2 });
  expect(record.config).toMatchObject({ rewardModel: rmId, init: FIXTURE });
  const ckpts = await listCheckpoints(runDir);
  expect(ckpts.map((c) => [c.step, c.models])).toEqual([[2, ['lm']]]);
  const ck = await loadCheckpoint(runDir, 'latest');
  expect((ck.arrays.valueHead as Float32Array).length).toBe(65);
  expect((ck.state as { reward: string }).reward).toMatch(new RegExp(`reward model run ${rmId} step 3`));
  const text = readFileSync(join(runDir, 'metrics.jsonl'), 'utf8');
  expect(text).toMatch(/"eval\/rewardModelScore"/);
  expect(text).toMatch(/"eval\/oracleScore"/);
  expect(text).toMatch(/"objective\/scores"/);
});

it('refuses an RL env and a missing reward model by name', () => {
  const a = cli(['train', '--algo', 'rlhf-ppo', '--env', 'CartPole-v1', '--total-steps', '1', '--home', home]);
  expect(a.code).not.toBe(0);
  expect(a.stderr).toMatch(/RLHF \(PPO\) cannot train on "CartPole-v1"; it trains on text/);
  const b = cli(['train', '--algo', 'rlhf-ppo', '--init', FIXTURE, '--total-steps', '1', '--home', home, '--no-progress']);
  expect(b.code).not.toBe(0);
  expect(b.stdout + b.stderr).toMatch(/config\.rewardModel: name a reward-model run id/);
});
