/**
 * One run's page: its record, live metric series (a downsampled query, then live batches appended),
 * logs and checkpoints. Series live outside Svelte's reactivity (large, appended often); a `version`
 * counter bumped at most 10× per second tells the charts to redraw.
 */
import type { CheckpointInfo, EventPayloads, LogLine, MetricRecord, RunInfo } from '../../../core/api/contract.js';
import { api, errorText } from '../lib/api.js';
import { downsampleMinMax, type Point } from '../lib/downsample.js';
import { groupByNamespace } from '../lib/metric-keys.js';
import { needsRestart } from './runs.svelte.js';

const QUERY_POINTS = 1_000;
/** A live series is re-downsampled to QUERY_POINTS once it grows past this. */
const LIVE_POINT_LIMIT = 4_000;
const REDRAW_MS = 100;
const MAX_LOG_LINES = 2_000;
const RETURN_KEY = 'rollout/episodeReturn';

export class RunDetail {
  readonly id: string;
  run = $state<RunInfo | null>(null);
  loading = $state(true);
  error = $state<string | null>(null);
  keys = $state<string[]>([]);
  version = $state(0);
  logs = $state.raw<LogLine[]>([]);
  checkpoints = $state<CheckpointInfo[]>([]);
  progress = $state<EventPayloads['run:progress'] | null>(null);
  busy = $state(false);
  actionError = $state<string | null>(null);
  /** A resume was refused for lack of an intact checkpoint: the view asks whether to restart from step 0. */
  restartAsked = $state(false);

  readonly groups: [string, string[]][] = $derived(groupByNamespace(this.keys));

  // Deliberately not reactive: large, appended in place at up to 10 Hz; `version` tells the charts to redraw.
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  #series = new Map<string, Point[]>();
  /** Last step seen per key, so a live batch that the initial query already covered is not added twice. */
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  #lastStep = new Map<string, number>();
  #redraw: ReturnType<typeof setTimeout> | null = null;
  #ready = false;
  #early: MetricRecord[] = [];
  #earlyLogs: LogLine[] = [];

  constructor(id: string) {
    this.id = id;
  }

  points(key: string): Point[] {
    return this.#series.get(key) ?? [];
  }

