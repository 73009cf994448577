/**
 * README's runnable command block: every line of each ```sh block that follows a `<!-- runnable` marker runs, as
 * written, in a fresh data folder, and succeeds. Keeps README's examples honest.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO } from '../folder/cli.js';

const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
const blocks = [...readme.matchAll(/<!-- runnable[^>]*-->\s*```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
const commands = blocks.flatMap((b) => b.split('\n').map((l) => l.replace(/\s+#.*$/, '').trim()).filter(Boolean));
const home = mkdtempSync(join(tmpdir(), 'policylab-readme-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));

describe('README runnable commands', () => {
  it('has some', () => expect(commands.length).toBeGreaterThanOrEqual(4));
  for (const command of commands) {
    it(command, () => {
      const r = spawnSync('bash', ['-c', command], { cwd: REPO, env: { ...process.env, POLICYLAB_HOME: home }, encoding: 'utf8', timeout: 240_000 });
      expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
    });
  }
});
