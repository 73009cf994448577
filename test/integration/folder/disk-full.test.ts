/**
 * Disk full (ENOSPC) on a real, tiny filesystem (a tmpfs this test mounts; it needs root, which CI has): a start
 * that cannot be written leaves no ghost run, and a run that fails for lack of space is recorded `failed` as soon
 * as a write succeeds again — never left `running`.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunInfo } from '../../../core/api/contract.js';
import { openAppBackend, type AppBackend } from '../../../core/runner/service.js';
import type { RunRecord } from '../../../core/store/index.js';
import { call, EventLog } from '../../unit/runner/helpers.js';
import { cli, cliDone, REPO, until } from './cli.js';

function tryMount(dir: string): string | null {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return 'needs root on Linux to mount a small tmpfs';
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=6m', 'tmpfs', dir]);
  return r.status === 0 ? null : `mount failed: ${r.stderr.toString().trim()}`;
}

const mountPoint = mkdtempSync(join(tmpdir(), 'policylab-full-'));
const whyNot = tryMount(mountPoint);
const home = join(mountPoint, 'home');
const filler = join(mountPoint, 'filler');
let backend: AppBackend;

/** Fills the filesystem to the last byte (a file grown until ENOSPC). */
function fill(): void {
  const chunk = Buffer.alloc(64 * 1024, 1);
  let i = 0;
  for (;;) {
    try {
      writeFileSync(`${filler}-${i++}`, chunk);
    } catch {
      break;
    }
  }
  for (let size = 32 * 1024; size >= 1; size >>= 1) {
    try {
      writeFileSync(`${filler}-${i++}`, Buffer.alloc(size, 1));
      size <<= 1;
    } catch {
      /* smaller */
    }
  }
}
const free = () => {
  for (const n of readdirSync(mountPoint)) if (n.startsWith('filler')) rmSync(join(mountPoint, n));
};

describe.skipIf(whyNot !== null)(`disk full (${whyNot ?? 'tmpfs of 6 MB'})`, () => {
  beforeAll(async () => {
    backend = await openAppBackend({ home, transport: 'browser', maxConcurrent: 1 });
  });
  afterAll(async () => {
    free();
    await backend?.close();
    execFileSync('umount', [mountPoint]);
    rmSync(mountPoint, { recursive: true, force: true });
  });

  it('a start that cannot be written fails clearly and leaves no ghost run', async () => {
    fill();
    try {
      const r = await backend.invoke('runs:start', { algo: 'ppo', env: 'CartPole-v1', seeds: [1], totalSteps: 2048 });
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error.message).toMatch(/disk is full.*ENOSPC/);
      expect(readdirSync(join(home, 'runs')).filter((n) => !n.startsWith('.'))).toEqual([]);
      expect((await call<RunInfo[]>(backend, 'runs:list')).length).toBe(0);
    } finally {
      free();
    }
    await backend.store.flush();
    const index = JSON.parse(readFileSync(join(home, 'db.json'), 'utf8')) as { runs: RunRecord[] };
    expect(index.runs).toEqual([]);
  });

  it('a run the full disk stops is recorded failed once space is back, not left running', async () => {
    const log = new EventLog(backend);
    const [run] = await call<RunInfo[]>(backend, 'runs:start', {
      algo: 'ppo', env: 'CartPole-v1', seeds: [1], totalSteps: 50_000_000, config: { numEnvs: 2, numSteps: 64, checkpointInterval: 128 },
    });
    await log.wait('run:metrics', (m) => m.id === run.id);
    fill();
    // The training process hits ENOSPC and reports; the app's write of `failed` is refused too and kept for later.
    // (Or, where the filesystem still had room for the small record, written at once: either way never left running.)
    const heldBack = await until(
      'the training process to fail on the full disk',
      () => backend.store.unwrittenRuns.includes(run.id) || backend.store.getRun(run.id).status === 'failed',
      120_000,
    );
    expect(heldBack).toBe(true);
    free();
    const failed = await until('run.json to say failed', () => {
      const f = join(home, 'runs', run.id, 'run.json');
      const rec = existsSync(f) ? (JSON.parse(readFileSync(f, 'utf8')) as { run: RunRecord }).run : null;
      return rec && rec.status !== 'running' ? rec : null;
    }, 30_000);
    expect(failed.status).toBe('failed');
    await log.wait('run:status', (r) => r.id === run.id && r.status === 'failed');
    expect(failed.error?.message).toMatch(/ENOSPC|no space/i);
  });

  it('a CLI run the full disk stops exits, and the next listing records it failed once space is back', async () => {
    const cliHome = join(mountPoint, 'cli-home');
    const train = cli(cliHome, [
      'train', '--algo', 'ppo', '--env', 'CartPole-v1', '--total-steps', '50000000', '--num-envs', '2', '--num-steps', '64',
      '--checkpoint-interval', '128', '--no-progress',
    ]);
    const runsDir = join(cliHome, 'runs');
    const id = await until('the CLI run to log metrics', () => {
      const ids = existsSync(runsDir) ? readdirSync(runsDir).filter((n) => !n.startsWith('.')) : [];
      return ids.find((n) => existsSync(join(runsDir, n, 'metrics.jsonl')) && readFileSync(join(runsDir, n, 'metrics.jsonl'), 'utf8').length > 0);
    }, 120_000);
    expect(readFileSync(join(runsDir, id, 'status.reserve')).length).toBe(4096);
    fill();
    const code = await train.exited;
    expect(code, train.stderr()).toBe(1);
    free();
    // Either run.json had room for the small record, or the outcome went to status.reserve: `failed` either way.
    const listed = await cliDone(cliHome, ['runs', '--json']);
    expect(listed.code).toBe(0);
    const record = (JSON.parse(listed.stdout) as RunRecord[]).find((r) => r.id === id)!;
    expect(record.status).toBe('failed');
    expect(record.error?.message).toMatch(/ENOSPC|no space|disk is full/i);
  });

  it('an outcome the full disk refused goes to status.reserve in place, and a later reader records it instead of crashed', async () => {
    const ownerHome = join(mountPoint, 'owner-home');
    const owner = spawn(process.execPath, ['--import', 'tsx', join(REPO, 'test/integration/folder/fixtures/full-disk-owner.ts'), ownerHome], {
      cwd: REPO,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    owner.stdout.on('data', (d: Buffer) => (out += d.toString()));
    owner.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((resolve) => owner.on('exit', resolve));
    const id = await until('the owner to start its run', () => /^(\S+)\n/.exec(out)?.[1], 60_000);
    const reserve = join(ownerHome, 'runs', id, 'status.reserve');
    expect(readFileSync(reserve, 'utf8').trim()).toBe('');
    fill();
    owner.stdin.write('fail\n');
    expect(await exited, err).toBe(1);
    expect(out).toMatch(/refused: .*(disk is full|ENOSPC)/i);
    const onDisk = (JSON.parse(readFileSync(join(ownerHome, 'runs', id, 'run.json'), 'utf8')) as { run: RunRecord }).run;
    expect(onDisk.status).toBe('running');
    expect(readFileSync(reserve, 'utf8')).toMatch(/"status":"failed"/);
    free();
    const listed = await cliDone(ownerHome, ['runs', '--json']);
    const record = (JSON.parse(listed.stdout) as RunRecord[]).find((r) => r.id === id)!;
    expect(record.status).toBe('failed');
    expect(record.error?.message).toMatch(/^ENOSPC: no space left on device.*recorded in status\.reserve while the disk was full/);
    expect(readFileSync(reserve, 'utf8').trim()).toBe('');
  });
});
