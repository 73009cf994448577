/**
 * The Datasets view's state: the dataset list, the labelling session of one dataset (its queue of pending pairs,
 * keyboard labels, undo, edit, progress, rate, agreement), browsing/fixing rows, and import/export. Every label is
 * sent at once; the back end resolves when it is on disk.
 */
import type { RequestIn } from '../../../core/api/contract.js';
import {
  cohenKappa,
  type DatasetDetail,
  type DatasetExportFormat,
  type DatasetGenerationProgress,
  type DatasetInfo,
  type DatasetLabel,
  type DatasetPairInfo,
  type DatasetRowInfo,
  type KappaResult,
} from '../../../core/api/datasets.js';
import { api, errorText } from '../lib/api.js';

const LABELLER_KEY = 'policylab.labeller';
/** Import chunks: pieces of ≤ 16 KiB characters, ≤ 48 per message (the contract's limits). */
const PIECE = 16_384;
const PIECES_PER_MESSAGE = 48;

/** How often the curation view asks how far a pair generation has got. */
const GENERATION_POLL_MS = 300;

export class DatasetListState {
  list = $state.raw<DatasetInfo[]>([]);
  error = $state<string | null>(null);
  loading = $state(true);

  async refresh(): Promise<void> {
    try {
      this.list = await api().call('datasets:list');
      this.error = null;
    } catch (err) {
      this.error = errorText(err);
    } finally {
      this.loading = false;
    }
  }

  async create(name: string, task: 'sentiment' | 'arithmetic' | null): Promise<DatasetInfo | null> {
    try {
      const d = await api().call('datasets:create', { name, task });
      await this.refresh();
      return d;
    } catch (err) {
      this.error = errorText(err);
      return null;
    }
  }

  async remove(id: string): Promise<void> {
    try {
      await api().call('datasets:delete', { id });
      await this.refresh();
    } catch (err) {
      this.error = errorText(err);
    }
  }
}

export type GenerateRequest = RequestIn<'datasets:generate'>;

export class CurationState {
  readonly id: string;
  detail = $state.raw<DatasetDetail | null>(null);
  /** Pairs waiting, front first; `current` is the one shown. */
  queue = $state.raw<DatasetPairInfo[]>([]);
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- read once for its ISO string
  shownAt = $state<string>(new Date().toISOString());
  labeller = $state(localStorage.getItem(LABELLER_KEY) ?? 'me');
  editing = $state(false);
  editA = $state('');
  editB = $state('');
  edited = $state(false);
  /** Rows labelled in this session, newest last (U undoes the last). */
  history = $state.raw<string[]>([]);
  sessionStart = $state<number | null>(null);
  sessionCount = $state(0);
  busy = $state(false);
  generating = $state(false);
  /** The running generation's progress (polled from the back end while `generating`). */
  generation = $state<DatasetGenerationProgress | null>(null);
  message = $state<string | null>(null);
  error = $state<string | null>(null);
  /** Rows for agreement statistics (up to 500, newest rows of the dataset's first page). */
  rows = $state.raw<DatasetRowInfo[]>([]);

  readonly #onchange: () => void;

  /** `onchange`: called after every change of the dataset (the list and summary refresh). */
  constructor(id: string, onchange: () => void = () => {}) {
    this.id = id;
    this.#onchange = onchange;
  }

  get current(): DatasetPairInfo | null {
    return this.queue[0] ?? null;
  }

  setLabeller(name: string): void {
    this.labeller = name;
    localStorage.setItem(LABELLER_KEY, name);
  }

  async load(): Promise<void> {
    try {
      const detail = await api().call('datasets:get', { id: this.id, limit: 500, pending: 500 });
      this.detail = detail;
      this.rows = detail.rows;
      const before = this.current?.id;
      this.queue = detail.pending;
      if (this.current?.id !== before) this.#show();
      this.error = null;
    } catch (err) {
      this.error = errorText(err);
    }
  }

