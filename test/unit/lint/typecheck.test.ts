/**
 * `strict: true` everywhere: the Node code (core, electron, test) and the renderer (Svelte) both typecheck.
 * Run as part of the suite so a type error fails CI like any other broken behaviour.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

function run(cmd: string, args: string[]): { status: number | null; output: string } {
  const r = spawnSync(cmd, args, { cwd: process.cwd(), encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return { status: r.status, output: `${r.stdout}\n${r.stderr}` };
}

describe('typecheck', () => {
  it('Node code (tsconfig.node.json) has no type errors', () => {
    const r = run('npx', ['tsc', '-p', 'tsconfig.node.json', '--noEmit', '--pretty', 'false']);
    const errors = r.output.split('\n').filter((l) => /error TS\d+/.test(l));
    expect(errors).toEqual([]);
    expect(r.status).toBe(0);
  }, 300_000);

  it('renderer (tsconfig.web.json, svelte-check) has no errors or warnings', () => {
    const r = run('npx', ['svelte-check', '--tsconfig', 'tsconfig.web.json', '--output', 'machine', '--fail-on-warnings']);
    const problems = r.output.split('\n').filter((l) => / (ERROR|WARNING) /.test(l));
    expect(problems).toEqual([]);
    expect(r.status).toBe(0);
  }, 300_000);
});
