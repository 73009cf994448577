import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AppBackend } from '../../../core/runner/service.js';
import { cleanrlEvents, eventFile } from '../../helpers/tfrecord-writer.js';
import { call, openFake, tempHome } from '../../unit/runner/helpers.js';

let backend: AppBackend;
let cleanup: () => void;
beforeEach(async () => {
  const t = tempHome();
  cleanup = t.cleanup;
  backend = await openFake(t.home);
});
afterEach(async () => {
  await backend.close();
  cleanup();
});

/** Sends a file in chunks of `chunk` bytes, each as base64 pieces of ≤ 12 KiB binary. */
async function upload(uploadId: string, path: string, bytes: Uint8Array, chunk = 40_000): Promise<void> {
  for (let offset = 0; offset < bytes.length; offset += chunk) {
    const part = Buffer.from(bytes.subarray(offset, offset + chunk));
    const data: string[] = [];
    for (let i = 0; i < part.length; i += 12_288) data.push(part.subarray(i, i + 12_288).toString('base64'));
    await call(backend, 'import:upload', { uploadId, path, offset, data });
  }
}

describe('import over the API (browser-mode upload): chunks, commit, read-only runs', () => {
  it('a CleanRL folder uploaded in chunks becomes an external run that cannot be resumed or replayed', async () => {
    const bytes = eventFile(cleanrlEvents(2000)); // ~120 kB: several chunks
    expect(bytes.length).toBeGreaterThan(80_000);
    await upload('upload-0001', 'CartPole-v1__ppo__4__1700000000/events.out.tfevents.1.host', bytes);
    const res = await call<{ runs: { id: string; name: string; seed: number; external?: { library: string; path: string } }[]; details: { records: number }[] }>(
      backend,
      'import:commit',
      { uploadId: 'upload-0001' },
    );
    expect(res.runs).toHaveLength(1);
    const run = res.runs[0]!;
    expect(run).toMatchObject({ name: 'CartPole-v1__ppo__4__1700000000', seed: 4, external: { library: 'CleanRL', path: 'CartPole-v1__ppo__4__1700000000' } });
    expect(res.details[0]!.records).toBe(2000);
    const listed = await call<{ id: string; external?: unknown }[]>(backend, 'runs:list');
    expect(listed.map((r) => r.id)).toEqual([run.id]);
    const resume = await backend.invoke('runs:resume', { id: run.id });
    expect(resume.ok).toBe(false);
    expect(!resume.ok && resume.error).toMatchObject({ code: 'conflict', message: expect.stringMatching(/imported from CleanRL .*read-only and cannot be resumed/) });
    const replay = await backend.invoke('rollout:start', { id: run.id, checkpointStep: 0, seed: 1 });
    expect(!replay.ok && replay.error.message).toMatch(/imported runs have no policy to replay/);
    // The upload is gone after its commit.
    const again = await backend.invoke('import:commit', { uploadId: 'upload-0001' });
    expect(!again.ok && again.error.message).toMatch(/no files were uploaded for import upload-0001/);
  });

  it('refuses out-of-order chunks, bad paths, and a malformed file (with its line), importing nothing', async () => {
    const gap = await backend.invoke('import:upload', { uploadId: 'upload-0002', path: 'monitor.csv', offset: 10, data: ['AAAA'] });
    expect(!gap.ok && gap.error).toMatchObject({ code: 'invalid_request', message: 'monitor.csv: chunk at byte 10, but 0 bytes have arrived (chunks must come in order)' });
    const up = await backend.invoke('import:upload', { uploadId: 'upload-0003', path: '../x/monitor.csv', offset: 0, data: ['AAAA'] });
    expect(!up.ok && up.error.message).toMatch(/must be relative, with no empty, "\." or "\.\." parts/);
    const exe = await backend.invoke('import:upload', { uploadId: 'upload-0003', path: 'run/evil.sh', offset: 0, data: ['AAAA'] });
    expect(!exe.ok && exe.error.message).toMatch(/neither a TensorBoard event file/);
    const notB64 = await backend.invoke('import:upload', { uploadId: 'upload-0003', path: 'monitor.csv', offset: 0, data: ['not base64!'] });
    expect(!notB64.ok && notB64.error).toMatchObject({ code: 'invalid_request', message: expect.stringMatching(/data\[0\] must be base64/) });

    await upload('upload-0004', 'sb3/0.monitor.csv', new TextEncoder().encode('#{"t_start": 1700000000}\nr,l,t\n1,10,0.1\n2,ten,0.2\n'));
    const bad = await backend.invoke('import:commit', { uploadId: 'upload-0004' });
    expect(!bad.ok && bad.error).toMatchObject({ code: 'invalid_request', message: 'sb3/0.monitor.csv: line 4: l (episode length) is not a finite number ("ten")' });
    expect(await call<unknown[]>(backend, 'runs:list')).toEqual([]);
  });
});