  #show(): void {
    // eslint-disable-next-line svelte/prefer-svelte-reactivity -- read once for its ISO string
    this.shownAt = new Date().toISOString();
    this.editing = false;
    this.edited = false;
    this.editA = this.current?.responseA ?? '';
    this.editB = this.current?.responseB ?? '';
  }

  startEdit(): void {
    if (!this.current) return;
    this.editing = true;
  }

  finishEdit(): void {
    if (!this.current) return;
    this.editing = false;
    this.edited = this.editA !== this.current.responseA || this.editB !== this.current.responseB;
  }

  async label(label: DatasetLabel): Promise<void> {
    const pair = this.current;
    if (!pair || this.busy || this.editing) return;
    const labeller = this.labeller.trim();
    if (!labeller) {
      this.error = 'Enter your name as labeller first (it is stored with each label).';
      return;
    }
    this.busy = true;
    try {
      const row = await api().call('datasets:label', {
        id: this.id,
        pairId: pair.id,
        label,
        labeller,
        shownAt: this.shownAt,
        ...(this.edited ? { responseA: this.editA, responseB: this.editB } : {}),
      });
      this.history = [...this.history, row.id];
      this.sessionStart ??= Date.now();
      this.sessionCount++;
      this.queue = this.queue.slice(1);
      this.rows = [...this.rows, row];
      this.message = `Saved ${label === 'a' ? 'A better' : label === 'b' ? 'B better' : label === 'tie' ? 'tie' : 'skip'}${row.edited ? ' (edited)' : ''}.`;
      this.error = null;
      this.#show();
      void this.#refreshInfo();
      this.#onchange();
    } catch (err) {
      this.error = errorText(err);
    } finally {
      this.busy = false;
    }
  }

  async undo(): Promise<void> {
    const last = this.history.at(-1);
    if (!last || this.busy) return;
    this.busy = true;
    try {
      const pair = await api().call('datasets:unlabel', { id: this.id, rowId: last });
      this.history = this.history.slice(0, -1);
      this.sessionCount = Math.max(0, this.sessionCount - 1);
      this.queue = [pair, ...this.queue.filter((p) => p.id !== pair.id)];
      this.rows = this.rows.filter((r) => r.id !== last);
      this.message = 'Undone: the pair is back.';
      this.error = null;
      this.#show();
      void this.#refreshInfo();
      this.#onchange();
    } catch (err) {
      this.error = errorText(err);
    } finally {
      this.busy = false;
    }
  }

  async #refreshInfo(): Promise<void> {
    const d = await api().call('datasets:get', { id: this.id, limit: 1, pending: 0 }).catch(() => null);
    if (d && this.detail) this.detail = { ...this.detail, info: d.info };
  }

  /** Labels per minute in this session. */
  rate(now: number): number | null {
    if (this.sessionStart === null || this.sessionCount === 0) return null;
    const minutes = Math.max((now - this.sessionStart) / 60_000, 1 / 60);
    return this.sessionCount / minutes;
  }

  /** κ for every pair of labellers with overlapping pairs. */
  agreement(): { a: string; b: string; k: KappaResult }[] {
    // eslint-disable-next-line svelte/prefer-svelte-reactivity -- a local, read at once
    const names = [...new Set(this.rows.map((r) => r.labeller).filter((x): x is string => !!x && !x.startsWith('oracle:')))].sort();
    const out: { a: string; b: string; k: KappaResult }[] = [];
    for (let i = 0; i < names.length; i++) {
      for (let j = i + 1; j < names.length; j++) {
        const k = cohenKappa(this.rows, names[i]!, names[j]!);
        if (k.overlap > 0) out.push({ a: names[i]!, b: names[j]!, k });
      }
    }
    return out;
  }

  async generate(req: Omit<GenerateRequest, 'id'>): Promise<void> {
    this.generating = true;
    this.generation = { done: 0, total: req.count, seconds: 0 };
    this.message = null;
    const id = this.id;
    // The worker's progress, a few times a second (as the sample viewer's jobs are polled).
    const poll = setInterval(() => {
      void api()
        .call('datasets:generation', { id })
        .then((g) => {
          if (this.generating && g) this.generation = g;
        })
        .catch(() => undefined); // the next poll or the generate call itself reports a lost connection
    }, GENERATION_POLL_MS);
    try {
      const r = await api().call('datasets:generate', { ...req, id });
      this.message = `Generated ${r.added} pairs in ${r.seconds.toFixed(1)} s (worker process); ${r.pending} waiting.`;
      this.error = null;
      await this.load();
      this.#onchange();
    } catch (err) {
      this.error = errorText(err);
    } finally {
      clearInterval(poll);
      this.generating = false;
      this.generation = null;
    }
  }

  async oracle(task: 'sentiment' | 'arithmetic', beta: number, seed: number): Promise<void> {
    try {
      const info = await api().call('datasets:oracle', { id: this.id, task, beta, seed });
      this.message = `Oracle (synthetic) labelled the queue: best reachable reward-model accuracy ${(100 * info.bayesAccuracy).toFixed(1)}% over ${info.pairs} oracle pairs.`;
      this.error = null;
      await this.load();
      this.#onchange();
    } catch (err) {
      this.error = errorText(err);
    }
  }

  async requeue(labeller: string, limit: number): Promise<void> {
    try {
      const r = await api().call('datasets:requeue', { id: this.id, labeller, limit });
      this.message = `Queued ${r.queued} of ${labeller}'s pairs for a second labeller.`;
      await this.load();
      this.#onchange();
    } catch (err) {
      this.error = errorText(err);
    }
  }
}

