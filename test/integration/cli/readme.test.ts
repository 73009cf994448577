/**
 * README's command blocks stay true:
 * - every line of each ```sh block that follows a `<!-- runnable` marker runs, as written (training lines use small
 *   step counts), in a fresh data folder, and succeeds;
 * - in every ```sh block, each `npm run <script>` names a script of package.json, and for the CLI's scripts every
 *   flag is one the command has (its --help, and for `train` the algorithm's config flags from `algos <algo>`), and
 *   positional arguments go only where the command takes them — so `npm run train -- algos ppo` or a made-up
 *   `--n-steps` fails here even in blocks that cannot run (they need a run id).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO } from '../folder/cli.js';

const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
const scripts = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
const lines = (block: string): string[] => block.split('\n').map((l) => l.replace(/\s+#.*$/, '').trim()).filter(Boolean);

const runnable = [...readme.matchAll(/<!-- runnable[^>]*-->\s*```sh\n([\s\S]*?)```/g)].flatMap((m) => lines(m[1]!));
const everySh = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap((m) => lines(m[1]!));
const home = mkdtempSync(join(tmpdir(), 'policylab-readme-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));

const outputs = new Map<string, string>();
function cliOutput(args: string[]): string {
  const key = args.join(' ');
  if (!outputs.has(key)) outputs.set(key, runCli(args));
  return outputs.get(key)!;
}
function runCli(args: string[]): string {
  const r = spawnSync(process.execPath, [join(REPO, 'bin/policylab.mjs'), ...args], { cwd: REPO, env: { ...process.env, POLICYLAB_HOME: home }, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`policylab ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}
const flagsIn = (text: string, pattern: RegExp): string[] => [...text.matchAll(pattern)].map((m) => m[1]!);
/** A command's own flags from its --help: name → whether it takes a value (`--out <path>`). */
const helpFlags = (command: string): Map<string, boolean> =>
  new Map([...cliOutput([command, '--help']).matchAll(/^ {2}(?:-\w, )?(--[a-z][a-z-]*)( <[^>]+>)?/gm)].map((m) => [m[1]!, m[2] !== undefined]));
const algoIds = flagsIn(cliOutput(['algos']), /^(\w[\w-]*) /gm);
const configFlags = (algo: string): string[] => flagsIn(cliOutput(['algos', algo]), /^ {2}(--[a-z][a-z-]*)/gm);

/** Positional arguments each CLI command takes (placeholders such as <runId> stand for one). */
const POSITIONALS: Record<string, { max: number; valid?: readonly string[] }> = {
  train: { max: 0 },
  runs: { max: 0 },
  export: { max: Infinity },
  algos: { max: 1, valid: algoIds },
  serve: { max: 0 },
};

/** Problems with one `npm run …` invocation (empty: fine). */
function checkInvocation(segment: string): string[] {
  const m = /^npm (?:run(?:-script)? (\S+)|(start|test))(?: -- (.*))?$/.exec(segment.trim());
  if (!m) return [];
  const script = m[1] ?? m[2]!;
  if (!(script in scripts)) return [`npm script ${JSON.stringify(script)} does not exist`];
  const command = /^node bin\/policylab\.mjs (\w+)$/.exec(scripts[script]!)?.[1];
  if (!command || !(command in POSITIONALS) || m[3] === undefined) return [];
  const tokens = m[3].split(/\s+/).filter((t) => t && !/^\[.*\]$/.test(t)); // [<runId>…]: optional, shown as such
  const algo = tokens.includes('--algo') ? tokens[tokens.indexOf('--algo') + 1] : undefined;
  const own = helpFlags(command);
  const config = new Set(command === 'train' ? (algo ? configFlags(algo) : algoIds.flatMap(configFlags)) : []);
  const problems: string[] = [];
  const positionals: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (!t.startsWith('--')) positionals.push(t);
    else if (own.has(t)) i += own.get(t) ? 1 : 0;
    else if (config.has(t)) i += i + 1 < tokens.length && !tokens[i + 1]!.startsWith('--') ? 1 : 0; // a bare boolean has none
    else {
      problems.push(`${t} is not a flag of policylab ${command}${algo ? ` (${algo})` : ''}`);
      i += i + 1 < tokens.length && !tokens[i + 1]!.startsWith('--') ? 1 : 0; // its value, whatever it meant
    }
  }
  const rule = POSITIONALS[command]!;
  if (positionals.length > rule.max) problems.push(`policylab ${command} takes ${rule.max} positional argument(s), got ${positionals.join(' ')}`);
  for (const p of positionals) if (rule.valid && !/^<.*>$/.test(p) && !rule.valid.includes(p)) problems.push(`${p} is not one of ${rule.valid.join(', ')}`);
  return problems;
}

describe('README command blocks', () => {
  it('has runnable commands, including training ones', () => {
    expect(runnable.length).toBeGreaterThanOrEqual(4);
    expect(runnable.filter((c) => c.startsWith('npm run train')).length).toBeGreaterThanOrEqual(2);
  });

  it('names real npm scripts, real flags and valid positional arguments in every sh block', () => {
    const problems = everySh.flatMap((line) => line.split('&&').flatMap((segment) => checkInvocation(segment).map((p) => `${line}: ${p}`)));
    expect(problems).toEqual([]);
    // The check itself catches what README once said.
    expect(checkInvocation('npm run train -- algos ppo')).toEqual(['policylab train takes 0 positional argument(s), got algos ppo']);
    expect(checkInvocation('npm run train -- --algo a2c --env CartPole-v1 --n-steps 8')).toEqual(['--n-steps is not a flag of policylab train (a2c)']);
    expect(checkInvocation('npm run algos -- nosuch')).toEqual([`nosuch is not one of ${algoIds.join(', ')}`]);
    expect(checkInvocation('npm run nosuch')).toEqual(['npm script "nosuch" does not exist']);
  });

  for (const command of runnable) {
    it(`runs: ${command}`, () => {
      const r = spawnSync('bash', ['-c', command], { cwd: REPO, env: { ...process.env, POLICYLAB_HOME: home }, encoding: 'utf8', timeout: 240_000 });
      expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
      if (command.startsWith('npm run train')) expect(r.stdout).toMatch(/finished run \S+ at step/);
    });
  }
});
