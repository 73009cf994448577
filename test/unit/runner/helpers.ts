import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import type { ApiEvent, EventChannel, EventPayloads } from '../../../core/api/contract.js';
import { createCatalog } from '../../../core/runner/catalog.js';
import { openAppBackend, type AppBackend } from '../../../core/runner/service.js';

export const FAKE_WORKER = fileURLToPath(new URL('./fixtures/fake-worker.ts', import.meta.url));

export const fakeCatalog = createCatalog(
  [
    {
      id: 'fake',
      title: 'Fake',
      configSchema: z
        .object({
          mode: z.enum(['train', 'crash', 'fail', 'hang']).default('train'),
          tickMs: z.number().int().min(1).max(1000).default(20).describe('Milliseconds per tick.'),
          stepsPerTick: z.number().int().min(1).default(10),
        })
        .strict(),
      presets: { 'CartPole-v1': { tickMs: 10 } },
      presetTotalSteps: { 'CartPole-v1': 300 },
      defaultTotalSteps: 200,
    },
  ],
  [{ id: 'CartPole-v1', description: 'pole', obsDim: 4, action: { kind: 'discrete', n: 2 }, maxEpisodeSteps: 500, rewardThreshold: 475 }],
);

export function tempHome(): { home: string; cleanup: () => void } {
  const home = mkdtempSync(join(tmpdir(), 'policylab-runner-'));
  return { home, cleanup: () => rmSync(home, { recursive: true, force: true }) };
}

/** Records every event and lets a test wait for one matching a predicate (no timing assertions). */
export class EventLog {
  readonly events: ApiEvent[] = [];
  #waiters: { pred: (e: ApiEvent) => boolean; resolve: (e: ApiEvent) => void }[] = [];

  constructor(backend: { subscribe(l: (e: ApiEvent) => void): () => void }) {
    backend.subscribe((e) => {
      this.events.push(e);
      this.#waiters = this.#waiters.filter((w) => (w.pred(e) ? (w.resolve(e), false) : true));
    });
  }

  of<E extends EventChannel>(event: E, id?: string): EventPayloads[E][] {
    return this.events
      .filter((e) => e.event === event && (id === undefined || (e.payload as { id: string }).id === id))
      .map((e) => e.payload as EventPayloads[E]);
  }

  wait<E extends EventChannel>(event: E, pred: (p: EventPayloads[E]) => boolean = () => true, timeoutMs = 60_000): Promise<EventPayloads[E]> {
    const seen = this.events.find((e) => e.event === event && pred(e.payload as EventPayloads[E]));
    if (seen) return Promise.resolve(seen.payload as EventPayloads[E]);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${event} event matched within ${timeoutMs} ms`)), timeoutMs);
      this.#waiters.push({
        pred: (e) => e.event === event && pred(e.payload as EventPayloads[E]),
        resolve: (e) => {
          clearTimeout(timer);
          resolve(e.payload as EventPayloads[E]);
        },
      });
    });
  }

  status(id: string, status: string) {
    return this.wait('run:status', (r) => r.id === id && r.status === status);
  }
}

export async function openFake(home: string, options: { maxConcurrent?: number; stopTimeoutMs?: number } = {}): Promise<AppBackend> {
  return openAppBackend({ home, transport: 'browser', catalog: fakeCatalog, workerPath: FAKE_WORKER, ...options });
}

export async function call<T = unknown>(backend: AppBackend, channel: string, payload?: unknown): Promise<T> {
  const r = await backend.invoke(channel, payload);
  if (!r.ok) throw new Error(`${channel} failed: ${r.error.code}: ${r.error.message}`);
  return r.value as T;
}
