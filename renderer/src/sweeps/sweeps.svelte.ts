/**
 * The Sweeps view's state: the sweeps of the data folder (the app's and `policylab sweep`'s), the one shown with
 * its results for the chosen metric, kept fresh while its runs change (run:status events, throttled), and the
 * start/stop actions.
 */
import type { SweepDetail, SweepInfo } from '../../../core/api/contract.js';
import { api, errorText } from '../lib/api.js';

/** Refreshes after run changes at most this often. */
const REFRESH_MS = 500;

export class SweepsState {
  list = $state.raw<SweepInfo[]>([]);
  detail = $state.raw<SweepDetail | null>(null);
  selectedId = $state<string | null>(null);
  /** The metric the results aggregate; null: the sweep's own. */
  metric = $state<string | null>(null);
  error = $state<string | null>(null);
  loading = $state(true);
  #timer: ReturnType<typeof setTimeout> | null = null;

  /** Keeps the list and the shown sweep fresh; returns the teardown. */
  connect(): () => void {
    void this.refresh();
    const off = api().on('run:status', () => this.#soon());
    const offDeleted = api().on('run:deleted', () => this.#soon());
    // Sweeps another process starts appear without a run event of ours until its first run is made.
    const poll = setInterval(() => void this.refresh(), 3_000);
    return () => {
      off();
      offDeleted();
      clearInterval(poll);
      if (this.#timer) clearTimeout(this.#timer);
    };
  }

  #soon(): void {
    if (this.#timer) return;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      void this.refresh();
    }, REFRESH_MS);
  }

  async refresh(): Promise<void> {
    try {
      this.list = await api().call('sweeps:list');
      if (this.selectedId) await this.#loadDetail(this.selectedId);
      this.error = null;
    } catch (err) {
      this.error = errorText(err);
    } finally {
      this.loading = false;
    }
  }

  async select(id: string | null): Promise<void> {
    if (id !== this.selectedId) this.metric = null;
    this.selectedId = id;
    if (!id) {
      this.detail = null;
      return;
    }
    try {
      await this.#loadDetail(id);
      this.error = null;
    } catch (err) {
      this.detail = null;
      this.error = errorText(err);
    }
  }

  async setMetric(metric: string): Promise<void> {
    this.metric = metric;
    if (this.selectedId) await this.#loadDetail(this.selectedId).catch((err: unknown) => (this.error = errorText(err)));
  }

  async #loadDetail(id: string): Promise<void> {
    const detail = await api().call('sweeps:get', { id, ...(this.metric ? { metric: this.metric } : {}) });
    if (this.selectedId === id) this.detail = detail;
  }

  /** Starts a sweep; resolves to its id (the view shows it), or throws the back end's error (naming the bad key). */
  async start(spec: Record<string, unknown>): Promise<string> {
    const info = await api().call('sweeps:start', { spec: spec as never });
    await this.refresh();
    return info.id;
  }

  async stop(id: string): Promise<void> {
    try {
      await api().call('sweeps:stop', { id });
      await this.refresh();
    } catch (err) {
      this.error = errorText(err);
    }
  }
}
