/**
 * system:info (backend, versions, data folder, runs at once), the connection state, and the store's notices (an index
 * rebuilt, a damaged file moved aside) shown as dismissible banners — kept dismissed for this session (sessionStorage:
 * a reload of the tab does not bring them back; a notice is keyed by its time, so a new one still shows).
 */
import type { DamagedRunInfo, StoreNoticeInfo, SystemInfo } from '../../../core/api/contract.js';
import { api, errorText } from '../lib/api.js';

export class SystemState {
  info = $state<SystemInfo | null>(null);
  error = $state<string | null>(null);
  connected = $state(false);
  #notices = $state<StoreNoticeInfo[]>([]);
  #dismissed = $state<string[]>(loadDismissed());

  /** Notices not dismissed yet, oldest first. */
  get notices(): StoreNoticeInfo[] {
    return this.#notices.filter((n) => !this.#dismissed.includes(noticeKey(n)));
  }

  /** Runs with damaged files (from system:info) not dismissed yet: a new kind of damage in a run shows again. */
  get damagedRuns(): DamagedRunInfo[] {
    return (this.info?.damagedRuns ?? []).filter((d) => !this.#dismissed.includes(damagedKey(d)));
  }

  dismissDamaged(d: DamagedRunInfo): void {
    this.#remember(damagedKey(d));
  }

  dismiss(n: StoreNoticeInfo): void {
    this.#remember(noticeKey(n));
  }

  #remember(key: string): void {
    this.#dismissed = [...this.#dismissed, key].slice(-MAX_DISMISSED);
    try {
      globalThis.sessionStorage?.setItem(DISMISSED_KEY, JSON.stringify(this.#dismissed));
    } catch {
      /* storage full or disabled: dismissed for this page only */
    }
  }

  connect(): () => void {
    const offConnection = api().onConnection((connected) => {
      this.connected = connected;
      if (connected) void this.load();
    });
    const offNotice = api().on('system:notice', (n) => {
      this.#addNotices([n]);
      void this.load(); // a repair may have found or cleared damaged runs
    });
    return () => {
      offConnection();
      offNotice();
    };
  }

  #waitingForScan = false;

  /**
   * Loads system:info. The first answer does not wait for a large data folder's damaged-runs scan (it says so:
   * damagedRunsPending); then one more request that does wait brings the list in when the scan ends.
   */
  async load(waitForScan = false): Promise<void> {
    try {
      const info = await api().call('system:info', waitForScan ? { waitForScan: true } : undefined);
      this.info = info;
      this.#addNotices(info.notices);
      this.error = null;
      if (info.damagedRunsPending && !this.#waitingForScan) {
        this.#waitingForScan = true;
        void this.load(true).finally(() => (this.#waitingForScan = false));
      }
    } catch (err) {
      this.error = errorText(err);
    }
  }

  /** Sets how many runs train at once (the back end starts queued runs at once if it grew). */
  async setMaxConcurrent(n: number): Promise<void> {
    try {
      this.info = await api().call('system:settings', { maxConcurrent: n });
      this.error = null;
    } catch (err) {
      this.error = errorText(err);
    }
  }

  #addNotices(incoming: StoreNoticeInfo[]): void {
    const known = this.#notices.map(noticeKey);
    const fresh = incoming.filter((n) => !known.includes(noticeKey(n)));
    if (fresh.length > 0) this.#notices = [...this.#notices, ...fresh];
  }
}

const damagedKey = (d: DamagedRunInfo): string => `damaged:${d.id}:${d.summary}`;

const DISMISSED_KEY = 'policylab.dismissedNotices';
const MAX_DISMISSED = 200;

function loadDismissed(): string[] {
  try {
    const stored: unknown = JSON.parse(globalThis.sessionStorage?.getItem(DISMISSED_KEY) ?? '[]');
    return Array.isArray(stored) ? stored.filter((k): k is string => typeof k === 'string') : [];
  } catch {
    return [];
  }
}

function noticeKey(n: StoreNoticeInfo): string {
  return `${n.time}\u0000${n.message}`;
}

export const systemState = new SystemState();

/** A run's update engine and tfjs backend: `wasm-simd kernels · tfjs wasm (SIMD)`; the backend alone for the app. */
export function backendLabel(b: { name: string; simd?: boolean; threads?: number; engine?: string } | null | undefined): string {
  if (!b) return '—';
  if (b.engine) return `${b.engine} · tfjs ${backendLabel({ ...b, engine: undefined })}`;
  if (b.name === 'wasm') return `wasm${b.simd ? ' (SIMD)' : ''}`;
  if (b.name === 'tensorflow-gpu') return 'TensorFlow GPU';
  if (b.name === 'tensorflow') return 'TensorFlow CPU';
  return b.name;
}
