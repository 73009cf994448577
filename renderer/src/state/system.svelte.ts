/** system:info (backend, versions, data folder) and the connection state, shown in the header. */
import type { SystemInfo } from '../../../core/api/contract.js';
import { api, errorText } from '../lib/api.js';

export class SystemState {
  info = $state<SystemInfo | null>(null);
  error = $state<string | null>(null);
  connected = $state(false);

  connect(): () => void {
    return api().onConnection((connected) => {
      this.connected = connected;
      if (connected && !this.info) void this.load();
    });
  }

  async load(): Promise<void> {
    try {
      this.info = await api().call('system:info');
      this.error = null;
    } catch (err) {
      this.error = errorText(err);
    }
  }
}

export const systemState = new SystemState();

export function backendLabel(b: { name: string; simd?: boolean; threads?: number } | null | undefined): string {
  if (!b) return '—';
  if (b.name === 'wasm') return `wasm${b.simd ? ' (SIMD)' : ''}`;
  if (b.name === 'tensorflow-gpu') return 'TensorFlow GPU';
  if (b.name === 'tensorflow') return 'TensorFlow CPU';
  return b.name;
}
