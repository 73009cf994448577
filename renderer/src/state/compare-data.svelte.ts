/**
 * The compare view's data: the selected runs (kept live by run:status), the union of their metric keys, and per
 * key the series of every run — fetched when a chart first needs them, refetched at higher resolution for a
 * zoomed range, and appended from run:metrics while runs train. Series arrays are never mutated (each change makes
 * new ones), and charts get a new `CompareSeries[]` for a key only when one of its runs changed.
 */
import type { MetricRecord, RunInfo } from '../../../core/api/contract.js';
import type { XRange } from '../analysis/downsample.js';
import type { MetricSummary } from '../analysis/summary.js';
import type { XAxisMode } from '../analysis/x-axis.js';
import type { CompareSeries } from '../compare/chart-model.js';
import { api, ApiCallError, errorText } from '../lib/api.js';
import {
  emptySeries,
  foldLiveRecords,
  fromQuery,
  isFullResolution,
  pointBudget,
  relativeOrigin,
  seriesSummary,
  spliceRange,
  stepRangeFor,
  uniqueSorted,
  type RunSeries,
} from '../lib/compare-series.js';
import { groupByNamespace } from '../lib/metric-keys.js';

/** Keys asked for within this window (charts scrolling into view together) are fetched in one request per run. */
const BATCH_MS = 16;
/**
 * Charts at the top of the grid (in display order) whose keys are fetched as soon as the key lists arrive,
 * without waiting for their cells to be laid out and scroll into view: they are on screen in most windows.
 */
const PREFETCH_CHARTS = 4;
/** Live records are folded into the series at most this often. */
const LIVE_FLUSH_MS = 250;

type KeyState = 'loading' | 'ready' | 'error';


export class CompareData {
  readonly ids: readonly string[];
  runs = $state<RunInfo[]>([]);
  /** Requested ids that are not (or no longer) runs. */
  missing = $state<string[]>([]);
  loading = $state(true);
  error = $state<string | null>(null);
  keys = $state.raw<string[]>([]);
  /** Per key: the charts' input, replaced when any of its runs changes. */
  series = $state.raw<Record<string, CompareSeries[]>>({});
  keyState = $state<Record<string, KeyState>>({});
  keyError = $state<Record<string, string>>({});

  readonly groups: [string, string[]][] = $derived(groupByNamespace(this.keys));

