/**
 * What the preference pickers choose from: this data folder's runs and preference datasets, and each run's
 * checkpoints (fetched once per run on first need, refreshed when the run writes a checkpoint). Shared by the launch
 * form, the frontier, the sample viewer and the pair generator.
 */
import type { CheckpointInfo, DatasetInfo, RunInfo } from '../../../core/api/contract.js';
import { api, errorText } from '../lib/api.js';

export class PrefsCatalog {
  runs = $state.raw<RunInfo[]>([]);
  datasets = $state.raw<DatasetInfo[]>([]);
  loaded = $state(false);
  error = $state<string | null>(null);
  /** Checkpoints per run id (absent: not fetched yet). */
  checkpoints = $state<Record<string, CheckpointInfo[]>>({});
  checkpointErrors = $state<Record<string, string>>({});
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- bookkeeping, not shown
  #pending = new Set<string>();

  /** Loads runs and datasets and follows run changes; returns the teardown. */
  open(): () => void {
    void this.refresh();
    const a = api();
    const offs = [
      a.on('run:status', (run) => {
        const i = this.runs.findIndex((r) => r.id === run.id);
        this.runs = i < 0 ? [...this.runs, run] : this.runs.map((r) => (r.id === run.id ? run : r));
      }),
      a.on('run:deleted', ({ id }) => (this.runs = this.runs.filter((r) => r.id !== id))),
      a.on('run:checkpoint', ({ id }) => {
        if (id in this.checkpoints) void this.fetchCheckpoints(id);
      }),
    ];
    return () => offs.forEach((off) => off());
  }

  async refresh(): Promise<void> {
    try {
      const [runs, datasets] = await Promise.all([api().call('runs:list'), api().call('datasets:list')]);
      this.runs = runs;
      this.datasets = datasets;
      this.error = null;
    } catch (err) {
      this.error = errorText(err);
    } finally {
      this.loaded = true;
    }
  }

  run(id: string): RunInfo | undefined {
    return this.runs.find((r) => r.id === id);
  }

  /** The run's checkpoints (oldest first), fetching them on first use; [] until they arrive. */
  checkpointsOf(id: string): CheckpointInfo[] {
    const list = this.checkpoints[id];
    if (list === undefined && id && !this.#pending.has(id)) void this.fetchCheckpoints(id);
    return list ?? [];
  }

  async fetchCheckpoints(id: string): Promise<CheckpointInfo[]> {
    this.#pending.add(id);
    try {
      const list = await api().call('checkpoints:list', { id });
      this.checkpoints[id] = list;
      delete this.checkpointErrors[id];
      return list;
    } catch (err) {
      this.checkpointErrors[id] = errorText(err);
      this.checkpoints[id] = [];
      return [];
    } finally {
      this.#pending.delete(id);
    }
  }
}