export interface BrowseFilter {
  search: string;
  label: DatasetLabel | '';
  source: 'human' | 'oracle' | 'import' | '';
}

export class BrowseState {
  readonly id: string;
  detail = $state.raw<DatasetDetail | null>(null);
  filter = $state<BrowseFilter>({ search: '', label: '', source: '' });
  offset = $state(0);
  readonly limit = 50;
  error = $state<string | null>(null);

  constructor(id: string) {
    this.id = id;
  }

  async load(): Promise<void> {
    try {
      const f = this.filter;
      this.detail = await api().call('datasets:get', {
        id: this.id,
        offset: this.offset,
        limit: this.limit,
        pending: 0,
        ...(f.search ? { search: f.search } : {}),
        ...(f.label ? { label: f.label } : {}),
        ...(f.source ? { source: f.source } : {}),
      });
      this.error = null;
    } catch (err) {
      this.error = errorText(err);
    }
  }

  async act(work: () => Promise<unknown>): Promise<void> {
    try {
      await work();
      await this.load();
    } catch (err) {
      this.error = errorText(err);
    }
  }

  fix(rowId: string, patch: { label?: DatasetLabel; responseA?: string; responseB?: string; note?: string }): Promise<void> {
    return this.act(() => api().call('datasets:fixRow', { id: this.id, rowId, ...patch }));
  }

  remove(rowId: string): Promise<void> {
    return this.act(() => api().call('datasets:deleteRow', { id: this.id, rowId }));
  }

  restore(rowId: string): Promise<void> {
    return this.act(() => api().call('datasets:restoreRow', { id: this.id, rowId }));
  }
}

/** Exports through the API and hands the browser a file to save. */
export async function exportDataset(id: string, format: DatasetExportFormat): Promise<string> {
  const out = await api().call('datasets:export', { id, format });
  const url = URL.createObjectURL(new Blob([out.text], { type: 'application/x-ndjson' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = out.filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  return `Exported ${out.lines} lines as ${out.filename}${out.skipped ? ` (${out.skipped} ties/skips have no room in ${format})` : ''}. Deleted rows are no longer recoverable.`;
}

/** Uploads a JSONL file in ordered chunks; the back end validates it all and stores it all or nothing. */
export async function importText(id: string, text: string, onProgress: (sent: number, total: number) => void): Promise<string> {
  const pieces: string[] = [];
  for (let i = 0; i < text.length; i += PIECE) pieces.push(text.slice(i, i + PIECE));
  if (pieces.length === 0) pieces.push('');
  const uploadId = `up-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
  let seq = 0;
  for (let i = 0; i < pieces.length; i += PIECES_PER_MESSAGE, seq++) {
    const chunk = pieces.slice(i, i + PIECES_PER_MESSAGE);
    const last = i + PIECES_PER_MESSAGE >= pieces.length;
    const r = await api().call('datasets:import', { id, uploadId, seq, pieces: chunk, last });
    onProgress(Math.min(text.length, (i + chunk.length) * PIECE), text.length);
    if (last) return `Imported ${r.imported} rows (${r.format}); the dataset has ${r.size} rows.`;
  }
  return 'Nothing to import.';
}
