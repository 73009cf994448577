/**
 * The sample viewer's job: starts a prefs:compare (it runs in a worker process on the back end), polls prefs:job
 * a few times a second for its progress until it is done, failed or cancelled, and keeps the result. On opening,
 * it picks up the newest job the back end still holds, so leaving the view does not lose a comparison.
 */
import type { PrefsCompareRequest, PrefsJobInfo, RequestIn } from '../../../core/api/contract.js';
import { api, errorText } from '../lib/api.js';

const POLL_MS = 300;

export class CompareJob {
  job = $state.raw<PrefsJobInfo | null>(null);
  error = $state<string | null>(null);
  starting = $state(false);
  #timer: ReturnType<typeof setTimeout> | null = null;
  #closed = false;

  readonly running = $derived(this.job?.status === 'running');
  readonly fraction = $derived(this.job && this.job.total > 0 ? Math.min(1, this.job.done / this.job.total) : 0);

  /** Picks up the newest kept job; returns the teardown (stops polling). */
  open(): () => void {
    this.#closed = false;
    api()
      .call('prefs:jobs')
      .then((jobs) => {
        const newest = jobs[0];
        if (newest && !this.job) void this.#poll(newest.jobId);
      })
      .catch(() => {
        /* no kept jobs to resume: nothing to show */
      });
    return () => {
      this.#closed = true;
      if (this.#timer) clearTimeout(this.#timer);
    };
  }

  async start(request: RequestIn<'prefs:compare'>): Promise<void> {
    this.starting = true;
    this.error = null;
    try {
      const { jobId } = await api().call('prefs:compare', request);
      await this.#poll(jobId);
    } catch (err) {
      this.error = errorText(err);
    } finally {
      this.starting = false;
    }
  }

  async cancel(): Promise<void> {
    if (!this.job) return;
    try {
      this.job = await api().call('prefs:cancel', { jobId: this.job.jobId });
    } catch (err) {
      this.error = errorText(err);
    }
  }

  /** The request of the shown job (to refill the form), or null. */
  get request(): PrefsCompareRequest | null {
    return this.job?.request ?? null;
  }

  async #poll(jobId: string): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    try {
      const job = await api().call('prefs:job', { jobId });
      // A newer job replaced this one meanwhile.
      if (this.job && this.job.jobId !== jobId && this.job.status === 'running') return;
      this.job = job;
      if (job.status === 'running' && !this.#closed) this.#timer = setTimeout(() => void this.#poll(jobId), POLL_MS);
    } catch (err) {
      this.error = errorText(err);
    }
  }
}
