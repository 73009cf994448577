/**
 * The runs table's state: all runs (kept live by run:status/run:progress/run:deleted events),
 * sorting, filtering and the multi-selection.
 */
import { runDuration } from '../lib/run-duration.js';
import type { RunInfo, RunStatus } from '../../../core/api/contract.js';
import { SvelteSet } from 'svelte/reactivity';
import { api, ApiCallError, errorText } from '../lib/api.js';

function uniqueSorted(values: string[]): string[] {
  return values.sort().filter((v, i, all) => i === 0 || all[i - 1] !== v);
}

export type SortKey = 'name' | 'algo' | 'env' | 'status' | 'backend' | 'step' | 'lastReturn' | 'bestReturn' | 'createdAt' | 'duration';

export interface RunFilters {
  text: string;
  status: RunStatus | '';
  algo: string;
  env: string;
  tag: string;
}

/** Whether Resume can continue the run (a finished run only when its target was raised). */
export function resumable(run: RunInfo): boolean {
  if (run.external) return false; // imported from another library: read-only
  return run.status === 'stopped' || run.status === 'crashed' || run.status === 'failed' || (run.status === 'finished' && run.step < run.totalSteps);
}

/**
 * The back end refused a resume because the run has no intact checkpoint: it restarts from step 0 only when asked
 * (`restart: true`), so the views confirm with the user first.
 */
export function needsRestart(err: unknown): boolean {
  return err instanceof ApiCallError && err.code === 'conflict' && /no intact checkpoint/.test(err.message);
}

function sortValue(run: RunInfo, key: SortKey): string | number {
  switch (key) {
    case 'step':
      return run.step;
    case 'lastReturn':
      return run.summary.lastReturn ?? -Infinity;
    case 'bestReturn':
      return run.summary.bestReturn ?? -Infinity;
    case 'backend':
      return run.backend?.name ?? '';
    case 'duration':
      return runDuration(run) ?? -1;
    case 'createdAt':
      return Date.parse(run.createdAt);
    default:
      return run[key].toLowerCase();
  }
}

export class RunsState {
  runs = $state<RunInfo[]>([]);
  loading = $state(true);
  error = $state<string | null>(null);
  sortKey = $state<SortKey>('createdAt');
  sortDir = $state<'asc' | 'desc'>('desc');
  filters = $state<RunFilters>({ text: '', status: '', algo: '', env: '', tag: '' });
  readonly selected = new SvelteSet<string>();

  readonly visible = $derived.by(() => {
    const f = this.filters;
    const text = f.text.trim().toLowerCase();
    const rows = this.runs.filter(
      (r) =>
        (!text || `${r.name} ${r.id} ${r.notes} ${r.tags.join(' ')}`.toLowerCase().includes(text)) &&
        (!f.status || r.status === f.status) &&
        (!f.algo || r.algo === f.algo) &&
        (!f.env || r.env === f.env) &&
        (!f.tag || r.tags.includes(f.tag)),
    );
    const dir = this.sortDir === 'asc' ? 1 : -1;
    const key = this.sortKey;
    return rows.sort((a, b) => {
      const x = sortValue(a, key);
      const y = sortValue(b, key);
      return x < y ? -dir : x > y ? dir : 0;
    });
  });

  readonly options = $derived({
    algos: uniqueSorted(this.runs.map((r) => r.algo)),
    envs: uniqueSorted(this.runs.map((r) => r.env)),
    tags: uniqueSorted(this.runs.flatMap((r) => r.tags)),
  });

  readonly selectedRuns = $derived(this.runs.filter((r) => this.selected.has(r.id)));

  async load(): Promise<void> {
    try {
      this.runs = await api().call('runs:list');
      this.error = null;
    } catch (err) {
      this.error = errorText(err);
    } finally {
      this.loading = false;
    }
  }

  /** Subscribes to live changes; returns the teardown for an $effect. */
  connect(): () => void {
    const a = api();
    const offs = [
      a.on('run:status', (run) => this.upsert(run)),
      a.on('run:progress', (p) => {
        const run = this.runs.find((r) => r.id === p.id);
        if (run) {
          run.step = p.step;
          run.totalSteps = p.totalSteps;
          run.summary.sps = p.sps;
        }
      }),
      a.on('run:deleted', ({ id }) => this.remove(id)),
      a.onConnection((connected) => {
        if (connected) void this.load();
      }),
    ];
    return () => offs.forEach((off) => off());
  }

  upsert(run: RunInfo): void {
    const i = this.runs.findIndex((r) => r.id === run.id);
    if (i >= 0) this.runs[i] = run;
    else this.runs.push(run);
  }

  remove(id: string): void {
    this.runs = this.runs.filter((r) => r.id !== id);
    this.selected.delete(id);
  }

  sortBy(key: SortKey): void {
    if (this.sortKey === key) this.sortDir = this.sortDir === 'asc' ? 'desc' : 'asc';
    else {
      this.sortKey = key;
      this.sortDir = key === 'name' || key === 'algo' || key === 'env' ? 'asc' : 'desc';
    }
  }

  toggle(id: string, on: boolean): void {
    if (on) this.selected.add(id);
    else this.selected.delete(id);
  }

  toggleAllVisible(on: boolean): void {
    this.selected.clear();
    if (on) for (const r of this.visible) this.selected.add(r.id);
  }
}

export const runsState = new RunsState();
