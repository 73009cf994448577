/**
 * `policylab datasets …` with the real CLI: create, generate from the task generator, oracle labels with the Bayes
 * accuracy printed, export, import (a malformed file exits 1 naming its line and stores nothing), list, delete.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempHome } from '../../unit/datasets/fixtures.js';

const CLI = join(process.cwd(), 'bin/policylab.mjs');

function cli(home: string, args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, 'datasets', ...args], { env: { ...process.env, POLICYLAB_HOME: home }, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('policylab datasets', () => {
  it('create → generate → label --oracle → export → import → list → delete', () => {
    const home = tempHome();
    const created = cli(home, ['create', 'arith', '--task', 'arithmetic']);
    expect(created.code, created.stderr).toBe(0);
    const id = created.stdout.split(/\s+/)[0]!;
    expect(cli(home, ['generate', id, '--task', 'arithmetic', '--count', '40', '--seed', '3']).stdout).toMatch(/queued 40 pairs/);
    const labelled = cli(home, ['label', id, '--oracle', 'arithmetic', '--beta', '4']);
    expect(labelled.stdout).toMatch(/synthetic, β=4\): 40 oracle rows; best reachable reward-model accuracy \d+\.\d%/);
    const out = join(home, 'out.jsonl');
    expect(cli(home, ['export', id, '--format', 'trl-standard', '--out', out]).stdout).toMatch(/wrote 40 lines/);
    expect(readFileSync(out, 'utf8').trimEnd().split('\n').map((l) => Object.keys(JSON.parse(l) as object))[0]).toEqual(['prompt', 'chosen', 'rejected']);
    const imported = cli(home, ['import', out, '--name', 'copy']);
    expect(imported.stdout, imported.stderr).toMatch(/imported 40 rows \(trl-standard\)/);
    const list = cli(home, ['list']);
    expect(list.stdout).toMatch(/"arith" {2}40 rows \(A \d+ · B \d+ · tie 0 · skip 0\), 0 pending · sources: oracle 40 · oracle \(synthetic\) arithmetic β=4/);
    expect(list.stdout).toMatch(/"copy" {2}40 rows .* sources: import 40/);
    expect(cli(home, ['delete', id]).stdout).toMatch(/kept at .*datasets\/\.deleted\//);
    expect(cli(home, ['list']).stdout).not.toMatch(/"arith"/);
  });

  it('a malformed import exits 1 naming the line, and creates nothing; bad flags exit 2', () => {
    const home = tempHome();
    const bad = join(home, 'bad.jsonl');
    writeFileSync(bad, '{"prompt": "p", "chosen": "c", "rejected": "r"}\n{"prompt": "p", "chosen": "", "rejected": "r"}\n');
    const r = cli(home, ['import', bad, '--name', 'never']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/import refused, nothing was stored \(1 error\):\nline 2: "chosen" must not be empty/);
    expect(cli(home, ['list']).stdout).toMatch(/no datasets/);
    const usage = cli(home, ['create', 'x', '--task', 'chess']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/--task must be one of sentiment, arithmetic, got "chess"/);
  });
});
