/**
 * The compare view's data class (renderer/src/state/compare-data.svelte.ts, compiled as Vite would) against a real
 * back end with fake training processes, reached through the Electron bridge shape of the transport: runs and
 * their keys load (a missing id is reported, not fatal), keys asked for together are fetched in one request per
 * run, series carry wall times, and a live run's metric events extend its series without refetching.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InvokeChannel, RunInfo } from '../../../core/api/contract.js';
import type { AppBackend } from '../../../core/runner/service.js';
import type { MetricSummary } from '../../../renderer/src/analysis/summary.js';
import type { CompareSeries } from '../../../renderer/src/compare/chart-model.js';
import { loadSvelteModule } from '../replay/helpers/svelte-module.js';
import { call, EventLog, openFake, tempHome } from './helpers.js';

/** The class's surface used here (its module pulls in the DOM transport, so it is not imported for types). */
interface CompareDataLike {
  loading: boolean;
  error: string | null;
  runs: RunInfo[];
  missing: string[];
  keys: string[];
  groups: [string, string[]][];
  keyState: Record<string, string>;
  series: Record<string, CompareSeries[]>;
  open(): () => void;
  ensure(key: string): Promise<void>;
  summaries(keys: readonly string[]): Record<string, Record<string, MetricSummary>>;
}
type CompareDataClass = new (ids: readonly string[]) => CompareDataLike;

const RETURN = 'rollout/episodeReturn';
let backend: AppBackend;
let log: EventLog;
let cleanup: () => void;
let CompareData: CompareDataClass;
const calls: { channel: string; payload: unknown }[] = [];

beforeAll(async () => {
  const t = tempHome();
  cleanup = t.cleanup;
  backend = await openFake(t.home);
  log = new EventLog(backend);
  // The renderer's transport picks the Electron bridge when window.policylab exists: route it to this back end.
  const invoke = new Proxy({} as Record<InvokeChannel, (payload?: unknown) => Promise<unknown>>, {
    get: (_t, channel: string) => (payload?: unknown) => {
      calls.push({ channel, payload });
      return backend.invoke(channel, payload);
    },
  });
  const on = (event: string, listener: (payload: unknown) => void) => backend.subscribe((e) => e.event === event && listener(e.payload));
  (globalThis as { window?: unknown }).window = { policylab: { transport: 'electron', invoke, on } };
  ({ CompareData } = await loadSvelteModule<{ CompareData: CompareDataClass }>(
    new URL('../../../renderer/src/state/compare-data.svelte.ts', import.meta.url).pathname,
  ));
});

afterAll(async () => {
  await backend?.close();
  cleanup?.();
  delete (globalThis as { window?: unknown }).window;
});

async function until(check: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('CompareData against the back end', () => {
  it('loads runs and keys, batches key fetches, and follows a live run', async () => {
    const [done] = await call<RunInfo[]>(backend, 'runs:start', { algo: 'fake', env: 'CartPole-v1', seeds: [1], totalSteps: 100 });
    await log.status(done!.id, 'finished');
    const [live] = await call<RunInfo[]>(backend, 'runs:start', { algo: 'fake', env: 'CartPole-v1', seeds: [2], totalSteps: 10_000_000 });
    await log.wait('run:metrics', (m) => m.id === live!.id);

    calls.length = 0;
    const data = new CompareData([done!.id, live!.id, 'gone-run']);
    const close = data.open();
    try {
      await until(() => !data.loading, 'the runs to load');
      expect(data.error).toBeNull();
      expect(data.runs.map((r) => r.id)).toEqual([done!.id, live!.id]);
      expect(data.missing).toEqual(['gone-run']);
      expect(data.keys).toEqual([RETURN, 'train/loss']);
      expect(data.groups).toEqual([
        ['rollout', [RETURN]],
        ['train', ['train/loss']],
      ]);

      // The first charts' keys are fetched as soon as the key lists arrive (no chart has asked yet), together:
      // one request per run with both keys; a chart asking afterwards gets the same load.
      await until(() => data.keyState[RETURN] === 'ready' && data.keyState['train/loss'] === 'ready', 'the prefetched keys');
      await Promise.all([data.ensure(RETURN), data.ensure('train/loss')]);
      const queries = calls.filter((c) => c.channel === 'metrics:query' && (c.payload as { keys: string[] }).keys.length > 0);
      expect(queries).toHaveLength(2); // one per run, both keys in each
      expect(queries.every((q) => (q.payload as { keys: string[] }).keys.length === 2)).toBe(true);

      const finished = data.series[RETURN]!.find((s) => s.runId === done!.id)!;
      expect(Array.from(finished.steps)).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
      expect(finished.times!.length).toBe(10);
      expect(finished.times![0]).toBeGreaterThan(1.6e12); // ms since the epoch
      expect(finished.lows).toBeUndefined(); // whole series: no bucket extremes
      expect(data.summaries([RETURN])[done!.id]![RETURN]).toMatchObject({ last: 10, min: 1, max: 10, count: 10 });

      // The live run's series grows from run:metrics events alone; the finished run's arrays stay the same objects.
      const liveLength = () => data.series[RETURN]!.find((s) => s.runId === live!.id)!.steps.length;
      const before = liveLength();
      calls.length = 0;
      await until(() => liveLength() > before + 5, 'live points');
      expect(calls.filter((c) => c.channel === 'metrics:query')).toHaveLength(0);
      expect(data.series[RETURN]!.find((s) => s.runId === done!.id)).toBe(finished);
      const steps = Array.from(data.series[RETURN]!.find((s) => s.runId === live!.id)!.steps);
      expect(steps).toEqual([...steps].sort((a, b) => a - b));
      expect(new Set(steps).size).toBe(steps.length);

      // A run deleted while compared leaves the view, named as missing.
      await call(backend, 'runs:delete', { id: done!.id });
      await until(() => data.runs.length === 1, 'the deleted run to leave');
      expect(data.missing).toEqual(['gone-run', done!.id]);
      expect(data.series[RETURN]!.map((s) => s.runId)).toEqual([live!.id]);
    } finally {
      close();
      await call(backend, 'runs:stop', { id: live!.id });
    }
  });
});
