/**
 * Browser mode's fairness under load, three processes: the server (its own process, so its RSS is its own), one
 * client flooding it at ~10,000 requests/s (its own process, so its sending does not slow the measuring client), and
 * this process sending `runs:list` every 50 ms. The data folder holds 40 PPO runs, so each `runs:list` reply is
 * ~40 KB, as on a folder in use (on an empty folder replies are 50 bytes and nothing backs up).
 * Printed: the second client's latency p50/p99/max without and with the flood (target: max ≤ 100 ms more), and
 * the server's RSS growth while a client that never reads its replies sends 6,000 requests, with the server's own
 * counters for that connection (peak unsent reply bytes, peak queued requests, whether its socket was paused).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'ws';

const TOKEN = 'bench-flood-token-0123456789';
const RUNS = 40;
const FLOOD_RATE = 10_000;
const PROBE_EVERY_MS = 50;
const PHASE_MS = 8_000;
const HOG_REQUESTS = 6_000;
const ROLE = process.env.POLICYLAB_FLOOD_ROLE;

interface ServerReport {
  rss: number;
  connections: { id: number; answered: number; readingPaused: boolean; peakUnsentBytes: number; peakQueuedRequests: number; pauses: number }[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MB`;

async function connect(port: number): Promise<WebSocket> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws?token=${TOKEN}`, { origin: `http://127.0.0.1:${port}` });
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  return ws;
}

/** Child: the app's back end and browser-mode server on `home`, answering `stats` over IPC. */
async function serveRole(home: string): Promise<void> {
  const { openAppBackend } = await import('../../core/runner/service.js');
  const { startServer } = await import('../../core/host/server.js');
  const backend = await openAppBackend({ home, transport: 'browser' });
  const server = await startServer({ backend, staticDir: home, token: TOKEN });
  const withStats = server as typeof server & { connections?: () => ServerReport['connections'] };
  process.on('message', (m: string) => {
    if (m === 'stats') process.send!({ rss: process.memoryUsage.rss(), connections: withStats.connections?.() ?? [] });
    if (m === 'exit') void server.close().then(() => backend.close()).then(() => process.exit(0));
  });
  process.send!({ port: server.port });
}

/** Child: sends runs:list at FLOOD_RATE (paced by elapsed time) and reads the replies, until told to stop. */
async function floodRole(port: number): Promise<void> {
  const ws = await connect(port);
  let sent = 0;
  let replies = 0;
  ws.on('message', () => replies++);
  const t0 = performance.now();
  const timer = setInterval(() => {
    const due = Math.floor(((performance.now() - t0) / 1000) * FLOOD_RATE);
    for (; sent < due; sent++) ws.send(`{"id":${sent + 1},"channel":"runs:list"}`);
  }, 1);
  process.on('message', (m: string) => {
    if (m !== 'stop') return;
    clearInterval(timer);
    process.send!({ sent, replies, seconds: (performance.now() - t0) / 1000 });
    ws.terminate();
    process.exit(0);
  });
  process.send!({ flooding: true });
}

function child(env: Record<string, string>): ChildProcess {
  return fork(fileURLToPath(import.meta.url), [], { env: { ...process.env, ...env }, execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}

function nextMessage<T>(proc: ChildProcess): Promise<T> {
  return new Promise((resolve) => proc.once('message', (m) => resolve(m as T)));
}

async function seedRuns(home: string): Promise<void> {
  const { RunStore } = await import('../../core/store/index.js');
  const { resolveConfig } = await import('../../core/algos/registry.js');
  const { config, totalSteps } = resolveConfig('ppo', 'CartPole-v1', {});
  const store = await RunStore.open(home);
  for (let seed = 0; seed < RUNS; seed++) {
    const run = await store.createRun({ algo: 'ppo', env: 'CartPole-v1', config, seed, totalSteps, tags: ['bench'], notes: 'flood bench' });
    await store.updateRun(run.id, { status: 'running' });
    await store.updateRun(run.id, { status: 'finished', step: totalSteps });
  }
  await store.close();
}

/** runs:list every PROBE_EVERY_MS for PHASE_MS; returns the sorted round-trip times in ms. */
async function probeLatency(port: number): Promise<number[]> {
  const ws = await connect(port);
  const lat: number[] = [];
  const sent = new Map<number, number>();
  ws.on('message', (d: Buffer) => {
    const m = JSON.parse(d.toString()) as { type: string; id: number };
    const t = sent.get(m.id);
    if (m.type === 'result' && t !== undefined) lat.push(performance.now() - t);
  });
  const end = performance.now() + PHASE_MS;
  let id = 0;
  while (performance.now() < end) {
    sent.set(++id, performance.now());
    ws.send(JSON.stringify({ id, channel: 'runs:list' }));
    await sleep(PROBE_EVERY_MS);
  }
  for (let waited = 0; lat.length < id && waited < 10_000; waited += 50) await sleep(50);
  ws.terminate();
  if (lat.length < id) console.log(`flood: ${id - lat.length} of the second client's ${id} requests got no reply within 10 s`);
  return lat.sort((a, b) => a - b);
}

const q = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.floor(p * xs.length))] ?? NaN;
const line = (what: string, xs: number[]) =>
  `flood: ${what}: p50 ${q(xs, 0.5).toFixed(1)} ms, p99 ${q(xs, 0.99).toFixed(1)} ms, max ${(xs.at(-1) ?? NaN).toFixed(1)} ms (${xs.length} requests)`;

