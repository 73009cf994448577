import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanrlEvents, eventFile } from '../../helpers/tfrecord-writer.js';

const CLI = join(process.cwd(), 'bin/policylab.mjs');
const tmp = mkdtempSync(join(tmpdir(), 'policylab-import-cli-'));
const home = join(tmp, 'home');
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args, '--home', home], { encoding: 'utf8', env: { ...process.env, INIT_CWD: tmp } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('policylab import (the real CLI)', () => {
  it('imports a CleanRL folder, refuses a damaged file with its record number, and lists the run', () => {
    const dir = join(tmp, 'runs', 'CartPole-v1__ppo_continuous__7__1700000000');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'events.out.tfevents.1700000000.host.1.0'), eventFile(cleanrlEvents(4)));
    const ok = cli('import', 'runs', '--name', 'cleanrl-ppo');
    expect(ok.err).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(/^imported \S+ "cleanrl-ppo" \(CleanRL, CartPole-v1\): 4 records, 5 metric keys, last step 400\n$/);

    const bad = eventFile(cleanrlEvents(2));
    bad[bad.length - 10] ^= 0x40;
    writeFileSync(join(tmp, 'events.out.tfevents.bad'), bad);
    const refused = cli('import', 'events.out.tfevents.bad');
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/^error: .*events\.out\.tfevents\.bad: record \d+ \(byte \d+\): data CRC32C does not match\n$/);

    const listed = cli('runs', '--json');
    const runs = JSON.parse(listed.out) as { name: string; algo: string; seed: number; external: { library: string } }[];
    expect(runs.map((r) => [r.name, r.algo, r.seed, r.external.library])).toEqual([['cleanrl-ppo', 'cleanrl:ppo_continuous', 7, 'CleanRL']]);
    expect(readdirSync(join(home, 'runs'))).toHaveLength(1);
    expect(cli('import').code).toBe(2);
  });
});