  // Plain maps, outside reactivity: large arrays replaced wholesale; `series` carries what the charts see.
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  #data = new Map<string, Map<string, RunSeries>>();
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  #chartSeries = new Map<string, CompareSeries>();
  /** Per run, when it logged its first record (ms epoch): relative time counts from there, for every key alike. */
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- read when series are published
  #starts = new Map<string, number>();
  #zoomToken: Record<string, number> = {};
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- bookkeeping, not shown
  #loads = new Map<string, Promise<void>>();
  #queued: string[] = [];
  #batch: Promise<void> | null = null;
  #pending: { id: string; records: MetricRecord[] }[] = [];
  #flushTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(ids: readonly string[]) {
    this.ids = [...ids];
  }

  /** Loads the runs and their key lists, subscribes to live events; returns the teardown. */
  open(): () => void {
    const a = api();
    const offs = [
      a.on('run:status', (run) => {
        const i = this.runs.findIndex((r) => r.id === run.id);
        if (i < 0) return;
        const renamed = run.name !== this.runs[i]!.name;
        this.runs[i] = run;
        if (renamed) this.#publishAll();
      }),
      a.on('run:deleted', ({ id }) => {
        if (!this.ids.includes(id)) return;
        this.runs = this.runs.filter((r) => r.id !== id);
        this.missing = [...this.missing, id];
        this.#publishAll();
      }),
      a.on('run:metrics', ({ id, records }) => {
        if (!this.ids.includes(id)) return;
        this.#pending.push({ id, records });
        this.#flushTimer ??= setTimeout(() => this.#flushLive(), LIVE_FLUSH_MS);
      }),
    ];
    void this.load();
    return () => {
      offs.forEach((off) => off());
      if (this.#flushTimer) clearTimeout(this.#flushTimer);
    };
  }

  async load(): Promise<void> {
    this.loading = true;
    const a = api();
    try {
      const results = await Promise.all(
        this.ids.map(async (id) => {
          try {
            const [run, q] = await Promise.all([a.call('runs:get', { id }), a.call('metrics:query', { id, keys: [] })]);
            if (q.firstWallTime !== null) this.#starts.set(id, q.firstWallTime * 1000);
            return { id, run, keys: q.keys };
          } catch (err) {
            if (err instanceof ApiCallError && err.code === 'not_found') return { id, run: null, keys: [] };
            throw err;
          }
        }),
      );
      this.runs = results.flatMap((r) => (r.run ? [r.run] : []));
      this.missing = results.filter((r) => !r.run).map((r) => r.id);
      this.keys = uniqueSorted(results.flatMap((r) => r.keys));
      this.error = null;
      for (const key of this.groups.flatMap(([, keys]) => keys).slice(0, PREFETCH_CHARTS)) void this.ensure(key, { now: true });
    } catch (err) {
      this.error = errorText(err);
    } finally {
      this.loading = false;
    }
  }

  /**
   * Fetches `key` for every run (once); charts call it when they scroll into view. Keys asked for within
   * BATCH_MS are fetched together: one request per run, whatever the number of charts.
   */
  ensure(key: string, options: { now?: boolean } = {}): Promise<void> {
    const pending = this.#loads.get(key);
    if (pending) return pending;
    this.keyState[key] = 'loading';
    this.#queued.push(key);
    // `now`: the caller asks for all its keys in one synchronous loop, so a microtask collects them.
    this.#batch ??= (options.now ? Promise.resolve() : new Promise<void>((resolve) => setTimeout(resolve, BATCH_MS))).then(() => this.#fetchBatch());
    const load = this.#batch;
    this.#loads.set(key, load);
    return load;
  }

  async #fetchBatch(): Promise<void> {
    const keys = this.#queued.splice(0);
    this.#batch = null;
    try {
      const fetched = await Promise.all(
        this.runs.map(async (run) => {
          try {
            return [run.id, (await api().call('metrics:query', { id: run.id, keys, maxPoints: pointBudget(this.runs.length) })).series] as const;
          } catch (err) {
            if (err instanceof ApiCallError && err.code === 'not_found') return [run.id, []] as const; // deleted meanwhile
            throw err;
          }
        }),
      );
      for (const key of keys) {
        const perRun = this.#keyData(key);
        for (const [id, series] of fetched) {
          const s = series.find((x) => x.key === key);
          perRun.set(id, s ? fromQuery(s) : emptySeries());
        }
        this.keyState[key] = 'ready';
      }
      this.#publish(...keys);
    } catch (err) {
      for (const key of keys) {
        this.keyState[key] = 'error';
        this.keyError[key] = errorText(err);
        this.#loads.delete(key); // a retry fetches again
      }
    }
  }

  /** Refetches the visible range of `key` at higher resolution for runs that arrived downsampled. */
  async zoom(key: string, range: XRange | null, mode: XAxisMode): Promise<void> {
    const token = (this.#zoomToken[key] ?? 0) + 1;
    this.#zoomToken[key] = token;
    const perRun = this.#data.get(key);
    if (!range || !perRun) return;
    const updates = await Promise.all(
      this.runs.map(async (run) => {
        const base = perRun.get(run.id);
        if (!base || isFullResolution(base)) return null;
        const steps = stepRangeFor(base, mode, range, relativeOrigin(base, this.#starts.get(run.id)));
        if (!steps) return null;
        const q = await api().call('metrics:query', { id: run.id, keys: [key], maxPoints: pointBudget(this.runs.length), ...steps });
        const s = q.series[0];
        return s ? ([run.id, steps, fromQuery(s, base.totalPoints)] as const) : null;
      }),
    ).catch(() => []); // a failed refetch keeps the overview; the chart still shows the range
    if (this.#zoomToken[key] !== token) return; // a newer zoom superseded this one
    let changed = false;
    for (const u of updates) {
      if (!u) continue;
      const [id, steps, zoomed] = u;
      const base = perRun.get(id);
      if (!base) continue;
      perRun.set(id, spliceRange(base, zoomed, steps.from, steps.to));
      changed = true;
    }
    if (changed) this.#publish(key);
  }

  /** runId → key → summary, for the keys fetched so far (the table asks for its column keys). */
  summaries(keys: readonly string[]): Record<string, Record<string, MetricSummary>> {
    void this.series; // recompute when any series changes
    const out: Record<string, Record<string, MetricSummary>> = {};
    for (const run of this.runs) {
      const row: Record<string, MetricSummary> = {};
      for (const key of keys) {
        const s = this.#data.get(key)?.get(run.id);
        if (s && s.steps.length > 0) row[key] = seriesSummary(s);
      }
      out[run.id] = row;
    }
    return out;
  }

  /** Every fetched point of the given keys (long format rows for the CSV export). */
  rows(keys: readonly string[]): { run: RunInfo; key: string; series: RunSeries }[] {
    return keys.flatMap((key) =>
      this.runs.flatMap((run) => {
        const series = this.#data.get(key)?.get(run.id);
        return series ? [{ run, key, series }] : [];
      }),
    );
  }

  #keyData(key: string): Map<string, RunSeries> {
    let m = this.#data.get(key);
    // eslint-disable-next-line svelte/prefer-svelte-reactivity -- plain on purpose, like #data
    if (!m) this.#data.set(key, (m = new Map()));
    return m;
  }

  #flushLive(): void {
    this.#flushTimer = null;
    const { changed, mentioned } = foldLiveRecords(this.#data, this.#pending.splice(0));
    if (mentioned.some((k) => !this.keys.includes(k))) this.keys = uniqueSorted([...this.keys, ...mentioned]);
    if (changed.length > 0) this.#publish(...changed);
  }

  #publishAll(): void {
    this.#publish(...this.#data.keys());
  }

  /** Rebuilds the charts' input for `keys`, reusing the CompareSeries of runs whose arrays did not change. */
  #publish(...keys: string[]): void {
    if (keys.length === 0) return;
    const next = { ...this.series };
    for (const key of keys) {
      const perRun = this.#data.get(key);
      if (!perRun) continue;
      next[key] = this.runs.flatMap((run) => {
        const s = perRun.get(run.id);
        if (!s) return [];
        const cacheKey = `${key}\u0000${run.id}`;
        const cached = this.#chartSeries.get(cacheKey);
        const origin = relativeOrigin(s, this.#starts.get(run.id));
        if (cached && cached.steps === s.steps && cached.name === run.name && cached.startTime === origin) return [cached];
        const cs: CompareSeries = { runId: run.id, name: run.name, steps: s.steps, values: s.values, times: s.times };
        if (origin !== undefined) cs.startTime = origin;
        if (!isFullResolution(s)) {
          cs.lows = s.mins;
          cs.highs = s.maxs;
        }
        this.#chartSeries.set(cacheKey, cs);
        return [cs];
      });
    }
    this.series = next;
  }
}
