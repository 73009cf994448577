/**
 * App-layer costs: what the run manager, the event stream and the WebSocket add on top of training.
 *   1. API round trip: in-process invoke vs the browser-mode WebSocket (runs:list, metrics:query).
 *   2. Training speed in a managed worker (events batched to the parent, forwarded to a WebSocket client)
 *      vs trainRun called directly in this process — the issue asks that live charts not slow training noticeably.
 *   3. Event delivery: how often a subscribed client receives metric batches while a run trains (target ≥ 5/s).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { trainRun } from '../../core/algos/loop.js';
import { resolveConfig } from '../../core/algos/registry.js';
import type { RunInfo } from '../../core/api/contract.js';
import { startServer } from '../../core/host/server.js';
import { openAppBackend } from '../../core/runner/service.js';

const STEPS = 8_192;

function fmt(n: number, digits = 1): string {
  return n.toFixed(digits);
}

async function roundTrips(): Promise<void> {
  const home = mkdtempSync(join(tmpdir(), 'policylab-bench-app-'));
  const backend = await openAppBackend({ home, transport: 'browser' });
  const server = await startServer({ backend, staticDir: home });
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}/ws?token=${server.token}`);
  await new Promise<void>((ok, fail) => (ws.once('open', () => ok()), ws.once('error', fail)));
  let nextId = 1;
  const pending = new Map<number, () => void>();
  ws.on('message', (d) => {
    const m = JSON.parse(d.toString()) as { type: string; id?: number };
    if (m.type === 'result' && m.id) pending.get(m.id)?.();
  });
  const wsCall = (channel: string, payload?: unknown) =>
    new Promise<void>((ok) => {
      const id = nextId++;
      pending.set(id, ok);
      ws.send(JSON.stringify({ id, channel, payload }));
    });
  const N = 500;
  for (const [label, fn] of [
    ['in-process invoke', () => backend.invoke('runs:list', undefined)],
    ['WebSocket', () => wsCall('runs:list')],
  ] as const) {
    for (let i = 0; i < 50; i++) await fn(); // warm up
    const t0 = performance.now();
    for (let i = 0; i < N; i++) await fn();
    const us = ((performance.now() - t0) / N) * 1000;
    console.log(`runs:list round trip, ${label}: ${fmt(us)} µs`);
  }
  ws.close();
  await server.close();
  await backend.close();
  rmSync(home, { recursive: true, force: true });
}

async function trainingOverhead(): Promise<void> {
  const { config, totalSteps } = resolveConfig('ppo', 'CartPole-v1', { totalSteps: STEPS });

  // Direct: trainRun in this process, no events consumer.
  const directHome = mkdtempSync(join(tmpdir(), 'policylab-bench-direct-'));
  const t0 = performance.now();
  const direct = await trainRun({
    runDir: directHome,
    runId: 'bench',
    algo: 'ppo',
    env: 'CartPole-v1',
    config,
    seed: 1,
    totalSteps,
    signal: new AbortController().signal,
  });
  const directSeconds = (performance.now() - t0) / 1000;
  rmSync(directHome, { recursive: true, force: true });

  // Managed: worker process + batched events → RunManager → WebSocket client.
  const home = mkdtempSync(join(tmpdir(), 'policylab-bench-managed-'));
  const backend = await openAppBackend({ home, transport: 'browser' });
  const server = await startServer({ backend, staticDir: home });
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}/ws?token=${server.token}`);
  await new Promise<void>((ok) => ws.once('open', () => ok()));
  const batchTimes: number[] = [];
  let records = 0;
  ws.on('message', (d) => {
    const m = JSON.parse(d.toString()) as { type: string; event?: string; payload?: { records?: unknown[] } };
    if (m.event === 'run:metrics') {
      batchTimes.push(performance.now());
      records += m.payload?.records?.length ?? 0;
    }
  });
  const done = new Promise<RunInfo>((ok) =>
    backend.subscribe((e) => {
      if (e.event === 'run:status' && (e.payload.status === 'finished' || e.payload.status === 'crashed' || e.payload.status === 'failed')) ok(e.payload);
    }),
  );
  const r = await backend.invoke('runs:start', { algo: 'ppo', env: 'CartPole-v1', seeds: [1], totalSteps: STEPS, config });
  if (!r.ok) throw new Error(r.error.message);
  const finished = await done;
  const managedSps = finished.summary.sps ?? NaN;
  ws.close();
  await server.close();
  await backend.close();
  rmSync(home, { recursive: true, force: true });

  console.log(`PPO CartPole ${STEPS} steps on ${direct.backend.name}:`);
  console.log(`  trainRun in-process:          ${fmt(direct.sps, 0)} steps/s (${fmt(directSeconds)} s wall)`);
  console.log(`  managed worker + live events: ${fmt(managedSps, 0)} steps/s (as the worker measured it)`);
  console.log(`  ratio managed/direct:         ${fmt(managedSps / direct.sps, 2)} (target ≥ 0.9)`);
  if (batchTimes.length > 1) {
    const span = (batchTimes.at(-1)! - batchTimes[0]!) / 1000;
    console.log(`  metric batches to a WebSocket client: ${batchTimes.length} (${records} records) over ${fmt(span)} s = ${fmt(batchTimes.length / span)}/s`);
    console.log('  (batches follow the logging cadence: one record per update; the worker flushes at most every 100 ms)');
  }
}

export async function bench(): Promise<void> {
  await roundTrips();
  await trainingOverhead();
}
