/**
 * The runs table's state: all runs (kept live by run:status/run:progress/run:deleted events),
 * the runs table's rows (runs:table: metric summaries, sparklines, sample efficiency), its layout (columns, sort,
 * grouping; saved per data folder), filtering and the multi-selection.
 */
import type { RunInfo, RunStatus, RunTableRow } from '../../../core/api/contract.js';
import { columnValue, compareValues } from '../runs-table/columns.js';
import { loadLayout, loadLayoutOf, saveLayout, type RunsTableLayout } from '../runs-table/layout.js';
import { SvelteSet } from 'svelte/reactivity';
import { api, ApiCallError, errorText } from '../lib/api.js';

function uniqueSorted(values: string[]): string[] {
  return values.sort().filter((v, i, all) => i === 0 || all[i - 1] !== v);
}

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

/** The text the search box matches, per run record (records are immutable: replaced whole, never mutated). */
const searchTexts = new WeakMap<RunInfo, string>();
function searchText(r: RunInfo): string {
  let t = searchTexts.get(r);
  if (t === undefined) searchTexts.set(r, (t = `${r.name} ${r.id} ${r.notes} ${r.tags.join(' ')}`.toLowerCase()));
  return t;
}

/** How often live runs' progress events reach the table (they are coalesced in between). */
const PROGRESS_MS = 100;

export class RunsState {
  /**
   * Every run, as plain records replaced whole on any change ($state.raw): a deep proxy over 1,000 records made every
   * filter and sort read tens of thousands of proxied fields.
   */
  runs = $state.raw<RunInfo[]>([]);
  loading = $state(true);
  error = $state<string | null>(null);
  /** runs:table rows by run id (replaced as a whole when any arrives). */
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- immutable: replaced whole ($state.raw), never mutated
  rows = $state.raw<ReadonlyMap<string, RunTableRow>>(new Map());
  rowsError = $state<string | null>(null);
  layout = $state<RunsTableLayout>(loadLayout(null));
  #home: string | null = null;
  filters = $state<RunFilters>({ text: '', status: '', algo: '', env: '', tag: '' });
  readonly selected = new SvelteSet<string>();

  readonly visible = $derived.by(() => {
    const f = this.filters;
    const text = f.text.trim().toLowerCase();
    const rows = this.runs.filter(
      (r) =>
        (!text || searchText(r).includes(text)) &&
        (!f.status || r.status === f.status) &&
        (!f.algo || r.algo === f.algo) &&
        (!f.env || r.env === f.env) &&
        (!f.tag || r.tags.includes(f.tag)),
    );
    const dir = this.layout.sort.dir === 'asc' ? 1 : -1;
    const key = this.layout.sort.column;
    const data = this.rows;
    const keyed = rows.map((r) => ({ r, v: columnValue(r, data.get(r.id), key) }));
    keyed.sort((a, b) => compareValues(a.v, b.v, dir));
    return keyed.map((k) => k.r);
  });

  readonly options = $derived({
    algos: uniqueSorted(this.runs.map((r) => r.algo)),
    envs: uniqueSorted(this.runs.map((r) => r.env)),
    tags: uniqueSorted(this.runs.flatMap((r) => r.tags)),
  });

  readonly selectedRuns = $derived.by(() => {
    // eslint-disable-next-line svelte/prefer-svelte-reactivity -- a local copy (one dependency on the set, not one per run)
    const ids = new Set(this.selected);
    return ids.size === 0 ? [] : this.runs.filter((r) => ids.has(r.id));
  });

  async load(): Promise<void> {
    try {
      this.runs = await api().call('runs:list');
      this.error = null;
      void this.loadRows(this.runs.map((r) => r.id));
    } catch (err) {
      this.error = errorText(err);
    } finally {
      this.loading = false;
    }
  }

