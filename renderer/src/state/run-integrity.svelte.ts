/**
 * What is damaged in one run's folder (runs:integrity): unreadable metrics lines and their quarantines, a damaged
 * column index (rebuilt), damaged checkpoints. Asked for when the run view opens and whenever the run's status
 * changes (a resume may have quarantined lines or skipped a damaged checkpoint); the user can dismiss it.
 */
import type { RunIntegrityInfo, RunStatus } from '../../../core/api/contract.js';
import { api, errorText } from '../lib/api.js';

export class RunIntegrity {
  readonly id: string;
  report = $state.raw<RunIntegrityInfo | null>(null);
  error = $state<string | null>(null);
  dismissed = $state(false);
  #status: RunStatus | null = null;

  constructor(id: string) {
    this.id = id;
  }

  /** Whether the warning box has anything to say. */
  get visible(): boolean {
    return !this.dismissed && (this.report?.problems === true || this.report?.metrics.index.status === 'rebuilt');
  }

  /** Loads the report and reloads it on each status change of the run; returns the teardown. */
  open(): () => void {
    const off = api().on('run:status', (run) => {
      if (run.id !== this.id || run.status === this.#status) return;
      this.#status = run.status;
      void this.load();
    });
    void this.load();
    return off;
  }

  async load(): Promise<void> {
    try {
      const next = await api().call('runs:integrity', { id: this.id });
      // Something new to say shows the box again after a dismissal.
      if (JSON.stringify(next) !== JSON.stringify(this.report)) this.dismissed = false;
      this.report = next;
      this.error = null;
    } catch (err) {
      this.error = errorText(err);
    }
  }

  dismiss(): void {
    this.dismissed = true;
  }
}
