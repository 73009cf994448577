/** `policylab train --algo dpo` end to end with the real CLI: a TRL JSONL file, the SFT fixture as init, then a resume. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { listCheckpoints } from '../../../core/store/index.js';
import { SFT_FIXTURE_DIR } from './helpers.js';

const CLI = join(process.cwd(), 'bin/policylab.mjs');
const home = mkdtempSync(join(tmpdir(), 'policylab-dpocli-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));

function cli(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, POLICYLAB_HOME: home }, timeout: 150_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const pairs = [
  ['The film was', ' a delight, warm and funny.', ' dull and far too long.'],
  ['The cast was', ' superb in every scene.', ' wooden and bored.'],
  ['The script was', ' sharp and clever.', ' a mess.'],
  ['The ending was', ' moving.', ' a letdown, sadly.'],
  ['The music was', ' lovely.', ' awful and loud.'],
];

it('trains a DPO run from the CLI (no --env), stores its lm checkpoint, and resumes it', { timeout: 300_000 }, () => {
  const file = join(home, 'prefs.jsonl');
  writeFileSync(file, pairs.map(([prompt, chosen, rejected]) => JSON.stringify({ prompt, chosen, rejected })).join('\n') + '\n');
  const common = ['--home', home, '--no-progress'];
  const r = cli(['train', '--algo', 'dpo', '--dataset', file, '--init', SFT_FIXTURE_DIR, '--task', 'sentiment', '--total-steps', '2', '--batchSize', '2', '--holdout', '0.2', '--evalPrompts', '2', '--evalMaxNewTokens', '6', '--beta', '0.2', ...common]); // prettier-ignore
  expect(r.stderr).not.toMatch(/error/i);
  expect(r.code).toBe(0);
  const id = /run (\S+): DPO on text/.exec(r.stdout)?.[1];
  expect(id, r.stdout).toBeTruthy();
  const runDir = join(home, 'runs', id!);
  const record = () => (JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8')) as { run: { status: string; env: string; algo: string; step: number; config: { beta: number } } }).run;
  expect(record()).toMatchObject({ status: 'finished', env: 'text', algo: 'dpo', step: 2, config: { beta: 0.2 } });

  const again = cli(['train', '--resume', id!, '--total-steps', '3', ...common]);
  expect(again.stderr).not.toMatch(/error/i);
  expect(again.code).toBe(0);
  expect(record()).toMatchObject({ status: 'finished', step: 3 });
  const lines = readFileSync(join(runDir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>);
  expect(lines.map((l) => l.step)).toEqual([0, 1, 2, 3]);
  expect(lines.every((l) => l.step === 0 || Number.isFinite(l['rewards/margins']))).toBe(true);
  return listCheckpoints(runDir).then((ckpts) => expect(ckpts.map((c) => [c.step, c.models])).toEqual([[2, ['lm']], [3, ['lm']]]));
});

it('says which field is missing or wrong', { timeout: 120_000 }, () => {
  const a = cli(['train', '--algo', 'dpo', '--init', SFT_FIXTURE_DIR, '--total-steps', '1', '--home', home, '--no-progress']);
  expect(a.code).not.toBe(0);
  expect(a.stderr).toMatch(/config.dataset is required/);
  const b = cli(['train', '--algo', 'dpo', '--loss', 'hinge', '--total-steps', '1', '--home', home]);
  expect(b.code).not.toBe(0);
  expect(b.stderr).toMatch(/--loss must be one of "sigmoid", "ipo", got "hinge"/);
});
