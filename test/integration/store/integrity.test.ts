/**
 * Damaged files of a real trained run (PPO on CartPole, trained in this process through core/store) are never
 * served as truth: a garbled weights.bin is refused by the policy loader with its path; the app's runs:integrity
 * reports the damaged checkpoint, the unreadable metrics line (with its number) and the damaged chart index (then
 * rebuilt); a resume skips the damaged checkpoint for the newest intact one and quarantines the unreadable line
 * before cutting metrics.jsonl back, saying both in the run log.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunIntegrityInfo, SystemInfo } from '../../../core/api/contract.js';
import { trainRun } from '../../../core/algos/loop.js';
import type { AlgoConfig } from '../../../core/algos/registry.js';
import { loadPolicy } from '../../../core/runner/policy-loader.js';
import { openAppBackend, type AppBackend } from '../../../core/runner/service.js';
import { listCheckpoints, MetricReader } from '../../../core/store/index.js';
import { call, tempHome } from '../../unit/runner/helpers.js';
import { trainShortRun, type TrainedRun } from '../runner/trained-runs.js';
import { cliDone } from '../folder/cli.js';

let backend: AppBackend;
let cleanup: () => void;
let run: TrainedRun;
let home: string;

beforeAll(async () => {
  const t = tempHome();
  cleanup = t.cleanup;
  home = t.home;
  backend = await openAppBackend({ home: t.home, transport: 'browser' });
  run = await trainShortRun(backend.store, { env: 'CartPole-v1', totalSteps: 2048, interval: 1024 });
  expect(run.steps).toEqual([1024, 2048]);
});

afterAll(async () => {
  await backend?.close();
  cleanup?.();
});

describe('a trained run with damaged files', () => {
  it('refuses, reports, rebuilds, skips and quarantines — and says so', async () => {
    const weights = join(run.runDir, 'checkpoints', '2048', 'actor', 'weights.bin');
    const before = await loadPolicy({ runDir: run.runDir, env: run.env, config: run.config, step: 2048 });
    before.dispose();

    // A few flipped bytes in the newest checkpoint's actor weights.
    const w = readFileSync(weights);
    for (const at of [3, 40, 77]) w[at] ^= 0x5a;
    writeFileSync(weights, w);
    await expect(loadPolicy({ runDir: run.runDir, env: run.env, config: run.config, step: 2048 })).rejects.toThrow(
      `refusing to play the checkpoint at step 2048: ${weights} is damaged (checksum mismatch`,
    );
    (await loadPolicy({ runDir: run.runDir, env: run.env, config: run.config, step: 1024 })).dispose();

    // Line 2 of metrics.jsonl overwritten in place with garbage of the same length; a column value changed.
    const jsonl = join(run.runDir, 'metrics.jsonl');
    const lines = readFileSync(jsonl, 'utf8').split('\n');
    expect(lines.length).toBeGreaterThan(3);
    const garbage = '#'.repeat(lines[1]!.length);
    writeFileSync(jsonl, [lines[0], garbage, ...lines.slice(2)].join('\n'));
    const index = JSON.parse(readFileSync(join(run.runDir, 'metrics.idx', 'index.json'), 'utf8')) as { keys: { key: string; file: string }[] };
    const column = join(run.runDir, 'metrics.idx', index.keys.find((k) => k.key === 'train/policyLoss')!.file);
    const col = readFileSync(column);
    col.writeDoubleLE(0.123, 16);
    writeFileSync(column, col);
    // The first record that logged the loss (per-episode records without it come first).
    const truth = lines.map((l) => { try { return JSON.parse(l) as Record<string, number>; } catch { return {}; } }).find((r) => 'train/policyLoss' in r)!['train/policyLoss'];
    expect((await new MetricReader(run.runDir).range('train/policyLoss'))[0]!.value).toBe(truth);

    const report = await call<RunIntegrityInfo>(backend, 'runs:integrity', { id: run.id });
    expect(report.problems).toBe(true);
    expect(report.metrics.badLines).toEqual([{ line: 2, reason: 'not valid JSON' }]);
    // The run has ended, so the damaged index was rebuilt from metrics.jsonl right away.
    expect(report.metrics.index).toEqual({ status: 'rebuilt', problems: [{ file: column, reason: expect.stringMatching(/checksum mismatch/) }] });
    expect(report.checkpoints.damaged).toEqual([{ step: 2048, dir: join(run.runDir, 'checkpoints', '2048'), file: weights, reason: expect.stringMatching(/checksum mismatch/) }]);
    expect((await call<RunIntegrityInfo>(backend, 'runs:integrity', { id: run.id })).metrics.index.status).toBe('ok');

    // Counted and reported in system:info (the app's banner) and by `policylab runs` (a line per damaged run, and
    // the line numbers in --json).
    const info = await call<SystemInfo>(backend, 'system:info', { waitForScan: true });
    const damagedLine = { id: run.id, name: expect.any(String), summary: '1 unreadable metrics.jsonl line (line 2); damaged checkpoint at step 2048' };
    expect(info.damagedRuns).toEqual([damagedLine]);
    expect(info.damagedRunsPending).toBe(false);
    // The window's first system:info does not wait for the scan (a large folder's takes seconds; never waiting here):
    // it answers with the last finished scan's list, marked pending, and the app asks again.
    const quick = await openAppBackend({ home, transport: 'browser', scanWaitMs: 0 });
    try {
      const first = await call<SystemInfo>(quick, 'system:info', {});
      expect(first).toMatchObject({ home, damagedRuns: [], damagedRunsPending: true });
      expect((await call<SystemInfo>(quick, 'system:info', { waitForScan: true })).damagedRuns).toEqual([damagedLine]);
      expect(await call<SystemInfo>(quick, 'system:info', {})).toMatchObject({ damagedRuns: [damagedLine], damagedRunsPending: true });
    } finally {
      await quick.close();
    }
    const listed = await cliDone(home, ['runs']);
    expect(listed.code).toBe(0);
    expect(listed.stderr).toContain(`damaged: run ${run.id} (`);
    expect(listed.stderr).toContain('1 unreadable metrics.jsonl line (line 2); damaged checkpoint at step 2048');
    const json = JSON.parse((await cliDone(home, ['runs', '--json'])).stdout) as { id: string; integrity: { badLineCount: number; badLines: number[]; damagedCheckpoints: number[] } }[];
    expect(json.find((r) => r.id === run.id)!.integrity).toMatchObject({ badLineCount: 1, badLines: [2], damagedCheckpoints: [2048] });

    // Resume: the newest intact checkpoint is 1024; the garbage line is kept aside before the cut.
    const log: string[] = [];
    const result = await trainRun({
      runDir: run.runDir,
      runId: run.id,
      algo: 'ppo',
      env: run.env,
      config: run.config as AlgoConfig,
      seed: 1,
      totalSteps: 3072,
      resume: true,
      signal: new AbortController().signal,
      events: { log: (line) => log.push(line) },
    });
    expect(result.status).toBe('finished');
    const skipped = log.find((l) => l.includes('damaged checkpoint'));
    expect(skipped).toMatch(/^warning: skipped the damaged checkpoint at step 2048: .*weights\.bin: checksum mismatch.*resuming from the checkpoint at step 1024 \(the damaged one is kept in .*checkpoints\/damaged-2048-/);
    const quarantined = log.find((l) => l.includes('unreadable line'));
    expect(quarantined).toMatch(/^warning: 1 unreadable line\(s\) of metrics\.jsonl \(line 2\) were moved to .*metrics\.jsonl\.quarantine-.* before it was cut back to step 1024$/);
    expect(log).toContain('resumed ppo on CartPole-v1 from the checkpoint at step 1024');

    const after = await call<RunIntegrityInfo>(backend, 'runs:integrity', { id: run.id });
    expect(after.metrics.badLines).toEqual([]);
    expect(after.metrics.quarantines).toHaveLength(1);
    expect(readFileSync(after.metrics.quarantine!, 'utf8')).toBe(`${garbage}\n`);
    expect(after.checkpoints.damaged).toEqual([]);
    expect(after.checkpoints.setAside.map((c) => [c.step, c.file.endsWith('actor/weights.bin')])).toEqual([[2048, true]]);
    expect(readFileSync(join(after.checkpoints.setAside[0]!.dir, 'actor', 'weights.bin'))).toEqual(w);
    expect(after.problems).toBe(true);
    const laterInfo = await call<SystemInfo>(backend, 'system:info', { waitForScan: true });
    expect(laterInfo.damagedRuns.find((d) => d.id === run.id)?.summary).toMatch(
      /^1 line quarantined in 1 file \(newest .*metrics\.jsonl\.quarantine-.*\); checkpoint at step 2048 moved aside as damaged$/,
    );
    expect((await listCheckpoints(run.runDir)).map((c) => c.step)).toEqual([1024, 2048, 3072]);
    const steps = (await new MetricReader(run.runDir).range('train/policyLoss')).map((p) => p.step);
    expect(steps.at(-1)).toBe(3072);
    expect(new Set(steps).size).toBe(steps.length);
  });

  it('refuses non-finite weights in a checkpoint written before checksums (which cannot be verified otherwise)', async () => {
    const dir = join(run.runDir, 'checkpoints', '1024');
    const meta = join(dir, 'checkpoint.json');
    const { checksums: _s, checksum: _c, ...old } = JSON.parse(readFileSync(meta, 'utf8')) as Record<string, unknown>;
    writeFileSync(meta, JSON.stringify(old, null, 2));
    const weights = readFileSync(join(dir, 'actor', 'weights.bin'));
    weights.writeFloatLE(Number.NaN, 0);
    writeFileSync(join(dir, 'actor', 'weights.bin'), weights);
    await expect(loadPolicy({ runDir: run.runDir, env: run.env, config: run.config, step: 1024 })).rejects.toThrow(
      `refusing to play the checkpoint at step 1024: ${dir}/actor/weights.bin holds non-finite weights`,
    );
  });

  it('a run whose checkpoints are all damaged is not resumable: the app and the CLI both ask for a restart and name the damage', async () => {
    const other = await trainShortRun(backend.store, { env: 'CartPole-v1', totalSteps: 2048, interval: 1024 });
    for (const step of other.steps) {
      const weights = join(other.runDir, 'checkpoints', String(step), 'actor', 'weights.bin');
      const w = readFileSync(weights);
      w[8] ^= 0x5a;
      writeFileSync(weights, w);
    }
    const resumed = await backend.invoke('runs:resume', { id: other.id, totalSteps: 4096 });
    expect(resumed.ok).toBe(false);
    if (resumed.ok) return;
    expect(resumed.error.code).toBe('conflict');
    expect(resumed.error.message).toMatch(/no intact checkpoint to resume from \(every checkpoint is damaged: step 1024: .*checksum mismatch.*; step 2048: .*\); restart it from step 0/);
    const fromCli = await cliDone(home, ['train', '--resume', other.id, '--total-steps', '4096', '--no-progress']);
    expect(fromCli.code).toBe(2);
    expect(fromCli.stderr).toMatch(/no intact checkpoint to resume from \(every checkpoint is damaged: step 1024: .*weights\.bin: .*checksum mismatch/);
    expect(fromCli.stderr).toContain('pass --restart');
  });
});