async function stats(server: ChildProcess): Promise<ServerReport> {
  const reply = nextMessage<ServerReport>(server);
  server.send('stats');
  return reply;
}

/** A client that never reads sends 6,000 requests; RSS once the server has stopped answering it (or after 15 s). */
async function nonReader(server: ChildProcess, port: number): Promise<void> {
  const before = (await stats(server)).rss;
  const hog = await connect(port);
  hog.pause();
  let closed = '';
  hog.on('close', (code, reason) => (closed = `; closed by the server: ${code} ${reason.toString()}`));
  for (let i = 0; i < HOG_REQUESTS; i++) hog.send(`{"id":${i},"channel":"runs:list"}`);
  let report = await stats(server);
  let answered = -1;
  let peakRss = report.rss;
  for (let still = 0, waited = 0; still < 10 && waited < 15_000; waited += 100) {
    await sleep(100);
    report = await stats(server);
    peakRss = Math.max(peakRss, report.rss);
    const hogStats = report.connections.at(-1);
    if (!hogStats) {
      still = waited >= 3000 ? 10 : 0; // a server without counters: 3 s
      continue;
    }
    still = hogStats.answered === answered ? still + 1 : 0;
    answered = hogStats.answered;
  }
  const c = report.connections.at(-1);
  const counters = c
    ? `; the server answered ${c.answered.toLocaleString('en-US')} and stopped (socket paused: ${c.readingPaused}, peak unsent ${mb(c.peakUnsentBytes)}, peak queued ${c.peakQueuedRequests} requests)`
    : '';
  console.log(
    `flood: server RSS ${mb(before)} → ${mb(report.rss)} (peak ${mb(peakRss)}, +${mb(peakRss - before)}) while a client that never reads sent ${HOG_REQUESTS.toLocaleString('en-US')} runs:list requests${counters}${closed}`,
  );
  hog.terminate();
}

export async function bench(): Promise<void> {
  const home = mkdtempSync(join(tmpdir(), 'policylab-bench-flood-'));
  const server = child({ POLICYLAB_FLOOD_ROLE: 'server', POLICYLAB_FLOOD_HOME: home });
  try {
    await seedRuns(home);
    server.send('go');
    const { port } = await nextMessage<{ port: number }>(server);
    console.log(`flood: ${RUNS} runs in the folder; runs:list replies are ${((await replyBytes(port)) / 1024).toFixed(1)} KB each`);

    const quiet = await probeLatency(port);
    console.log(line('second client alone', quiet));

    const flooder = child({ POLICYLAB_FLOOD_ROLE: 'flood', POLICYLAB_FLOOD_PORT: String(port) });
    await nextMessage(flooder);
    const loaded = await probeLatency(port);
    flooder.send('stop');
    const flood = await nextMessage<{ sent: number; replies: number; seconds: number }>(flooder);
    const rate = Math.round(flood.sent / flood.seconds).toLocaleString('en-US');
    console.log(line(`second client while another sends ${rate} requests/s`, loaded));
    console.log(
      `flood: the flood added ${(q(loaded, 0.99) - q(quiet, 0.99)).toFixed(1)} ms at p99, ${((loaded.at(-1) ?? NaN) - (quiet.at(-1) ?? NaN)).toFixed(1)} ms at max (target ≤ 100 ms); ` +
        `the flooder got ${flood.replies.toLocaleString('en-US')} of its ${flood.sent.toLocaleString('en-US')} replies (${Math.round(flood.replies / flood.seconds).toLocaleString('en-US')}/s)`,
    );
    await sleep(1000); // the terminated flooder's backlog is dropped by the server
    await nonReader(server, port);
  } finally {
    server.send('exit');
    await new Promise((r) => server.once('exit', r));
    rmSync(home, { recursive: true, force: true });
  }
}

async function replyBytes(port: number): Promise<number> {
  const ws = await connect(port);
  const size = new Promise<number>((resolve) => ws.once('message', (d: Buffer) => resolve(d.length)));
  ws.send('{"id":1,"channel":"runs:list"}');
  const n = await size;
  ws.terminate();
  return n;
}

if (ROLE === 'server') process.once('message', () => void serveRole(process.env.POLICYLAB_FLOOD_HOME!));
if (ROLE === 'flood') void floodRole(Number(process.env.POLICYLAB_FLOOD_PORT));