  /** Loads everything and subscribes to live events; returns the teardown. */
  open(): () => void {
    const a = api();
    const offs = [
      a.on('run:status', (run) => {
        if (run.id !== this.id) return;
        // A run another process trains sends no run:checkpoint here: re-list when it ends (or starts again).
        if (this.run && this.run.status !== run.status) void this.#loadCheckpoints();
        this.run = run;
      }),
      a.on('run:progress', (p) => {
        if (p.id !== this.id) return;
        this.progress = p;
        if (this.run) this.run.step = p.step;
      }),
      a.on('run:metrics', ({ id, records }) => {
        if (id !== this.id) return;
        if (this.#ready) this.#append(records, false);
        else this.#early.push(...records);
      }),
      a.on('run:log', ({ id, lines }) => {
        if (id !== this.id) return;
        if (this.#ready) this.logs = [...this.logs, ...lines].slice(-MAX_LOG_LINES);
        else this.#earlyLogs.push(...lines);
      }),
      a.on('run:checkpoint', ({ id }) => {
        if (id === this.id) void this.#loadCheckpoints();
      }),
      a.on('run:deleted', ({ id }) => {
        if (id === this.id) this.error = 'This run was deleted.';
      }),
    ];
    void this.load();
    return () => {
      offs.forEach((off) => off());
      if (this.#redraw) clearTimeout(this.#redraw);
    };
  }

  async load(): Promise<void> {
    const a = api();
    try {
      const [run, metrics, logs] = await Promise.all([
        a.call('runs:get', { id: this.id }),
        a.call('metrics:query', { id: this.id, maxPoints: QUERY_POINTS }),
        a.call('runs:logs', { id: this.id, limit: 500 }),
      ]);
      this.run = run;
      for (const s of metrics.series) {
        this.#series.set(
          s.key,
          s.steps.map((x, i) => (s.mins[i] !== s.maxs[i] ? { x, y: s.values[i]!, lo: s.mins[i]!, hi: s.maxs[i]! } : { x, y: s.values[i]! })),
        );
        if (s.steps.length) this.#lastStep.set(s.key, s.steps[s.steps.length - 1]!);
      }
      this.keys = [...metrics.keys].sort();
      // Lines that arrived live while the query ran may or may not be in its answer: add the missing ones.
      const seen = logs.map((l) => `${l.time}\u0000${l.text}`);
      this.logs = [...logs, ...this.#earlyLogs.splice(0).filter((l) => !seen.includes(`${l.time}\u0000${l.text}`))].slice(-MAX_LOG_LINES);
      this.#ready = true;
      this.#append(this.#early.splice(0), true);
      this.version++;
      await this.#loadCheckpoints();
      this.error = null;
    } catch (err) {
      this.error = errorText(err);
    } finally {
      this.loading = false;
    }
  }

  async #loadCheckpoints(): Promise<void> {
    try {
      this.checkpoints = await api().call('checkpoints:list', { id: this.id });
    } catch {
      /* the checkpoint list is secondary; the run view still works */
    }
  }

  #append(records: MetricRecord[], strict: boolean): void {
    let newKey = false;
    for (const { step, values } of records) {
      for (const [key, y] of Object.entries(values)) {
        const last = this.#lastStep.get(key);
        if (last !== undefined && (strict ? step <= last : step < last)) continue;
        let series = this.#series.get(key);
        if (!series) {
          series = [];
          this.#series.set(key, series);
          newKey = true;
        }
        series.push({ x: step, y });
        this.#lastStep.set(key, step);
        if (key === RETURN_KEY && this.run) {
          this.run.summary.lastReturn = y;
          this.run.summary.bestReturn = Math.max(this.run.summary.bestReturn ?? -Infinity, y);
        }
        if (series.length > LIVE_POINT_LIMIT) this.#series.set(key, downsampleMinMax(series, QUERY_POINTS));
      }
    }
    if (newKey) this.keys = [...this.#series.keys()].sort();
    this.#scheduleRedraw();
  }

  #scheduleRedraw(): void {
    if (this.#redraw) return;
    this.#redraw = setTimeout(() => {
      this.#redraw = null;
      this.version++;
    }, REDRAW_MS);
  }

  async stop(): Promise<void> {
    await this.#act(() => api().call('runs:stop', { id: this.id }));
  }

  /**
   * Resumes from the newest intact checkpoint. The back end, which reads the folder, is the judge of whether one
   * exists (this view's list may be stale for a run another process trained): when it refuses for lack of one,
   * `restartAsked` is set and the view asks before `restart()`.
   */
  async resume(): Promise<void> {
    this.busy = true;
    this.actionError = null;
    try {
      this.run = await api().call('runs:resume', { id: this.id });
    } catch (err) {
      if (needsRestart(err)) this.restartAsked = true;
      else this.actionError = errorText(err);
    } finally {
      this.busy = false;
    }
  }

  /** Trains the run again from step 0 (the user confirmed); its earlier metrics are kept aside by the back end. */
  async restart(): Promise<void> {
    this.restartAsked = false;
    await this.#act(() => api().call('runs:resume', { id: this.id, restart: true }));
    if (this.actionError) return;
    // The earlier metrics are set aside before the process starts: the charts begin again at step 0.
    this.#series.clear();
    this.#lastStep.clear();
    this.keys = [];
    this.version++;
  }

  async update(patch: { name?: string; tags?: string[]; notes?: string }): Promise<void> {
    await this.#act(() => api().call('runs:update', { id: this.id, ...patch }));
  }

  async #act(action: () => Promise<RunInfo>): Promise<void> {
    this.busy = true;
    this.actionError = null;
    try {
      this.run = await action();
    } catch (err) {
      this.actionError = errorText(err);
    } finally {
      this.busy = false;
    }
  }
}