  /** Fetches runs:table rows for these runs (all when omitted), 500 per call, and merges them in. */
  async loadRows(ids: string[] = this.runs.map((r) => r.id)): Promise<void> {
    try {
      // eslint-disable-next-line svelte/prefer-svelte-reactivity -- a local, assigned whole once filled
      const next = new Map(this.rows);
      // The batches in flight together: the server reads the next while the page parses the last.
      const batches: Promise<RunTableRow[]>[] = [];
      for (let i = 0; i < ids.length; i += 500) batches.push(api().call('runs:table', { ids: ids.slice(i, i + 500) }));
      for (const rows of await Promise.all(batches)) for (const row of rows) next.set(row.id, row);
      this.rows = next;
      this.rowsError = null;
    } catch (err) {
      this.rowsError = errorText(err);
    }
  }

  /** Uses (and from now on saves) the layout stored for this data folder. */
  useLayoutOf(home: string | null): void {
    if (home === this.#home) return;
    const first = this.#home === null;
    this.#home = home;
    // Changes made before the data folder was known (system:info can arrive after the first rows on a busy
    // machine) are the user's latest: keep them, saved under the folder, instead of loading over them.
    if (first && this.#changedBeforeHome) saveLayout(home, $state.snapshot(this.layout));
    else this.layout = home === null ? loadLayout(null) : loadLayoutOf(home);
    this.#changedBeforeHome = false;
  }

  #changedBeforeHome = false;

  setLayout(patch: Partial<RunsTableLayout>): void {
    this.layout = { ...this.layout, ...patch };
    if (this.#home === null) this.#changedBeforeHome = true;
    saveLayout(this.#home, $state.snapshot(this.layout));
  }

  /** Subscribes to live changes; returns the teardown for an $effect. */
  connect(): () => void {
    const a = api();
    const offs = [
      a.on('run:status', (run) => {
        this.upsert(run);
        if (run.status !== 'running' && run.status !== 'queued') void this.loadRows([run.id]);
      }),
      a.on('run:progress', (p) => {
        this.#progress.set(p.id, p);
        this.#progressTimer ??= setTimeout(() => this.#applyProgress(), PROGRESS_MS);
      }),
      a.on('run:deleted', ({ id }) => this.remove(id)),
      a.onConnection((connected) => {
        if (connected) void this.load();
      }),
    ];
    return () => {
      offs.forEach((off) => off());
      if (this.#progressTimer !== null) clearTimeout(this.#progressTimer);
      this.#progressTimer = null;
      this.#progress.clear();
    };
  }

  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- not reactive: a buffer drained into `runs` by a timer
  readonly #progress = new Map<string, { step: number; totalSteps: number; sps: number }>();
  #progressTimer: ReturnType<typeof setTimeout> | null = null;

  /** The progress events since the last call, applied as one replacement of the runs they name. */
  #applyProgress(): void {
    this.#progressTimer = null;
    const pending = this.#progress;
    if (pending.size === 0) return;
    this.runs = this.runs.map((r) => {
      const p = pending.get(r.id);
      return p ? { ...r, step: p.step, totalSteps: p.totalSteps, summary: { ...r.summary, sps: p.sps } } : r;
    });
    pending.clear();
  }

  upsert(run: RunInfo): void {
    this.#progress.delete(run.id); // the record is newer than any progress event waiting
    const i = this.runs.findIndex((r) => r.id === run.id);
    if (i >= 0) this.runs = [...this.runs.slice(0, i), run, ...this.runs.slice(i + 1)];
    else this.runs = [...this.runs, run];
  }

  remove(id: string): void {
    this.runs = this.runs.filter((r) => r.id !== id);
    this.selected.delete(id);
  }

  /** Sorts by a column; the same column again flips the direction (text starts ascending, numbers descending). */
  sortBy(column: string): void {
    const { sort } = this.layout;
    if (sort.column === column) this.setLayout({ sort: { column, dir: sort.dir === 'asc' ? 'desc' : 'asc' } });
    else this.setLayout({ sort: { column, dir: column === 'name' || column === 'algo' || column === 'env' || column.startsWith('config:') ? 'asc' : 'desc' } });
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
